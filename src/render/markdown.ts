/** A Markdown summary short enough to paste into a ticket: counts, top findings, coverage gaps. */
import type { DiffEntry, DiffScope, Report } from '../model/types.js';
import { mdCell } from './sanitize.js';
import { changeText, coverageGaps, diffCounts, gapText, SEVERITIES_DESC, UNVERIFIED_MEANS, unverifiedWhy } from './summary.js';

const TOP = 20;
const GAPS = 30;
/** Characters of each failure's message in a gap line, and of the whole line. */
const GAP_MESSAGE = 300;
const GAP_LINE = 600;

/**
 * One table of baseline-diff findings (changed, unverified or resolved): at most TOP rows, with an
 * optional first column saying how or why.
 */
function diffTable<T extends DiffEntry>(out: string[], title: string, intro: string | null, entries: T[], first?: { head: string; cell: (x: T) => string }): void {
  if (entries.length === 0) return;
  out.push('');
  out.push(`## ${title}${entries.length > TOP ? ` (${TOP} of ${entries.length})` : ''}`);
  out.push('');
  if (intro) out.push(intro, '');
  const heads = [...(first ? [first.head] : []), 'Severity', 'Rule', 'Account', 'Region', 'Instance', 'AMI'];
  out.push(`| ${heads.join(' | ')} |`);
  out.push(`|${heads.map(() => '---|').join('')}`);
  for (const x of entries.slice(0, TOP)) {
    const cells = [...(first ? [mdCell(first.cell(x))] : []), x.severity, mdCell(x.ruleId), mdCell(x.accountId), mdCell(x.region), mdCell(x.instanceId), mdCell(x.imageId ?? '')];
    out.push(`| ${cells.join(' | ')} |`);
  }
}

export function renderMarkdown(report: Report): string {
  const s = report.summary;
  const r = report.run;
  const out: string[] = [];
  out.push(`# AMI audit: ${s.findingsUnwaived} unwaived finding${s.findingsUnwaived === 1 ? '' : 's'}${r.status === 'partial' ? ' (PARTIAL COVERAGE)' : ''}`);
  out.push('');
  out.push(`- Run ${mdCell(r.id)} by ${mdCell(r.caller.arn ?? 'unknown caller')}, started ${r.startedAt}, as of ${r.asOf}; ${report.tool.name} ${report.tool.version}`);
  out.push(`- Scope: ${r.accounts.length} account(s) x ${r.regions.length} region(s); ${s.scopes.ok} ok, ${s.scopes.partial} partial, ${s.scopes.error} error, ${s.scopes.skipped} skipped`);
  out.push(`- Instances: ${s.instancesScanned} scanned, ${s.instancesEvaluated} evaluated, ${s.instancesTerminatedSkipped} terminated or shutting down not evaluated`);
  out.push(`- Waived: ${s.findingsWaived}; waivers that matched nothing: ${s.waiversUnmatched}; expired waivers: ${s.waiversExpired}`);
  for (const w of r.warnings ?? []) out.push(`- Warning: ${mdCell(w, 400)}`);
  out.push('');
  out.push('| Severity | Unwaived findings |');
  out.push('|---|---:|');
  for (const sev of SEVERITIES_DESC) out.push(`| ${sev} | ${s.bySeverity[sev]} |`);
  const d = report.diff;
  if (d) {
    out.push('');
    out.push(`Compared with run ${mdCell(d.baseline.runId)} (${mdCell(d.baseline.startedAt)}): ${diffCounts(d)}.${d.counts.unverified ? ` Unverified: ${UNVERIFIED_MEANS}.` : ''}`);
    if (d.scopes.added.length || d.scopes.removed.length) {
      const list = (xs: DiffScope[]) => xs.slice(0, GAPS).map((x) => `${mdCell(x.accountId)} / ${mdCell(x.region)} (${x.status})`).join(', ') + (xs.length > GAPS ? `, ... and ${xs.length - GAPS} more` : '');
      if (d.scopes.added.length) out.push(`Scopes not in the baseline: ${list(d.scopes.added)}.`);
      if (d.scopes.removed.length) out.push(`Scopes of the baseline not in this run: ${list(d.scopes.removed)}.`);
    }
  }
  const top = report.findings.filter((f) => !f.waiver).slice(0, TOP);
  out.push('');
  out.push(`## Top findings${top.length < s.findingsUnwaived ? ` (${top.length} of ${s.findingsUnwaived})` : ''}`);
  out.push('');
  if (top.length === 0) out.push('No unwaived findings.');
  else {
    out.push('| Severity | Rule | Account | Region | Instance | AMI | Message |');
    out.push('|---|---|---|---|---|---|---|');
    for (const f of top) out.push(`| ${f.severity} | ${mdCell(f.ruleId)} | ${mdCell(f.accountId)} | ${mdCell(f.region)} | ${mdCell(f.instanceId)}${f.instanceName ? ` (${mdCell(f.instanceName, 60)})` : ''} | ${mdCell(f.imageId ?? '')} | ${mdCell(f.message)} |`);
  }
  const gaps = coverageGaps(report);
  out.push('');
  out.push('## Coverage gaps');
  out.push('');
  if (gaps.length === 0) out.push('Every account and region was covered.');
  else {
    for (const g of gaps.slice(0, GAPS)) out.push(`- ${mdCell(g.accountId)} / ${mdCell(g.region)}: ${mdCell(gapText(g, GAP_MESSAGE), GAP_LINE)}`);
    if (gaps.length > GAPS) out.push(`- ... and ${gaps.length - GAPS} more (see the coverage CSV)`);
  }
  if (d) {
    diffTable(out, 'Changed findings', null, d.changed, { head: 'Change', cell: changeText });
    diffTable(out, 'Unverified findings', 'Gone from this run, but not resolved: their scope was not ok in both runs, so this run could not confirm they are gone.', d.unverified, { head: 'Why', cell: (x) => unverifiedWhy(x) });
    diffTable(out, 'Resolved findings', 'Gone from this run, and their scope was ok in both runs.', d.resolved);
  }
  if (report.notFoundInstanceIds.length) {
    out.push('');
    out.push(`Instance ids asked for but found in no scanned scope: ${report.notFoundInstanceIds.map((i) => mdCell(i)).join(', ')}`);
  }
  if (report.uncheckedInstanceIds?.length) {
    out.push('');
    out.push(`Instance ids asked for, not found, and not checked everywhere (some scopes could not be checked): ${report.uncheckedInstanceIds.map((i) => mdCell(i)).join(', ')}`);
  }
  return out.join('\n') + '\n';
}
