/**
 * Inventory + evaluation -> the report model (schemaVersion 2): findings, summary, diff, and the
 * remediation plan (images, owners, coverage gaps; see plan.ts). Pure: the as-of time and the
 * tool version are passed in.
 */
import type { DateTime } from 'luxon';
import type { AccountInfo, CoverageEntry, DiffChange, DiffEntry, DiffScope, DiffUnverified, Finding, ImagePlanEntry, Inventory, InstanceRecord, Report, ReportDiff, RuleInfo, RunOptions, ScopeStatus, Severity, SuccessorRecord, Summary } from '../model/types.js';
import { REPORT_SCHEMA_VERSION, SEVERITIES } from '../model/types.js';
import { cmp, compareFindings, evaluate, type EvalSettings } from '../rules/engine.js';
import { RULE_IDS } from '../rules/registry.js';
import { STATUS_RANK } from './coverage.js';
import { coverageGaps, imagePlan, ownerRollup } from './plan.js';

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
  return {
    id: f.id, ruleId: f.ruleId, severity: f.severity, accountId: f.accountId, region: f.region, instanceId: f.instanceId, imageId: f.imageId, message: f.message,
    ...(f.resource ? { resource: f.resource } : {}),
  };
}

/** One side of a diff: the findings of a run and the coverage that says where it could look. */
export interface DiffSide {
  findings: readonly Finding[];
  coverage: readonly CoverageEntry[];
  /** The newer run's options: a run narrowed to instance ids or filters did not look at the rest. */
  run?: { options?: RunOptions };
  /** The newer run's rules: a finding of a rule switched off was not looked for. */
  rules?: readonly Pick<RuleInfo, 'id' | 'severity'>[];
}

/**
 * Why the newer run did not look for a baseline finding at all, whatever its scope's status:
 * it was narrowed to other instance ids, or by filters the baseline did not have, or the finding's
 * rule is switched off. Such a finding is unverified, never resolved.
 */
function notLookedAt(baseline: Pick<Report, 'run'>, current: DiffSide): (f: Finding) => DiffUnverified['notLookedAt'] {
  const ids = current.run?.options?.instanceIds;
  const wanted = ids ? new Set(ids) : null;
  const sameFilters = JSON.stringify(current.run?.options?.filters ?? []) === JSON.stringify(baseline.run.options?.filters ?? []);
  const off = new Set((current.rules ?? []).filter((r) => r.severity === 'off').map((r) => r.id));
  // A finding about a resource (a launch template...) is looked for only where the newer run looked
  // up references, and only for AMIs it flagged there: those with an instance finding that flags them.
  const referencesOk = new Set(current.coverage.filter((c) => c.references?.status === 'ok').map((c) => `${c.accountId}|${c.region}`));
  const flagged = new Set(current.findings.filter((x) => !x.resource && REFERENCE_TRIGGERS.has(x.ruleId)).map((x) => `${x.accountId}|${x.region}|${x.imageId}`));
  return (f) => {
    if (f.resource) {
      if (!current.run?.options?.references || !referencesOk.has(`${f.accountId}|${f.region}`) || !flagged.has(`${f.accountId}|${f.region}|${f.imageId}`)) return 'references';
    } else if (wanted && !wanted.has(f.instanceId)) return 'instance-ids';
    if (!sameFilters) return 'filters';
    if (off.has(f.ruleId)) return 'rule-off';
    return undefined;
  };
}

/** The instance rules whose findings make an AMI one whose references are looked up (--references). */
const REFERENCE_TRIGGERS: ReadonlySet<string> = new Set(['deprecated-ami', 'deregistered-ami', 'disabled-ami', 'not-allowed-ami']);


