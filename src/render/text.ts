/** The short summary printed on stdout at the end of every run: a terminal, a cron mail. */
import { whatIfLine, whatIfNotEvaluated, whatIfReasonShort } from './whatif.js';
import type { CoverageGap, DiffEntry, ImagePlanEntry, Report, ReportDiff, Severity } from '../model/types.js';
import { failingFindings } from '../report/build.js';
import { accountIndex, isAccountState, type AccountIndex } from './accounts.js';
import { termSafe } from './sanitize.js';
import { ownedPlanUsage, type OwnedPlanUsage } from './owned.js';
import { asOfMsOf, successorLines } from './successor.js';
import {
  changeText, diffCounts, diffSides, diffSubjects, elideMiddle, escalationText, flaggedImages, gapHead, gapWhere, groupedGaps, listSome, num, overdueSeverities, overdueText, planInstances, plural, ruleShares, SEVERITIES_DESC, UNVERIFIED_MEANS, unverifiedByScope, unverifiedWhy,
} from './summary.js';

/** Scopes the what-if did not evaluate named on the terminal (the -whatif.csv names them all). */
const WHATIF_SCOPES = 3;

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
function imageLine(e: ImagePlanEntry, owned: OwnedPlanUsage | null): string {
  // an owned AMI's findings are about the AMI, not instances: its consumers (or where to find them) instead of 0 instances
  const where = owned ? owned.text : `${planInstances(e)}, ${plural(e.accounts.length, 'account')}, ${plural(e.regions.length, 'region')}`;
  const rules = e.rules.map((r) => termSafe(r.ruleId, 40)).join(', ');
  const name = e.name ? `  ${termSafe(e.name, 60)}` : '';
  return `    ${String(e.priority).padStart(3)}  ${e.worstSeverity.padEnd(8)} ${termSafe(e.imageId ?? '(unknown AMI)', 40).padEnd(21)}  ${where}; ${rules}${name}`;
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
    // an owned AMI (ami-audit images) is the subject of its findings, not a resource that references one
    if (!f.resource || f.waiver || f.resource.type === 'ec2:Image') continue;
    if (!f.resource.usedBy.length) others += 1;
    for (const g of f.resource.usedBy) groups.set(`${f.accountId}\u0000${f.region}\u0000${g}`, g);
  }
  if (!groups.size && !others) return null;
  const names = [...new Set(groups.values())].map((g) => termSafe(g, 60));
  const asg = groups.size ? `${plural(groups.size, 'Auto Scaling group')} will relaunch flagged AMIs (${listSome(names, MAX_GROUPS)})` : '';
  const rest = others ? `${plural(others, 'other resource')} (launch templates, SSM parameters, recipes) still reference${others === 1 ? 's' : ''} flagged AMIs` : '';
  return `  references  ${[asg, rest].filter(Boolean).join('; ')}`;
}

/** AMIs named on a rule's line. */
const RULE_IMAGES = 3;

/**
 * A line per rule with unwaived findings: how many, on how many AMIs, and its first AMIs in plan
 * order with their place in the plan; so a deprecated, deregistered or disabled AMI is named here
 * even when the first places of the plan go to other rules.
 */
