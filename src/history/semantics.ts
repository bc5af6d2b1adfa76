/**
 * What the run history makes of one run: pure, no database. It takes what earlier runs left
 * (each finding's state, the runs' summaries, the resolutions), this run's findings, coverage,
 * options and rules, the as-of and the SLA, and returns the findings with their history fields,
 * `report.history`, and the rows the store writes. The store (store.ts) only loads and saves.
 *
 * The rules (docs/history.md):
 * - A finding is `new` the first run it is seen, `open` while seen again.
 * - A finding an earlier run saw and this run did not is resolved only where this run looked for
 *   it (src/report/looked.ts, the rule the diff reads: its scope listed completely, no instance
 *   ids, filters or rule switch narrowing the run away from it); otherwise it is unverified: it
 *   stays open, keeps its age, and is not counted as seen.
 * - Seen again after it was resolved: `reopened`; its first sight does not move, reopenedCount + 1.
 * - Replaced by a worse rule on the same instance and AMI (pairEscalations): the new finding is
 *   `escalated`; its age counts from the first sight of the finding it replaces, its deadline from
 *   the escalation (the SLA of its own severity). The finding it replaces is not resolved.
 * - Due = first sight (or the escalation) + the SLA days of the severity; overdue when the as-of is
 *   past due and no valid waiver holds the finding (the engine decided that at the as-of: a waiver
 *   that expired waives nothing, so the finding is overdue again from that day).
 * The as-of decides every age and deadline, never the clock.
 */
import type { Finding, FindingKeys, FindingResource, Lifecycle, Report, ReportHistory, ResolvedFinding, RunOptions, ScopeStatus, Severity } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { parseInstantMs } from '../model/time.js';
import { compareFindings } from '../rules/engine.js';
import { cmp } from '../model/ids.js';
import { looked, lookedAt, pairEscalations, type LookSide } from '../report/looked.js';
import { STATUS_RANK } from '../model/coverage.js';

export type Sla = Record<Severity, number | null>;

/** The default SLA in days by severity: DefectDojo's default SLA configuration (docs/history.md says where these and others come from). */
export const DEFAULT_SLA: Readonly<Sla> = Object.freeze({ critical: 7, high: 30, medium: 90, low: 120, info: null });

const DAY_MS = 86_400_000;

/** Where a finding stands in the store. */
export type FindingStatus = 'open' | 'resolved' | 'escalated';

/** One finding of the store: what the history keeps per finding id (no instance records, no raw answers). */
export interface FindingState {
  id: string;
  ruleId: string;
  /** Severity and message at last sight. */
  severity: Severity;
  message: string;
  accountId: string;
  region: string;
  instanceId: string;
  imageId: string | null;
  /** The resource, for a finding about one (launchable-bad-ami); null for instance findings. */
  resource: FindingResource | null;
  firstSeenAt: string;
  lastSeenAt: string;
  /** The run that saw it last. */
  lastRunId: string;
  runsSeen: number;
  status: FindingStatus;
  resolvedAt: string | null;
  reopenedCount: number;
  /** When it replaced a less severe finding on the same instance and AMI: then, and that finding. */
  escalatedAt: string | null;
  escalatedFrom: { id: string; ruleId: string; severity: Severity; firstSeenAt: string } | null;
  /** Waived at last sight. */
  waived: boolean;
  /**
   * Set by a store that read the finding without its severity, message, waiver and resource (it
   * filled them from this run's finding of the same id): their signature as saved (null: unknown,
   * the row is written again). Absent: compare the fields.
   */
  sig?: number | null;
}

/** One recorded run, as the semantics read it. */
export interface RunSummary {
  id: string;
  asOf: string;
  status: 'complete' | 'partial';
  /** The filters the run was narrowed by (a finding last seen under other filters is not looked for). */
  filters: RunOptions['filters'];
  /** Open unwaived findings by severity after the run (seen, or unverified and still open). */
  open: Record<Severity, number>;
}

