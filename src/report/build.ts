/**
 * Inventory + evaluation -> the report model (schemaVersion 2): findings, summary, diff, and the
 * remediation plan (images, owners, coverage gaps; see plan.ts). Pure: the as-of time and the
 * tool version are passed in.
 */
import type { ImageCriterion, AccountInfo, CoverageEntry, DiffChange, DiffEntry, DiffEscalation, DiffScope, DiffUnverified, Finding, ImagePlanEntry, InstanceRecord, Inventory, Report, ReportDiff, Severity, SuccessorRecord, Summary } from '../model/types.js';
import { REPORT_SCHEMA_VERSION, SEVERITIES } from '../model/types.js';
import { isoInstant } from '../model/time.js';
import { compareFindings, evaluate, type EvalSettings } from '../rules/engine.js';
import { cmp } from '../model/ids.js';
import { RULE_IDS } from '../rules/registry.js';
import { STATUS_RANK } from '../model/coverage.js';
import { lookedAt, pairEscalations, scopeView, type LookSide } from './looked.js';
import { applyHistory, carryHistory, type CarriedHistory, type HistoryOutcome, type PriorHistory, type Sla } from '../history/semantics.js';
import { coverageGaps, imagePlan, ownerRollup } from './plan.js';
import { allowedAmisWhatIf, whatIfApplies } from './whatif.js';
import { organizationOf, publisherView } from './publisher.js';

