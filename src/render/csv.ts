/**
 * CSV renderers. The column order is frozen: new columns are added at the end, never reordered
 * (docs/report-format.md lists them).
 */
import { stringify } from 'csv-stringify/sync';
import type { Finding, Report } from '../model/types.js';
import { csvCell } from './sanitize.js';
import { diffStatusOf, failureCodes, unverifiedWhy } from './summary.js';

export const FINDING_COLUMNS = [
  'id', 'severity', 'ruleId', 'accountId', 'region', 'instanceId', 'instanceName', 'instanceState', 'imageId', 'imageName',
  'imageOwnerId', 'imageOwnerAlias', 'message', 'remediation', 'waived', 'waiverId', 'waiverReason', 'waiverExpires', 'waiverTicket',
  'waiverApprovedBy', 'expiredWaiverId', 'diffStatus', 'diffDetail',
] as const;

export const COVERAGE_COLUMNS = [
  'accountId', 'region', 'status', 'errorCode', 'errorMessage', 'reason', 'instanceCount', 'pageCount', 'apiCalls', 'retries',
  'allowedImagesState', 'disruptedZones', 'uncoveredInstanceCount', 'failures',
] as const;

const OPTIONS = { record_delimiter: 'windows' as const, quoted_match: /[",\r\n]/ };

function findingRow(f: Pick<Finding, 'id' | 'severity' | 'ruleId' | 'accountId' | 'region' | 'instanceId' | 'imageId' | 'message'> & Partial<Finding>, diffStatus: string, diffDetail = ''): string[] {
  return [
    f.id, f.severity, f.ruleId, f.accountId, f.region, f.instanceId, f.instanceName, f.instanceState, f.imageId, f.imageName,
    f.imageOwnerId, f.imageOwnerAlias, f.message, f.remediation, f.waiver ? 'true' : 'false', f.waiver?.id, f.waiver?.reason,
    f.waiver?.expires, f.waiver?.ticket, f.waiver?.approvedBy, f.expiredWaiver?.id, diffStatus, diffDetail,
  ].map(csvCell);
}

/**
 * One row per finding; with a baseline, `diffStatus` is new, changed (`diffDetail` says how) or
 * unchanged, and the baseline's findings that are gone follow: `resolved` where their scope was ok
 * in both runs, `unverified` otherwise (`diffDetail` says which scope status kept it unverified).
 */
export function renderFindingsCsv(report: Report): string {
  const diff = report.diff;
  const statusOf = diff ? diffStatusOf(diff) : null;
  const rows = report.findings.map((f) => {
    const d = statusOf?.(f.id);
    return d ? findingRow(f, d.status, d.detail) : findingRow(f, '');
  });
  for (const r of diff?.resolved ?? []) rows.push(findingRow(r, 'resolved'));
  for (const r of diff?.unverified ?? []) rows.push(findingRow(r, 'unverified', unverifiedWhy(r)));
  return stringify([[...FINDING_COLUMNS], ...rows], OPTIONS);
}

/** One row per scope; `failures` lists every part that failed as `action:code`, separated by `; `. */
export function renderCoverageCsv(report: Report): string {
  const rows = report.coverage.map((c) => [
    c.accountId, c.region, c.status, c.errorCode, c.errorMessage, c.reason, c.instanceCount, c.pageCount, c.apiCalls, c.retries,
    c.allowedImagesState, c.disruptedZones.join(' '), c.uncoveredInstanceCount, failureCodes(c),
  ].map(csvCell));
  return stringify([[...COVERAGE_COLUMNS], ...rows], OPTIONS);
}