/** A resolution: a finding the run looked for and did not see. */
export interface Resolution { findingId: string; runId: string; severity: Severity; daysToFix: number }

/**
 * The signature of what a finding's row says beyond its sight (severity, message, waived,
 * resource): a 53-bit hash (cyrb53), saved with the row, so that a run can tell a finding seen
 * again unchanged without reading its message back.
 */
export function signature(f: { severity: Severity; message: string; waived: boolean; resource: FindingResource | null | undefined }): number {
  const text = `${f.severity}\u0000${f.waived ? 1 : 0}\u0000${f.resource ? JSON.stringify(f.resource) : ''}\u0000${f.message}`;
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The finding seen again says what its row says (severity, message, waiver, resource). */
function unchanged(before: FindingState, f: Finding, waived: boolean): boolean {
  if (before.sig === null) return false;
  if (before.sig !== undefined) return before.sig === signature({ severity: f.severity, message: f.message, waived, resource: f.resource });
  return before.severity === f.severity && before.message === f.message && before.waived === waived
    && (before.resource === null ? !f.resource : JSON.stringify(before.resource) === JSON.stringify(f.resource ?? null));
}

/**
 * The open findings of a history, column by column (the store keeps them so: one value per
 * history): id, first and last sight, the run that saw it last, runs seen, the signature of what
 * its row says (NaN: unknown, written again when next seen), reopened count, escalation.
 */
export interface OpenColumns {
  ids: readonly string[];
  first: readonly string[];
  last: readonly string[];
  lastRun: readonly string[];
  runs: ArrayLike<number>;
  /** NaN: not known. */
  sig: ArrayLike<number>;
  reopened: readonly number[];
  escAt: readonly (string | null)[];
  escFrom: readonly FindingState['escalatedFrom'][];
}

/**
 * What a store that read the history for this run's findings can hand over instead of one state
 * per finding: position by position, where each of them stands among the open findings; the few
 * others the history has (no longer open: reopened if seen); the open findings this run does not
 * see, whole. The semantics use it only when its ids are this run's findings, in their order.
 */
export interface OpenSight {
  /** This run's finding ids, in the order the store was given them. */
  ids: readonly string[];
  /** Per finding of this run: its index in `open` when it is open, else -1. */
  at: Int32Array;
  open: OpenColumns;
  /** This run's findings that the history has and that are not open (resolved or escalated earlier). */
  others: ReadonlyMap<string, FindingState>;
  /** The open findings this run does not see. */
  gone: readonly FindingState[];
}

/** The state of the open finding at `i` of the columns, seen again as `f` (its rule, severity, message and place are f's: its id is a hash of them). */
export function openStateAt(open: OpenColumns, i: number, f: Finding): FindingState {
  return {
    id: open.ids[i]!, ruleId: f.ruleId, severity: f.severity, message: f.message, accountId: f.accountId, region: f.region, instanceId: f.instanceId, imageId: f.imageId, resource: f.resource ?? null,
    firstSeenAt: open.first[i]!, lastSeenAt: open.last[i]!, lastRunId: open.lastRun[i]!, runsSeen: open.runs[i]!, status: 'open', resolvedAt: null, reopenedCount: open.reopened[i]!,
    escalatedAt: open.escAt[i]!, escalatedFrom: open.escFrom[i]!, waived: f.waiver !== null && f.waiver !== undefined, sig: Number.isNaN(open.sig[i]) ? null : open.sig[i]!,
  };
}

/** What earlier runs left. */
export interface PriorHistory {
  /** Oldest first. */
  runs: readonly RunSummary[];
  findings: ReadonlyMap<string, FindingState>;
  /** Every resolution recorded (for the median days to fix). */
  resolutions: readonly (Pick<Resolution, 'severity' | 'daysToFix'> & { count?: number })[];
  /** From a store read for this run's findings: the same states, by position (`findings` is then built only when read). */
  sight?: OpenSight;
}

export interface HistoryInput {
  /** This run: its findings (as the engine made them), coverage, options, rules; run.id and run.asOf required. */
  current: LookSide & { run: { id: string; asOf: string; options?: RunOptions } };
  status: 'complete' | 'partial';
  asOf: number;
  sla: Sla;
  prior: PriorHistory;
}

export interface HistoryOutcome {
  /** The findings, in their order, with the history fields. */
  findings: Finding[];
  history: ReportHistory;
  /**
   * What the store writes: this run's summary; the finding states that changed beyond their last
   * sight (new, reopened, escalated, resolved, or another severity, message or waiver); the ids of
   * the findings seen again and otherwise unchanged (`touched`: their last sight becomes this run,
   * runsSeen + 1); the open findings this run did not look at (`unverified`: every other open
   * finding is either touched or among `findings`); the resolutions of this run.
   */
  rows: { run: RunSummary; findings: FindingState[]; touched: string[]; unverified: string[]; resolutions: Resolution[] };
}

const zero = (): Record<Severity, number> => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

const ms = (text: string): number => {
  const v = parseInstantMs(text);
  if (v === null) throw new Error(`internal error: ${JSON.stringify(text)} is not an instant`);
  return v;
};

/** Whole days from `from` to `to` (0 when `to` is earlier). */
export function wholeDays(fromMs: number, toMs: number): number {
  return Math.max(0, Math.floor((toMs - fromMs) / DAY_MS));
}

/** The median of whole days (the mean of the two middle values for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The deadline of a finding: its first sight (or its escalation) + the SLA of its severity; null when the severity has none. */
export function dueAt(sla: Sla, severity: Severity, firstSeenAt: string, escalatedAt: string | null): string | null {
  const days = sla[severity];
  if (days === null || days === undefined) return null;
  return iso(ms(escalatedAt ?? firstSeenAt) + days * DAY_MS);
}

/** A shallow copy of a finding, its own keys in their order (what `{ ...f }` makes). */
function copyOf(f: Finding): Finding {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(f)) out[k] = (f as unknown as Record<string, unknown>)[k];
  return out as unknown as Finding;
}

