/**
 * A Markdown summary to paste into a ticket (a GitHub or Jira comment): the verdict, the counts,
 * the AMIs to fix first, the coverage gaps grouped by account and cause, the diff, and a link-free
 * footer. It always fits in MAX_CHARS, whatever the estate's size: every list is capped, and when
 * the capped document is still too long the caps shrink until it fits; whatever is left out is
 * counted where it was left out and in the footer.
 */
import type { CoverageGap, DiffEntry, DiffScope, Finding, ImagePlanEntry, ImageReference, Report, ReportHistory } from '../model/types.js';
import { accountIndex, type AccountIndex } from './accounts.js';
import { mdCell } from './sanitize.js';
import { WHATIF_REASON, whatIfCriteriaText, whatIfLine, whatIfNotEvaluated } from './whatif.js';
import { ownedImagesView, ownedPlanUsage, type OwnedPlanUsage } from './owned.js';
import { controlSummary, controlsByFramework, ruleControls } from './controls.js';
import { asOfMsOf, rolloutLines, rolloutPlan, successorLines } from './successor.js';
import {
  changeText, dayOf, diffCounts, diffSides, diffSubjects, elideMiddle, escalationText, findingSubject, flaggedImages, gapHead, gapWhere, groupedGaps, groupsText, lifecycleText, listSome, medianText, num, overdueSeverities, overdueText, planFindings, planInstances, planOwner, planRules, plural, referenceLabel, ruleShares, SEVERITIES_DESC, trendLine, UNVERIFIED_MEANS, unverifiedWhy,
} from './summary.js';

/** GitHub comments take 65,536 characters, Jira's 32,767 by default; this leaves room for a note around it. */
export const MAX_CHARS = 60_000;

/** How many of each list one rendering shows. */
interface Caps {
  /** Overdue findings listed (with a run history). */
  overdue: number;
  images: number;
  gaps: number;
  diffRows: number;
  scopes: number;
  ids: number;
  warnings: number;
  /** Account ids and regions named in one AMI row or gap line; references and groups named for one AMI. */
  names: number;
}

const CAPS: Caps = { overdue: 20, images: 20, gaps: 60, diffRows: 20, scopes: 20, ids: 50, warnings: 10, names: 5 };

/** Characters of a gap's service message (elided in the middle: its end says what was refused). */
const GAP_MESSAGE = 300;

/** One rendering: its lines and what it left out, by kind. */
class Doc {
  readonly lines: string[] = [];
  readonly omitted = new Map<string, number>();
  push(...l: string[]): void {
    this.lines.push(...l);
  }
  omit(what: string, n: number): void {
    if (n > 0) this.omitted.set(what, (this.omitted.get(what) ?? 0) + n);
  }
}

/**
 * Smaller caps for a rendering that was too long: the diff tables, id lists, scope lists and
 * warnings give way first; the plan and the coverage gaps only once those are at their minimum.
 */
function shrink(c: Caps): Caps {
  const half = (n: number, min: number) => Math.max(min, Math.floor(n / 2));
  if (c.diffRows > 0 || c.ids > 0 || c.scopes > 0 || c.warnings > 1) {
    return { ...c, diffRows: half(c.diffRows, 0), scopes: half(c.scopes, 0), ids: half(c.ids, 0), warnings: half(c.warnings, 1) };
  }
  return { ...c, overdue: half(c.overdue, 3), images: half(c.images, 3), gaps: half(c.gaps, 3), names: half(c.names, 1) };
}

/** `111111111111, 222222222222 and 3 more` (escaped). */
function names(xs: string[], max: number): string {
  return mdCell(listSome(xs, max), 400);
}

/**
 * One table of baseline-diff findings (changed, unverified or resolved): at most `top` rows, with an
 * optional first column saying how or why.
 */
