/**
 * CSV renderers. The column order is frozen: new columns are added at the end, never reordered
 * (docs/report-format.md lists them).
 */
import { stringify } from 'csv-stringify/sync';
import type { Finding, Report } from '../model/types.js';
import { csvCell } from './sanitize.js';

export const FINDING_COLUMNS = [
  'id', 'severity', 'ruleId', 'accountId', 'region', 'instanceId', 'instanceName', 'instanceState', 'imageId', 'imageName',
  'imageOwnerId', 'imageOwnerAlias', 'message', 'remediation', 'waived', 'waiverId', 'waiverReason', 'waiverExpires', 'waiverTicket',
  'waiverApprovedBy', 'expiredWaiverId', 'diffStatus',
] as const;

export const COVERAGE_COLUMNS = [
  'accountId', 'region', 'status', 'errorCode', 'errorMessage', 'reason', 'instanceCount', 'pageCount', 'apiCalls', 'retries',
  'allowedImagesState', 'disruptedZones', 'uncoveredInstanceCount',
] as const;

const OPTIONS = { record_delimiter: 'windows' as const, quoted_match: /[",\r\n]/ };

function findingRow(f: Pick<Finding, 'id' | 'severity' | 'ruleId' | 'accountId' | 'region' | 'instanceId' | 'imageId' | 'message'> & Partial<Finding>, diffStatus: string): string[] {
  return [
    f.id, f.severity, f.ruleId, f.accountId, f.region, f.instanceId, f.instanceName, f.instanceState, f.imageId, f.imageName,
    f.imageOwnerId, f.imageOwnerAlias, f.message, f.remediation, f.waiver ? 'true' : 'false', f.waiver?.id, f.waiver?.reason,
    f.waiver?.expires, f.waiver?.ticket, f.waiver?.approvedBy, f.expiredWaiver?.id, diffStatus,
  ].map(csvCell);
}

/** One row per finding; with a baseline, findings it had that are gone follow as `resolved`. */
export function renderFindingsCsv(report: Report): string {
  const diff = report.diff;
  const newIds = new Set(diff?.new.map((d) => d.id) ?? []);
  const rows = report.findings.map((f) => findingRow(f, diff ? (newIds.has(f.id) ? 'new' : 'unchanged') : ''));
  for (const r of diff?.resolved ?? []) rows.push(findingRow(r, 'resolved'));
  return stringify([[...FINDING_COLUMNS], ...rows], OPTIONS);
}

export function renderCoverageCsv(report: Report): string {
  const rows = report.coverage.map((c) => [
    c.accountId, c.region, c.status, c.errorCode, c.errorMessage, c.reason, c.instanceCount, c.pageCount, c.apiCalls, c.retries,
    c.allowedImagesState, c.disruptedZones.join(' '), c.uncoveredInstanceCount,
  ].map(csvCell));
  return stringify([[...COVERAGE_COLUMNS], ...rows], OPTIONS);
}
