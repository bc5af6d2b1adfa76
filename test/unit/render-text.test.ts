/**
 * The renderer registry, the CSV files (findings with tag columns, the AMI plan, Excel's BOM), the
 * Markdown for tickets (verdict, plan, grouped gaps, its size bound) and the terminal summary's
 * plan and gaps. Golden files of these formats are in render.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { contentText, DEFAULT_FORMATS, FORMATS, formatsHelp, needsTemplates, RENDERERS, renderFormat } from '../../src/render/index.js';
import { BOM, FINDING_COLUMNS, findingColumns, IMAGE_COLUMNS, renderCoverageCsv, renderFindingsCsv, renderImagesCsv } from '../../src/render/csv.js';
import { MAX_CHARS, renderMarkdown } from '../../src/render/markdown.js';
import { renderTextSummary } from '../../src/render/text.js';
import { configSchema } from '../../src/schema/config.js';
import { SEVERITIES, type CoverageGap, type DiffEntry, type ImagePlanEntry, type Report } from '../../src/model/types.js';
import { fixtureReport, HOSTILE } from '../helpers/fixture.js';

const report = fixtureReport();
const NO_TEMPLATES = null as never;

/** The fixture with two tag columns: `team` (hostile and non-ASCII values, one instance untagged) and `region` (a name the fixed columns use). */
function withTags(r: Report): Report {
  const values = ['payments', 'équipe-données 🚀', null, HOSTILE[2]!, '-2+3'];
  return {
    ...r,
    tagColumns: ['team', 'region'],
    findings: r.findings.map((f, i) => ({ ...f, tags: [values[i % values.length]!, i % 2 ? 'tagged-region' : null] })),
  };
}

describe('the renderer registry', () => {
  test('format names, the default list, the config schema enum and the help text all come from it', () => {
    expect(FORMATS).toEqual(RENDERERS.map((r) => r.format));
    expect(FORMATS).toEqual(['html', 'csv', 'json', 'md', 'rollout', 'ocsf', 'asff']);
    expect(DEFAULT_FORMATS).toEqual(RENDERERS.filter((r) => r.byDefault).map((r) => r.format));
    expect(configSchema.properties.formats.items.enum).toEqual([...FORMATS]);
    expect(formatsHelp()).toBe('html, csv, json, md, rollout, ocsf, asff (default html,csv,json,md,rollout)');
  });
  test('only HTML reads templates, and renderers get them through their context', () => {
    expect(needsTemplates(['csv', 'json', 'md'])).toBe(false);
    expect(needsTemplates(['md', 'html'])).toBe(true);
    // the formats that need no templates render without them
    // (rollout writes a file only when there is something to roll out: the fixture has no successors)
    for (const f of FORMATS.filter((x) => !needsTemplates([x]) && x !== 'rollout')) expect(renderFormat(f, report, NO_TEMPLATES).length).toBeGreaterThan(0);
    expect(renderFormat('rollout', report, NO_TEMPLATES)).toEqual([]);
    expect(renderFormat('md', report, { templates: NO_TEMPLATES }).map(contentText)).toEqual(renderFormat('md', report, NO_TEMPLATES).map(contentText));
  });
  test('CSV writes the findings, the AMI plan and the coverage file, and the what-if when the report has one', () => {
    expect(report.whatIf).toBeDefined();
    expect(renderFormat('csv', report, NO_TEMPLATES).map((f) => f.suffix)).toEqual(['.csv', '-images.csv', '-coverage.csv', '-whatif.csv']);
    const { whatIf: _w, ...without } = report;
    expect(renderFormat('csv', without, NO_TEMPLATES).map((f) => f.suffix)).toEqual(['.csv', '-images.csv', '-coverage.csv']);
  });
});

