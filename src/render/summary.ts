/** Shared views of a report for the text renderers: coverage gaps and headline counts. */
import type { CoverageEntry, CoverageGap, DiffChange, DiffUnverified, ImagePlanEntry, Report, ReportDiff, ScopeFailure } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { cmp } from '../rules/engine.js';
import { plural } from '../rules/dates.js';

export function coverageGaps(report: Report): CoverageEntry[] {
  return report.coverage.filter((c) => c.status !== 'ok');
}

/** The parts of a scope that failed (absent in reports written before the field existed). */
export function failuresOf(c: CoverageEntry): ScopeFailure[] {
  return c.failures ?? [];
}

/** What failed, without the message: the action (none for the run's own stop) and the code. */
export function failureHead(f: ScopeFailure): string {
  return f.action && f.action !== 'Run' ? `${f.action} ${f.code}` : f.code;
}

/** A failure's message without the action it often repeats at its start ("GetAllowedImagesSettings: ..."). */
export function failureMessage(f: ScopeFailure): string {
  const m = f.message ?? '';
  for (const prefix of [`${f.action}: `, `${f.action} `]) if (f.action && m.startsWith(prefix)) return m.slice(prefix.length);
  return m;
}

/** `action:code` of every failure, for one CSV cell. */
export function failureCodes(c: CoverageEntry): string {
  return failuresOf(c).map((f) => (f.action && f.action !== 'Run' ? `${f.action}:${f.code}` : f.code)).join('; ');
}

/**
 * Keeps a long message readable within `max` characters by eliding its middle, not its end: the
 * end of an AWS error ("... is not authorized to perform: sts:AssumeRole on resource: ...") says
 * what was refused.
 */