/** Where a finding stands in its history, whichever way it came: the store's state, or a saved report's own fields. */
export interface Sighting {
  firstSeenAt: string;
  /** When it replaced a less severe finding (its deadline counts from then); null otherwise. */
  escalatedAt: string | null;
  escalatedFrom: FindingState['escalatedFrom'];
  reopenedCount: number;
  lifecycle: Lifecycle;
}

/** A finding with its history fields, at one as-of under one SLA. */
export interface Ager {
  (f: Finding, s: Sighting): Finding;
  /** An instant in milliseconds (few distinct ones: parsed once each). */
  msOf(t: string): number;
}

/**
 * The ages, deadlines and overdue of findings at one as-of under one SLA: the one implementation
 * for a recorded run (applyHistory) and a re-rendered saved report (carryHistory). Overdue: the
 * as-of is past due and no valid waiver holds the finding (the engine decided the waiver at the
 * as-of).
 */
export function ager(asOf: string, sla: Sla): Ager {
  const asOfMs = ms(asOf);
  // Few distinct instants (one per recorded run): parse each once, and each deadline once.
  const msCache = new Map<string, number>();
  const msOf = (t: string): number => {
    let v = msCache.get(t);
    if (v === undefined) msCache.set(t, (v = ms(t)));
    return v;
  };
  // by severity, then by start (no key string built per finding)
  const dueCache = new Map<Severity, Map<string, string | null>>(SEVERITIES.map((sev) => [sev, new Map()]));
  const dueOf = (severity: Severity, from: string): string | null => {
    const bySev = dueCache.get(severity)!;
    let v = bySev.get(from);
    if (v === undefined) bySev.set(from, (v = dueAt(sla, severity, from, null)));
    return v;
  };
  const age = (f: Finding, s: Sighting): Finding => {
    const due = dueOf(f.severity, s.escalatedAt ?? s.firstSeenAt);
    // What `{ ...f, firstSeenAt, ... }` makes (the same keys in the same order), built by
    // assignment: V8 takes a slow path for a spread followed by more properties, seconds at org scale.
    const out = copyOf(f);
    out.firstSeenAt = s.firstSeenAt;
    out.lastSeenAt = asOf;
    out.ageDays = wholeDays(msOf(s.firstSeenAt), asOfMs);
    out.dueAt = due;
    out.overdue = due !== null && asOfMs > msOf(due) && !f.waiver;
    out.lifecycle = s.lifecycle;
    out.reopenedCount = s.reopenedCount;
    if (s.escalatedFrom) {
      out.escalatedFrom = s.escalatedFrom;
      if (s.escalatedAt) out.escalatedAt = s.escalatedAt;
    }
    return out;
  };
  return Object.assign(age, { msOf });
}