describe('CSV', () => {
  test('every CSV starts with a UTF-8 BOM, so Excel reads non-ASCII names as UTF-8', () => {
    const r = withTags(report);
    for (const text of [renderFindingsCsv(r), renderImagesCsv(r), renderCoverageCsv(r)]) {
      expect(text.startsWith(BOM)).toBe(true);
      expect(text.indexOf(BOM, 1)).toBe(-1);
      expect(Buffer.from(text, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    }
    const rows = parse(renderFindingsCsv(r), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.team)).toContain('équipe-données 🚀');
  });
  test('the findings CSV ends with runId, asOf, the account\'s name and OU path, the history fields and controls, and one column per tag column, values aligned, names never clashing', () => {
    const r = withTags(report);
    const head = findingColumns(r);
    expect(head).toEqual([...FINDING_COLUMNS, 'team', 'tag:region']);
    expect(FINDING_COLUMNS.slice(-14)).toEqual(['diffStatus', 'diffDetail', 'runId', 'asOf', 'accountName', 'ouPath', 'resourceType', 'resourceArn', 'firstSeenAt', 'ageDays', 'dueAt', 'overdue', 'lifecycle', 'controls']);
    const rows = parse(renderFindingsCsv(r), { bom: true }) as string[][];
    expect(rows[0]).toEqual(head);
    r.findings.forEach((f, i) => {
      const row = Object.fromEntries(head.map((h, n) => [h, rows[i + 1]![n]]));
      expect(row.id).toBe(f.id);
      expect(row.runId).toBe(r.run.id);
      expect(row.asOf).toBe(r.run.asOf);
      expect(row.region).toBe(f.region);
      expect(row['tag:region']).toBe(f.tags![1] ?? '');
      const team = f.tags![0];
      expect(row.team).toBe(team === null ? '' : /^[=+\-@]/.test(team!) ? `'${team}` : team);
    });
    // without tag columns, the header is the fixed one
    expect((parse(renderFindingsCsv(report), { bom: true }) as string[][])[0]).toEqual([...FINDING_COLUMNS]);
  });
  test('a tag key that looks like a formula is neutralised in the header', () => {
    const r = { ...report, tagColumns: ['=cmd|x'], findings: report.findings.map((f) => ({ ...f, tags: ['v'] })) };
    expect((parse(renderFindingsCsv(r), { bom: true }) as string[][])[0]!.at(-1)).toBe("'=cmd|x");
  });
  test('rows from the baseline carry the baseline run id and as-of', () => {
    const d = { ...report, diff: { ...report.diff, baseline: { runId: 'run-base', startedAt: '2026-11-01T00:00:00Z', asOf: '2026-11-01T00:00:00Z' }, counts: { new: 0, resolved: 1, unverified: 0, changed: 0, unchanged: 0 }, new: [], resolved: [report.findings[0]! as DiffEntry], unverified: [], changed: [], unchanged: [], scopes: { added: [], removed: [] } } } as Report;
    const rows = parse(renderFindingsCsv(d), { bom: true, columns: true }) as Record<string, string>[];
    const resolved = rows.find((x) => x.diffStatus === 'resolved')!;
    expect([resolved.runId, resolved.asOf]).toEqual(['run-base', '2026-11-01T00:00:00Z']);
  });
  test('the -images.csv is the plan: frozen columns, one row per AMI in priority order, blast radius and rules', () => {
    const rows = parse(renderImagesCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...IMAGE_COLUMNS]);
    expect(IMAGE_COLUMNS.slice(0, 2)).toEqual(['priority', 'imageId']);
    expect(rows.map((x) => x.imageId)).toEqual(report.images.map((e) => e.imageId ?? ''));
    expect(rows.map((x) => Number(x.priority))).toEqual(report.images.map((_, i) => i + 1));
    const first = report.images[0]!;
    expect(rows[0]).toMatchObject({
      worstSeverity: first.worstSeverity, instances: String(first.instances.total), instancesRunning: String(first.instances.running),
      instancesStopped: String(first.instances.stopped), accounts: first.accounts.map((id) => `${id} (payments-prod)`).join('; '), regions: first.regions.join(' '),
      findings: String(first.findings), waived: String(first.waived), rules: first.rules.map((x) => `${x.ruleId}:${x.severity}:${x.findings}`).join('; '),
    });
    // the hostile AMI name arrives whole, its formula neutralised
    const hostile = rows.find((x) => x.imageId === 'ami-0d1e2f3a4b5c60018')!;
    expect(hostile.imageName).toBe(HOSTILE.slice(0, 4).join(' '));
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(renderImagesCsv({ ...report, images: [] })).toBe(`${BOM}${IMAGE_COLUMNS.join(',')}\r\n`);
  });
});