/** Scope status by account|region; an entry for region `*` speaks for every region of its account. Two entries for one scope: the worse counts. */
function scopeStatuses(coverage: readonly CoverageEntry[]): (accountId: string, region: string) => ScopeStatus | 'absent' {
  const exact = new Map<string, ScopeStatus>();
  const wildcard = new Map<string, ScopeStatus>();
  for (const c of coverage) {
    const map = c.region === '*' ? wildcard : exact;
    const key = c.region === '*' ? c.accountId : `${c.accountId}|${c.region}`;
    const had = map.get(key);
    if (had === undefined || STATUS_RANK[c.status] > STATUS_RANK[had]) map.set(key, c.status);
  }
  return (accountId, region) => exact.get(`${accountId}|${region}`) ?? wildcard.get(accountId) ?? 'absent';
}

function scopeList(coverage: readonly CoverageEntry[], without: readonly CoverageEntry[]): DiffScope[] {
  const other = new Set(without.map((c) => `${c.accountId}|${c.region}`));
  const out = new Map<string, DiffScope>();
  for (const c of coverage) {
    const key = `${c.accountId}|${c.region}`;
    if (other.has(key)) continue;
    const had = out.get(key);
    if (!had || STATUS_RANK[c.status] > STATUS_RANK[had.status]) out.set(key, { accountId: c.accountId, region: c.region, status: c.status });
  }
  return [...out.values()].sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.region, b.region));
}

/**
 * The newer run against a baseline, by stable finding id, reading both runs' coverage: a baseline
 * finding that is gone is `resolved` only where its scope (account x region) was `ok` in both runs,
 * else `unverified` (the newer run could not look, or the baseline could not see all of it);
 * a finding in both is `changed` when its severity or waiver status differs, else `unchanged`.
 */
export function diffReports(baseline: Pick<Report, 'run' | 'findings' | 'coverage'>, current: DiffSide): ReportDiff {
  const before = new Map(baseline.findings.map((f) => [f.id, f]));
  const now = new Set(current.findings.map((f) => f.id));
  const statusBefore = scopeStatuses(baseline.coverage);
  const statusNow = scopeStatuses(current.coverage);
  const added: DiffEntry[] = [];
  const changed: DiffChange[] = [];
  const unchanged: string[] = [];
  for (const f of current.findings) {
    const b = before.get(f.id);
    if (!b) {
      added.push(diffEntry(f));
      continue;
    }
    const was = { severity: b.severity, waived: b.waiver !== null && b.waiver !== undefined };
    const is = { severity: f.severity, waived: f.waiver !== null && f.waiver !== undefined };
    if (was.severity !== is.severity || was.waived !== is.waived) changed.push({ ...diffEntry(f), before: was, after: is });
    else unchanged.push(f.id);
  }
  const resolved: DiffEntry[] = [];
  const unverified: DiffUnverified[] = [];
  const narrowed = notLookedAt(baseline, current);
  for (const f of baseline.findings) {
    if (now.has(f.id)) continue;
    const scope = { baseline: statusBefore(f.accountId, f.region), current: statusNow(f.accountId, f.region) };
    const why = narrowed(f);
    if (why) unverified.push({ ...diffEntry(f), scope, notLookedAt: why });
    else if (scope.baseline === 'ok' && scope.current === 'ok') resolved.push(diffEntry(f));
    else unverified.push({ ...diffEntry(f), scope });
  }
  for (const list of [added, changed, resolved, unverified]) list.sort(compareFindings);
  unchanged.sort(cmp);
  return {
    baseline: { runId: baseline.run.id, startedAt: baseline.run.startedAt, asOf: baseline.run.asOf },
    counts: { new: added.length, resolved: resolved.length, unverified: unverified.length, changed: changed.length, unchanged: unchanged.length },
    new: added,
    resolved,
    unverified,
    changed,
    unchanged,
    scopes: { added: scopeList(current.coverage, baseline.coverage), removed: scopeList(baseline.coverage, current.coverage) },
  };
}

/**
 * Every account of the run, sorted by id: the ones it was asked to audit, the ones with coverage,
 * and the ones the inventory names (discovered or configured), with what is known of each.
 */