/** The overdue part of `report.history` over findings that carry their ages. */
export function overdueOf(findings: readonly Finding[]): Pick<ReportHistory, 'overdue' | 'overdueBySeverity' | 'oldestOverdue'> {
  const overdueBySeverity = zero();
  let oldest: Finding | null = null;
  for (const f of findings) {
    if (!f.overdue) continue;
    overdueBySeverity[f.severity] += 1;
    if (!oldest || cmp(f.firstSeenAt!, oldest.firstSeenAt!) < 0 || (f.firstSeenAt === oldest.firstSeenAt && cmp(f.id, oldest.id) < 0)) oldest = f;
  }
  return {
    overdue: SEVERITIES.reduce((n, s) => n + overdueBySeverity[s], 0),
    overdueBySeverity,
    oldestOverdue: oldest ? { id: oldest.id, ageDays: oldest.ageDays!, ruleId: oldest.ruleId, severity: oldest.severity, imageId: oldest.imageId } : null,
  };
}

/** One run of the history over this run's findings. */
export function applyHistory(input: HistoryInput): HistoryOutcome {
  const { current, sla, prior } = input;
  const asOf = current.run.asOf;
  const asOfMs = ms(asOf);
  const runId = current.run.id;
  const optionsOf = new Map(prior.runs.map((r) => [r.id, { filters: r.filters ?? [] } as RunOptions]));
  const n = current.findings.length;
  // Each finding's state before this run: a state, or (read by position) its index among the open findings, or none (new).
  const befores: (FindingState | number | undefined)[] = new Array(n);
  // Escalations: findings new to the history that replace an open one, gone now, on the same instance and AMI.
  const fresh: Finding[] = [];
  let goneOpen: readonly FindingState[];
  const sight = prior.sight && prior.sight.ids.length === n && current.findings.every((f, i) => f.id === prior.sight!.ids[i]) ? prior.sight : null;
  if (sight) {
    for (let i = 0; i < n; i++) {
      const f = current.findings[i]!;
      const at = sight.at[i]!;
      const b = at >= 0 ? at : sight.others.get(f.id);
      befores[i] = b;
      if (b === undefined) fresh.push(f);
    }
    goneOpen = sight.gone;
  } else {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const f = current.findings[i]!;
      seen.add(f.id);
      const b = prior.findings.get(f.id);
      befores[i] = b;
      if (!b) fresh.push(f);
    }
    const gone: FindingState[] = [];
    for (const s of prior.findings.values()) if (s.status === 'open' && !seen.has(s.id)) gone.push(s);
    goneOpen = gone;
  }
  const escalationOf = new Map<string, FindingState>();
  const escalatedAway = new Set<string>();
  for (const p of pairEscalations(fresh, goneOpen)) {
    escalationOf.set(p.to.id, p.from);
    escalatedAway.add(p.from.id);
  }

  const rows: FindingState[] = [];
  const touched: string[] = [];
  const age = ager(asOf, sla);
  const findings = current.findings.map((f, i): Finding => {
    const waived = f.waiver !== null && f.waiver !== undefined;
    let before = befores[i];
    if (typeof before === 'number') {
      // open, read by position: seen again unchanged needs no state (the store moves its last sight)
      const open = sight!.open;
      if (open.sig[before] === signature({ severity: f.severity, message: f.message, waived, resource: f.resource })) {
        touched.push(f.id);
        return age(f, { firstSeenAt: open.first[before]!, escalatedAt: open.escAt[before]!, escalatedFrom: open.escFrom[before]!, reopenedCount: open.reopened[before]!, lifecycle: 'open' });
      }
      before = openStateAt(open, before, f);
    }
    let state: FindingState;
    let lifecycle: Lifecycle;
    if (!before) {
      const from = escalationOf.get(f.id);
      lifecycle = from ? 'escalated' : 'new';
      state = {
        id: f.id, ruleId: f.ruleId, severity: f.severity, message: f.message, accountId: f.accountId, region: f.region, instanceId: f.instanceId, imageId: f.imageId,
        resource: f.resource ?? null, firstSeenAt: from ? from.firstSeenAt : asOf, lastSeenAt: asOf, lastRunId: runId, runsSeen: 1, status: 'open', resolvedAt: null,
        reopenedCount: 0, escalatedAt: from ? asOf : null,
        escalatedFrom: from ? { id: from.id, ruleId: from.ruleId, severity: from.severity, firstSeenAt: from.firstSeenAt } : null, waived,
      };
      rows.push(state);
    } else {
      const back = before.status !== 'open';
      lifecycle = back ? 'reopened' : 'open';
      if (!back && unchanged(before, f, waived)) {
        // seen again, nothing else changed: the store moves its last sight (one statement for all)
        touched.push(f.id);
        state = before;
      } else {
        const { sig: _sig, ...was } = before;
        state = {
          ...was, severity: f.severity, message: f.message, ruleId: f.ruleId, resource: f.resource ?? null, lastSeenAt: asOf, lastRunId: runId, runsSeen: before.runsSeen + 1,
          status: 'open', resolvedAt: null, reopenedCount: before.reopenedCount + (back ? 1 : 0), waived,
        };
        rows.push(state);
      }
    }
    return age(f, { firstSeenAt: state.firstSeenAt, escalatedAt: state.escalatedAt, escalatedFrom: state.escalatedFrom, reopenedCount: state.reopenedCount, lifecycle });
  });

  // The earlier findings this run did not see: escalated away, resolved (looked for), or unverified.
  const look = lookedAt(current);
  const resolved: ResolvedFinding[] = [];
  const resolutions: Resolution[] = [];
  const open = zero();
  const unverifiedIds: string[] = [];
  for (const s of goneOpen) {
    if (escalatedAway.has(s.id)) {
      rows.push({ ...s, status: 'escalated' });
      continue;
    }
    if (looked(look(s, optionsOf.get(s.lastRunId) ?? current.run.options))) {
      const daysToFix = wholeDays(age.msOf(s.firstSeenAt), asOfMs);
      rows.push({ ...s, status: 'resolved', resolvedAt: asOf });
      resolutions.push({ findingId: s.id, runId, severity: s.severity, daysToFix });
      resolved.push({
        id: s.id, ruleId: s.ruleId, severity: s.severity, accountId: s.accountId, region: s.region, instanceId: s.instanceId, imageId: s.imageId, message: s.message,
        ...(s.resource ? { resource: s.resource } : {}), firstSeenAt: s.firstSeenAt, resolvedAt: asOf, daysToFix,
      });
    } else {
      unverifiedIds.push(s.id);
      if (!s.waived) open[s.severity] += 1;
    }
  }
  resolved.sort(compareFindings);

  for (const f of findings) if (!f.waiver) open[f.severity] += 1;
  const days: Record<Severity, number[]> = Object.fromEntries(SEVERITIES.map((s) => [s, []])) as unknown as Record<Severity, number[]>;
  for (const r of prior.resolutions) for (let k = r.count ?? 1; k > 0; k--) days[r.severity]?.push(r.daysToFix);
  for (const r of resolutions) days[r.severity]?.push(r.daysToFix);
  const run: RunSummary = { id: runId, asOf, status: input.status, filters: current.run.options?.filters ?? [], open };
  const last = prior.runs.at(-1);
  const history: ReportHistory = {
    runsBefore: prior.runs.length,
    previousRun: last ? { runId: last.id, asOf: last.asOf } : null,
    sla: { ...sla },
    ...overdueOf(findings),
    trend: [...prior.runs, run].map((r) => ({ runId: r.id, asOf: r.asOf, status: r.status, open: { ...r.open } })),
    medianDaysToFix: Object.fromEntries(SEVERITIES.map((s) => [s, median(days[s])])) as Record<Severity, number | null>,
    resolved,
    unverified: unverifiedIds.length,
  };
  return { findings, history, rows: { run, findings: rows, touched, unverified: unverifiedIds, resolutions } };
}