export interface BuildInput {
  inventory: Inventory;
  settings: EvalSettings;
  /** The as-of time in epoch milliseconds (UTC). */
  asOf: number;
  tool: { name: string; version: string };
  baseline?: Report | null;
  /**
   * The run history before this run and the SLA (src/history/): the findings then carry their ages
   * and deadlines, the report its `history`. `prior` may be the store's read, given this run's
   * findings (it then reads only what the semantics need of them).
   */
  history?: { prior: PriorHistory | ((findings: readonly Finding[]) => PriorHistory); sla: Sla } | null;
  /** Without `history`: what saved reports carry of theirs (report --input), aged at this as-of under this SLA. */
  carried?: { carried: CarriedHistory; sla: Sla } | null;
  /** A proposed Allowed AMIs criteria set (--criteria FILE) for the what-if; null or absent: each region's current criteria. */
  proposedCriteria?: ImageCriterion[] | null;
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

/** One side of a diff: the findings of a run and the coverage that says where it could look (src/report/looked.ts). */
export type DiffSide = LookSide;

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
 * finding that is gone is `resolved` only where the newer run looked for it (src/report/looked.ts:
 * its scope listed completely, nothing narrowing the run away from it) and the baseline's scope was
 * listed completely too, else `unverified`; a gone finding replaced by a worse one on the same
 * instance and AMI is an escalation (`escalated`, with the finding it replaces in `from`), neither
 * resolved nor new; a finding in both is `changed` when its severity or waiver status differs,
 * else `unchanged`.
 */
export function diffReports(baseline: Pick<Report, 'run' | 'findings' | 'coverage'>, current: DiffSide): ReportDiff {
  const before = new Map(baseline.findings.map((f) => [f.id, f]));
  const now = new Set(current.findings.map((f) => f.id));
  const scopeBefore = scopeView(baseline.coverage);
  const look = lookedAt(current);
  const addedFindings: Finding[] = [];
  const changed: DiffChange[] = [];
  const unchanged: string[] = [];
  for (const f of current.findings) {
    const b = before.get(f.id);
    if (!b) {
      addedFindings.push(f);
      continue;
    }
    const was = { severity: b.severity, waived: b.waiver !== null && b.waiver !== undefined };
    const is = { severity: f.severity, waived: f.waiver !== null && f.waiver !== undefined };
    if (was.severity !== is.severity || was.waived !== is.waived) changed.push({ ...diffEntry(f), before: was, after: is });
    else unchanged.push(f.id);
  }
  const gone = baseline.findings.filter((f) => !now.has(f.id));
  const pairs = pairEscalations(addedFindings, gone);
  const paired = new Set(pairs.flatMap((p) => [p.to.id, p.from.id]));
  const escalated: DiffEscalation[] = pairs.map((p) => ({ ...diffEntry(p.to), from: diffEntry(p.from) }));
  const added = addedFindings.filter((f) => !paired.has(f.id)).map(diffEntry);
  const resolved: DiffEntry[] = [];
  const unverified: DiffUnverified[] = [];
  for (const f of gone) {
    if (paired.has(f.id)) continue;
    const was = scopeBefore(f.accountId, f.region);
    const l = look(f, baseline.run.options);
    const scope = { baseline: was.status, current: l.scope };
    if (l.notLookedAt) unverified.push({ ...diffEntry(f), scope, notLookedAt: l.notLookedAt });
    else if (was.listed && l.listed) resolved.push(diffEntry(f));
    else unverified.push({ ...diffEntry(f), scope });
  }
  for (const list of [added, escalated, changed, resolved, unverified]) list.sort(compareFindings);
  unchanged.sort(cmp);
  return {
    baseline: { runId: baseline.run.id, startedAt: baseline.run.startedAt, asOf: baseline.run.asOf },
    ...(current.run?.id !== undefined && current.run.asOf !== undefined ? { current: { runId: current.run.id, asOf: current.run.asOf } } : {}),
    counts: { new: added.length, escalated: escalated.length, resolved: resolved.length, unverified: unverified.length, changed: changed.length, unchanged: unchanged.length },
    new: added,
    escalated,
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
  return buildRun(input).report;
}

/**
 * The report, and with a history (`input.history`) the rows the store writes for this run
 * (src/history/semantics.ts decides them; the store only saves them).
 */
export function buildRun(input: BuildInput): { report: Report; rows: HistoryOutcome['rows'] | null } {
  const { inventory, settings, asOf, tool } = input;
  const coverage = sortCoverage(inventory.coverage);
  const instances = sortInstances(inventory.instances);
  // ami-audit images: the owned AMIs, their consumers named, judged against the organisation
  const organization = inventory.ownedImages ? organizationOf(inventory) : null;
  const ownedImages = inventory.ownedImages && organization ? publisherView(inventory.ownedImages, organization, accountDirectory(inventory)) : null;
  const ev = evaluate(instances, coverage, settings, asOf, inventory.references ?? [], ownedImages && organization ? { images: ownedImages, organization } : null);
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
  const asOfIso = isoInstant(asOf);
  const tagColumns = [...(settings.tagColumns ?? [])];
  const current = { findings: ev.findings, coverage, run: { ...inventory.run, asOf: asOfIso }, rules: ev.rules };
  const hist = input.history ? applyHistory({ current, status: partial ? 'partial' : 'complete', asOf, sla: input.history.sla, prior: typeof input.history.prior === 'function' ? input.history.prior(ev.findings) : input.history.prior }) : null;
  const carried = !hist && input.carried ? carryHistory({ findings: ev.findings, asOf: asOfIso, sla: input.carried.sla, carried: input.carried.carried }) : null;
  const findings = hist ? hist.findings : carried ? carried.findings : ev.findings;
  const images = imagePlan(findings, instances, inventory.references, inventory.successors);
  // Key order is the JSON report's order: the plan comes before the long lists.
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool,
    run: { ...inventory.run, asOf: asOfIso, status: partial ? 'partial' : 'complete' },
    tagColumns,
    images,
    owners: ownerRollup(findings, tagColumns, images),
    coverageGaps: coverageGaps(coverage),
    accounts: accountDirectory(inventory),
    coverage,
    instances,
    notFoundInstanceIds: inventory.notFoundInstanceIds,
    ...(inventory.uncheckedInstanceIds?.length ? { uncheckedInstanceIds: inventory.uncheckedInstanceIds } : {}),
    findings,
    waivers: ev.waivers,
    rules: ev.rules,
    summary,
    diff: input.baseline ? diffReports(input.baseline, current) : null,
    history: hist ? hist.history : carried ? carried.history : null,
    ...(ownedImages ? { ownedImages } : {}),
  };
  const proposed = input.proposedCriteria ?? null;
  if (whatIfApplies(coverage, proposed)) report.whatIf = allowedAmisWhatIf({ coverage, instances, references: inventory.references ?? [], proposed, asOfMs: asOf });
  return { report, rows: hist?.rows ?? null };
}

/** The inventory a report was built from, for re-evaluation offline. */
export function inventoryOf(report: Report): Inventory {
  const { asOf: _a, status: _s, ...run } = report.run;
  return {
    run, coverage: report.coverage, accounts: report.accounts ?? [], instances: report.instances, notFoundInstanceIds: report.notFoundInstanceIds ?? [],
    ...(report.images.some((i) => i.references) ? { references: report.images.flatMap((i) => i.references ?? []) } : {}),
    ...(report.images.some((i) => i.successor) ? { successors: successorsOfPlan(report.images) } : {}),
    ...(report.uncheckedInstanceIds?.length ? { uncheckedInstanceIds: report.uncheckedInstanceIds } : {}),
    ...(report.ownedImages ? { ownedImages: report.ownedImages } : {}),
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