function diffTable<T extends DiffEntry>(doc: Doc, accounts: AccountIndex, subject: (x: DiffEntry) => string, top: number, title: string, what: string, intro: string | null, entries: T[], first?: { head: string; cell: (x: T) => string }): void {
  if (entries.length === 0) return;
  const shown = entries.slice(0, top);
  doc.push('', `## ${title}${entries.length > shown.length ? ` (${shown.length} of ${entries.length})` : ''}`, '');
  if (intro) doc.push(intro, '');
  if (shown.length) {
    const heads = [...(first ? [first.head] : []), 'Severity', 'Rule', 'Account', 'Region', 'Instance or resource', 'AMI'];
    doc.push(`| ${heads.join(' | ')} |`, `|${heads.map(() => '---|').join('')}`);
    for (const x of shown) {
      const cells = [...(first ? [mdCell(first.cell(x), 120)] : []), x.severity, mdCell(x.ruleId, 40), mdCell(accounts.label(x.accountId), 120), mdCell(x.region, 40), mdCell(subject(x), 160), mdCell(x.imageId ?? '', 80)];
      doc.push(`| ${cells.join(' | ')} |`);
    }
  }
  if (entries.length > shown.length) doc.push('', `... and ${entries.length - shown.length} more ${what} findings (the CSV has them all).`);
  doc.omit(`${what} findings`, entries.length - shown.length);
}

/** Where a reference is: `222222222222 us-east-1` (the plan's table names the accounts). */
const whereOf = (r: ImageReference): string => `${r.accountId} ${r.region}`;

/**
 * Under the plan, a line per AMI shown that something references (--references): the Auto Scaling
 * groups that will launch it again, with the launch templates they launch it from, then every
 * other reference; at most `names` of each, then how many more.
 */
function referenceLines(doc: Doc, images: ImagePlanEntry[], c: Caps): void {
  const withRefs = images.filter((e) => e.references?.length);
  if (!withRefs.length) return;
  doc.push('', '### What will launch these AMIs again', '');
  doc.push('Resources that still reference an AMI of the plan (`--references`): replacing its instances does not help while they do.', '');
  for (const e of withRefs) {
    const refs = e.references!;
    const launchers = refs.filter((r) => r.usedBy.length);
    const others = refs.filter((r) => !r.usedBy.length);
    const parts: string[] = [];
    let left = 0;
    if (launchers.length) {
      const shown = launchers.slice(0, c.names);
      left += launchers.length - shown.length;
      const groups = shown.map((r) => `${groupsText(r.usedBy, c.names)} (${referenceLabel(r)}, ${whereOf(r)})`);
      parts.push(`will be launched again by ${groups.join(', ')}${launchers.length > shown.length ? ` and ${launchers.length - shown.length} more references with Auto Scaling groups` : ''}`);
    }
    if (others.length) {
      const shown = others.slice(0, c.names);
      left += others.length - shown.length;
      parts.push(`${launchers.length ? 'also referenced by' : 'referenced by'} ${shown.map((r) => `${referenceLabel(r)} (${whereOf(r)})`).join(', ')}${others.length > shown.length ? ` and ${others.length - shown.length} more references` : ''}`);
    }
    doc.omit('references', left);
    doc.push(`- #${e.priority} ${mdCell(e.imageId ?? '(unknown AMI)', 80)}: ${mdCell(parts.join('; '), 4000)}`);
  }
}

/** The SLA in words: `critical 7 days, high 30 days, medium 90 days, low 120 days` (severities without one left out). */
function slaText(h: ReportHistory): string {
  return SEVERITIES_DESC.filter((s) => typeof h.sla[s] === 'number').map((s) => `${s} ${plural(h.sla[s]!, 'day')}`).join(', ');
}

/**
 * With a run history, the first list: the unwaived findings past their due date, oldest first, at
 * most `top` of them; whatever is left out is counted.
 */