/** The scope statuses of a run, for the store: one per account x region, the worse status where a scope has two entries. */
export function coverageRows(coverage: readonly { accountId: string; region: string; status: ScopeStatus }[]): { accountId: string; region: string; status: ScopeStatus }[] {
  const out = new Map<string, { accountId: string; region: string; status: ScopeStatus }>();
  for (const c of coverage) {
    const k = `${c.accountId}|${c.region}`;
    const had = out.get(k);
    if (!had || STATUS_RANK[c.status] > STATUS_RANK[had.status]) out.set(k, { accountId: c.accountId, region: c.region, status: c.status });
  }
  return [...out.values()].sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.region, b.region));
}

/** The history after a run: what the store holds once `rows` are saved (for callers that keep it in memory, and the tests). */
export function nextPrior(prior: PriorHistory, rows: HistoryOutcome['rows']): PriorHistory {
  const findings = new Map(prior.findings);
  for (const id of rows.touched) {
    const f = findings.get(id)!;
    findings.set(id, { ...f, lastSeenAt: rows.run.asOf, lastRunId: rows.run.id, runsSeen: f.runsSeen + 1 });
  }
  for (const f of rows.findings) findings.set(f.id, f);
  return { runs: [...prior.runs, rows.run], findings, resolutions: [...prior.resolutions, ...rows.resolutions] };
}