/** A plan entry of a large estate: long hostile names, many accounts and regions. */
function bigImage(i: number): ImagePlanEntry {
  return {
    priority: i + 1, imageId: `ami-${i.toString(16).padStart(17, '0')}`, name: `<|${'é*_'.repeat(200)}|>`, ownerId: '123456789012', ownerAlias: '<alias>'.repeat(30),
    state: 'available', deprecationTime: '2026-01-01T00:00:00Z', creationDate: '2024-01-01T00:00:00Z', worstSeverity: SEVERITIES[i % 5]!,
    rules: ['deprecated-ami', 'stale-ami', 'untrusted-owner', 'non-public-ami', 'not-allowed-ami', 'deprecation-soon', 'disabled-ami', 'deregistered-ami', 'unverifiable-ami'].map((ruleId) => ({ ruleId, severity: 'high' as const, findings: 1000 })),
    instances: { total: 5000, running: 4000, stopped: 900, other: 100 },
    accounts: Array.from({ length: 300 }, (_, n) => String(100000000000 + n)), regions: Array.from({ length: 30 }, (_, n) => `xx-region-${n}`),
    findings: 9000, waived: 3,
  };
}

function bigGap(i: number): CoverageGap {
  return {
    accountId: String(200000000000 + i), status: i % 3 ? 'error' : 'partial', cause: 'AccessDenied', action: 'AssumeRole',
    regions: Array.from({ length: 25 }, (_, n) => `xx-region-${n}`), hint: '<hint>|'.repeat(100), message: `${'<|>'.repeat(2000)} is not authorized to perform: sts:AssumeRole`,
  };
}

/** A report of a large estate: thousands of AMIs, coverage gaps, diff entries and ids, every string long and hostile. */
function hugeReport(): Report {
  const entry = (n: number): DiffEntry => ({ id: `id${n}`, ruleId: 'deprecated-ami', severity: 'high', accountId: String(300000000000 + n), region: 'us-east-1', instanceId: `i-${'<'.repeat(300)}${n}`, imageId: `ami-${'|'.repeat(300)}`, message: 'm' });
  const many = Array.from({ length: 5000 }, (_, n) => entry(n));
  return {
    ...report,
    run: { ...report.run, status: 'partial', warnings: Array.from({ length: 500 }, () => `<warn>${'|'.repeat(1000)}`) },
    images: Array.from({ length: 7341 }, (_, i) => bigImage(i)),
    coverageGaps: Array.from({ length: 3000 }, (_, i) => bigGap(i)),
    notFoundInstanceIds: Array.from({ length: 20000 }, (_, n) => `i-${'<'.repeat(100)}${n}`),
    uncheckedInstanceIds: Array.from({ length: 20000 }, (_, n) => `i-${n}`),
    diff: {
      baseline: { runId: 'run-base', startedAt: '2026-11-01T00:00:00Z', asOf: '2026-11-01T00:00:00Z' },
      counts: { new: 0, resolved: many.length, unverified: many.length, changed: many.length, unchanged: 0 },
      new: [], resolved: many, unchanged: [],
      unverified: many.map((x) => ({ ...x, scope: { baseline: 'ok' as const, current: 'error' as const } })),
      changed: many.map((x) => ({ ...x, before: { severity: 'low' as const, waived: false }, after: { severity: 'high' as const, waived: true } })),
      scopes: { added: Array.from({ length: 4000 }, (_, n) => ({ accountId: String(n), region: '<|>'.repeat(100), status: 'ok' as const })), removed: [] },
    },
  };
}

const huge = hugeReport();

