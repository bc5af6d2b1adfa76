/** Shared views of a report for the text renderers: coverage gaps and headline counts. */
import type { CoverageEntry, Report } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';

export function coverageGaps(report: Report): CoverageEntry[] {
  return report.coverage.filter((c) => c.status !== 'ok');
}

export function gapText(c: CoverageEntry): string {
  if (c.status === 'skipped') return `skipped: ${c.reason ?? 'no reason given'}`;
  return `${c.status}: ${c.errorCode ?? 'error'}${c.errorMessage ? ` (${c.errorMessage})` : ''}`;
}

export const SEVERITIES_DESC = [...SEVERITIES].reverse();
