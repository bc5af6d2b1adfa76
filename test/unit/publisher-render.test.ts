/** The publisher view's renderers: the "Your AMIs" section escaped, the blast radius first; the -owned-images.csv cells neutralised. */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { parse } from 'csv-parse/sync';
import { buildReport } from '../../src/report/build.js';
import { DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import { ok } from '../../src/model/coverage.js';
import type { Inventory, OwnedImage } from '../../src/model/types.js';
import { renderHtml } from '../../src/render/html.js';
import { renderOwnedImagesCsv } from '../../src/render/owned.js';
import { renderFormat } from '../../src/render/index.js';
import { loadTemplates } from '../../src/io/files.js';
import { MAX_CHARS, renderMarkdown } from '../../src/render/markdown.js';
import { renderTextSummary } from '../../src/render/text.js';

const AS_OF = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });
const EVIL = '=HYPERLINK("http://evil.example")<script>alert(1)</script>';

function owned(over: Partial<OwnedImage>): OwnedImage {
  return {
    accountId: '111111111111', region: 'us-east-1', imageId: 'ami-0123456789abcdef0', name: 'golden', state: 'available', creationDate: '2026-01-01T00:00:00Z',
    deprecationTime: '2026-11-01T00:00:00Z', lastLaunchedTime: '2026-11-20T00:00:00Z', deregistrationProtection: 'disabled', isPublic: false,
    sharing: { public: false, accountIds: ['999999999999'], organizationArns: [], organizationalUnitArns: [] }, ...over,
  };
}

function inventory(images: OwnedImage[]): Inventory {
  return {
    run: { id: 'r1', startedAt: '2026-11-26T00:00:00Z', finishedAt: '2026-11-26T00:01:00Z', caller: { accountId: '111111111111', arn: null }, accounts: ['111111111111'], regions: ['us-east-1'], options: {}, interrupted: false, source: 'scan' },
    coverage: [ok('111111111111', 'us-east-1', { ownedImageCount: images.length, imageBlockPublicAccessState: 'unblocked' })],
    instances: [], notFoundInstanceIds: [], ownedImages: images,
  };
}

describe('the publisher view, rendered', () => {
  const report = buildReport({
    inventory: inventory([
      owned({ imageId: 'ami-0aaaaaaaaaaaaaaa1', name: 'quiet', sharing: { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: [] } }),
      owned({ name: EVIL, usage: { status: 'known', reportId: 'amiur-0123456789abcdef0', reportCreationTime: '2026-11-25T22:00:00Z', consumers: [{ accountId: '999999999999', instances: 4, launchTemplates: 1 }] } }),
    ]),
    settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' },
  });

  test('the blast radius first: the AMI with consumers leads the report\'s list', () => {
    expect(report.ownedImages!.map((i) => i.imageId)).toEqual(['ami-0123456789abcdef0', 'ami-0aaaaaaaaaaaaaaa1']);
    expect(report.ownedImages![0]!.usage!.consumers[0]).toMatchObject({ inOrganization: false, name: null });
  });

  test('HTML: "Your AMIs" escaped, never raw; the report\'s age shown', () => {
    const html = renderHtml(report, loadTemplates());
    const section = html.slice(html.indexOf('id="owned-images"'), html.indexOf('</section>', html.indexOf('id="owned-images"')));
    expect(section).toContain('Your AMIs');
    expect(section).not.toContain('<script>alert(1)');
    expect(section).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(section).toContain('(report 2 h old)');
    expect(section).toContain('999999999999 (outside the organisation): 4 instances, 1 launch template');
    expect(section.indexOf('id="t-blast"')).toBeLessThan(section.indexOf('id="t-owned"'));
  });

  test('CSV: one row per owned AMI, formula cells neutralised; the file only in images reports', () => {
    const rows = parse(renderOwnedImagesCsv(report).replace(/^\ufeff/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.imageId)).toEqual(['ami-0123456789abcdef0', 'ami-0aaaaaaaaaaaaaaa1']);
    expect(rows[0]!.name!.startsWith("'=")).toBe(true);
    expect(rows[0]).toMatchObject({ consumerAccounts: '1', consumersOutsideOrganization: '1', consumerInstances: '4', usageStatus: 'known' });
    const files = renderFormat('csv', report, { templates: loadTemplates(), writtenAt: '2026-11-26T00:00:00Z' }).map((f) => f.suffix);
    expect(files).toContain('-owned-images.csv');
    const scan = { ...report };
    delete scan.ownedImages;
    expect(renderFormat('csv', scan, { templates: loadTemplates(), writtenAt: '2026-11-26T00:00:00Z' }).map((f) => f.suffix)).not.toContain('-owned-images.csv');
  });
});