describe('Markdown for tickets', () => {
  const md = renderMarkdown(report);
  test('opens with the verdict: partial with its gap count, or complete', () => {
    const lines = md.split('\n');
    expect(lines[0]).toBe('# AMI audit: 17 unwaived findings on 8 AMIs (+1 with waived findings only) (PARTIAL COVERAGE)');
    expect(lines[2]).toBe('**Verdict: PARTIAL.** 4 coverage gaps (6 scopes of 19 not fully checked): no findings there does not mean no problems there.');
    const complete: Report = { ...report, run: { ...report.run, status: 'complete' }, coverageGaps: [], coverage: report.coverage.filter((c) => c.status === 'ok') };
    const c = renderMarkdown(complete);
    expect(c).toContain('**Verdict: complete.** Every account and region of the run was checked.');
    expect(c).toContain('Every account and region was covered.');
    expect(c).not.toContain('PARTIAL');
  });
  test('lists the AMIs of the plan in priority order, not finding rows', () => {
    expect(md).not.toContain('## Top findings');
    expect(md).toContain('## AMIs to fix first\n');
    const rows = md.split('\n').filter((l) => /^\| \d+ \| /.test(l));
    expect(rows).toHaveLength(report.images.length);
    rows.forEach((l, i) => expect(l.startsWith(`| ${i + 1} | ${report.images[i]!.imageId} | `)).toBe(true));
    expect(rows[0]).toContain('2 instances (2 running)');
    expect(md).toContain('| 0 (+1 waived) |');
    // each AMI once in the table, however many findings it has
    const table = md.split('\n').filter((l) => /^\| \d+ \| /.test(l)).join('\n');
    for (const e of report.images) expect(table.split(e.imageId!).length - 1).toBe(1);
  });
  test('severity counts, grouped gaps with their hints, the diff summary', () => {
    for (const sev of SEVERITIES) expect(md).toContain(`| ${sev} | ${report.summary.bySeverity[sev]} |`);
    // each line names the account (with its name and OU path, where known)
    const gapLines = md.split('\n').filter((l) => /^- \d{12}( \([^)]*\))?: /.test(l));
    expect(gapLines).toHaveLength(report.coverageGaps.length);
    expect(gapLines.filter((l) => l.startsWith('- 444444444444'))).toHaveLength(1);
    expect(md).toContain('- 444444444444 (legacy): error: AccessDenied in 3 regions (ap-southeast-2, eu-west-1, us-east-1) — the role is missing or does not trust the caller: deploy it (see ami-audit iam-policy) (AssumeRole refused)');
    const withDiff = renderMarkdown({ ...report, diff: { baseline: { runId: 'run-base', startedAt: '2026-11-01T00:00:00Z', asOf: '2026-11-01T00:00:00Z' }, counts: { new: 1, resolved: 0, unverified: 0, changed: 0, unchanged: 13 }, new: [], resolved: [], unverified: [], changed: [], unchanged: [], scopes: { added: [], removed: [] } } });
    expect(withDiff).toContain(`Compared with baseline run run-base (as of 2026-11-01T00:00:00Z) → run ${report.run.id} (as of ${report.run.asOf}): 1 new, 0 resolved, 0 unverified, 0 changed, 13 unchanged.`);
  });
  test('ends with a link-free footer naming the run', () => {
    const tail = md.trimEnd().split('\n').slice(-3);
    expect(tail).toEqual(['---', '', 'ami-audit 0.0.0-test · run run-fixture-0001 · as of 2026-11-26T00:00:00Z · coverage partial']);
    expect(md).not.toMatch(/\]\(|https?:|<a /);
  });
  test(`fits in ${MAX_CHARS} characters whatever the estate's size, and says how much it left out`, () => {
    const out = renderMarkdown(huge);
    expect(out.length).toBeLessThan(MAX_CHARS);
    expect(out).toMatch(/## AMIs to fix first \(\d+ of 7,341\)/);
    expect(out).toMatch(/\.\.\. and [\d,]+ more AMIs with [\d,]+ unwaived findings on [\d,]+ instances \(the -images\.csv has the whole plan\)/);
    expect(out).toMatch(/- \.\.\. and [\d,]+ more gaps \([\d,]+ scopes; the coverage CSV has every scope\)/);
    expect(out).toMatch(/Left out to fit a ticket: [\d,]+ warnings, [\d,]+ diff scopes, [\d,]+ AMIs, [\d,]+ coverage gaps, [\d,]+ changed findings, [\d,]+ unverified findings, [\d,]+ resolved findings, [\d,]+ not-found instance ids, [\d,]+ unchecked instance ids\./);
    // the footer and the verdict survive, and the tables still hold together
    expect(out.trimEnd().split('\n')).toContain('ami-audit 0.0.0-test · run run-fixture-0001 · as of 2026-11-26T00:00:00Z · coverage partial');
    expect(out).toContain('**Verdict: PARTIAL.** 3,000 coverage gaps');
    for (const l of out.split('\n').filter((x) => x.startsWith('| '))) expect(l.endsWith(' |')).toBe(true);
    expect(out).not.toContain('<');
    // the counts left out add up with those shown
    const shown = out.split('\n').filter((l) => /^\| \d+ \| ami-/.test(l)).length;
    expect(out).toContain(`## AMIs to fix first (${shown} of 7,341)`);
    expect(out).toContain(`${(7341 - shown).toLocaleString('en-US')} AMIs`);
  });
  test('a large estate with ordinary names keeps the whole top of the plan and of the gaps; the diff tables give way first', () => {
    const ordinary: Report = {
      ...huge,
      run: { ...huge.run, warnings: [] },
      images: huge.images.map((e) => ({ ...e, name: 'amzn2-ami-hvm-2.0.20231101.0-x86_64-gp2', ownerAlias: 'amazon', rules: e.rules.slice(0, 2) })),
      coverageGaps: huge.coverageGaps.map((g) => ({ ...g, hint: 'the role is missing or does not trust the caller: deploy it (see ami-audit iam-policy)', message: 'AssumeRole refused' })),
      notFoundInstanceIds: [], uncheckedInstanceIds: [],
    };
    const out = renderMarkdown(ordinary);
    expect(out.length).toBeLessThan(MAX_CHARS);
    expect(out).toContain('## AMIs to fix first (20 of 7,341)');
    expect(out.split('\n').filter((l) => /^- \d{12}: /.test(l))).toHaveLength(60);
    expect(out).toContain('- ... and 2,940 more gaps (73,500 scopes; the coverage CSV has every scope)');
  });
  test('a small report leaves nothing out', () => {
    expect(md).not.toContain('Left out');
    expect(md).not.toContain('... and');
  });
});

