/**
 * The run history's semantics (src/history/semantics.ts), run by run: new, open, resolved only
 * where the run looked, unverified otherwise, reopened, escalated, SLA and overdue with waivers,
 * the trend and the median days to fix. Pure: no database.
 */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import type { CoverageEntry, Finding, InstanceRecord, Report, ScopeFailure, ScopeStatus, WaiverSpec } from '../../src/model/types.js';
import { buildRun } from '../../src/report/build.js';
import { DEFAULT_SETTINGS, type EvalSettings } from '../../src/rules/engine.js';
import { error as errorEntry, ok as okEntry, partial as partialEntry } from '../../src/model/coverage.js';
import { carriedOf, carryHistory, combineCarried, DEFAULT_SLA, EMPTY_HISTORY, median, nextPrior, type PriorHistory } from '../../src/history/semantics.js';
import { reportValidator } from '../../src/schema/validate.js';
import { record } from '../helpers/records.js';

const A = '111111111111', B = '222222222222';
const R = 'us-east-1';
const TOOL = { name: 'ami-audit', version: 't' };

const cov = (accountId: string, status: ScopeStatus = 'ok', failures: ScopeFailure[] = []): CoverageEntry => {
  const details = { allowedImagesState: 'disabled' as const };
  if (status === 'ok') return okEntry(accountId, R, details);
  const list = failures.length ? failures : [{ action: 'AssumeRole', code: 'AccessDenied', message: 'x' }];
  return status === 'partial' ? partialEntry(accountId, R, list, details) : errorEntry(accountId, R, list, details);
};
const inst = (accountId: string, n: number, image: Parameters<typeof record>[0]): InstanceRecord =>
  record(image, { accountId, region: R, OwnerId: accountId, InstanceId: `i-${accountId.slice(0, 3)}${String(n).padStart(14, '0')}` });
const DEREG = { State: 'deregistered' };

interface Step { report: Report; prior: PriorHistory }

let runNo = 0;
/** One run: built against the history so far, then recorded into it. */
function run(prior: PriorHistory, asOf: string, coverage: CoverageEntry[], instances: InstanceRecord[], o: { settings?: Partial<EvalSettings>; options?: Record<string, unknown>; sla?: typeof DEFAULT_SLA } = {}): Step {
  runNo += 1;
  const { report, rows } = buildRun({
    inventory: {
      run: { id: `run-${runNo}`, startedAt: asOf, finishedAt: asOf, caller: { accountId: A, arn: null }, accounts: [A, B], regions: [R], options: o.options ?? {}, interrupted: false, source: 'scan' },
      coverage, instances, notFoundInstanceIds: [],
    },
    settings: { ...DEFAULT_SETTINGS, ...o.settings }, asOf: DateTime.fromISO(asOf, { zone: 'utc' }).toMillis(), tool: TOOL, history: { prior, sla: o.sla ?? DEFAULT_SLA },
  });
  return { report, prior: nextPrior(prior, rows!) };
}

const only = (r: Report, instanceId?: string): Finding => {
  const list = instanceId ? r.findings.filter((f) => f.instanceId === instanceId) : r.findings;
  expect(list).toHaveLength(1);
  return list[0]!;
};

