/**
 * The diff against a baseline reads coverage: a finding that is gone counts as resolved only where
 * its scope was ok in both runs; otherwise it is unverified. Every bucket reaches every output.
 */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { parse } from 'csv-parse/sync';
import type { CoverageEntry, InstanceRecord, Inventory, Report, ScopeStatus, WaiverSpec } from '../../src/model/types.js';
import { buildReport, diffReports } from '../../src/report/build.js';
import { DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import { ok as okScope } from '../../src/model/coverage.js';
import { renderTextSummary } from '../../src/render/text.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderFindingsCsv } from '../../src/render/csv.js';
import { htmlView, renderHtml } from '../../src/render/html.js';
import { renderFormat, contentText } from '../../src/render/index.js';
import { loadTemplates } from '../../src/io/files.js';
import { reportValidator } from '../../src/schema/validate.js';
import { fixtureReport } from '../helpers/fixture.js';
import { record } from '../helpers/records.js';

const AS_OF = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });
const TOOL = { name: 'ami-audit', version: 't' };

const A = '111111111111', B = '222222222222', C = '333333333333', D = '444444444444', E = '555555555555';
const R = 'us-east-1';

function cov(accountId: string, region: string, status: ScopeStatus, allowed: CoverageEntry['allowedImagesState'] = 'disabled'): CoverageEntry {
  const c = { ...okScope(accountId, region), status, allowedImagesState: allowed };
  if (status === 'error') return { ...c, errorCode: 'UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' };
  if (status === 'partial') return { ...c, errorCode: 'ZoneUnavailable', errorMessage: 'us-east-1c could not be described', disruptedZones: ['us-east-1c'] };
  return c;
}

const inst = (accountId: string, n: number, image: Parameters<typeof record>[0]): InstanceRecord =>
  record(image, { accountId, region: R, OwnerId: accountId, InstanceId: `i-${accountId.slice(0, 3)}${String(n).padStart(14, '0')}` });

function report(id: string, coverage: CoverageEntry[], instances: InstanceRecord[], waivers: WaiverSpec[] = [], baseline: Report | null = null): Report {
  const inventory: Inventory = {
    run: { id, startedAt: '2026-11-26T00:00:00Z', finishedAt: '2026-11-26T00:00:01Z', caller: { accountId: A, arn: null }, accounts: [A, B, C, D, E], regions: [R], options: {}, interrupted: false, source: 'scan' },
    coverage, instances, notFoundInstanceIds: [],
  };
  return buildReport({ inventory, settings: { ...DEFAULT_SETTINGS, waivers }, asOf: AS_OF.toMillis(), tool: TOOL, baseline });
}

const deregistered = { State: 'deregistered' };
const notAllowed = { ImageAllowed: false };

/** Baseline: A, B, C (partial), D. Newer run: A ok (Allowed AMIs now enabled), B error, C ok, D gone, E new. */
const before = report('run-before', [cov(A, R, 'ok'), cov(B, R, 'ok'), cov(C, R, 'partial'), cov(D, R, 'ok')], [
  inst(A, 1, deregistered), // gone, scope ok in both: resolved
  inst(A, 2, { State: 'disabled' }), // still there: unchanged
  inst(A, 3, notAllowed), // medium under disabled, high once enabled: changed
  inst(A, 4, deregistered), // waived in the newer run: changed
  inst(B, 1, deregistered), // B could not be listed in the newer run: unverified
  inst(C, 1, deregistered), // C was partial in the baseline: unverified
  inst(D, 1, deregistered), // D is not in the newer run: unverified
]);
const waiver: WaiverSpec = { id: 'w-a4', instanceId: inst(A, 4, {}).InstanceId!, reason: 'accepted', expires: '2027-01-01' };
const after = report('run-after', [cov(A, R, 'ok', 'enabled'), cov(B, R, 'error'), cov(C, R, 'ok'), cov(E, R, 'ok')], [
  inst(A, 2, { State: 'disabled' }),
  inst(A, 3, notAllowed),
  inst(A, 4, deregistered),
  inst(E, 1, deregistered),
], [waiver], before);

const byInstance = (list: { instanceId: string }[]) => list.map((x) => x.instanceId).sort();