describe('the publisher view in Markdown', () => {
  const none = { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: [] };
  const known = (consumers: { accountId: string; instances: number; launchTemplates: number }[]) => ({ status: 'known' as const, reportId: 'amiur-0123456789abcdef0', reportCreationTime: '2026-11-25T22:00:00Z', consumers });
  const images = [
    // deprecated, used by two accounts: the run's own and one outside the organisation
    owned({ imageId: 'ami-0dep0000000000001', name: EVIL, usage: known([{ accountId: '111111111111', instances: 3, launchTemplates: 1 }, { accountId: '999999999999', instances: 2, launchTemplates: 0 }]) }),
    // deprecated, its usage report never completed: consumers unknown, never "no consumers"
    owned({ imageId: 'ami-0dep0000000000002', name: 'golden-old', usage: { status: 'unknown', reportId: 'amiur-0000000000000000f', reportCreationTime: null, consumers: [], reason: 'the usage report was still pending after 300 s' } }),
    // not deprecated, used: not in the blast radius, in the list of every owned AMI
    owned({ imageId: 'ami-0cur0000000000003', name: 'golden-current', deprecationTime: '2027-06-01T00:00:00Z', usage: known([{ accountId: '111111111111', instances: 5, launchTemplates: 0 }]) }),
    // deprecated, nobody uses it
    owned({ imageId: 'ami-0old0000000000004', name: 'retired', sharing: none, usage: known([]) }),
  ];
  const report = buildReport({ inventory: inventory(images), settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
  const md = renderMarkdown(report);
  const section = md.slice(md.indexOf('## Your AMIs'), md.indexOf('\n## ', md.indexOf('## Your AMIs') + 3));
  const blast = section.slice(section.indexOf('### Blast radius'), section.indexOf('### Every owned AMI'));

  test('a "Your AMIs" section, the blast radius first: deprecated AMIs still used, by how many accounts, inside and outside the organisation', () => {
    expect(md).toContain('## Your AMIs (4 owned AMIs)');
    expect(section.indexOf('### Blast radius')).toBeGreaterThan(0);
    expect(section.indexOf('### Blast radius')).toBeLessThan(section.indexOf('### Every owned AMI'));
    const row = blast.split('\n').find((l) => l.includes('ami-0dep0000000000001'))!;
    // consumer accounts 2: 1 in the organisation, 1 outside; 5 instances, 1 launch template; no protection
    expect(row).toMatch(/\| 2 \| 1 \| 1 \| 5 \| 1 \| disabled \|/);
    expect(row).toContain('report 2 h old');
    // the AMI name is escaped for Markdown, never raw HTML
    expect(row).not.toContain('<script>');
    expect(row).toContain('&lt;script&gt;');
  });

  test('a usage report that did not complete is "consumers unknown", with its reason; not-deprecated or unused AMIs are not the blast radius', () => {
    const unknown = blast.split('\n').find((l) => l.includes('ami-0dep0000000000002'))!;
    expect(unknown).toContain('consumers unknown');
    expect(unknown).toContain('the usage report was still pending after 300 s');
    expect(blast).not.toContain('ami-0cur0000000000003');
    expect(blast).not.toContain('ami-0old0000000000004');
    const every = section.slice(section.indexOf('### Every owned AMI'));
    for (const i of images) expect(every).toContain(i.imageId);
  });

  test('bounded like the rest: thousands of owned AMIs fit a ticket, what is left out is counted', () => {
    const many = Array.from({ length: 3000 }, (_, i) => owned({
      imageId: `ami-0${i.toString(16).padStart(16, '0')}`, name: `golden-${'x'.repeat(100)}-${i}`,
      usage: known(Array.from({ length: 30 }, (_c, k) => ({ accountId: String(100000000000 + k), instances: k + 1, launchTemplates: 1 }))),
    }));
    const big = renderMarkdown(buildReport({ inventory: inventory(many), settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } }));
    expect(big.length).toBeLessThan(MAX_CHARS);
    expect(big).toContain('## Your AMIs (3,000 owned AMIs)');
    expect(big).toMatch(/\.\.\. and [\d,]+ more deprecated AMIs still used/);
    expect(big).toMatch(/Left out to fit a ticket: .*owned AMIs/);
  });

  test('a scan report (no owned AMIs) has no such section', () => {
    const scan = { ...report };
    delete scan.ownedImages;
    expect(renderMarkdown(scan)).not.toContain('## Your AMIs');
  });
});

describe('owned-image findings in a diff', () => {
  test('gone after an images run: resolved; against a scan: not looked at (owned-images)', async () => {
    const { diffReports } = await import('../../src/report/build.js');
    const base = buildReport({ inventory: inventory([owned({ isPublic: true })]), settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    expect(base.findings.some((f) => f.ruleId === 'public-ami')).toBe(true);
    const imagesRun = { ...inventory([owned({ isPublic: false, sharing: { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: [] } })]) };
    imagesRun.run = { ...imagesRun.run, options: { images: { usageReports: true, ancestry: true } } };
    const now = buildReport({ inventory: imagesRun, settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    const d = diffReports(base, now);
    expect(d.resolved.map((f) => f.ruleId)).toContain('public-ami');
    const scan = buildReport({ inventory: { ...inventory([]), ownedImages: undefined }, settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    const d2 = diffReports(base, scan);
    expect(d2.unverified.find((f) => f.ruleId === 'public-ami')!.notLookedAt).toBe('owned-images');
  });
});

describe('a consumer\'s OU path, known from the organisation, is shown where the consumers are named', () => {
  const OU = 'Root/Workloads/<b>Prod</b>';
  const inv: Inventory = {
    ...inventory([owned({ usage: { status: 'known', reportId: 'amiur-0123456789abcdef0', reportCreationTime: '2026-11-25T22:00:00Z', consumers: [{ accountId: '222222222222', instances: 7, launchTemplates: 0 }] } })]),
    accounts: [
      { accountId: '111111111111', name: 'images', ouPath: 'Root/Platform', state: 'ACTIVE' },
      { accountId: '222222222222', name: 'payments-prod', ouPath: OU, state: 'ACTIVE' },
    ],
  };
  const report = buildReport({ inventory: inv, settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });

  test('the JSON holds it', () => {
    expect(report.ownedImages![0]!.usage!.consumers[0]).toMatchObject({ name: 'payments-prod', ouPath: OU, inOrganization: true });
  });

  test('HTML "Who" cell: the account, its name and OU path, escaped', () => {
    const html = renderHtml(report, loadTemplates());
    const blast = html.slice(html.indexOf('id="t-blast"'), html.indexOf('</table>', html.indexOf('id="t-blast"')));
    expect(blast).toContain('222222222222 (payments-prod, Root/Workloads/&lt;b&gt;Prod&lt;/b&gt;): 7 instances, 0 launch templates');
    expect(blast).not.toContain('<b>Prod');
  });

  test('Markdown blast radius: the consumers with their OU path, escaped', () => {
    const md = renderMarkdown(report);
    const blast = md.slice(md.indexOf('### Blast radius'), md.indexOf('### Every owned AMI'));
    const row = blast.split('\n').find((l) => l.includes('ami-0123456789abcdef0'))!;
    expect(row).toContain('222222222222 (payments-prod, Root/Workloads/&lt;b&gt;Prod&lt;/b&gt;): 7 instances');
    expect(row).not.toContain('<b>');
  });
});

describe('the plan of an images run: an owned AMI is not "0 instances"', () => {
  const consumers = [
    { accountId: '111111111111', instances: 3, launchTemplates: 0 },
    { accountId: '222222222222', instances: 2, launchTemplates: 1 },
    { accountId: '999999999999', instances: 2, launchTemplates: 0 },
  ];
  const used = owned({ imageId: 'ami-0901d0000000000a1', usage: { status: 'known', reportId: 'amiur-0123456789abcdef0', reportCreationTime: '2026-11-25T22:00:00Z', consumers } });
  const unknown = owned({ imageId: 'ami-0901d0000000000b2', name: 'golden-old', usage: { status: 'unknown', reportId: null, reportCreationTime: null, consumers: [], reason: 'the usage report was still pending after 300 s' } });
  const report = buildReport({ inventory: inventory([used, unknown]), settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
  const entry = (id: string) => report.images.find((e) => e.imageId === id)!;

  test('the plan holds both, with no instance findings', () => {
    expect(entry(used.imageId).instances.total).toBe(0);
    expect(entry(unknown.imageId).instances.total).toBe(0);
  });

  test('terminal: the consumers from the usage report, or "owned AMI: see Your AMIs"', () => {
    const text = renderTextSummary(report);
    const line = (id: string) => text.split('\n').find((l) => l.includes(id) && /^\s+\d+\s+(critical|high|medium|low)\s/.test(l))!;
    expect(line(used.imageId)).toContain('7 instances and 1 launch template in 3 accounts, by the usage report of 2026-11-25');
    expect(line(unknown.imageId)).toContain('owned AMI: see Your AMIs');
    expect(text).not.toMatch(/0 instances \(0 running\)/);
  });

  test('Markdown: the same in the Instances cell of "AMIs to fix first"', () => {
    const md = renderMarkdown(report);
    const plan = md.slice(md.indexOf('## AMIs to fix first'), md.indexOf('\n## ', md.indexOf('## AMIs to fix first') + 3));
    expect(plan.split('\n').find((l) => l.includes(used.imageId))).toContain('| 7 instances and 1 launch template in 3 accounts, by the usage report of 2026-11-25 |');
    expect(plan.split('\n').find((l) => l.includes(unknown.imageId))).toContain('| owned AMI: see Your AMIs |');
    expect(plan).not.toMatch(/0 instances \(0 running\)/);
  });

  test('HTML: "Fix first" and the plan say it, never "0 running"', () => {
    const html = renderHtml(report, loadTemplates());
    const rowsOf = (id: string) => html.split(/<tr[ >]/).filter((l) => l.includes(`<code>${id}</code>`) && /class="prio"/.test(l));
    const usedRows = rowsOf(used.imageId);
    expect(usedRows.length).toBe(2);
    for (const r of usedRows) {
      expect(r).toContain('7 instances and 1 launch template in 3 accounts, by the usage report of 2026-11-25');
      expect(r).not.toMatch(/>0 running/);
    }
    const unknownRows = rowsOf(unknown.imageId);
    expect(unknownRows.length).toBe(2);
    for (const r of unknownRows) {
      expect(r).toContain('owned AMI: see <a href="#owned-images">Your AMIs</a>');
      expect(r).not.toMatch(/>0 running/);
    }
  });
});

describe('what the publisher view does not know is said, never shown as none', () => {
  const notAsked = owned({ imageId: 'ami-0dep00000000000aa', name: 'golden-unshared', sharing: { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: [] } });
  const pending = owned({ imageId: 'ami-0dep00000000000bb', name: 'golden-pending', usage: { status: 'unknown', reportId: 'amiur-0000000000000000f', reportCreationTime: null, consumers: [], reason: 'the usage report was still pending after 300 s' } });
  const inv = inventory([notAsked, pending]);
  inv.coverage = [ok('111111111111', 'us-east-1', { ownedImageCount: 2, imageBlockPublicAccessState: 'unknown' })];
  const report = buildReport({ inventory: inv, settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });

  test('Markdown: a deprecated AMI nobody asked about is counted as not asked, never "no deprecated AMI is still used"; an unread block public access is said', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('1 deprecated AMI was not asked about (no usage report): its consumers are not known.');
    expect(md).toContain('Image block public access could not be read in');
    const alone = buildReport({ inventory: inventory([notAsked]), settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    const md2 = renderMarkdown(alone);
    expect(md2).not.toContain('No deprecated AMI is still used');
    expect(md2).toContain('not asked about');
  });

  test('HTML: consumers unknown show "?" in every count, never 0; the deprecated AMIs not asked about are counted', () => {
    const html = renderHtml(report, loadTemplates());
    const blast = html.slice(html.indexOf('id="t-blast"'), html.indexOf('</table>', html.indexOf('id="t-blast"')));
    const row = blast.slice(blast.indexOf('ami-0dep00000000000bb'));
    expect(row.slice(0, row.indexOf('</tr>'))).toMatch(/unknown<\/td><td class="num">\?<\/td><td class="num">\?<\/td><td class="num">\?<\/td>/);
    expect(html).toContain('1 deprecated owned AMI(s) were not asked about (no usage report)');
  });
});