describe('lifecycle', () => {
  test('new the first run, open after; first sight, age and due date (high: 30 days)', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    expect(only(s1.report)).toMatchObject({ lifecycle: 'new', firstSeenAt: '2026-01-01T00:00:00Z', ageDays: 0, dueAt: '2026-01-31T00:00:00Z', overdue: false, reopenedCount: 0 });
    const s2 = run(s1.prior, '2026-01-20T12:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    expect(only(s2.report)).toMatchObject({ lifecycle: 'open', firstSeenAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-20T12:00:00Z', ageDays: 19, overdue: false });
    const s3 = run(s2.prior, '2026-02-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    expect(only(s3.report)).toMatchObject({ lifecycle: 'open', ageDays: 31, overdue: true });
    expect(s3.report.history).toMatchObject({ runsBefore: 2, previousRun: { runId: s2.report.run.id }, overdue: 1, overdueBySeverity: { high: 1 }, oldestOverdue: { ageDays: 31, ruleId: 'deregistered-ami' } });
    expect(reportValidator()(JSON.parse(JSON.stringify(s3.report)))).toBe(true);
  });

  test('resolved when a later run listed its scope and did not see it; days to fix and the median', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG), inst(A, 2, DEREG)]);
    const s2 = run(s1.prior, '2026-01-11T00:00:00Z', [cov(A)], [inst(A, 2, DEREG)]);
    expect(s2.report.history!.resolved).toEqual([expect.objectContaining({ instanceId: inst(A, 1, {}).InstanceId, firstSeenAt: '2026-01-01T00:00:00Z', resolvedAt: '2026-01-11T00:00:00Z', daysToFix: 10 })]);
    expect(s2.report.history!.medianDaysToFix.high).toBe(10);
    const s3 = run(s2.prior, '2026-01-21T00:00:00Z', [cov(A)], []);
    expect(s3.report.history!.resolved.map((r) => r.daysToFix)).toEqual([20]);
    expect(s3.report.history!.medianDaysToFix).toMatchObject({ high: 15, critical: null });
  });

  test('not looked at (the scope failed, or was not in the run): unverified, keeps its age, not counted as seen', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A), cov(B)], [inst(A, 1, DEREG), inst(B, 1, DEREG)]);
    // A's role failed; B is not in this run at all (a narrower run)
    const s2 = run(s1.prior, '2026-01-10T00:00:00Z', [cov(A, 'error')], []);
    expect(s2.report.history).toMatchObject({ resolved: [], unverified: 2 });
    expect(s2.report.history!.trend.at(-1)!.open.high).toBe(2);
    const state = [...s2.prior.findings.values()];
    expect(state.map((f) => [f.status, f.lastSeenAt, f.runsSeen])).toEqual([['open', '2026-01-01T00:00:00Z', 1], ['open', '2026-01-01T00:00:00Z', 1]]);
    // then a run that looks: resolved, days to fix from the first sight
    const s3 = run(s2.prior, '2026-01-15T00:00:00Z', [cov(A), cov(B)], []);
    expect(s3.report.history!.resolved.map((r) => r.daysToFix)).toEqual([14, 14]);
  });

  test('a scope partial only because its Allowed AMIs state was not read was listed: it resolves; a disrupted zone does not', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A), cov(B)], [inst(A, 1, DEREG), inst(B, 1, DEREG)]);
    const s2 = run(s1.prior, '2026-01-05T00:00:00Z', [
      cov(A, 'partial', [{ action: 'GetAllowedImagesSettings', code: 'UnauthorizedOperation', message: 'x' }]),
      cov(B, 'partial', [{ action: 'DescribeInstanceImageMetadata', code: 'ZoneUnavailable', message: 'x' }]),
    ], []);
    expect(s2.report.history!.resolved.map((r) => r.accountId)).toEqual([A]);
    expect(s2.report.history!.unverified).toBe(1);
  });

  test('narrowed by instance ids, by other filters, or with the rule off: never resolved', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG), inst(A, 2, DEREG)]);
    const ids = run(s1.prior, '2026-01-02T00:00:00Z', [cov(A)], [], { options: { instanceIds: [inst(A, 1, {}).InstanceId] } });
    expect(ids.report.history!.resolved.map((r) => r.instanceId)).toEqual([inst(A, 1, {}).InstanceId]);
    expect(ids.report.history!.unverified).toBe(1);
    const filters = run(s1.prior, '2026-01-02T00:00:00Z', [cov(A)], [], { options: { filters: [{ Name: 'instance-type', Values: ['t3.nano'] }] } });
    expect(filters.report.history!.resolved).toEqual([]);
    const off = run(s1.prior, '2026-01-02T00:00:00Z', [cov(A)], [], { settings: { rules: { 'deregistered-ami': { severity: 'off' } } } });
    expect(off.report.history!.resolved).toEqual([]);
  });

  test('seen again after it was resolved: reopened, first sight unchanged, reopenedCount + 1', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    const s2 = run(s1.prior, '2026-01-08T00:00:00Z', [cov(A)], []);
    const s3 = run(s2.prior, '2026-01-15T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    expect(only(s3.report)).toMatchObject({ lifecycle: 'reopened', firstSeenAt: '2026-01-01T00:00:00Z', ageDays: 14, reopenedCount: 1 });
    const s4 = run(s3.prior, '2026-01-22T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    expect(only(s4.report)).toMatchObject({ lifecycle: 'open', reopenedCount: 1 });
  });
});

