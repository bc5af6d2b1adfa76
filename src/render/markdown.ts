/** A Markdown summary short enough to paste into a ticket: counts, top findings, coverage gaps. */
import type { Report } from '../model/types.js';
import { mdCell } from './sanitize.js';
import { coverageGaps, gapText, SEVERITIES_DESC } from './summary.js';

const TOP = 20;
const GAPS = 30;

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
  out.push('');
  out.push('| Severity | Unwaived findings |');
  out.push('|---|---:|');
  for (const sev of SEVERITIES_DESC) out.push(`| ${sev} | ${s.bySeverity[sev]} |`);
  if (report.diff) {
    out.push('');
    out.push(`Compared with run ${mdCell(report.diff.baseline.runId)} (${report.diff.baseline.startedAt}): ${report.diff.counts.new} new, ${report.diff.counts.resolved} resolved, ${report.diff.counts.unchanged} unchanged.`);
  }
  const top = report.findings.filter((f) => !f.waiver).slice(0, TOP);
  out.push('');
  out.push(`## Top findings${top.length < s.findingsUnwaived ? ` (${top.length} of ${s.findingsUnwaived})` : ''}`);
  out.push('');
  if (top.length === 0) out.push('No unwaived findings.');
  else {
    out.push('| Severity | Rule | Account | Region | Instance | AMI | Message |');
    out.push('|---|---|---|---|---|---|---|');
    for (const f of top) out.push(`| ${f.severity} | ${f.ruleId} | ${f.accountId} | ${f.region} | ${mdCell(f.instanceId)}${f.instanceName ? ` (${mdCell(f.instanceName, 60)})` : ''} | ${mdCell(f.imageId ?? '')} | ${mdCell(f.message)} |`);
  }
  const gaps = coverageGaps(report);
  out.push('');
  out.push('## Coverage gaps');
  out.push('');
  if (gaps.length === 0) out.push('Every account and region was covered.');
  else {
    for (const g of gaps.slice(0, GAPS)) out.push(`- ${g.accountId} / ${g.region}: ${mdCell(gapText(g), 300)}`);
    if (gaps.length > GAPS) out.push(`- ... and ${gaps.length - GAPS} more (see the coverage CSV)`);
  }
  if (report.notFoundInstanceIds.length) {
    out.push('');
    out.push(`Instance ids asked for but found in no scanned scope: ${report.notFoundInstanceIds.map(mdCell).join(', ')}`);
  }
  return out.join('\n') + '\n';
}