function ruleLines(report: Report): string[] {
  const shares = ruleShares(report);
  if (!shares.length) return [];
  const width = Math.max(...shares.map((r) => Math.min(40, r.ruleId.length)));
  return ['  by rule (unwaived findings, AMIs, the first AMIs of the plan)', ...shares.map((r) => {
    const first = r.images.slice(0, RULE_IMAGES).map((e) => `#${e.priority} ${termSafe(e.imageId ?? '(unknown AMI)', 40)}`);
    const more = r.images.length > first.length ? `, +${num(r.images.length - first.length)} more` : '';
    return `    ${termSafe(r.ruleId, 40).padEnd(width)}  ${num(r.findings).padStart(9)} on ${plural(r.images.length, 'AMI')}: ${first.join(', ')}${more}`;
  })];
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

/**
 * The verdict on one line: the run's status and as-of; both facts on one line, so that a partial
 * run (exit 3) with findings at or above --fail-on says so.
 */
function verdictLine(report: Report, failOn: Severity | undefined): string {
  const failing = failOn ? `; ${failingFindings(report, failOn).length} unwaived findings at or above ${failOn}` : '';
  return `ami-audit ${termSafe(report.tool.version, 40)}: run ${report.run.status.toUpperCase()} as of ${report.run.asOf}${failing}`;
}

/** The files written, one a line. */
const wroteLines = (files: string[]): string[] => files.map((f) => `  wrote  ${termSafe(f, 400)}`);

/** What --quiet prints (a cron log's line per run): the verdict and the files written. */
export function renderQuietSummary(report: Report, files: string[] = [], opts: Pick<SummaryOptions, 'failOn'> = {}): string {
  return [verdictLine(report, opts.failOn), ...wroteLines(files)].join('\n') + '\n';
}

export function renderTextSummary(report: Report, files: string[] = [], opts: SummaryOptions = {}): string {
  const s = report.summary;
  const accounts = accountIndex(report);
  const maxGaps = opts.maxGaps ?? 10;
  const maxImages = opts.maxImages ?? 5;
  const lines: string[] = [];
  lines.push(verdictLine(report, opts.failOn));
  lines.push(`  scopes  ${num(s.scopes.total)} total: ${num(s.scopes.ok)} ok, ${num(s.scopes.partial)} partial, ${num(s.scopes.error)} error, ${num(s.scopes.skipped)} skipped`);
  lines.push(`  instances  ${num(s.instancesScanned)} scanned, ${num(s.instancesEvaluated)} evaluated`);
  lines.push('  findings (unwaived)');
  for (const sev of SEVERITIES_DESC) if (sev !== 'info' || s.bySeverity.info) lines.push(`    ${sev.padEnd(9)}${num(s.bySeverity[sev]).padStart(9)}`);
  lines.push(`    ${'waived'.padEnd(9)}${num(s.findingsWaived).padStart(9)}`);
  lines.push(...ruleLines(report));
  // the AMIs with unwaived findings, counted as the Markdown counts them
  // with a run history only: how many are past their SLA, and the oldest of them
  const h = report.history;
  if (h) {
    const bySev = overdueSeverities(h);
    lines.push(`  ${overdueText(h)}${bySev ? ` (${bySev})` : ''}`);
  }
  const images = flaggedImages(report);
  if (images.length) {
    const waivedOnly = (report.images ?? []).length - images.length;
    lines.push(`  fix first  ${images.length > maxImages ? `${maxImages} of ${num(images.length)} AMIs` : plural(images.length, 'AMI')} with unwaived findings${waivedOnly ? ` (+${num(waivedOnly)} with waived findings only)` : ''}, in priority order`);
    const owned = ownedPlanUsage(report);
    for (const e of images.slice(0, maxImages)) {
      lines.push(imageLine(e, owned(e)));
      // --successors: what to replace it with, per region
      for (const l of successorLines(e, asOfMsOf(report))) lines.push(`           ${termSafe(l.regions, 80)}: ${termSafe(l.text, 240)}`);
    }
  }
  const relaunch = relaunchLine(report);
  if (relaunch) lines.push(relaunch);
  if (report.whatIf) {
    // the scopes it could not judge, named on the same line (those not audited are in the coverage gaps)
    const not = whatIfNotEvaluated(report.whatIf);
    const shown = not.slice(0, WHATIF_SCOPES).map((x) => `${x.accountId} ${x.region} (${whatIfReasonShort(x.reason)})`);
    const named = not.length ? `; not evaluated: ${shown.join(', ')}${not.length > shown.length ? ` and ${num(not.length - shown.length)} more (the -whatif.csv names them all)` : ''}` : '';
    lines.push(`  if Allowed AMIs were enabled  ${termSafe(whatIfLine(report.whatIf), 400)}${termSafe(named, 400)}`);
  }
  const d = report.diff;
  if (d) {
    const sides = diffSides(d, report.run);
    lines.push(`  vs baseline  ${diffCounts(d)}`);
    lines.push(`    runs  ${termSafe(sides.baseline, 160)} → ${termSafe(sides.current, 160)}`);
    const escalated = d.escalated ?? [];
    if (escalated.length) {
      const subject = diffSubjects(report);
      for (const e of escalated.slice(0, maxGaps)) lines.push(`    escalated: ${termSafe(escalationText(e), 100)} on ${termSafe(subject(e).label, 100)} (${termSafe(accounts.label(e.accountId), 100)} ${termSafe(e.region, 30)})`);
      if (escalated.length > maxGaps) lines.push(`    ... ${escalated.length - maxGaps} more escalations in the report`);
    }
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
  lines.push(...wroteLines(files));
  return lines.join('\n') + '\n';
}

/** One side of `ami-audit diff`: the run of a saved report. */
export interface DiffSide { id: string; startedAt: string; asOf: string }

/**
 * `ami-audit diff <old> <new>` as text: the counts, each side's run id, start and as-of, then a
 * line per finding of every bucket but unchanged (escalations as their own bucket, from which rule
 * to which) and per scope only in one report. Every string from the reports goes through termSafe.
 */
export function renderDiffText(d: ReportDiff, before: DiffSide, after: DiffSide): string {
  const t = (v: unknown, max = 40): string => termSafe(v, max);
  const row = (label: string, f: DiffEntry, extra = ''): string =>
    `  ${label.padEnd(11)}${t(f.severity, 8).padEnd(9)}${t(f.ruleId, 18).padEnd(19)}${t(f.accountId, 20)} ${t(f.region, 30).padEnd(15)} ${t(f.instanceId, 40).padEnd(20)} ${t(f.imageId ?? '', 40)}${extra ? `  (${extra})` : ''}`;
  const c = d.counts;
  const lines = [
    `ami-audit diff: ${diffCounts(d)}`,
    `  old  run ${t(before.id, 80)} started ${t(before.startedAt)}, as of ${t(before.asOf)}`,
    `  new  run ${t(after.id, 80)} started ${t(after.startedAt)}, as of ${t(after.asOf)}`,
  ];
  if (c.unverified) lines.push(`  ${c.unverified} unverified: gone from the new report, but the new run could not check them (their scope was not ok in one of the two runs, or the run did not look), so they are not resolved (the reason is on each line)`);
  if (c.escalated) lines.push(`  ${c.escalated} escalated: the same instance on the same AMI moved to a worse rule; neither resolved nor new`);
  for (const f of d.new) lines.push(row('new', f));
  for (const f of d.escalated ?? []) lines.push(row('escalated', f, t(escalationText(f), 100)));
  for (const f of d.changed) lines.push(row('changed', f, changeText(f)));
  for (const f of d.resolved) lines.push(row('resolved', f));
  for (const f of d.unverified) lines.push(row('unverified', f, unverifiedWhy(f, 'the new run')));
  for (const s of d.scopes.added) lines.push(`  scope added    ${t(s.accountId, 20)} ${t(s.region, 30).padEnd(15)} ${t(s.status, 10)} (only in the new report)`);
  for (const s of d.scopes.removed) lines.push(`  scope removed  ${t(s.accountId, 20)} ${t(s.region, 30).padEnd(15)} ${t(s.status, 10)} (only in the old report: its findings are unverified)`);
  return lines.join('\n') + '\n';
}