describe('escalation', () => {
  const SOON = { DeprecationTime: '2026-01-20T00:00:00Z' };
  test('deprecation-soon, then deprecated-ami: escalated, aged from the earlier first sight, due from the escalation; the earlier one is not resolved', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, SOON)]);
    const soon = only(s1.report);
    expect(soon).toMatchObject({ ruleId: 'deprecation-soon', severity: 'medium', lifecycle: 'new' });
    const s2 = run(s1.prior, '2026-02-01T00:00:00Z', [cov(A)], [inst(A, 1, SOON)]);
    const f = only(s2.report);
    expect(f).toMatchObject({
      ruleId: 'deprecated-ami', lifecycle: 'escalated', firstSeenAt: '2026-01-01T00:00:00Z', ageDays: 31, dueAt: '2026-03-03T00:00:00Z', overdue: false,
      escalatedFrom: { id: soon.id, ruleId: 'deprecation-soon', severity: 'medium', firstSeenAt: '2026-01-01T00:00:00Z' },
    });
    expect(s2.report.history!.resolved).toEqual([]);
    expect(s2.report.history!.unverified).toBe(0);
    expect(s2.prior.findings.get(soon.id)!.status).toBe('escalated');
    // then deregistered: escalated again, still aged from the first sight of the first finding
    const s3 = run(s2.prior, '2026-02-10T00:00:00Z', [cov(A)], [inst(A, 1, { State: 'deregistered', DeprecationTime: undefined })]);
    expect(only(s3.report)).toMatchObject({ ruleId: 'deregistered-ami', lifecycle: 'escalated', firstSeenAt: '2026-01-01T00:00:00Z', dueAt: '2026-03-12T00:00:00Z', escalatedFrom: { ruleId: 'deprecated-ami', firstSeenAt: '2026-01-01T00:00:00Z' } });
    // a later run: open, the deadline still counts from the escalation
    const s4 = run(s3.prior, '2026-03-13T00:00:00Z', [cov(A)], [inst(A, 1, { State: 'deregistered', DeprecationTime: undefined })]);
    expect(only(s4.report)).toMatchObject({ lifecycle: 'open', dueAt: '2026-03-12T00:00:00Z', overdue: true, ageDays: 71 });
  });

  test('another instance, or another AMI, is no escalation', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, SOON)]);
    const s2 = run(s1.prior, '2026-02-01T00:00:00Z', [cov(A)], [inst(A, 2, SOON), inst(A, 1, { ...SOON, ImageId: 'ami-0000000000000000b' })]);
    expect(s2.report.findings.map((f) => f.lifecycle)).toEqual(['new', 'new']);
    expect(s2.report.history!.resolved).toHaveLength(1);
  });
});

