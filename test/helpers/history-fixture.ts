/**
 * The demo fixture report as a run history would fill it (schema 3 fields): ages, due dates,
 * overdue findings, an escalated and a reopened finding, a trend of five runs, resolved findings.
 * The values are plausible and fixed, for the renderers' tests; the history store computes the
 * real ones.
 */
import type { DiffEscalation, Finding, ImagePlanEntry, Lifecycle, Report, ReportDiff, ReportHistory, ResolvedFinding, Severity } from '../../src/model/types.js';
import { DAY_MS } from '../../src/model/time.js';

/** The SLA defaults (days by severity; info has none). */
export const FIXTURE_SLA: Record<Severity, number | null> = { critical: 7, high: 30, medium: 90, low: 120, info: null };

/** Age in days of the fixture's findings, by their index in report order. */
const AGES = [45, 3, 38, 10, 0, 21, 70, 95, 14, 7, 0, 120, 28, 60, 150, 35, 130, 200];

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const zero = (): Record<Severity, number> => ({ info: 0, low: 0, medium: 0, high: 0, critical: 0 });

/**
 * The report with its findings, plan and history filled as a sixth recorded run would have them:
 * index 0 (deprecated-ami) escalated from deprecation-soon 20 days ago; index 5 reopened; the
 * findings aged 0 new; high findings older than 30 days, medium older than 90 and low older than
 * 120 overdue unless waived.
 */
export function withHistory(report: Report): Report {
  const asOf = Date.parse(report.run.asOf);
  const findings = report.findings.map((f, i): Finding => {
    const age = AGES[i % AGES.length]!;
    const firstSeen = asOf - age * DAY_MS;
    const sla = FIXTURE_SLA[f.severity];
    const escalated = i === 0;
    const from = escalated ? asOf - 20 * DAY_MS : firstSeen;
    const dueMs = sla === null ? null : from + sla * DAY_MS;
    const lifecycle: Lifecycle = escalated ? 'escalated' : i === 5 ? 'reopened' : age === 0 ? 'new' : 'open';
    return {
      ...f,
      firstSeenAt: iso(firstSeen),
      lastSeenAt: report.run.asOf,
      ageDays: age,
      dueAt: dueMs === null ? null : iso(dueMs),
      overdue: dueMs !== null && asOf > dueMs && !f.waiver,
      lifecycle,
      reopenedCount: i === 5 ? 1 : 0,
      ...(escalated ? { escalatedFrom: { id: 'd0d0d0d0d0d0d0d0d0d1', ruleId: 'deprecation-soon', severity: 'medium' as const, firstSeenAt: iso(firstSeen) } } : {}),
    };
  });
  const images = report.images.map((img): ImagePlanEntry => {
    const own = findings.filter((f) => f.imageId === img.imageId);
    const first = own.map((f) => f.firstSeenAt!).sort()[0] ?? null;
    return { ...img, oldestFirstSeenAt: first, overdue: own.filter((f) => f.overdue).length };
  });
  const overdue = findings.filter((f) => f.overdue);
  const bySev = zero();
  for (const f of overdue) bySev[f.severity] += 1;
  const oldest = [...overdue].sort((a, b) => b.ageDays! - a.ageDays! || (a.id < b.id ? -1 : 1))[0];
  const open = zero();
  for (const f of findings) if (!f.waiver) open[f.severity] += 1;
  const week = 7 * DAY_MS;
  const trendOpen: Record<Severity, number>[] = [
    { ...zero(), high: open.high + 3, medium: open.medium + 4, low: open.low + 2 },
    { ...zero(), high: open.high + 2, medium: open.medium + 4, low: open.low + 2 },
    { ...zero(), high: open.high + 3, medium: open.medium + 2, low: open.low + 1 },
    { ...zero(), high: open.high + 1, medium: open.medium + 1, low: open.low + 1 },
    open,
  ];
  const trend: ReportHistory['trend'] = trendOpen.map((o, n) => ({
    runId: n === 4 ? report.run.id : `run-fixture-h00${n + 1}`,
    asOf: iso(asOf - (4 - n) * week),
    status: n === 4 ? report.run.status : n === 2 ? 'partial' as const : 'complete' as const,
    open: o,
  }));
  const base = report.findings.find((f) => !f.resource && !f.waiver)!;
  const resolved: ResolvedFinding[] = [
    {
      id: 'c0c0c0c0c0c0c0c0c0c1', ruleId: 'deprecated-ami', severity: 'high', accountId: base.accountId, region: base.region,
      instanceId: 'i-0fixed00000000001', imageId: 'ami-0d1e2f3a4b5c60010', message: 'AMI ami-0d1e2f3a4b5c60010 was deprecated on 2026-09-01',
      firstSeenAt: iso(asOf - 40 * DAY_MS), resolvedAt: report.run.asOf, daysToFix: 40,
    },
    {
      id: 'c0c0c0c0c0c0c0c0c0c2', ruleId: 'stale-ami', severity: 'low', accountId: '333333333333', region: 'eu-west-1',
      instanceId: 'i-0fixed00000000002', imageId: 'ami-0d1e2f3a4b5c60011', message: 'AMI ami-0d1e2f3a4b5c60011 is 420 days old',
      firstSeenAt: iso(asOf - 9 * DAY_MS), resolvedAt: report.run.asOf, daysToFix: 9,
    },
  ];
  const history: ReportHistory = {
    runsBefore: 4,
    previousRun: { runId: trend[3]!.runId, asOf: trend[3]!.asOf },
    sla: { ...FIXTURE_SLA },
    overdue: overdue.length,
    overdueBySeverity: bySev,
    oldestOverdue: oldest ? { id: oldest.id, ageDays: oldest.ageDays!, ruleId: oldest.ruleId, severity: oldest.severity, imageId: oldest.imageId } : null,
    trend,
    medianDaysToFix: { critical: null, high: 12, medium: 33, low: 80, info: null },
    resolved,
    unverified: 1,
  };
  return { ...report, findings, images, history };
}

/**
 * A report with a diff (schema 2) as a schema 3 diff has it: the diff names the current run, and
 * each new deprecated-ami finding is an escalation of a deprecation-soon finding on the same
 * instance and AMI, counted under `escalated` only.
 */
export function withEscalation(report: Report): Report {
  const d = report.diff!;
  const escalated: DiffEscalation[] = d.new.filter((e) => e.ruleId === 'deprecated-ami').map((e) => ({
    ...e,
    from: { ...e, id: 'd0d0d0d0d0d0d0d0d0d1', ruleId: 'deprecation-soon', severity: 'medium', message: `AMI ${e.imageId} will be deprecated soon` },
  }));
  const ids = new Set(escalated.map((e) => e.id));
  const fresh = d.new.filter((e) => !ids.has(e.id));
  const diff: ReportDiff = {
    ...d,
    current: { runId: report.run.id, asOf: report.run.asOf },
    counts: { ...d.counts, new: fresh.length, escalated: escalated.length },
    new: fresh,
    escalated,
  };
  return { ...report, diff };
}