function overdueList(doc: Doc, report: Report, accounts: AccountIndex, top: number): void {
  const h = report.history;
  if (!h) return;
  const overdue = report.findings.filter((f) => f.overdue === true && !f.waiver)
    .sort((a, b) => (b.ageDays ?? 0) - (a.ageDays ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const shown = overdue.slice(0, top);
  doc.push('', `## Overdue${overdue.length ? ` (${shown.length < overdue.length ? `${shown.length} of ` : ''}${plural(overdue.length, 'finding')})` : ''}`, '');
  if (!overdue.length) {
    doc.push(`No unwaived finding is past its due date (first seen + the SLA of its severity: ${slaText(h) || 'none set'}).`);
    return;
  }
  doc.push(`Past their due date (first seen + the SLA of its severity: ${slaText(h) || 'none set'}) and not waived, oldest first.`, '');
  doc.push('| Age (days) | Due | Severity | Rule | Account | Region | Instance or resource | AMI | Lifecycle |', '|---:|---|---|---|---|---|---|---|---|');
  for (const f of shown) doc.push(overdueRow(f, accounts));
  if (overdue.length > shown.length) doc.push('', `... and ${overdue.length - shown.length} more overdue findings (the CSV has them all: column overdue).`);
  doc.omit('overdue findings', overdue.length - shown.length);
}

function overdueRow(f: Finding, accounts: AccountIndex): string {
  const cells = [
    String(f.ageDays ?? ''), mdCell(dayOf(f.dueAt), 20), f.severity, mdCell(f.ruleId, 40), mdCell(accounts.label(f.accountId), 120), mdCell(f.region, 40),
    mdCell(findingSubject(f).label, 160), mdCell(f.imageId ?? '', 80), mdCell(lifecycleText(f), 80),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The history's lines under the run's: overdue, the trend, what was resolved and how fast. */
function historyLines(doc: Doc, h: ReportHistory): void {
  const bySev = overdueSeverities(h);
  doc.push(`- History: ${plural(h.runsBefore, 'earlier run')} recorded${h.previousRun ? `, the last ${mdCell(h.previousRun.runId)} as of ${mdCell(h.previousRun.asOf, 40)}` : ''}; ${overdueText(h)}${bySev ? ` (${bySev})` : ''}`);
  if (h.trend.length) doc.push(`- Trend: ${mdCell(trendLine(h), 600)}`);
  const median = medianText(h);
  doc.push(`- Resolved since the last run: ${h.resolved.length}${median ? `; median days to fix: ${median}` : ''}${h.unverified ? `; ${h.unverified} not looked at by this run (unverified: they keep their age)` : ''}`);
}

/** AMIs named for each rule in the by-rule table. */
const RULE_IMAGES = 3;

/**
 * A row per rule with unwaived findings: how many, on how many AMIs, and its first AMIs in plan
 * order (their place in the plan beside them). Every rule gets its row, so a deprecated,
 * deregistered or disabled AMI is in the ticket even when the plan's first places go to rules
 * with more findings. At most one row per rule: it is never shrunk to fit.
 */
function ruleSection(doc: Doc, report: Report): void {
  const shares = ruleShares(report);
  if (!shares.length) return;
  // "place: AMI", not "#61" (which a ticket system reads as a link to its issue 61)
  const controlsOf = ruleControls(report);
  doc.push('', '| Rule | Worst | Unwaived findings | AMIs | First AMIs (place in the plan: AMI) | Controls |', '|---|---|---:|---:|---|---|');
  for (const r of shares) {
    const first = r.images.slice(0, RULE_IMAGES).map((e) => `${e.priority}: ${mdCell(e.imageId ?? '(unknown AMI)', 80)}${e.name ? ` (${mdCell(e.name, 80)})` : ''}`);
    const more = r.images.length > first.length ? ` and ${num(r.images.length - first.length)} more` : '';
    doc.push(`| ${mdCell(r.ruleId, 40)} | ${r.severity} | ${num(r.findings)} | ${num(r.images.length)} | ${first.join(', ')}${more} | ${mdCell(controlsByFramework(controlsOf(r.ruleId)), 400)} |`);
  }
}

/**
 * The compliance crosswalk: each control the rules map to, with the unwaived findings of its
 * rules by severity (docs/rules/ cites each mapping). A control is listed with 0 when its rules
 * found nothing, so the ticket shows what was checked.
 */
function whatIfSection(doc: Doc, report: Report, c: Caps, accounts: AccountIndex): void {
  const w = report.whatIf;
  if (!w) return;
  doc.push('', '## If Allowed AMIs were enabled', '');
  doc.push(`${mdCell(whatIfLine(w), 600)}. Enabling stops launches from an AMI (relaunch, scale-out, launch templates), not running instances; the account's own AMIs are never refused; undecided means the instance metadata cannot tell (marketplace product codes, watermark filters, a missing owner or name), never allowed.`, '');
  const shown = w.images.slice(0, c.images);
  if (shown.length) {
    doc.push('| Account | AMI | Name | Owner | Verdict | Instances | Launch templates | Regions | Why |', '|---|---|---|---|---|---:|---:|---|---|');
    for (const e of shown) {
      doc.push(`| ${mdCell(accounts.label(e.accountId), 80)} | ${mdCell(e.imageId ?? '(unknown AMI)', 40)} | ${mdCell(e.name ?? '', 80)} | ${mdCell(e.ownerAlias ?? e.ownerId ?? '', 40)} | ${e.verdict} | ${num(e.instances.length)} | ${num(e.launchTemplates.length)} | ${mdCell(e.regions.join(' '), 120)} | ${mdCell(e.why, 300)} |`);
    }
    if (w.images.length > shown.length) doc.push('', `... and ${num(w.images.length - shown.length)} more AMIs (in the JSON report's whatIf and the -whatif.csv).`);
    doc.omit('what-if AMIs', w.images.length - shown.length);
  } else if (w.totals.scopesEvaluated > 0) doc.push(`Nothing would be refused with ${whatIfCriteriaText(w)} where it was evaluated.`);
  const skipped = whatIfNotEvaluated(w);
  if (skipped.length) {
    const list = skipped.slice(0, c.scopes).map((s) => `${mdCell(s.accountId, 40)} ${mdCell(s.region, 40)}: ${WHATIF_REASON[s.reason ?? ''] ?? mdCell(s.reason ?? '', 40)}`);
    doc.push('', `Not evaluated: ${list.join('; ')}${skipped.length > list.length ? `; and ${num(skipped.length - list.length)} more` : ''}.`);
  }
}

/**
 * The publisher view (a report of `ami-audit images`, or any report carrying owned AMIs): the
 * blast radius first, the deprecated AMIs still used, by how many consumer accounts inside and
 * outside the organisation, "consumers unknown" where the usage report did not complete (never
 * "no consumers"); then every owned AMI, in the report's order (the blast radius first). Each
 * table shows at most `images` rows; the rest is counted.
 */
function ownedSection(doc: Doc, report: Report, c: Caps): void {
  const v = ownedImagesView(report);
  if (!v) return;
  doc.push('', `## Your AMIs (${plural(v.total, 'owned AMI')})`, '');
  doc.push('The AMIs the audited accounts own (`ami-audit images`), and who still runs them or names them in a launch template (usage reports).', '');
  const accounts = accountIndex(report);
  const unblocked = report.coverage.filter((x) => x.status !== 'error' && x.status !== 'skipped' && x.imageBlockPublicAccessState === 'unblocked').map((x) => `${accounts.label(x.accountId)} ${x.region}`);
  if (unblocked.length) doc.push(`Image block public access is off (unblocked: an AMI can be made public) in ${names(unblocked, c.names)}.`, '');
  if (v.bpaUnknown.length) doc.push(`Image block public access could not be read in ${names(v.bpaUnknown, c.names)} (see the coverage gaps).`, '');
  const blast = v.rows.filter((r) => r.deprecated && (r.consumerAccounts > 0 || r.usageUnknown));
  const shownBlast = blast.slice(0, c.images);
  doc.push(`### Blast radius${shownBlast.length < blast.length ? ` (${shownBlast.length} of ${num(blast.length)})` : ''}`, '');
  const notAsked = v.deprecatedNotAsked ? ` ${plural(v.deprecatedNotAsked, 'deprecated AMI')} ${v.deprecatedNotAsked === 1 ? 'was' : 'were'} not asked about (no usage report): ${v.deprecatedNotAsked === 1 ? 'its' : 'their'} consumers are not known.` : '';
  if (!blast.length) doc.push(v.deprecatedNotAsked ? `No deprecated AMI is known to be still used, and none has consumers unknown after a usage report.${notAsked}` : 'No deprecated AMI is still used, and no deprecated AMI\'s consumers are unknown.');
  else {
    doc.push('Deprecated AMIs still used, the most consumer accounts first: deregistering or disabling one breaks its consumers\' relaunches, scale-outs and launch templates.', '');
    doc.push('| AMI | Name | Account | Region | Deprecated since | Consumer accounts | In the organisation | Outside it | Instances | Launch templates | Deregistration protection | Who | Usage report |');
    doc.push('|---|---|---|---|---|---:|---:|---:|---:|---:|---|---|---|');
    for (const r of shownBlast) {
      const counts = r.usageUnknown
        ? ['consumers unknown', '?', '?', '?', '?']
        : [num(r.consumerAccounts), num(r.consumerAccounts - r.outside), num(r.outside), num(r.instances), num(r.launchTemplates)];
      const age = r.usageUnknown ? r.usage : r.usageAge ? `report ${r.usageAge}` : '';
      const who = r.usageUnknown ? '?' : r.usage;
      doc.push(`| ${mdCell(r.imageId, 40)} | ${mdCell(r.name, 80)} | ${mdCell(r.account, 80)} | ${mdCell(r.region, 40)} | ${mdCell(r.deprecationTime, 40)} | ${counts.join(' | ')} | ${mdCell(r.protection, 40)} | ${mdCell(who, 600)} | ${mdCell(age, 300)} |`);
    }
    if (blast.length > shownBlast.length) doc.push('', `... and ${num(blast.length - shownBlast.length)} more deprecated AMIs still used or with consumers unknown (the -owned-images.csv has them all).`);
    if (notAsked) doc.push('', notAsked.trim());
    doc.omit('deprecated AMIs still used', blast.length - shownBlast.length);
  }
  const shown = v.rows.slice(0, c.images);
  doc.push('', `### Every owned AMI${shown.length < v.rows.length ? ` (${shown.length} of ${num(v.rows.length)})` : ''}`, '');
  if (!v.rows.length) {
    doc.push('The audited accounts own no AMI where they could be listed (the coverage gaps below say where they could not).');
    return;
  }
  doc.push('| AMI | Name | Account | Region | State | Deprecation | Consumers | Sharing | Deregistration protection | Last launched | Findings |');
  doc.push('|---|---|---|---|---|---|---|---|---|---|---:|');
  for (const r of shown) {
    const consumers = r.usageUnknown ? 'consumers unknown'
      : r.usage.startsWith('not asked') ? 'not asked (no usage report)'
        : `${plural(r.consumerAccounts, 'account')}${r.outside ? ` (${num(r.outside)} outside the organisation)` : ''}, ${plural(r.instances, 'instance')}, ${plural(r.launchTemplates, 'launch template')}`;
    doc.push(`| ${mdCell(r.imageId, 40)} | ${mdCell(r.name, 80)} | ${mdCell(r.account, 80)} | ${mdCell(r.region, 40)} | ${mdCell(r.state, 40)} | ${mdCell(r.deprecationTime, 40)}${r.deprecated ? ' (deprecated)' : ''} | ${mdCell(consumers, 200)} | ${mdCell(r.sharing, 300)} | ${mdCell(r.protection, 40)} | ${mdCell(r.lastLaunchedTime, 40)} | ${num(r.findings)} |`);
  }
  if (v.rows.length > shown.length) doc.push('', `... and ${num(v.rows.length - shown.length)} more owned AMIs (the -owned-images.csv has them all).`);
  doc.omit('owned AMIs', v.rows.length - shown.length);
}

function controlSection(doc: Doc, report: Report): void {
  const rows = controlSummary(report);
  if (!rows.length) return;
  doc.push('', '## Compliance controls', '', 'Unwaived findings of the rules that map to each control (a finding counts under every control of its rule).', '');
  doc.push('| Framework | Control | Findings | Critical | High | Medium | Low | Rules |', '|---|---|---:|---:|---:|---:|---:|---|');
  for (const c of rows) {
    doc.push(`| ${mdCell(c.framework, 60)} | ${mdCell(c.id, 40)}${c.detail ? ` ${mdCell(c.detail, 120)}` : ''} | ${num(c.findings)} | ${num(c.bySeverity.critical)} | ${num(c.bySeverity.high)} | ${num(c.bySeverity.medium)} | ${num(c.bySeverity.low)} | ${c.rules.map((r) => mdCell(r, 40)).join(', ')} |`);
  }
}

/**
 * Under the plan (--successors): what to replace each AMI shown with, per region; then, for the
 * launch templates --references found, the commands that roll the successor out (also in the
 * -rollout.sh file), in a code fence no value can close.
 */
function successorSection(doc: Doc, report: Report, images: ImagePlanEntry[]): void {
  const withSuccessors = images.filter((e) => e.successor && Object.keys(e.successor).length);
  if (!withSuccessors.length) return;
  const asOfMs = asOfMsOf(report);
  doc.push('', '### Replace with', '');
  for (const e of withSuccessors) {
    for (const l of successorLines(e, asOfMs)) doc.push(`- ${e.priority}: ${mdCell(e.imageId ?? '(unknown AMI)', 80)} in ${mdCell(l.regions, 200)}: ${mdCell(l.text, 1000)}`);
  }
  const shown = new Set(images.map((e) => e.imageId));
  const plan = rolloutPlan(report).filter((t) => shown.has(t.fromImageId));
  if (!plan.length) return;
  const text = plan.map((t) => rolloutLines(t).join('\n')).join('\n\n');
  const fence = '`'.repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  doc.push('', 'The commands that roll the successors out through the launch templates found (also written as the `-rollout.sh` file; review them, ami-audit never runs them):', '', `${fence}sh`, text, fence);
}

function verdict(report: Report, failures: CoverageGap[]): string {
  const s = report.summary;
  if (report.run.status === 'complete') return '**Verdict: complete.** Every account and region of the run was checked.';
  const scopes = s.scopes.error + s.scopes.partial;
  const gaps = failures.length
    ? `${plural(failures.length, 'coverage gap')} (${plural(scopes, 'scope')} of ${s.scopes.total} not fully checked)`
    : `${plural(scopes, 'scope')} of ${s.scopes.total} not fully checked`;
  const interrupted = report.run.interrupted ? '; the run was stopped before it finished' : '';
  return `**Verdict: PARTIAL.** ${gaps}${interrupted}: no findings there does not mean no problems there.`;
}

function imageRow(e: ImagePlanEntry, c: Caps, accounts: AccountIndex, owned: OwnedPlanUsage | null): string {
  const cells = [
    String(e.priority), mdCell(e.imageId ?? '(unknown AMI)', 80), mdCell(e.name ?? '', 80), mdCell(planOwner(e, accounts.label), 120), e.worstSeverity,
    mdCell(planRules(e), 400), mdCell(owned ? owned.text : planInstances(e), 120), mdCell(listSome(e.accounts.map(accounts.label), c.names), 600), names(e.regions, c.names), planFindings(e),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** A gap's line: the account with its name and OU path, what failed (or `skipped (SUSPENDED)`), where, the hint, the message. */
function gapLine(g: CoverageGap, c: Caps, accounts: AccountIndex): string {
  const message = g.message ? ` (${mdCell(elideMiddle(g.message.replace(/\s+/g, ' '), GAP_MESSAGE), GAP_MESSAGE * 2)})` : '';
  return `- ${mdCell(accounts.labelWithOu(g.accountId), 300)}: ${mdCell(gapHead(g), 200)} ${mdCell(gapWhere(g, c.names), 400)} — ${mdCell(g.hint, 400)}${message}`;
}

function render(report: Report, c: Caps): Doc {
  const s = report.summary;
  const r = report.run;
  const doc = new Doc();
  const accounts = accountIndex(report);
  const failures = groupedGaps(report, 'failures');
  const images = report.images ?? [];
  // the AMIs with unwaived findings, counted as the terminal and the HTML count them; those whose findings are all waived apart
  const flagged = flaggedImages(report).length;
  const waivedOnly = images.length - flagged;
  doc.push(`# AMI audit: ${plural(s.findingsUnwaived, 'unwaived finding')} on ${plural(flagged, 'AMI')}${waivedOnly ? ` (+${num(waivedOnly)} with waived findings only)` : ''}${r.status === 'partial' ? ' (PARTIAL COVERAGE)' : ''}`, '');
  doc.push(verdict(report, failures), '');
  doc.push(`- Run ${mdCell(r.id)} by ${mdCell(r.caller.arn ?? 'unknown caller')}, started ${mdCell(r.startedAt, 40)}, as of ${mdCell(r.asOf, 40)}; ${mdCell(report.tool.name, 40)} ${mdCell(report.tool.version, 40)}`);
  doc.push(`- Scope: ${num(r.accounts.length)} account(s) x ${num(r.regions.length)} region(s); ${num(s.scopes.ok)} ok, ${num(s.scopes.partial)} partial, ${num(s.scopes.error)} error, ${num(s.scopes.skipped)} skipped`);
  doc.push(`- Instances: ${num(s.instancesScanned)} scanned, ${num(s.instancesEvaluated)} evaluated, ${num(s.instancesTerminatedSkipped)} terminated or shutting down not evaluated`);
  doc.push(`- Waived: ${num(s.findingsWaived)}; waivers that matched nothing: ${num(s.waiversUnmatched)}; expired waivers: ${num(s.waiversExpired)}`);
  const warnings = r.warnings ?? [];
  for (const w of warnings.slice(0, c.warnings)) doc.push(`- Warning: ${mdCell(w, 400)}`);
  if (warnings.length > c.warnings) doc.push(`- ... and ${warnings.length - c.warnings} more warnings (in the JSON report's run.warnings)`);
  doc.omit('warnings', warnings.length - c.warnings);
  if (report.history) historyLines(doc, report.history);
  doc.push('', '| Severity | Unwaived findings |', '|---|---:|');
  for (const sev of SEVERITIES_DESC) doc.push(`| ${sev} | ${num(s.bySeverity[sev])} |`);
  ruleSection(doc, report);

  const d = report.diff;
  if (d) {
    const sides = diffSides(d, r);
    doc.push('', `Compared with baseline ${mdCell(sides.baseline, 200)} → ${mdCell(sides.current, 200)}: ${diffCounts(d)}.${d.counts.unverified ? ` Unverified: ${UNVERIFIED_MEANS}.` : ''}${d.counts.escalated ? ' Escalated: the same instance on the same AMI moved to a worse rule; counted once, neither resolved nor new.' : ''}`);
    const list = (xs: DiffScope[]) => {
      doc.omit('diff scopes', xs.length - c.scopes);
      const shown = xs.slice(0, c.scopes).map((x) => `${mdCell(x.accountId, 40)} / ${mdCell(x.region, 40)} (${x.status})`);
      return xs.length > c.scopes ? `${shown.length ? `${shown.join(', ')}, ... and ` : ''}${xs.length - shown.length} ${shown.length ? 'more' : 'scopes'}` : shown.join(', ');
    };
    if (d.scopes.added.length) doc.push(`Scopes not in the baseline: ${list(d.scopes.added)}.`);
    if (d.scopes.removed.length) doc.push(`Scopes of the baseline not in this run: ${list(d.scopes.removed)}.`);
  }

  overdueList(doc, report, accounts, c.overdue);

  const shownImages = images.slice(0, c.images);
  doc.push('', `## AMIs to fix first${shownImages.length < images.length ? ` (${shownImages.length} of ${num(images.length)})` : ''}`, '');
  if (images.length === 0) doc.push('No AMI has findings.');
  else {
    doc.push('In priority order: worst severity, then running instances affected, then earliest deprecation. Fixing the first removes the most risk.', '');
    doc.push('| # | AMI | Name | Owner | Worst | Rules (severity, findings) | Instances | Accounts | Regions | Findings |');
    doc.push('|---:|---|---|---|---|---|---|---|---|---:|');
    const owned = ownedPlanUsage(report);
    for (const e of shownImages) doc.push(imageRow(e, c, accounts, owned(e)));
    const rest = images.slice(shownImages.length);
    if (rest.length) {
      const findings = rest.reduce((n, e) => n + e.findings, 0);
      const instances = rest.reduce((n, e) => n + e.instances.total, 0);
      doc.push('', `... and ${plural(rest.length, 'more AMI', 'more AMIs')} with ${plural(findings, 'unwaived finding')} on ${plural(instances, 'instance')} (the -images.csv has the whole plan).`);
    }
    doc.omit('AMIs', rest.length);
    referenceLines(doc, shownImages, c);
    successorSection(doc, report, shownImages);
  }

  const owners = report.owners ?? [];
  if (owners.length) {
    const tag = owners[0]!.tag;
    const shownOwners = owners.slice(0, c.images);
    doc.push('', `## By ${mdCell(tag, 60)}${shownOwners.length < owners.length ? ` (${shownOwners.length} of ${owners.length})` : ''}`, '');
    doc.push(`| ${mdCell(tag, 60)} | Findings | Critical | High | Medium | Low | AMIs (plan order) |`, '|---|---:|---:|---:|---:|---:|---|');
    for (const o of shownOwners) {
      doc.push(`| ${o.value === null ? '(untagged)' : mdCell(o.value, 80)} | ${o.findings} | ${o.bySeverity.critical} | ${o.bySeverity.high} | ${o.bySeverity.medium} | ${o.bySeverity.low} | ${names(o.images, c.names)} |`);
    }
    if (owners.length > shownOwners.length) doc.push('', `... and ${owners.length - shownOwners.length} more values of ${mdCell(tag, 60)}.`);
    doc.omit(`values of ${tag}`, owners.length - shownOwners.length);
  }

  ownedSection(doc, report, c);
  whatIfSection(doc, report, c, accounts);
  controlSection(doc, report);

  const all = groupedGaps(report);
  const skippedGroups = all.length - failures.length;
  // the count says what the list holds: failures, and the skipped scopes listed with them
  const counted = [failures.length ? `${failures.length} failed` : '', skippedGroups > 0 && failures.length ? `${skippedGroups} skipped` : ''].filter(Boolean).join(', ');
  doc.push('', `## Coverage gaps${counted ? ` (${counted})` : ''}`, '');
  if (all.length === 0) doc.push('Every account and region was covered.');
  else {
    if (failures.length === 0) doc.push('Every account and region the run could reach was covered; the scopes below were skipped, not failed.', '');
    const shown = all.slice(0, c.gaps);
    for (const g of shown) doc.push(gapLine(g, c, accounts));
    if (all.length > shown.length) {
      const rest = all.slice(shown.length);
      const scopes = rest.reduce((n, g) => n + Math.max(1, g.regions.length), 0);
      doc.push(`- ... and ${plural(rest.length, 'more gap', 'more gaps')} (${plural(scopes, 'scope')}; the coverage CSV has every scope)`);
    }
    doc.omit('coverage gaps', all.length - shown.length);
  }

  if (d) {
    const subjectOf = diffSubjects(report);
    const subject = (x: DiffEntry) => subjectOf(x).label;
    diffTable(doc, accounts, subject, c.diffRows, 'New findings', 'new', 'Not in the baseline.', d.new);
    diffTable(doc, accounts, subject, c.diffRows, 'Escalated findings', 'escalated', 'The same instance on the same AMI moved from one rule to a worse one since the baseline.', d.escalated ?? [], { head: 'Escalation', cell: escalationText });
    diffTable(doc, accounts, subject, c.diffRows, 'Changed findings', 'changed', null, d.changed, { head: 'Change', cell: changeText });
    diffTable(doc, accounts, subject, c.diffRows, 'Unverified findings', 'unverified', 'Gone from this run, but not resolved: their scope was not ok in one of the two runs, so this run could not confirm they are gone.', d.unverified ?? [], { head: 'Why', cell: (x) => unverifiedWhy(x) });
    diffTable(doc, accounts, subject, c.diffRows, 'Resolved findings', 'resolved', 'Gone from this run, and their scope was ok in both runs.', d.resolved);
  }
  const ids = (label: string, what: string, xs: string[]) => {
    if (!xs.length) return;
    const shown = xs.slice(0, c.ids).map((i) => mdCell(i, 80));
    doc.push('', `${label}: ${shown.join(', ')}${xs.length > shown.length ? `${shown.length ? ', ' : ''}... and ${xs.length - shown.length} more (in the JSON report)` : ''}`);
    doc.omit(what, xs.length - shown.length);
  };
  ids('Instance ids asked for but found in no scanned scope', 'not-found instance ids', report.notFoundInstanceIds);
  ids('Instance ids asked for, not found, and not checked everywhere (some scopes could not be checked)', 'unchecked instance ids', report.uncheckedInstanceIds ?? []);

  doc.push('', '---', '');
  const left = [...doc.omitted].map(([what, n]) => `${num(n)} ${what}`);
  doc.push(`${mdCell(report.tool.name, 40)} ${mdCell(report.tool.version, 40)} · run ${mdCell(r.id)} · as of ${mdCell(r.asOf, 40)} · coverage ${r.status}`);
  if (left.length) doc.push('', `Left out to fit a ticket: ${left.join(', ')}. The CSV and JSON reports of this run have everything.`);
  return doc;
}

export function renderMarkdown(report: Report): string {
  let caps = CAPS;
  for (let i = 0; i < 16; i++) {
    const text = render(report, caps).lines.join('\n') + '\n';
    if (text.length < MAX_CHARS) return text;
    caps = shrink(caps);
  }
  // Not reached with the caps above (every line is bounded); kept so that the promise holds
  // regardless: the body is cut at a line, the footer (from its rule on) is kept.
  const lines = render(report, caps).lines;
  const foot = lines.lastIndexOf('---') - 1;
  const footer = [...lines.slice(foot), '', 'The rest of this summary was left out to fit a ticket: see the CSV and JSON reports of this run.'].join('\n');
  const out: string[] = [];
  let n = footer.length + 2;
  for (const l of lines.slice(0, foot)) {
    if (n + l.length + 1 >= MAX_CHARS) break;
    out.push(l);
    n += l.length + 1;
  }
  return `${out.join('\n')}\n${footer}\n`;
}