export function accountDirectory(inventory: Pick<Inventory, 'run' | 'coverage' | 'accounts'>): AccountInfo[] {
  const out = new Map<string, AccountInfo>();
  const blank = (accountId: string): AccountInfo => ({ accountId, name: null, ouPath: null, state: null });
  for (const a of inventory.accounts ?? []) out.set(a.accountId, { accountId: a.accountId, name: a.name ?? null, ouPath: a.ouPath ?? null, ...(a.ouPathParts ? { ouPathParts: a.ouPathParts.map((x) => ({ id: x.id, name: x.name })) } : {}), state: a.state ?? null });
  for (const id of inventory.run.accounts) if (!out.has(id)) out.set(id, blank(id));
  for (const c of inventory.coverage) if (!out.has(c.accountId)) out.set(c.accountId, blank(c.accountId));
  return [...out.values()].sort((a, b) => cmp(a.accountId, b.accountId));
}

export function buildReport(input: BuildInput): Report {
  const { inventory, settings, asOf, tool } = input;
  const coverage = sortCoverage(inventory.coverage);
  const instances = sortInstances(inventory.instances);
  const ev = evaluate(instances, coverage, settings, asOf, inventory.references ?? []);
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
  const tagColumns = [...(settings.tagColumns ?? [])];
  const images = imagePlan(ev.findings, instances, inventory.references, inventory.successors);
  // Key order is the JSON report's order: the plan comes before the long lists.
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool,
    run: { ...inventory.run, asOf: asOf.toUTC().toISO({ suppressMilliseconds: true })!, status: partial ? 'partial' : 'complete' },
    tagColumns,
    images,
    owners: ownerRollup(ev.findings, tagColumns, images),
    coverageGaps: coverageGaps(coverage),
    accounts: accountDirectory(inventory),
    coverage,
    instances,
    notFoundInstanceIds: inventory.notFoundInstanceIds,
    ...(inventory.uncheckedInstanceIds?.length ? { uncheckedInstanceIds: inventory.uncheckedInstanceIds } : {}),
    findings: ev.findings,
    waivers: ev.waivers,
    rules: ev.rules,
    summary,
    diff: input.baseline ? diffReports(input.baseline, { findings: ev.findings, coverage, run: inventory.run, rules: ev.rules }) : null,
  };
}

/** The inventory a report was built from, for re-evaluation offline. */
export function inventoryOf(report: Report): Inventory {
  const { asOf: _a, status: _s, ...run } = report.run;
  return {
    run, coverage: report.coverage, accounts: report.accounts ?? [], instances: report.instances, notFoundInstanceIds: report.notFoundInstanceIds ?? [],
    ...(report.images.some((i) => i.references) ? { references: report.images.flatMap((i) => i.references ?? []) } : {}),
    ...(report.images.some((i) => i.successor) ? { successors: successorsOfPlan(report.images) } : {}),
    ...(report.uncheckedInstanceIds?.length ? { uncheckedInstanceIds: report.uncheckedInstanceIds } : {}),
  };
}

/** The successor records a plan holds (--successors), for re-evaluation offline. */
export function successorsOfPlan(images: readonly ImagePlanEntry[]): SuccessorRecord[] {
  const out: SuccessorRecord[] = [];
  for (const i of images) {
    if (!i.imageId || !i.successor) continue;
    for (const [region, successor] of Object.entries(i.successor)) out.push({ region, flaggedImageId: i.imageId, successor });
  }
  return out.sort((a, b) => cmp(a.flaggedImageId, b.flaggedImageId) || cmp(a.region, b.region));
}

/** Unwaived findings at or above a severity. */
export function failingFindings(report: Report, failOn: Severity | undefined): Finding[] {
  if (!failOn) return [];
  const min = SEVERITIES.indexOf(failOn);
  return report.findings.filter((f) => !f.waiver && SEVERITIES.indexOf(f.severity) >= min);
}