/** A history with nothing recorded. */
export const EMPTY_HISTORY: PriorHistory = Object.freeze({ runs: [], findings: new Map(), resolutions: [] });

/** A finding of a saved report as its history left it: where it is (to pair escalations) and its sighting. */
export interface CarriedFinding extends Sighting, FindingKeys {
  resource?: FindingResource;
}

/** What saved reports written with a run history carry: their findings' first sight and escalation, and their history section. */
export interface CarriedHistory {
  /** The saved run whose history section is carried (the latest as-of where several carry one). */
  runId: string;
  asOf: string;
  findings: ReadonlyMap<string, CarriedFinding>;
  history: ReportHistory;
}

/**
 * What one saved report carries (null: it has none: a version 1 or 2 report, or one written with
 * --no-history). The escalation of a finding written before `escalatedAt` existed is told from
 * what the report does hold: escalated in that run (its as-of), else its due date less the SLA of
 * its severity the report was judged by, else that run's as-of (the latest it can have been).
 */
export function carriedOf(report: Pick<Report, 'run' | 'findings' | 'history'>): CarriedHistory | null {
  const h = report.history;
  if (!h) return null;
  const asOf = report.run.asOf;
  const findings = new Map<string, CarriedFinding>();
  for (const f of report.findings) {
    if (typeof f.firstSeenAt !== 'string' || parseInstantMs(f.firstSeenAt) === null) continue;
    let escalatedAt: string | null = null;
    if (f.escalatedFrom) {
      const days = h.sla?.[f.severity];
      escalatedAt = f.escalatedAt ?? (f.lifecycle === 'escalated' ? asOf
        : typeof f.dueAt === 'string' && typeof days === 'number' && parseInstantMs(f.dueAt) !== null ? iso(ms(f.dueAt) - days * DAY_MS) : asOf);
    }
    findings.set(f.id, {
      id: f.id, ruleId: f.ruleId, severity: f.severity, accountId: f.accountId, region: f.region, instanceId: f.instanceId, imageId: f.imageId,
      ...(f.resource ? { resource: f.resource } : {}),
      firstSeenAt: f.firstSeenAt, escalatedAt, escalatedFrom: f.escalatedFrom ?? null, reopenedCount: f.reopenedCount ?? 0, lifecycle: f.lifecycle ?? 'open',
    });
  }
  return { runId: report.run.id, asOf, findings, history: h };
}

