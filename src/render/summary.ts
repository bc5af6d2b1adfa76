/** Shared views of a report for the text renderers: coverage gaps and headline counts. */
import type { CoverageEntry, DiffChange, DiffUnverified, Report, ReportDiff } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { cmp } from '../rules/engine.js';

export function coverageGaps(report: Report): CoverageEntry[] {
  return report.coverage.filter((c) => c.status !== 'ok');
}

export function gapText(c: CoverageEntry): string {
  if (c.status === 'skipped') return `skipped: ${c.reason ?? 'no reason given'}`;
  return `${c.status}: ${c.errorCode ?? 'error'}${c.errorMessage ? ` (${c.errorMessage})` : ''}`;
}

export const SEVERITIES_DESC = [...SEVERITIES].reverse();

/** Why a baseline finding that is gone is unverified, not resolved: its scope's status in each run. */
export function unverifiedWhy(u: DiffUnverified, thisRun = 'this run'): string {
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

/** The one-line count of a diff, every bucket, in the same words everywhere. */
export function diffCounts(d: ReportDiff): string {
  const c = d.counts;
  return `${c.new} new, ${c.resolved} resolved, ${c.unverified} unverified, ${c.changed} changed, ${c.unchanged} unchanged`;
}

export const UNVERIFIED_MEANS = 'gone, but their scope was not fully checked in both runs: not resolved';