describe('SLA, waivers, the plan and the trend', () => {
  test('a waived finding is not overdue while the waiver holds, and overdue again the day it expires', () => {
    const w: WaiverSpec = { id: 'w1', instanceId: inst(A, 1, {}).InstanceId!, reason: 'accepted', expires: '2026-03-01' };
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)], { settings: { waivers: [w] } });
    const s2 = run(s1.prior, '2026-02-15T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)], { settings: { waivers: [w] } });
    expect(only(s2.report)).toMatchObject({ dueAt: '2026-01-31T00:00:00Z', overdue: false });
    expect(only(s2.report).waiver).not.toBeNull();
    expect(s2.report.history!.overdue).toBe(0);
    // the bare date is valid through the end of that day: the next day it waives nothing
    const s3 = run(s2.prior, '2026-03-01T23:00:00Z', [cov(A)], [inst(A, 1, DEREG)], { settings: { waivers: [w] } });
    expect(only(s3.report).overdue).toBe(false);
    const s4 = run(s3.prior, '2026-03-02T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)], { settings: { waivers: [w] } });
    expect(only(s4.report)).toMatchObject({ overdue: true, waiver: null });
    expect(s4.report.history!.overdue).toBe(1);
  });

  test('config sla: other days, and null for no deadline', () => {
    const sla = { ...DEFAULT_SLA, high: null, medium: 1 };
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)], { sla });
    const s2 = run(s1.prior, '2027-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)], { sla });
    expect(only(s2.report)).toMatchObject({ dueAt: null, overdue: false, ageDays: 365 });
    expect(s2.report.history!.sla).toEqual(sla);
  });

  test('the plan: oldest first sight and overdue count per AMI; overdue findings move an AMI up within its severity', () => {
    const OTHER = { ...DEREG, ImageId: 'ami-0000000000000000b' };
    // ami-...b has 2 running instances, the fixture AMI 1: without a history, b comes first
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    expect(s1.report.images.map((i) => i.overdue)).toEqual([0]);
    const s2 = run(s1.prior, '2026-02-15T00:00:00Z', [cov(A)], [inst(A, 1, DEREG), inst(A, 2, OTHER), inst(A, 3, OTHER)]);
    expect(s2.report.images.map((i) => [i.imageId, i.overdue, i.oldestFirstSeenAt])).toEqual([
      ['ami-0b752bf1df193a6c4', 1, '2026-01-01T00:00:00Z'],
      ['ami-0000000000000000b', 0, '2026-02-15T00:00:00Z'],
    ]);
  });

  test('the trend: open unwaived findings by severity for each recorded run, this one last', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG), inst(A, 2, { DeprecationTime: '2026-01-20T00:00:00Z' })]);
    const s2 = run(s1.prior, '2026-01-08T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    expect(s2.report.history!.trend).toEqual([
      { runId: s1.report.run.id, asOf: '2026-01-01T00:00:00Z', status: 'complete', open: { info: 0, low: 0, medium: 1, high: 1, critical: 0 } },
      { runId: s2.report.run.id, asOf: '2026-01-08T00:00:00Z', status: 'complete', open: { info: 0, low: 0, medium: 0, high: 1, critical: 0 } },
    ]);
  });

  test('the as-of decides: the same history and run give the same report, byte for byte', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    runNo = 100;
    const x = run(s1.prior, '2026-02-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    runNo = 100;
    const y = run(s1.prior, '2026-02-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    expect(JSON.stringify(x.report)).toBe(JSON.stringify(y.report));
  });

  test('median of whole days', () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
  });
});

