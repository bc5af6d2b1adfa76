/** The short summary printed on stdout at the end of every run: a terminal, a cron mail. */
import type { CoverageGap, ImagePlanEntry, Report, Severity } from '../model/types.js';
import { failingFindings } from '../report/build.js';
import { accountIndex, isAccountState, type AccountIndex } from './accounts.js';
import { termSafe } from './sanitize.js';
import { asOfMsOf, successorLines } from './successor.js';
import {
  diffCounts, elideMiddle, gapHead, gapWhere, groupedGaps, listSome, planInstances, plural, SEVERITIES_DESC, UNVERIFIED_MEANS, unverifiedByScope,
} from './summary.js';

/** Characters of a gap's service message (its middle is elided beyond that: the end says what was refused). */
const GAP_MESSAGE = 200;
/** Instance ids listed on the not-found and unchecked lines. */
const MAX_IDS = 20;
/** Regions named on a gap line before "and N more". */
const GAP_REGIONS = 4;

/**
 * One AMI of the plan on one line: its place, worst severity, id, blast radius and rules; its name
 * (untrusted, of any length) last, so that cutting it loses nothing else.
 */
function imageLine(e: ImagePlanEntry): string {
  const where = `${plural(e.accounts.length, 'account')}, ${plural(e.regions.length, 'region')}`;
  const rules = e.rules.map((r) => termSafe(r.ruleId, 40)).join(', ');
  const name = e.name ? `  ${termSafe(e.name, 60)}` : '';
  return `    ${String(e.priority).padStart(3)}  ${e.worstSeverity.padEnd(8)} ${termSafe(e.imageId ?? '(unknown AMI)', 40).padEnd(21)}  ${planInstances(e)}, ${where}; ${rules}${name}`;
}

/**
 * One grouped gap on one line, the useful part first: account (with its name), what failed, where,
 * the hint; then the service's message, elided in its middle (never cut at its end, which says what
 * was refused).
 */
function gapLine(g: CoverageGap, accounts: AccountIndex): string {
  const message = g.message ? `  (${elideMiddle(termSafe(g.message, Infinity).replace(/\s+/g, ' '), GAP_MESSAGE)})` : '';
  return `    ${termSafe(accounts.label(g.accountId), 100)}  ${termSafe(gapHead(g), 120)} ${termSafe(gapWhere(g, GAP_REGIONS), 200)} — ${termSafe(g.hint, 300)}${message}`;
}

/** Auto Scaling groups named on the relaunch line before "and N more". */
const MAX_GROUPS = 5;

/**
 * The Auto Scaling groups whose next scale-out launches a flagged AMI (the unwaived findings about
 * a launch template they launch from), on one line; null when there is none. A group is counted
 * once per account and region.
 */
function relaunchLine(report: Report): string | null {
  const groups = new Map<string, string>();
  let others = 0;
  for (const f of report.findings) {
    if (!f.resource || f.waiver) continue;
    if (!f.resource.usedBy.length) others += 1;
    for (const g of f.resource.usedBy) groups.set(`${f.accountId}\u0000${f.region}\u0000${g}`, g);
  }
  if (!groups.size && !others) return null;
  const names = [...new Set(groups.values())].map((g) => termSafe(g, 60));
  const asg = groups.size ? `${plural(groups.size, 'Auto Scaling group')} will relaunch flagged AMIs (${listSome(names, MAX_GROUPS)})` : '';
  const rest = others ? `${plural(others, 'other resource')} (launch templates, SSM parameters, recipes) still reference${others === 1 ? 's' : ''} flagged AMIs` : '';
  return `  references  ${[asg, rest].filter(Boolean).join('; ')}`;
}

export interface SummaryOptions {
  /** Coverage gaps and unverified scopes listed before "... more" (default 10). */
  maxGaps?: number;
  /** AMIs of the plan listed (default 5). */
  maxImages?: number;
  /** --fail-on: the headline states how many unwaived findings are at or above it, beside the run status. */
  failOn?: Severity;
  /** Print run.warnings (clock skew, deadline, how a re-evaluation was made) as `warning` lines. */
  warnings?: boolean;
}