describe('diffReports reads coverage', () => {
  const d = after.diff!;
  test('a finding gone from a scope ok in both runs is resolved', () => {
    expect(byInstance(d.resolved)).toEqual([inst(A, 1, {}).InstanceId]);
  });
  test('a finding gone from a scope not ok in the newer run, absent from it, or not ok in the baseline is unverified', () => {
    expect(byInstance(d.unverified)).toEqual([inst(B, 1, {}).InstanceId, inst(C, 1, {}).InstanceId, inst(D, 1, {}).InstanceId].sort());
    const why = Object.fromEntries(d.unverified.map((u) => [u.accountId, u.scope]));
    expect(why[B]).toEqual({ baseline: 'ok', current: 'error' });
    expect(why[C]).toEqual({ baseline: 'partial', current: 'ok' });
    expect(why[D]).toEqual({ baseline: 'ok', current: 'absent' });
  });
  test('severity or waiver status that differs is changed, with before and after', () => {
    const ch = Object.fromEntries(d.changed.map((c) => [c.instanceId, c]));
    expect(ch[inst(A, 3, {}).InstanceId!]).toMatchObject({ ruleId: 'not-allowed-ami', before: { severity: 'medium', waived: false }, after: { severity: 'high', waived: false } });
    expect(ch[inst(A, 4, {}).InstanceId!]).toMatchObject({ ruleId: 'deregistered-ami', before: { severity: 'high', waived: false }, after: { severity: 'high', waived: true } });
    expect(d.changed).toHaveLength(2);
  });
  test('the rest is new or unchanged', () => {
    expect(byInstance(d.new)).toEqual([inst(E, 1, {}).InstanceId]);
    expect(d.unchanged).toEqual([after.findings.find((f) => f.instanceId === inst(A, 2, {}).InstanceId)!.id]);
    expect(d.counts).toEqual({ new: 1, escalated: 0, resolved: 1, unverified: 3, changed: 2, unchanged: 1 });
  });
  test('scopes only in one run are listed', () => {
    expect(d.scopes).toEqual({ added: [{ accountId: E, region: R, status: 'ok' }], removed: [{ accountId: D, region: R, status: 'ok' }] });
  });
  test('a scope the newer run records for the whole account (region *) speaks for its regions', () => {
    const now = { findings: [], coverage: [{ ...cov(B, '*', 'error') }, cov(A, R, 'ok')] };
    const x = diffReports(before, now);
    expect(x.unverified.filter((u) => u.accountId === B).map((u) => u.scope)).toEqual([{ baseline: 'ok', current: 'error' }]);
  });
  test('the same inputs give the same diff, whatever the order of findings and coverage', () => {
    const shuffled = { findings: [...after.findings].reverse(), coverage: [...after.coverage].reverse(), run: after.run };
    expect(JSON.stringify(diffReports({ ...before, findings: [...before.findings].reverse(), coverage: [...before.coverage].reverse() }, shuffled))).toBe(JSON.stringify(after.diff));
  });
});

describe('every output shows every bucket and never calls unverified findings resolved', () => {
  const templates = loadTemplates();
  test('terminal summary', () => {
    const text = renderTextSummary(after);
    expect(text).toContain('vs baseline  1 new, 0 escalated, 1 resolved, 3 unverified, 2 changed, 1 unchanged');
    expect(text).toMatch(/unverified .*not resolved/);
    expect(text).toContain(`${B} ${R}`);
    expect(text).toMatch(/scope error in this run/);
    expect(text).toMatch(/not in this run/);
    expect(text).toMatch(/scope partial in the baseline/);
    expect(text).toMatch(/scopes  1 added, 1 removed/);
  });
  test('Markdown', () => {
    const md = renderMarkdown(after);
    expect(md).toContain('1 new, 0 escalated, 1 resolved, 3 unverified, 2 changed, 1 unchanged. Unverified: gone, but the newer run could not check them (their scope was not ok in one of the two runs, or the run did not look): not resolved.');
    expect(md).toContain('## Unverified findings');
    expect(md).toContain('## Changed findings');
    expect(md).toMatch(/medium → high/);
  });
  test('CSV: diffStatus new, unchanged, changed, resolved, unverified', () => {
    const rows = parse(renderFindingsCsv(after)) as string[][];
    const status = rows[0]!.indexOf('diffStatus');
    const counts: Record<string, number> = {};
    for (const r of rows.slice(1)) counts[r[status]!] = (counts[r[status]!] ?? 0) + 1;
    expect(counts).toEqual({ new: 1, unchanged: 1, changed: 2, resolved: 1, unverified: 3 });
  });
  test('HTML: the diff section and the Change column', () => {
    const html = renderHtml(after, templates);
    expect(html).toMatch(/<strong>3<\/strong> unverified/);
    expect(html).toContain('Unverified findings (3)');
    expect(html).toContain('Changed findings (2)');
    expect(html).toContain('Scopes added (1)');
    const changes = htmlView(after).data.rows.map((r) => r[11]).sort();
    expect(changes).toEqual(['changed', 'changed', 'new', 'unchanged']);
    const resolvedTable = /<summary>Resolved findings \(1\)<\/summary>(.*?)<\/details>/s.exec(html)![1]!;
    expect(resolvedTable).toContain(inst(A, 1, {}).InstanceId);
    for (const acct of [B, C, D]) expect(resolvedTable).not.toContain(acct);
    expect(html).toMatch(/3 baseline findings are unverified, not resolved/);
  });
  test('JSON validates against the published schema', () => {
    const doc = JSON.parse(contentText(renderFormat('json', after, templates)[0]!));
    const validate = reportValidator();
    expect(validate(doc)).toBe(true);
  });
});

