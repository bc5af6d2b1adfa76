/**
 * Inventory + evaluation -> the report model (schemaVersion 1). Pure: the as-of time and the
 * tool version are passed in.
 */
import type { DateTime } from 'luxon';
import type { CoverageEntry, DiffEntry, Finding, Inventory, InstanceRecord, Report, ReportDiff, Severity, Summary } from '../model/types.js';
import { REPORT_SCHEMA_VERSION, SEVERITIES } from '../model/types.js';
import { cmp, evaluate, type EvalSettings } from '../rules/engine.js';
import { RULE_IDS } from '../rules/registry.js';

export interface BuildInput {
  inventory: Inventory;
  settings: EvalSettings;
  asOf: DateTime;
  tool: { name: string; version: string };
  baseline?: Report | null;
}

export function sortCoverage(c: CoverageEntry[]): CoverageEntry[] {
  return [...c].sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.region, b.region));
}

export function sortInstances(list: InstanceRecord[]): InstanceRecord[] {
  return [...list].sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.region, b.region) || cmp(a.InstanceId ?? '', b.InstanceId ?? ''));
}

function count<T>(items: T[], key: (t: T) => string, seed: string[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of seed) out[k] = 0;
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => cmp(a[0], b[0])));
}

export function diffEntry(f: Finding): DiffEntry {
  return { id: f.id, ruleId: f.ruleId, severity: f.severity, accountId: f.accountId, region: f.region, instanceId: f.instanceId, imageId: f.imageId, message: f.message };
}

/** Findings new, resolved and unchanged against a baseline, by stable finding id. */
export function diffReports(baseline: Pick<Report, 'run' | 'findings'>, current: Finding[]): ReportDiff {
  const before = new Map(baseline.findings.map((f) => [f.id, f]));
  const now = new Set(current.map((f) => f.id));
  const added = current.filter((f) => !before.has(f.id)).map(diffEntry);
  const resolved = baseline.findings.filter((f) => !now.has(f.id)).map(diffEntry).sort((a, b) => cmp(a.id, b.id));
  const unchanged = current.filter((f) => before.has(f.id)).map((f) => f.id).sort();
  return {
    baseline: { runId: baseline.run.id, startedAt: baseline.run.startedAt, asOf: baseline.run.asOf },
    counts: { new: added.length, resolved: resolved.length, unchanged: unchanged.length },
    new: added,
    resolved,
    unchanged,
  };
}

export function buildReport(input: BuildInput): Report {
  const { inventory, settings, asOf, tool } = input;
  const coverage = sortCoverage(inventory.coverage);
  const instances = sortInstances(inventory.instances);
  const ev = evaluate(instances, coverage, settings, asOf);
  const unwaived = ev.findings.filter((f) => !f.waiver);
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of unwaived) bySeverity[f.severity] += 1;
  const scopes = { total: coverage.length, ok: 0, partial: 0, error: 0, skipped: 0 };
  for (const c of coverage) scopes[c.status] += 1;
  const summary: Summary = {
    instancesScanned: instances.length,
    instancesEvaluated: ev.instancesEvaluated,
    instancesTerminatedSkipped: ev.instancesTerminatedSkipped,
    findings: ev.findings.length,
    findingsUnwaived: unwaived.length,
    findingsWaived: ev.findings.length - unwaived.length,
    bySeverity,
    byRule: count(unwaived, (f) => f.ruleId, [...RULE_IDS]),
    byAccount: count(unwaived, (f) => f.accountId),
    byRegion: count(unwaived, (f) => f.region),
    scopes,
    waiversUnmatched: ev.waivers.filter((w) => w.matchedFindings === 0).length,
    waiversExpired: ev.waivers.filter((w) => w.status === 'expired').length,
  };
  const partial = scopes.error + scopes.partial > 0 || inventory.run.interrupted;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool,
    run: { ...inventory.run, asOf: asOf.toUTC().toISO({ suppressMilliseconds: true })!, status: partial ? 'partial' : 'complete' },
    coverage,
    instances,
    notFoundInstanceIds: inventory.notFoundInstanceIds,
    findings: ev.findings,
    waivers: ev.waivers,
    rules: ev.rules,
    summary,
    diff: input.baseline ? diffReports(input.baseline, ev.findings) : null,
  };
}

/** The inventory a report was built from, for re-evaluation offline. */
export function inventoryOf(report: Report): Inventory {
  const { asOf: _a, status: _s, ...run } = report.run;
  return { run, coverage: report.coverage, instances: report.instances, notFoundInstanceIds: report.notFoundInstanceIds ?? [] };
}

/** Unwaived findings at or above a severity. */
export function failingFindings(report: Report, failOn: Severity | undefined): Finding[] {
  if (!failOn) return [];
  const min = SEVERITIES.indexOf(failOn);
  return report.findings.filter((f) => !f.waiver && SEVERITIES.indexOf(f.severity) >= min);
}