export function elideMiddle(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  const head = Math.ceil((max - 1) * 0.4);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (max - 1 - head)).join('')}`;
}

/** What a partial scope did read, beside what failed. */
function readText(c: CoverageEntry): string {
  return `${c.instanceCount} instance${c.instanceCount === 1 ? '' : 's'} read`;
}

/** The cell of the coverage matrix, short: an error's code; for a partial scope, that it is partial, what failed and what it read. */
export function gapCell(c: CoverageEntry): string {
  const heads = failuresOf(c).map(failureHead);
  if (c.status === 'partial') return `partial: ${heads.length ? heads.join(', ') : c.errorCode ?? 'unknown'}; ${readText(c)}`;
  return c.errorCode ?? failuresOf(c)[0]?.code ?? c.status;
}

/**
 * One scope's gap in words, the useful part first: its status, then for every failure the action
 * and code, then the message (each message at most `maxMessage` characters, elided in the middle).
 */
export function gapText(c: CoverageEntry, maxMessage = Infinity): string {
  if (c.status === 'skipped') return `skipped: ${c.reason ?? 'no reason given'}`;
  const msg = (m: string) => (m ? ` (${elideMiddle(m, maxMessage)})` : '');
  const failures = failuresOf(c);
  const status = c.status === 'partial' ? `partial, ${readText(c)}` : c.status;
  if (failures.length === 0) return `${status}: ${c.errorCode ?? 'error'}${msg(c.errorMessage ?? '')}`;
  return `${status}: ${failures.map((f) => `${failureHead(f)}${msg(failureMessage(f))}`).join('; ')}`;
}

/** What a gap means for the findings: nothing checked (error), or what is missing (partial). */
export function gapMeaning(c: CoverageEntry): string {
  if (c.status === 'error') return 'nothing was checked';
  if (c.status !== 'partial') return '';
  const failures = failuresOf(c);
  if (failures.length > 0 && failures.every((f) => f.action === 'GetAllowedImagesSettings')) {
    return `all ${c.instanceCount} instances were listed and evaluated; only the Allowed AMIs state is unknown, so whether not-allowed AMIs are enforced there is unknown`;
  }
  return `${c.instanceCount} instances were read and evaluated; the rest could not be listed`;
}

/** The run stopped at its --deadline (the collector's warning, or a scope recorded DeadlineExceeded). */
export function deadlinePassed(report: Report): boolean {
  return (report.run.warnings ?? []).some((w) => w.startsWith("The run's deadline"))
    || report.coverage.some((c) => c.errorCode === 'DeadlineExceeded' || failuresOf(c).some((f) => f.code === 'DeadlineExceeded'));
}

export const SEVERITIES_DESC = [...SEVERITIES].reverse();

/** Why a baseline finding that is gone is unverified, not resolved: its scope's status in each run. */
export function unverifiedWhy(u: DiffUnverified, thisRun = 'this run'): string {
  if (u.notLookedAt === 'instance-ids') return `${thisRun} was narrowed to other instance ids`;
  if (u.notLookedAt === 'filters') return `${thisRun} used other filters`;
  if (u.notLookedAt === 'rule-off') return `the rule is off in ${thisRun}`;
  if (u.scope.current === 'absent') return `scope not in ${thisRun}`;
  if (u.scope.current !== 'ok') return `scope ${u.scope.current} in ${thisRun}`;
  return u.scope.baseline === 'absent' ? 'scope not in the baseline' : `scope ${u.scope.baseline} in the baseline`;
}

/** What changed about a finding present in both runs: severity and/or waiver status. */
export function changeText(c: DiffChange): string {
  const parts: string[] = [];
  if (c.before.severity !== c.after.severity) parts.push(`${c.before.severity} → ${c.after.severity}`);
  if (c.before.waived !== c.after.waived) parts.push(c.after.waived ? 'now waived' : 'no longer waived');
  return parts.join(', ');
}

/** Unverified findings grouped by scope and reason, by account and region. */
export function unverifiedByScope(d: ReportDiff, thisRun = 'this run'): { accountId: string; region: string; why: string; count: number }[] {
  const groups = new Map<string, { accountId: string; region: string; why: string; count: number }>();
  for (const u of d.unverified) {
    const why = unverifiedWhy(u, thisRun);
    const key = `${u.accountId}\u0000${u.region}\u0000${why}`;
    const g = groups.get(key);
    if (g) g.count += 1;
    else groups.set(key, { accountId: u.accountId, region: u.region, why, count: 1 });
  }
  return [...groups.values()].sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.region, b.region) || cmp(a.why, b.why));
}

/** The diff's buckets, in the order every output lists them. */
export const DIFF_BUCKETS = ['new', 'resolved', 'unverified', 'changed', 'unchanged'] as const;

/** The one-line count of a diff, every bucket, in the same words everywhere. */
export function diffCounts(d: ReportDiff): string {
  return DIFF_BUCKETS.map((b) => `${d.counts[b]} ${b}`).join(', ');
}

export type DiffStatus = 'new' | 'changed' | 'unchanged';

/**
 * Where each finding of this run stands against the baseline: `new`, `changed` (with how) or
 * `unchanged`. One place for the CSV's diffStatus column and the HTML's Change column.
 */
export function diffStatusOf(d: ReportDiff): (id: string) => { status: DiffStatus; detail: string } {
  const newIds = new Set(d.new.map((x) => x.id));
  const changed = new Map(d.changed.map((c) => [c.id, changeText(c)]));
  return (id) => {
    if (newIds.has(id)) return { status: 'new', detail: '' };
    const how = changed.get(id);
    return how === undefined ? { status: 'unchanged', detail: '' } : { status: 'changed', detail: how };
  };
}

/** Unverified findings counted by severity, worst first: "5 high, 1 medium". */
export function unverifiedSeverities(d: ReportDiff): string {
  return SEVERITIES_DESC.map((sev) => [sev, d.unverified.filter((u) => u.severity === sev).length] as const)
    .filter(([, n]) => n > 0).map(([sev, n]) => `${n} ${sev}`).join(', ');
}

export const UNVERIFIED_MEANS = 'gone, but the newer run could not check them (their scope was not ok in one of the two runs, or the run did not look): not resolved';

/** The grouped coverage gaps of the model, failures (error, partial) before skipped scopes, each group keeping the model's order. */
export function groupedGaps(report: Report, which: 'all' | 'failures' = 'all'): CoverageGap[] {
  const gaps = report.coverageGaps ?? [];
  const failures = gaps.filter((g) => g.status !== 'skipped');
  return which === 'failures' ? failures : [...failures, ...gaps.filter((g) => g.status === 'skipped')];
}

/** What a grouped gap is, without the hint: `error: AssumeRole AccessDenied`, `skipped: not-enabled`. */
export function gapHead(g: CoverageGap): string {
  return `${g.status}: ${g.action && g.action !== 'Run' ? `${g.action} ` : ''}${g.cause}`;
}

/** At most `max` items, then how many more: `a, b, c and 4 more`. */
export function listSome(items: string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export { plural };

/** Where a grouped gap is: `in us-east-1`, `in 3 regions (a, b, c)`. */
export function gapWhere(g: CoverageGap, maxRegions: number): string {
  const regions = g.regions.length ? g.regions : [];
  if (regions.length === 0) return 'in the account';
  if (regions.length === 1) return `in ${regions[0]}`;
  return `in ${regions.length} regions (${listSome(regions, maxRegions)})`;
}

/** The AMI's owner: alias and id, or either. */
export function planOwner(e: ImagePlanEntry): string {
  if (e.ownerAlias && e.ownerId) return `${e.ownerAlias} (${e.ownerId})`;
  return e.ownerAlias ?? e.ownerId ?? 'unknown owner';
}

/** Affected instances by state: `3 instances (2 running, 1 stopped)`. */
export function planInstances(e: ImagePlanEntry): string {
  const i = e.instances;
  const parts = [`${i.running} running`, ...(i.stopped ? [`${i.stopped} stopped`] : []), ...(i.other ? [`${i.other} other`] : [])];
  return `${plural(i.total, 'instance')} (${parts.join(', ')})`;
}

/** The rules an AMI trips, worst first as the model lists them: `deprecated-ami (high, 3)`. */
export function planRules(e: ImagePlanEntry): string {
  // an AMI whose findings are all waived counts them all: its rules carry no open finding
  return e.rules.map((r) => `${r.ruleId} (${r.severity}, ${e.findings === 0 ? 'waived' : r.findings})`).join(', ');
}

/** Unwaived findings of an AMI, with the waived ones when there are any: `3`, `3 (+1 waived)`. */
export function planFindings(e: ImagePlanEntry): string {
  return `${e.findings}${e.waived ? ` (+${e.waived} waived)` : ''}`;
}