describe('the report schema: the diff fields are optional, so earlier reports still validate', () => {
  const base = JSON.parse(contentText(renderFormat('json', fixtureReport(), loadTemplates())[0]!));
  const validate = reportValidator();
  test('accepts reports written before: the old diff shape, coverage without failures', () => {
    const old = {
      ...base,
      coverage: base.coverage.map(({ failures: _f, ...c }: Record<string, unknown>) => c),
      diff: { baseline: { runId: 'r', startedAt: '2026-11-25T00:00:00Z', asOf: '2026-11-25T00:00:00Z' }, counts: { new: 0, resolved: 1, unchanged: 0 }, new: [], resolved: [{ id: 'a'.repeat(20), ruleId: 'stale-ami', severity: 'low', accountId: A, region: R, instanceId: 'i-1', imageId: null, message: 'm' }], unchanged: [] },
    };
    expect(validate(old)).toBe(true);
  });
  test('accepts the new fields: coverage failures, run warnings, uncheckedInstanceIds', () => {
    const doc = { ...base, run: { ...base.run, warnings: ['the clock looks 10 minutes ahead'] }, uncheckedInstanceIds: ['i-0123456789abcdef0'], coverage: base.coverage.map((c: CoverageEntry) => ({ ...c, failures: [{ action: 'GetAllowedImagesSettings', code: 'UnauthorizedOperation', message: 'no' }] })) };
    expect(validate(doc)).toBe(true);
    expect(validate({ ...doc, uncheckedInstanceIds: [1] })).toBe(false);
    expect(validate({ ...doc, run: { ...doc.run, warnings: 'x' } })).toBe(false);
    expect(validate({ ...doc, coverage: [{ ...doc.coverage[0], failures: [{ action: 'X' }] }] })).toBe(false);
  });
  test('refuses a diff whose new buckets are malformed', () => {
    const doc = JSON.parse(contentText(renderFormat('json', after, loadTemplates())[0]!));
    expect(validate(doc)).toBe(true);
    expect(validate({ ...doc, diff: { ...doc.diff, unverified: [{ id: 'x' }] } })).toBe(false);
    expect(validate({ ...doc, diff: { ...doc.diff, changed: [{ ...doc.diff.changed[0], before: { severity: 'huge', waived: false } }] } })).toBe(false);
  });
});

describe('a newer run that did not look for a finding never resolves it', () => {
  const base = report('run-full', [cov(A, R, 'ok')], [inst(A, 1, deregistered), inst(A, 2, deregistered)]);
  const narrowed = (options: Inventory['run']['options'], settings = DEFAULT_SETTINGS): Report => {
    const inventory: Inventory = {
      run: { id: 'run-narrow', startedAt: '2026-11-26T00:00:00Z', finishedAt: '2026-11-26T00:00:01Z', caller: { accountId: A, arn: null }, accounts: [A], regions: [R], options, interrupted: false, source: 'scan' },
      coverage: [cov(A, R, 'ok')], instances: options.instanceIds || options.filters ? [] : [inst(A, 2, deregistered)], notFoundInstanceIds: [],
    };
    return buildReport({ inventory, settings, asOf: AS_OF.toMillis(), tool: TOOL, baseline: base });
  };

  test('narrowed to other instance ids: the findings of the others are unverified (instance-ids)', () => {
    const d = narrowed({ instanceIds: [inst(A, 1, {}).InstanceId!] }).diff!;
    // A1 was asked for and is gone from an ok scope: resolved; A2 was not asked for: unverified
    expect(d.resolved.map((f) => f.instanceId)).toEqual([inst(A, 1, {}).InstanceId]);
    expect(d.unverified.map((f) => [f.instanceId, f.notLookedAt])).toEqual([[inst(A, 2, {}).InstanceId, 'instance-ids']]);
  });

  test('filters the baseline did not have: gone findings are unverified (filters)', () => {
    const d = narrowed({ filters: [{ Name: 'instance-state-name', Values: ['running'] }] }).diff!;
    expect(d.counts.resolved).toBe(0);
    expect(d.unverified.map((f) => f.notLookedAt)).toEqual(['filters', 'filters']);
  });

  test('a rule switched off: its findings are unverified (rule-off), not resolved', () => {
    const d = narrowed({}, { ...DEFAULT_SETTINGS, rules: { 'deregistered-ami': { severity: 'off' } } }).diff!;
    expect(d.counts.resolved).toBe(0);
    expect(d.unverified.every((f) => f.notLookedAt === 'rule-off')).toBe(true);
    expect(d.unverified.length).toBeGreaterThan(0);
  });

  test('diffReports without the newer run\'s options (old callers) keeps the scope rule', () => {
    const d = diffReports(base, { findings: [], coverage: [cov(A, R, 'ok')] });
    expect(d.counts.resolved).toBe(base.findings.length);
  });
});