export function renderTextSummary(report: Report, files: string[] = [], opts: SummaryOptions = {}): string {
  const s = report.summary;
  const accounts = accountIndex(report);
  const maxGaps = opts.maxGaps ?? 10;
  const maxImages = opts.maxImages ?? 5;
  const lines: string[] = [];
  // Both facts on one line: a partial run (exit 3) with findings at or above --fail-on says so.
  const failing = opts.failOn ? `; ${failingFindings(report, opts.failOn).length} unwaived findings at or above ${opts.failOn}` : '';
  lines.push(`ami-audit ${termSafe(report.tool.version, 40)}: run ${report.run.status.toUpperCase()} as of ${report.run.asOf}${failing}`);
  lines.push(`  scopes  ${s.scopes.total} total: ${s.scopes.ok} ok, ${s.scopes.partial} partial, ${s.scopes.error} error, ${s.scopes.skipped} skipped`);
  lines.push(`  instances  ${s.instancesScanned} scanned, ${s.instancesEvaluated} evaluated`);
  lines.push('  findings (unwaived)');
  for (const sev of SEVERITIES_DESC) if (sev !== 'info' || s.bySeverity.info) lines.push(`    ${sev.padEnd(9)}${String(s.bySeverity[sev]).padStart(7)}`);
  lines.push(`    ${'waived'.padEnd(9)}${String(s.findingsWaived).padStart(7)}`);
  const images = report.images ?? [];
  if (images.length) {
    lines.push(`  fix first  ${images.length > maxImages ? `${maxImages} of ${images.length} AMIs` : plural(images.length, 'AMI')} of the plan, in priority order`);
    for (const e of images.slice(0, maxImages)) {
      lines.push(imageLine(e));
      // --successors: what to replace it with, per region
      for (const l of successorLines(e, asOfMsOf(report))) lines.push(`           ${termSafe(l.regions, 80)}: ${termSafe(l.text, 240)}`);
    }
  }
  const relaunch = relaunchLine(report);
  if (relaunch) lines.push(relaunch);
  const d = report.diff;
  if (d) {
    lines.push(`  vs baseline  ${diffCounts(d)}`);
    if (d.counts.unverified) {
      lines.push(`    unverified  ${d.counts.unverified} ${UNVERIFIED_MEANS}`);
      const groups = unverifiedByScope(d);
      for (const g of groups.slice(0, maxGaps)) lines.push(`      ${termSafe(g.accountId, 20)} ${termSafe(g.region, 30).padEnd(15)} ${String(g.count).padStart(5)}  ${g.why}`);
      if (groups.length > maxGaps) lines.push(`      ... ${groups.length - maxGaps} more scopes in the report`);
    }
    if (d.scopes.added.length || d.scopes.removed.length) lines.push(`    scopes  ${d.scopes.added.length} added, ${d.scopes.removed.length} removed since the baseline`);
  }
  const gaps = groupedGaps(report, 'failures');
  if (gaps.length) {
    lines.push(`  coverage gaps (${gaps.length})`);
    for (const g of gaps.slice(0, maxGaps)) lines.push(gapLine(g, accounts));
    if (gaps.length > maxGaps) lines.push(`    ... ${gaps.length - maxGaps} more in the coverage report`);
  }
  // Accounts not ACTIVE in AWS Organizations were not audited at all: named, with their state.
  const notActive = new Map<string, string>();
  for (const c of report.coverage) if (c.status === 'skipped' && isAccountState(c.reason) && !notActive.has(c.accountId)) notActive.set(c.accountId, c.reason!);
  if (notActive.size) {
    const list = [...notActive].map(([id, state]) => `${termSafe(accounts.label(id), 100)} ${termSafe(state, 30)}`);
    lines.push(`  skipped  ${plural(notActive.size, 'account')} not ACTIVE in AWS Organizations, not audited: ${list.slice(0, maxGaps).join(', ')}${list.length > maxGaps ? `, and ${list.length - maxGaps} more in the coverage report` : ''}`);
  }
  const skippedScopes = report.coverage.filter((c) => c.status === 'skipped' && !isAccountState(c.reason));
  if (skippedScopes.length) {
    // grouped by region and reason, so that the skipped regions are named
    const groups = new Map<string, { region: string; reason: string; accounts: number }>();
    for (const c of skippedScopes) {
      const key = `${c.region}\u0000${c.reason ?? ''}`;
      const g = groups.get(key) ?? { region: c.region, reason: c.reason ?? 'no reason given', accounts: 0 };
      g.accounts += 1;
      groups.set(key, g);
    }
    const list = [...groups.values()];
    lines.push(`  skipped  ${plural(skippedScopes.length, 'scope')}: ${list.slice(0, maxGaps).map((g) => `${termSafe(g.region, 30)} ${termSafe(g.reason, 30)} (${g.accounts} account${g.accounts === 1 ? '' : 's'})`).join(', ')}${list.length > maxGaps ? `, and ${list.length - maxGaps} more in the coverage report` : ''}`);
  }
  const ids = (xs: string[]) => `${xs.slice(0, MAX_IDS).map((i) => termSafe(i, 40)).join(' ')}${xs.length > MAX_IDS ? ` and ${xs.length - MAX_IDS} more in the report` : ''}`;
  if (report.notFoundInstanceIds.length) lines.push(`  not found  ${ids(report.notFoundInstanceIds)}`);
  if (report.uncheckedInstanceIds?.length) lines.push(`  unchecked  ${ids(report.uncheckedInstanceIds)} (not found, but some scopes could not be checked)`);
  if (opts.warnings) for (const w of report.run.warnings ?? []) lines.push(`  warning  ${termSafe(w, 400)}`);
  if (s.waiversUnmatched) lines.push(`  waivers  ${s.waiversUnmatched} matched nothing (clean them up)`);
  for (const f of files) lines.push(`  wrote  ${termSafe(f, 400)}`);
  return lines.join('\n') + '\n';
}
