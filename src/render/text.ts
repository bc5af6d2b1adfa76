/** The short summary printed on stdout at the end of every run: a terminal, a cron mail. */
import type { Report } from '../model/types.js';
import { termSafe } from './sanitize.js';
import { coverageGaps, gapText, SEVERITIES_DESC } from './summary.js';

export function renderTextSummary(report: Report, files: string[] = [], maxGaps = 10): string {
  const s = report.summary;
  const lines: string[] = [];
  lines.push(`ami-audit ${report.tool.version}: run ${report.run.status.toUpperCase()} as of ${report.run.asOf}`);
  lines.push(`  scopes  ${s.scopes.total} total: ${s.scopes.ok} ok, ${s.scopes.partial} partial, ${s.scopes.error} error, ${s.scopes.skipped} skipped`);
  lines.push(`  instances  ${s.instancesScanned} scanned, ${s.instancesEvaluated} evaluated`);
  lines.push('  findings (unwaived)');
  for (const sev of SEVERITIES_DESC) if (sev !== 'info' || s.bySeverity.info) lines.push(`    ${sev.padEnd(9)}${String(s.bySeverity[sev]).padStart(7)}`);
  lines.push(`    ${'waived'.padEnd(9)}${String(s.findingsWaived).padStart(7)}`);
  if (report.diff) lines.push(`  vs baseline  ${report.diff.counts.new} new, ${report.diff.counts.resolved} resolved, ${report.diff.counts.unchanged} unchanged`);
  const gaps = coverageGaps(report).filter((g) => g.status !== 'skipped');
  if (gaps.length) {
    lines.push(`  coverage gaps (${gaps.length})`);
    for (const g of gaps.slice(0, maxGaps)) lines.push(`    ${g.accountId} ${g.region.padEnd(15)} ${termSafe(gapText(g), 100)}`);
    if (gaps.length > maxGaps) lines.push(`    ... ${gaps.length - maxGaps} more in the coverage report`);
  }
  const skipped = s.scopes.skipped;
  if (skipped) lines.push(`  skipped  ${skipped} scope(s) (regions not enabled for the account)`);
  if (report.notFoundInstanceIds.length) lines.push(`  not found  ${report.notFoundInstanceIds.map((i) => termSafe(i, 40)).join(' ')}`);
  if (s.waiversUnmatched) lines.push(`  waivers  ${s.waiversUnmatched} matched nothing (clean them up)`);
  for (const f of files) lines.push(`  wrote  ${termSafe(f, 400)}`);
  return lines.join('\n') + '\n';
}