describe('terminal summary', () => {
  const text = renderTextSummary(report);
  test('names the first five AMIs of the plan, with their blast radius and rules', () => {
    const lines = text.split('\n');
    const at = lines.indexOf('  fix first  5 of 8 AMIs with unwaived findings (+1 with waived findings only), in priority order');
    expect(at).toBeGreaterThan(0);
    report.images.slice(0, 5).forEach((e, i) => {
      expect(lines[at + 1 + i]).toMatch(new RegExp(`^ +${i + 1}  ${e.worstSeverity} +${e.imageId} `));
      expect(lines[at + 1 + i]).toContain(`${e.rules.map((x) => x.ruleId).join(', ')}`);
    });
    expect(lines[at + 1]).toContain('2 instances (2 running), 1 account, 2 regions; not-allowed-ami, launchable-bad-ami  suse-sles-15-sp5');
    // the sixth AMI of the plan is not in the fix-first list (the by-rule lines may name it)
    expect(lines.slice(at, at + 6).join('\n')).not.toContain(report.images[5]!.imageId!);
    // the fix-first list takes the AMIs with unwaived findings (the fixture's ninth has waived ones only)
    expect(renderTextSummary(report, [], { maxImages: 8 })).toContain(`8  ${report.images[7]!.worstSeverity.padEnd(8)} ${report.images[7]!.imageId!}`);
  });
  test('one line per grouped gap that failed (skipped scopes have their own line), with its hint', () => {
    const gaps = text.split('\n').filter((l) => /^ {4}\d{12}( \([^)]*\))? {2}/.test(l));
    expect(gaps).toHaveLength(report.coverageGaps.filter((g) => g.status !== 'skipped').length);
    expect(text).toContain('  coverage gaps (4)');
    expect(text).toContain('    444444444444 (legacy)  error: AccessDenied in 3 regions (ap-southeast-2, eu-west-1, us-east-1) — the role is missing or does not trust the caller: deploy it (see ami-audit iam-policy)  (AssumeRole refused)');
  });
  test('a long message is never cut before its useful part: the hint comes first, the message loses its middle', () => {
    const gap = { ...bigGap(1), hint: 'the role is missing or does not trust the caller: deploy it (see ami-audit iam-policy)', message: `AssumeRole ${'arn:aws:iam::444444444444:role/x '.repeat(40)}\u001b[31m is not authorized to perform: sts:AssumeRole` };
    const out = renderTextSummary({ ...report, coverageGaps: [gap] });
    const line = out.split('\n').find((l) => l.startsWith('    200000000001'))!;
    expect(line).toContain('in 25 regions (xx-region-0, xx-region-1, xx-region-2, xx-region-3 and 21 more) — the role is missing or does not trust the caller: deploy it (see ami-audit iam-policy)  (AssumeRole arn');
    expect(line).toMatch(/…[^…]*is not authorized to perform: sts:AssumeRole\)$/);
    expect(line).not.toMatch(/\u001b/);
    expect(line.length).toBeLessThan(500);
  });
  test('a huge estate still prints a short summary', () => {
    const out = renderTextSummary(huge);
    expect(out.split('\n').length).toBeLessThan(60);
    expect(out).toContain('  fix first  5 of 7,341 AMIs with unwaived findings, in priority order');
    expect(out).toContain('    ... 2990 more in the coverage report');
    expect(out).toContain(' i-19 and 19980 more in the report (not found, but some scopes could not be checked)');
    expect(Math.max(...out.split('\n').map((l) => l.length))).toBeLessThan(1200);
    expect(out).not.toMatch(/\u001b/);
  });
});