/**
 * What several saved reports carry together (report --input of more than one): every finding's,
 * the one of the latest as-of where two hold the same finding; the history section of the latest
 * as-of (the run id breaks a tie). Null when none carries anything.
 */
export function combineCarried(list: readonly (CarriedHistory | null)[]): CarriedHistory | null {
  const have = list.filter((c): c is CarriedHistory => c !== null).sort((a, b) => cmp(a.asOf, b.asOf) || cmp(a.runId, b.runId));
  if (have.length <= 1) return have[0] ?? null;
  const findings = new Map<string, CarriedFinding>();
  for (const c of have) for (const [id, f] of c.findings) findings.set(id, f);
  const last = have.at(-1)!;
  return { runId: last.runId, asOf: last.asOf, findings, history: last.history };
}

/**
 * A saved report re-evaluated without a run history (report --input ... --as-of): its findings
 * keep the first sight, escalation, lifecycle and reopened count the history gave them, and their
 * ages, deadlines and overdue are those of the new as-of under the SLA given now (the one
 * implementation: ager). Re-evaluation at a later as-of may make a finding the saved run did not
 * have: one that replaces a saved finding on the same instance and AMI (a deprecation date
 * passed) is escalated at this as-of and aged from the saved finding's first sight, as a
 * recorded run would make it; any other is new as of this as-of. The run's history section (runs
 * before, trend, resolutions, median days to fix, unverified) is the saved one; the SLA and the
 * overdue counts are this evaluation's. Nothing is resolved: a re-evaluation looks at nothing new.
 */
export function carryHistory(input: { findings: readonly Finding[]; asOf: string; sla: Sla; carried: CarriedHistory }): { findings: Finding[]; history: ReportHistory } {
  const { carried, asOf, sla } = input;
  const age = ager(asOf, sla);
  const now = new Set(input.findings.map((f) => f.id));
  const fresh = input.findings.filter((f) => !carried.findings.has(f.id));
  const gone = [...carried.findings.values()].filter((c) => !now.has(c.id));
  const escalationOf = new Map<string, CarriedFinding>();
  for (const p of pairEscalations(fresh, gone)) escalationOf.set(p.to.id, p.from);
  const findings = input.findings.map((f): Finding => {
    const c = carried.findings.get(f.id);
    if (c) return age(f, c);
    const from = escalationOf.get(f.id);
    return age(f, from
      ? { firstSeenAt: from.firstSeenAt, escalatedAt: asOf, escalatedFrom: { id: from.id, ruleId: from.ruleId, severity: from.severity, firstSeenAt: from.firstSeenAt }, reopenedCount: 0, lifecycle: 'escalated' }
      : { firstSeenAt: asOf, escalatedAt: null, escalatedFrom: null, reopenedCount: 0, lifecycle: 'new' });
  });
  const h = carried.history;
  const history: ReportHistory = {
    runsBefore: h.runsBefore,
    previousRun: h.previousRun ? { ...h.previousRun } : null,
    sla: { ...sla },
    ...overdueOf(findings),
    trend: h.trend.map((t) => ({ ...t, open: { ...t.open } })),
    medianDaysToFix: { ...h.medianDaysToFix },
    resolved: h.resolved.map((r) => ({ ...r })),
    unverified: h.unverified,
  };
  return { findings, history };
}