describe('carried by a saved report (report --input --as-of, no history)', () => {
  const SOON = { DeprecationTime: '2026-01-20T00:00:00Z' };
  /** The saved report re-evaluated at `asOf` with what it carries, as report --input does it. */
  function rerender(saved: Report, asOf: string, o: { settings?: Partial<EvalSettings>; sla?: typeof DEFAULT_SLA; instances?: InstanceRecord[] } = {}): Report {
    const carried = carriedOf(JSON.parse(JSON.stringify(saved)) as Report)!;
    const { asOf: _a, status: _s, ...run } = saved.run;
    return buildRun({
      inventory: { run, coverage: saved.coverage, instances: o.instances ?? saved.instances, notFoundInstanceIds: [] },
      settings: { ...DEFAULT_SETTINGS, ...o.settings }, asOf: DateTime.fromISO(asOf, { zone: 'utc' }).toMillis(), tool: TOOL, carried: { carried, sla: o.sla ?? DEFAULT_SLA },
    }).report;
  }

  test('ages and deadlines of the new as-of, first sight and lifecycle kept; the history section carried, its overdue counts recomputed', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    const s2 = run(s1.prior, '2026-01-10T00:00:00Z', [cov(A)], [inst(A, 1, DEREG), inst(A, 2, DEREG)]);
    expect(s2.report.history!.overdue).toBe(0);
    const later = rerender(s2.report, '2026-02-09T00:00:00Z');
    expect(later.findings.map((f) => [f.instanceId.slice(-1), f.lifecycle, f.firstSeenAt, f.ageDays, f.dueAt, f.overdue])).toEqual([
      ['1', 'open', '2026-01-01T00:00:00Z', 39, '2026-01-31T00:00:00Z', true],
      ['2', 'new', '2026-01-10T00:00:00Z', 30, '2026-02-09T00:00:00Z', false],
    ]);
    expect(later.history).toMatchObject({ runsBefore: 1, previousRun: { runId: s1.report.run.id }, overdue: 1, overdueBySeverity: { high: 1 }, oldestOverdue: { ageDays: 39 }, trend: s2.report.history!.trend });
    expect(reportValidator()(JSON.parse(JSON.stringify(later)))).toBe(true);
    // another SLA: other deadlines
    const lax = rerender(s2.report, '2026-02-09T00:00:00Z', { sla: { ...DEFAULT_SLA, high: null } });
    expect(lax.findings.map((f) => [f.dueAt, f.overdue])).toEqual([[null, false], [null, false]]);
    expect(lax.history!.sla.high).toBeNull();
  });

  test('a waiver stored with the report holds until it expires, then the finding is overdue', () => {
    const w: WaiverSpec = { id: 'w1', instanceId: inst(A, 1, {}).InstanceId!, reason: 'accepted', expires: '2026-03-01' };
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)], { settings: { waivers: [w] } });
    expect(only(rerender(s1.report, '2026-02-15T00:00:00Z', { settings: { waivers: [w] } })).overdue).toBe(false);
    expect(only(rerender(s1.report, '2026-03-02T00:00:00Z', { settings: { waivers: [w] } }))).toMatchObject({ overdue: true, waiver: null, ageDays: 60 });
  });

  test('a deprecation passed meanwhile: escalated at the new as-of, aged from the saved first sight; an earlier escalation keeps its start', () => {
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, SOON)]);
    const soon = only(s1.report);
    const later = rerender(s1.report, '2026-02-01T00:00:00Z');
    expect(only(later)).toMatchObject({
      ruleId: 'deprecated-ami', lifecycle: 'escalated', firstSeenAt: '2026-01-01T00:00:00Z', ageDays: 31, escalatedAt: '2026-02-01T00:00:00Z', dueAt: '2026-03-03T00:00:00Z',
      escalatedFrom: { id: soon.id, ruleId: 'deprecation-soon', severity: 'medium', firstSeenAt: '2026-01-01T00:00:00Z' },
    });
    expect(later.history!.resolved).toEqual([]);
    // recorded: escalated on 2026-02-01, open on 2026-02-10; re-rendered 2026-03-10: due from the escalation, overdue
    const s2 = run(s1.prior, '2026-02-01T00:00:00Z', [cov(A)], [inst(A, 1, SOON)]);
    const s3 = run(s2.prior, '2026-02-10T00:00:00Z', [cov(A)], [inst(A, 1, SOON)]);
    expect(only(s3.report)).toMatchObject({ lifecycle: 'open', escalatedAt: '2026-02-01T00:00:00Z' });
    expect(only(rerender(s3.report, '2026-03-10T00:00:00Z'))).toMatchObject({ lifecycle: 'open', ageDays: 68, dueAt: '2026-03-03T00:00:00Z', overdue: true, escalatedAt: '2026-02-01T00:00:00Z' });
    // a report written before escalatedAt existed: the start is its due date less the SLA it was judged by
    const old = JSON.parse(JSON.stringify(s3.report)) as Report;
    delete old.findings[0]!.escalatedAt;
    expect(carriedOf(old)!.findings.get(old.findings[0]!.id)!.escalatedAt).toBe('2026-02-01T00:00:00Z');
  });

  test('nothing to carry without a history section; several reports: the latest as-of wins', () => {
    const bare = buildRun({
      inventory: { run: { id: 'bare', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:00Z', caller: { accountId: A, arn: null }, accounts: [A], regions: [R], options: {}, interrupted: false, source: 'scan' }, coverage: [cov(A)], instances: [inst(A, 1, DEREG)], notFoundInstanceIds: [] },
      settings: DEFAULT_SETTINGS, asOf: DateTime.fromISO('2026-01-01T00:00:00Z', { zone: 'utc' }).toMillis(), tool: TOOL,
    }).report;
    expect(carriedOf(bare)).toBeNull();
    expect(combineCarried([null, carriedOf(bare)])).toBeNull();
    const s1 = run(EMPTY_HISTORY, '2026-01-01T00:00:00Z', [cov(A)], [inst(A, 1, DEREG)]);
    const s2 = run(s1.prior, '2026-01-05T00:00:00Z', [cov(A), cov(B)], [inst(A, 1, DEREG), inst(B, 1, DEREG)]);
    const both = combineCarried([carriedOf(s2.report), carriedOf(s1.report)])!;
    expect(both.runId).toBe(s2.report.run.id);
    expect(both.findings.size).toBe(2);
    const out = carryHistory({ findings: s2.report.findings, asOf: '2026-02-05T00:00:00Z', sla: DEFAULT_SLA, carried: both });
    expect(out.findings.map((f) => [f.accountId, f.ageDays, f.overdue])).toEqual([[A, 35, true], [B, 31, true]]);
    expect(out.history.overdue).toBe(2);
  });
});