describe('escalation: a worse rule on the same instance and AMI is neither resolved nor new', () => {
  const one = (id: string, asOf: string, image: Parameters<typeof record>[0], coverage = [cov(A, R, 'ok')], baseline: Report | null = null): Report => buildReport({
    inventory: {
      run: { id, startedAt: asOf, finishedAt: asOf, caller: { accountId: A, arn: null }, accounts: [A], regions: [R], options: {}, interrupted: false, source: 'scan' },
      coverage, instances: [inst(A, 1, image)], notFoundInstanceIds: [],
    },
    settings: DEFAULT_SETTINGS, asOf: DateTime.fromISO(asOf, { zone: 'utc' }).toMillis(), tool: TOOL, baseline,
  });

  test('deprecation-soon, then deprecated-ami (the as-of moved past the deprecation): 1 escalated, 0 resolved, 0 new', () => {
    const soon = { DeprecationTime: '2026-12-10T00:00:00Z' };
    const earlier = one('run-1', '2026-11-26T00:00:00Z', soon);
    expect(earlier.findings.map((f) => f.ruleId)).toEqual(['deprecation-soon']);
    const later = one('run-2', '2027-01-15T00:00:00Z', soon, [cov(A, R, 'ok')], earlier);
    const d = later.diff!;
    expect(d.counts).toMatchObject({ new: 0, resolved: 0, escalated: 1, unverified: 0 });
    expect(d.escalated![0]).toMatchObject({ ruleId: 'deprecated-ami', from: { ruleId: 'deprecation-soon', id: earlier.findings[0]!.id } });
    expect(d.current).toEqual({ runId: 'run-2', asOf: '2027-01-15T00:00:00Z' });
  });

  test('deprecated-ami, then deregistered-ami: escalated, whatever the scope', () => {
    const earlier = one('run-1', '2026-11-26T00:00:00Z', { DeprecationTime: '2026-01-01T00:00:00Z' });
    const later = one('run-2', '2026-12-26T00:00:00Z', { State: 'deregistered', DeprecationTime: undefined }, [cov(A, R, 'partial')], earlier);
    expect(later.diff!.counts).toMatchObject({ new: 0, resolved: 0, escalated: 1, unverified: 0 });
    expect(later.diff!.escalated![0]!.from.ruleId).toBe('deprecated-ami');
  });

  test('a better rule is no escalation: deregistered, then deprecated, is 1 resolved and 1 new', () => {
    const earlier = one('run-1', '2026-11-26T00:00:00Z', { State: 'deregistered' });
    const later = one('run-2', '2026-12-26T00:00:00Z', { DeprecationTime: '2026-01-01T00:00:00Z' }, [cov(A, R, 'ok')], earlier);
    expect(later.diff!.counts).toMatchObject({ new: 1, resolved: 1, escalated: 0 });
  });

  test('a scope partial only because its Allowed AMIs state could not be read was listed completely: gone findings are resolved', () => {
    const earlier = one('run-1', '2026-11-26T00:00:00Z', { State: 'deregistered' });
    const allowedFailed: CoverageEntry = { ...cov(A, R, 'ok'), status: 'partial', allowedImagesState: 'unknown', errorCode: 'UnauthorizedOperation', errorMessage: 'x', failures: [{ action: 'GetAllowedImagesSettings', code: 'UnauthorizedOperation', message: 'x' }] };
    const later = one('run-2', '2026-12-26T00:00:00Z', {}, [allowedFailed], earlier);
    expect(later.diff!.counts).toMatchObject({ resolved: 1, unverified: 0 });
  });
});
