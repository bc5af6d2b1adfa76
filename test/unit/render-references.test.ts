/**
 * Findings whose subject is a resource (`scan --references`: launchable-bad-ami on a launch
 * template, an SSM parameter, an Image Builder recipe), the references of each AMI of the plan,
 * the reference lookups of each scope and the regions' Allowed AMIs criteria, in every format.
 * Instance findings render as they did.
 */
import { describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { COVERAGE_COLUMNS, FINDING_COLUMNS, IMAGE_COLUMNS, renderCoverageCsv, renderFindingsCsv, renderImagesCsv } from '../../src/render/csv.js';
import { htmlView, renderHtml } from '../../src/render/html.js';
import { MAX_CHARS, renderMarkdown } from '../../src/render/markdown.js';
import { renderTextSummary } from '../../src/render/text.js';
import { contentText, renderFormat } from '../../src/render/index.js';
import { asffBatches, type AsffFinding } from '../../src/render/asff.js';
import { ocsfEvents } from '../../src/render/ocsf.js';
import { criterionText, findingSubject, gapMeaning, referenceLabel, resourceLabel } from '../../src/render/summary.js';
import { loadTemplates } from '../../src/io/files.js';
import { buildReport } from '../../src/report/build.js';
import { coverageGaps } from '../../src/report/plan.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import { FIXED_NOW, FIXTURE_REFERENCES, fixtureReport, HOSTILE, inventoryFromFleet } from '../helpers/fixture.js';
import type { CoverageEntry, Finding, ImageReference, Inventory, Report } from '../../src/model/types.js';

const templates = loadTemplates();
const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
const tool = { name: 'ami-audit', version: '0.0.0-test' };
const build = (inventory: Inventory, baseline: Report | null = null): Report => buildReport({ inventory, settings: settingsFrom(demoConfig(asOf)), asOf: asOf.toMillis(), tool, baseline });

const report = fixtureReport();
/** The same run without --references: no references, no reference lookups. */
function withoutReferences(): Report {
  const inv = inventoryFromFleet();
  delete inv.references;
  inv.coverage = inv.coverage.map((c) => {
    const { references: _r, ...rest } = c;
    return rest;
  });
  return build(inv);
}
/** The fixture with other references (hostile names, many of them...). */
function withReferences(refs: ImageReference[], edit: (inv: Inventory) => void = () => {}): Report {
  const inv = inventoryFromFleet();
  inv.references = refs;
  edit(inv);
  return build(inv);
}

const LT_ARN = 'arn:aws:ec2:us-east-1:222222222222:launch-template/lt-0de0a1b2c3d4e5f01';
const SSM_ARN = 'arn:aws:ssm:us-east-1:222222222222:parameter/golden/ami/web';
const RECIPE_ARN = 'arn:aws:imagebuilder:us-east-1:222222222222:image-recipe/sap-bridge-base/1.0.0';
const resourceFindings = (r: Report) => r.findings.filter((f) => f.resource);
const byArn = (r: Report, arn: string) => r.findings.find((f) => f.resource?.arn === arn)!;

describe('the fixture', () => {
  test('has a launch template an Auto Scaling group launches, an SSM parameter and a recipe, each a launchable-bad-ami finding', () => {
    expect(resourceFindings(report).map((f) => [f.ruleId, f.severity, f.resource!.arn, f.instanceId])).toEqual([
      ['launchable-bad-ami', 'high', LT_ARN, ''],
      ['launchable-bad-ami', 'medium', SSM_ARN, ''],
      ['launchable-bad-ami', 'medium', RECIPE_ARN, ''],
    ]);
    expect(report.images.find((i) => i.imageId === 'ami-0d1e2f3a4b5c60010')!.references!.map((x) => x.usedBy)).toEqual([['web-prod']]);
  });
});

describe('a finding\'s subject', () => {
  test('an instance finding: its instance id', () => {
    const f = report.findings.find((x) => !x.resource)!;
    expect(findingSubject(f)).toEqual({ kind: 'instance', label: f.instanceId, arn: null });
  });
  test('a resource finding: what it is, its name, id and version; its ARN apart', () => {
    expect(findingSubject(byArn(report, LT_ARN))).toEqual({ kind: 'resource', label: 'launch template web-prod (lt-0de0a1b2c3d4e5f01) v2', arn: LT_ARN });
    expect(findingSubject(byArn(report, SSM_ARN))).toEqual({ kind: 'resource', label: 'SSM parameter /golden/ami/web', arn: SSM_ARN });
    expect(findingSubject(byArn(report, RECIPE_ARN)).label).toBe('Image Builder image recipe sap-bridge-base v1.0.0');
  });
  test('labels without a name, with several versions, of an unknown type', () => {
    expect(resourceLabel({ type: 'ec2:LaunchTemplate', arn: LT_ARN, name: null, version: null })).toBe('launch template lt-0de0a1b2c3d4e5f01');
    // a launch template whose name could not be read keeps its id as its name: not twice
    expect(resourceLabel({ type: 'ec2:LaunchTemplate', arn: LT_ARN, name: 'lt-0de0a1b2c3d4e5f01', version: '1,3' })).toBe('launch template lt-0de0a1b2c3d4e5f01 v1, v3');
    expect(resourceLabel({ type: 'imagebuilder:ContainerRecipe', arn: 'arn:aws:imagebuilder:us-east-1:1:container-recipe/x/2.0.0', name: 'x', version: '2.0.0' })).toBe('Image Builder container recipe x v2.0.0');
    expect(resourceLabel({ type: 'future:Thing', arn: 'arn:aws:future:us-east-1:1:thing/t', name: null, version: null })).toBe('future:Thing arn:aws:future:us-east-1:1:thing/t');
    expect([...resourceLabel({ type: 'ssm:Parameter', arn: SSM_ARN, name: 'n'.repeat(5000), version: null })].length).toBeLessThan(200);
    expect(referenceLabel(FIXTURE_REFERENCES[0]!)).toBe('launch template web-prod (lt-0de0a1b2c3d4e5f01) v2');
  });
  test('criteria in words', () => {
    const c = report.coverage.find((x) => x.accountId === '222222222222' && x.region === 'eu-west-1')!.allowedImagesCriteria![0]!;
    expect(criterionText(c)).toBe('providers amazon, aws-marketplace; names al2023-ami-*; product codes prodcode0abc; deprecated at most 30 days');
    expect(criterionText({ imageProviders: [], imageNames: [], marketplaceProductCodes: [], maximumDaysSinceCreated: 300, maximumDaysSinceDeprecated: null })).toBe('created at most 300 days ago');
  });
});

/** The page's data block. */
const dataOf = (html: string) => JSON.parse(/<script type="application\/json" id="ami-audit-data">(.*?)<\/script>/s.exec(html)![1]!) as { rows: unknown[][]; rules: string[] };
const SUBJECT = 16;

describe('HTML', () => {
  const html = renderHtml(report, templates);
  const plan = /<section id="plan".*?<\/section>/s.exec(html)![0];
  test('the plan lists what references each AMI, the Auto Scaling groups that will launch it called out', () => {
    const refs = [...plan.matchAll(/<tr class="plan-refs" data-plan="(\d+)">(.*?)<\/tr>/gs)].map((m) => [Number(m[1]), m[2]!]);
    const idx = (id: string) => report.images.findIndex((i) => i.imageId === id);
    expect(refs.map(([p]) => p)).toEqual([idx('ami-0d1e2f3a4b5c60017'), idx('ami-0d1e2f3a4b5c60010'), idx('ami-0d1e2f3a4b5c60012')]);
    const lt = refs.find(([p]) => p === idx('ami-0d1e2f3a4b5c60010'))![1] as string;
    expect(lt).toContain('<strong class="asg-callout">Auto Scaling group web-prod will launch this AMI on its next scale-out</strong>');
    expect(lt).toContain('launch template web-prod (lt-0de0a1b2c3d4e5f01) v2');
    expect(lt).toContain(`title="${LT_ARN}"`);
    const ssm = refs.find(([p]) => p === idx('ami-0d1e2f3a4b5c60012'))![1] as string;
    expect(ssm).not.toContain('asg-callout');
    expect(ssm).toContain('SSM parameter /golden/ami/web');
    expect(ssm).toContain(SSM_ARN);
    // every plan row still comes before its references
    for (const [p] of refs) expect(plan.indexOf(`<tr class="plan-row" data-plan="${p}">`)).toBeLessThan(plan.indexOf(`<tr class="plan-refs" data-plan="${p}">`));
  });
  test('the first screen flags an AMI an Auto Scaling group will launch again', () => {
    const top = /<div class="top-plan" id="top-plan">.*?<\/table>/s.exec(html)![0];
    expect(top).toContain('<span class="asg-flag" title="Auto Scaling group web-prod will launch this AMI on its next scale-out">ASG web-prod</span>');
  });
  test('resource findings carry their subject and ARN in the data; instance rows have none', () => {
    const data = dataOf(html);
    report.findings.forEach((f, i) => {
      const row = data.rows[i]!;
      if (f.resource) expect(row[SUBJECT]).toEqual([findingSubject(f).label, f.resource.arn, f.resource.usedBy]);
      else expect(row[SUBJECT] ?? null).toBeNull();
    });
    expect(data.rules).toContain('launchable-bad-ami');
  });
  test('the rule chart has the rule, counted', () => {
    const bar = /<g [^>]*data-key="launchable-bad-ami"[^>]*>.*?<\/g>/s.exec(html)![0];
    expect(bar).toContain('<title>launchable-bad-ami (high): 3</title>');
    // the rules come from the report, not from a list in the page
    const rules = htmlView(report).ruleChart.bars.map((b) => b.key).sort();
    expect(rules).toEqual(report.rules.map((r) => r.id).sort());
  });
  test('the coverage section says how the reference lookups went, and shows each region\'s Allowed AMIs criteria', () => {
    const coverage = /<section id="coverage".*?<\/section>/s.exec(html)![0];
    expect(coverage).toMatch(/<p class="references-note" id="references-note">References looked up \(--references\): 4 scopes ok \(6 flagged AMIs\), 0 with an error, 5 skipped \(nothing flagged\); 3 references found, 1 with an Auto Scaling group\.<\/p>/);
    const criteria = /<table class="plain criteria" id="t-criteria">.*?<\/table>/s.exec(coverage)![0];
    expect(criteria).toContain('providers amazon; names al2023-ami-*, amzn2-ami-hvm-*, Windows_Server-2025-*');
    expect(criteria).toContain('providers 555555555555; names golden-base-*; created at most 300 days ago');
    expect(criteria).toContain('product codes prodcode0abc; deprecated at most 30 days');
    expect(criteria).toContain('declarative policy');
    expect(criteria).toContain('222222222222');
  });
  test('a scope whose reference lookup failed: partial, what failed, what that means', () => {
    const coverage = report.coverage.map((c): CoverageEntry => (c.accountId === '333333333333' && c.region === 'us-east-1'
      ? {
        ...c, status: 'partial', errorCode: 'UnauthorizedOperation', errorMessage: 'DescribeImageReferences: You are not authorized to perform this operation.',
        failures: [{ action: 'DescribeImageReferences', code: 'UnauthorizedOperation', message: 'DescribeImageReferences: You are not authorized to perform this operation.' }],
        references: { status: 'error', code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.', images: 1, apiCalls: 1 },
      }
      : c));
    const r: Report = { ...report, coverage, coverageGaps: coverageGaps(coverage) };
    const entry = coverage.find((c) => c.status === 'partial')!;
    expect(gapMeaning(entry)).toBe(`all ${entry.instanceCount} instances were listed and evaluated; only what references their flagged AMIs (launch templates, SSM parameters, recipes) could not be read, so launchable-bad-ami findings there may be missing`);
    const page = renderHtml(r, templates);
    expect(page).toContain('<code>DescribeImageReferences UnauthorizedOperation</code>: You are not authorized to perform this operation.');
    expect(page).toContain('References looked up (--references): 3 scopes ok (5 flagged AMIs), 1 with an error, 5 skipped (nothing flagged)');
    expect(/<td class="cell partial" title="([^"]*)">/.exec(page)![1]).toContain('references: error UnauthorizedOperation');
  });
  test('without --references: no references row, no note', () => {
    const page = renderHtml(withoutReferences(), templates);
    expect(page).not.toContain('class="plan-refs"');
    expect(page).not.toContain('id="references-note"');
  });
  test('hostile names, ARNs, group names and criteria are escaped', () => {
    const hostile = HOSTILE[0]!;
    const r = withReferences([
      { ...FIXTURE_REFERENCES[0]!, name: hostile, usedBy: [HOSTILE[1]!, '{{constructor}}'] },
      { ...FIXTURE_REFERENCES[1]!, arn: `${SSM_ARN}"><img src=x>`, name: hostile },
    ], (inv) => {
      const c = inv.coverage.find((x) => x.allowedImagesCriteria)!;
      c.allowedImagesCriteria = [{ ...c.allowedImagesCriteria![0]!, imageNames: [hostile] }];
    });
    const page = renderHtml(r, templates);
    expect(page.match(/<script/g)).toHaveLength(2);
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('</script><script>alert');
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;alert(&quot;tag&quot;)&lt;/script&gt;');
  });
});

describe('CSV', () => {
  test('the findings CSV ends with resourceType and resourceArn; the first columns are as they were', () => {
    expect(FINDING_COLUMNS.slice(0, 6)).toEqual(['id', 'severity', 'ruleId', 'accountId', 'region', 'instanceId']);
    expect(FINDING_COLUMNS.slice(-10, -6)).toEqual(['accountName', 'ouPath', 'resourceType', 'resourceArn']); // the history's five and controls follow
    const rows = parse(renderFindingsCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    const lt = rows.find((x) => x.id === byArn(report, LT_ARN).id)!;
    expect([lt.instanceId, lt.instanceState, lt.resourceType, lt.resourceArn]).toEqual(['', '', 'ec2:LaunchTemplate', LT_ARN]);
    for (const row of rows.filter((x) => !report.findings.find((f) => f.id === x.id)!.resource)) expect([row.resourceType, row.resourceArn]).toEqual(['', '']);
  });
  test('instance rows keep their cells: the CSV without --references is the same but for the new columns', () => {
    const before = parse(renderFindingsCsv(withoutReferences()), { bom: true, columns: true }) as Record<string, string>[];
    const after = parse(renderFindingsCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    for (const row of before) expect(after.find((x) => x.id === row.id)).toEqual(row);
  });
  test('the images CSV ends with references (a count) and launchedBy (the groups), then the history and successor columns; blank without --references', () => {
    expect(IMAGE_COLUMNS.slice(-6)).toEqual(['references', 'launchedBy', 'oldestFirstSeenAt', 'overdue', 'successorImageIds', 'successor']);
    const rows = parse(renderImagesCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    const of = (id: string) => rows.find((x) => x.imageId === id)!;
    expect([of('ami-0d1e2f3a4b5c60010').references, of('ami-0d1e2f3a4b5c60010').launchedBy]).toEqual(['1', 'web-prod']);
    expect([of('ami-0d1e2f3a4b5c60012').references, of('ami-0d1e2f3a4b5c60012').launchedBy]).toEqual(['1', '']);
    expect([of('ami-0d1e2f3a4b5c60011').references, of('ami-0d1e2f3a4b5c60011').launchedBy]).toEqual(['0', '']);
    const none = parse(renderImagesCsv(withoutReferences()), { bom: true, columns: true }) as Record<string, string>[];
    for (const row of none) expect([row.references, row.launchedBy]).toEqual(['', '']);
  });
  test('group names and ARNs are neutralised like every cell', () => {
    const r = withReferences([{ ...FIXTURE_REFERENCES[0]!, arn: `=HYPERLINK("x")`, usedBy: ['-2+3', '@cmd'] }]);
    const images = parse(renderImagesCsv(r), { bom: true, columns: true }) as Record<string, string>[];
    expect(images.find((x) => x.imageId === 'ami-0d1e2f3a4b5c60010')!.launchedBy).toBe("'-2+3;@cmd");
    const findings = parse(renderFindingsCsv(r), { bom: true, columns: true }) as Record<string, string>[];
    expect(findings.find((x) => x.resourceType === 'ec2:LaunchTemplate')!.resourceArn).toBe(`'=HYPERLINK("x")`);
  });
});

describe('the coverage CSV', () => {
  test('ends with how each scope\'s reference lookups went', () => {
    expect(COVERAGE_COLUMNS.at(-1)).toBe('references');
    const rows = parse(renderCoverageCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    const of = (a: string, r: string) => rows.find((x) => x.accountId === a && x.region === r)!.references;
    expect([of('222222222222', 'us-east-1'), of('111111111111', 'us-east-1'), of('444444444444', 'us-east-1')]).toEqual(['ok', 'skipped:nothing-flagged', '']);
  });
});

describe('Markdown', () => {
  const md = renderMarkdown(report);
  test('a line per AMI with references, under the plan: the groups that will launch it first', () => {
    expect(md).toContain('### What will launch these AMIs again');
    expect(md).toContain('- #2 ami-0d1e2f3a4b5c60010: will be launched again by Auto Scaling group web-prod (launch template web-prod (lt-0de0a1b2c3d4e5f01) v2, 222222222222 us-east-1)');
    expect(md).toContain('- #4 ami-0d1e2f3a4b5c60012: referenced by SSM parameter /golden/ami/web (222222222222 us-east-1)');
    expect(md.indexOf('### What will launch these AMIs again')).toBeGreaterThan(md.indexOf('## AMIs to fix first'));
    expect(md.indexOf('### What will launch these AMIs again')).toBeLessThan(md.indexOf('## Coverage gaps'));
  });
  test('a launch template referenced by a group and other resources: the groups, then the rest', () => {
    const r = withReferences([...FIXTURE_REFERENCES, { ...FIXTURE_REFERENCES[1]!, imageId: 'ami-0d1e2f3a4b5c60010', arn: `${SSM_ARN}-2`, name: '/golden/ami/web-2' }]);
    expect(renderMarkdown(r)).toContain('- #2 ami-0d1e2f3a4b5c60010: will be launched again by Auto Scaling group web-prod (launch template web-prod (lt-0de0a1b2c3d4e5f01) v2, 222222222222 us-east-1); also referenced by SSM parameter /golden/ami/web-2 (222222222222 us-east-1)');
  });
  test('bounded: thousands of long references stay under the limit, and what was left out is said', () => {
    const many: ImageReference[] = Array.from({ length: 3000 }, (_, i) => ({
      ...FIXTURE_REFERENCES[i % 2 === 0 ? 0 : 1]!, arn: `${i % 2 === 0 ? LT_ARN : SSM_ARN}-${i}`, name: `${'n'.repeat(300)}-${i}`, usedBy: i % 2 === 0 ? [`asg-${'g'.repeat(200)}-${i}`] : [],
    }));
    const out = renderMarkdown(withReferences(many));
    expect(out.length).toBeLessThan(MAX_CHARS);
    expect(out).toMatch(/and \d+ more references/);
    expect(out).toMatch(/Left out to fit a ticket: .*references/);
  });
  test('names are escaped', () => {
    const out = renderMarkdown(withReferences([{ ...FIXTURE_REFERENCES[0]!, name: HOSTILE[0]!, usedBy: ['a|b*c'] }]));
    expect(out).not.toContain('<script>');
    expect(out).toContain('a\\|b\\*c');
  });
  test('a resource finding in a diff table shows its subject', () => {
    const base = withoutReferences();
    const out = renderMarkdown(build(inventoryFromFleet(), base));
    const table = /## New findings.*?\n\n(?=##|---)/s.exec(out)![0];
    expect(table).toContain('launch template web-prod (lt-0de0a1b2c3d4e5f01) v2');
    expect(table).not.toMatch(/\| 222222222222 \(payments-prod\) \| us-east-1 \|  \|/);
  });
});

describe('terminal summary', () => {
  test('one line for the Auto Scaling groups that will relaunch flagged AMIs', () => {
    const text = renderTextSummary(report);
    expect(text).toContain('  references  1 Auto Scaling group will relaunch flagged AMIs (web-prod); 2 other resources (launch templates, SSM parameters, recipes) still reference flagged AMIs\n');
    expect(renderTextSummary(withoutReferences())).not.toContain('  references  ');
  });
  test('bounded and terminal-safe', () => {
    const refs = Array.from({ length: 40 }, (_, i) => ({ ...FIXTURE_REFERENCES[0]!, arn: `${LT_ARN}-${i}`, usedBy: [`grp-${i}\u001b[31m`, `${'x'.repeat(300)}`] }));
    const line = renderTextSummary(withReferences(refs)).split('\n').find((l) => l.startsWith('  references'))!;
    expect(line).toMatch(/^ {2}references {2}41 Auto Scaling groups will relaunch flagged AMIs \(.* and \d+ more\)/);
    expect(line).not.toMatch(/\u001b/);
    expect(line.length).toBeLessThan(400);
  });
});

describe('OCSF and ASFF', () => {
  const plain = withoutReferences();
  test('OCSF: a resource finding\'s resource is the referencing resource, then the AMI; never an instance', () => {
    const events = ocsfEvents(report) as { finding_info: { uid: string }; resources: { uid: string; type: string; name?: string; data?: Record<string, unknown> }[] }[];
    const lt = events.find((e) => e.finding_info.uid.endsWith(byArn(report, LT_ARN).id))!;
    expect(lt.resources.map((x) => [x.type, x.uid])).toEqual([['AWS::EC2::LaunchTemplate', LT_ARN], ['AWS::EC2::Image', 'arn:aws:ec2:us-east-1::image/ami-0d1e2f3a4b5c60010']]);
    expect(lt.resources[0]!.name).toBe('web-prod');
    expect(lt.resources[0]!.data).toEqual({ resource_type: 'ec2:LaunchTemplate', version: '2', used_by: ['web-prod'] });
    const ssm = events.find((e) => e.finding_info.uid.endsWith(byArn(report, SSM_ARN).id))!;
    expect(ssm.resources[0]!.type).toBe('AWS::SSM::Parameter');
    const recipe = events.find((e) => e.finding_info.uid.endsWith(byArn(report, RECIPE_ARN).id))!;
    expect(recipe.resources[0]!.type).toBe('AWS::ImageBuilder::ImageRecipe');
    for (const e of [lt, ssm, recipe]) expect(JSON.stringify(e)).not.toMatch(/instance\/|AWS::EC2::Instance/);
  });
  test('OCSF: instance findings are byte-identical to a run without references', () => {
    const lines = (r: Report) => contentText(renderFormat('ocsf', r, null as never)[0]!).split('\n');
    const without = new Set(lines(plain));
    const ids = new Set(resourceFindings(report).map((f) => f.id));
    const mine = lines(report).filter((l) => ![...ids].some((id) => l.includes(id)));
    expect(mine.map((l) => l.replace(/,$/, ''))).toEqual([...without].map((l) => l.replace(/,$/, '')));
  });
  test('ASFF: a launch template is an AwsEc2LaunchTemplate, the rest Other, each with its ARN for an id', () => {
    const all = asffBatches(report).flat();
    const of = (f: Finding) => all.find((a) => a.Id.endsWith(f.id))!;
    const lt = of(byArn(report, LT_ARN));
    expect(lt.Resources).toEqual([{ Type: 'AwsEc2LaunchTemplate', Id: LT_ARN, Partition: 'aws', Region: 'us-east-1', Details: { AwsEc2LaunchTemplate: { Id: 'lt-0de0a1b2c3d4e5f01', LaunchTemplateName: 'web-prod' } } }]);
    expect(lt.ProductFields['ami-audit/ResourceArn']).toBe(LT_ARN);
    expect(lt.ProductFields['ami-audit/UsedBy']).toBe('web-prod');
    expect(lt.ProductFields['ami-audit/InstanceId']).toBeUndefined();
    expect(lt.Description).toContain('Launch template web-prod (lt-0de0a1b2c3d4e5f01) v2 in account 222222222222, us-east-1, references ami-0d1e2f3a4b5c60010');
    expect(lt.Description).toContain('Auto Scaling group web-prod launches it');
    const ssm = of(byArn(report, SSM_ARN));
    expect(ssm.Resources).toEqual([{ Type: 'Other', Id: SSM_ARN, Partition: 'aws', Region: 'us-east-1' }]);
    expect(of(byArn(report, RECIPE_ARN)).Resources[0]!.Type).toBe('Other');
    for (const a of [lt, ssm]) expect(JSON.stringify(a.Resources)).not.toContain('instance/');
  });
  test('ASFF: instance findings are byte-identical to a run without references', () => {
    const ids = new Set(resourceFindings(report).map((f) => f.id));
    const mine = asffBatches(report).flat().filter((a) => ![...ids].some((id) => a.Id.endsWith(id)));
    const theirs = asffBatches(plain).flat();
    expect(mine.map((a) => JSON.stringify(a))).toEqual(theirs.map((a) => JSON.stringify(a)));
  });
  test('ASFF: a resource finding resolved since the baseline is closed without naming an instance', () => {
    const r = build((() => {
      const inv = inventoryFromFleet();
      delete inv.references;
      return inv;
    })(), report);
    const ids = new Set(resourceFindings(report).map((f) => f.id));
    expect(r.diff!.resolved.filter((d) => ids.has(d.id))).toHaveLength(3);
    const closed = asffBatches(r).flat().filter((a) => a.Compliance.Status === 'PASSED' && [...ids].some((id) => a.Id.endsWith(id)));
    expect(closed).toHaveLength(3);
    for (const a of closed) {
      expect(a.Resources[0]!.Id).not.toMatch(/instance\/|:$/);
      expect(a.Description).not.toContain('Instance  ');
    }
    // and the Markdown's resolved table does not leave the subject blank
    const md = renderMarkdown(r);
    const resolved = /## Resolved findings.*?\n\n(?=##|---)/s.exec(md)![0];
    expect(resolved).not.toMatch(/\| us-east-1 \|  \|/);
  });
  test('ASFF: a long resource name or ARN is cut to the API\'s lengths', () => {
    const r = withReferences([{ ...FIXTURE_REFERENCES[1]!, arn: `${SSM_ARN}${'/x'.repeat(400)}`, name: 'n'.repeat(3000) }]);
    const a = asffBatches(r).flat().find((x) => x.ProductFields['ami-audit/ResourceType'] === 'ssm:Parameter') as AsffFinding;
    expect(Buffer.byteLength(a.Resources[0]!.Id)).toBeLessThanOrEqual(512);
    expect(Buffer.byteLength(a.Description)).toBeLessThanOrEqual(1024);
  });
});
