/**
 * CSV renderers. The column order is frozen: new columns are added at the end, never reordered
 * (docs/report-format.md lists them). Every file starts with a UTF-8 byte order mark, so that
 * Excel reads non-ASCII names (AMI names, tags) as UTF-8 rather than the machine's code page;
 * csv-parse (`bom: true`), pandas (`encoding="utf-8-sig"`) and LibreOffice skip it.
 */
import { stringify } from 'csv-stringify/sync';
import type { Finding, ImagePlanEntry, Report } from '../model/types.js';
import { asOfMsOf, successorLines } from './successor.js';
import { accountIndex, type AccountIndex } from './accounts.js';
import { csvCell } from './sanitize.js';
import { WHATIF_REASON, whatIfNotEvaluated } from './whatif.js';
import { controlsText, ruleControls } from './controls.js';
import { diffStatusOf, failureCodes, launchingGroups, unverifiedWhy } from './summary.js';

/** The UTF-8 byte order mark every CSV file starts with. */
export const BOM = '\uFEFF';

/** The fixed columns of the findings CSV; the report's tag columns follow them (see findingColumns). */
export const FINDING_COLUMNS = [
  'id', 'severity', 'ruleId', 'accountId', 'region', 'instanceId', 'instanceName', 'instanceState', 'imageId', 'imageName',
  'imageOwnerId', 'imageOwnerAlias', 'message', 'remediation', 'waived', 'waiverId', 'waiverReason', 'waiverExpires', 'waiverTicket',
  'waiverApprovedBy', 'expiredWaiverId', 'diffStatus', 'diffDetail', 'runId', 'asOf', 'accountName', 'ouPath', 'resourceType', 'resourceArn',
  'firstSeenAt', 'ageDays', 'dueAt', 'overdue', 'lifecycle',
  // the compliance crosswalk (appended: the columns before keep their places)
  'controls',
] as const;

export const COVERAGE_COLUMNS = [
  'accountId', 'region', 'status', 'errorCode', 'errorMessage', 'reason', 'instanceCount', 'pageCount', 'apiCalls', 'retries',
  'allowedImagesState', 'disruptedZones', 'uncoveredInstanceCount', 'failures', 'accountName', 'ouPath', 'references',
] as const;

/** The remediation plan (`-images.csv`): one row per AMI with findings, in priority order. */
export const IMAGE_COLUMNS = [
  'priority', 'imageId', 'imageName', 'ownerId', 'ownerAlias', 'state', 'deprecationTime', 'creationDate', 'worstSeverity', 'rules',
  'instances', 'instancesRunning', 'instancesStopped', 'instancesOther', 'accounts', 'regions', 'findings', 'waived', 'references', 'launchedBy',
  'oldestFirstSeenAt', 'overdue',
  // --successors (appended: the columns before keep their places)
  'successorImageIds', 'successor',
] as const;

const OPTIONS = { record_delimiter: 'windows' as const, quoted_match: /[",\r\n]/ };

function csv(rows: unknown[][]): string {
  return BOM + stringify(rows, OPTIONS);
}

/** Rows of a CSV file stringified at a time when it is written in pieces. */
export const CSV_CHUNK_ROWS = 100;

/**
 * A CSV file in pieces: the byte order mark and the header, then the rows `chunkRows` at a time,
 * each piece stringified on its own (a record ends with its own CRLF, so the pieces join to the
 * same bytes as the whole file stringified at once). Rows are made as they are written.
 */
export function* csvChunks(header: readonly unknown[], rows: Iterable<unknown[]>, chunkRows = CSV_CHUNK_ROWS): Generator<string> {
  yield BOM + stringify([header as unknown[]], OPTIONS);
  let batch: unknown[][] = [];
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= chunkRows) {
      yield stringify(batch, OPTIONS);
      batch = [];
    }
  }
  if (batch.length) yield stringify(batch, OPTIONS);
}

/**
 * The findings CSV's header: the fixed columns, then one per tag column named by its tag key
 * (`tag:<key>` when the key is also the name of a fixed column, so no two columns share a name).
 */
export function findingColumns(report: Pick<Report, 'tagColumns'>): string[] {
  const fixed = new Set<string>(FINDING_COLUMNS);
  const seen = new Set<string>(FINDING_COLUMNS);
  const tags = (report.tagColumns ?? []).map((k) => {
    let name = fixed.has(k) ? `tag:${k}` : k;
    for (let n = 2; seen.has(name); n++) name = `tag:${k}#${n}`;
    seen.add(name);
    return name;
  });
  return [...FINDING_COLUMNS, ...tags];
}

type RowSource = Pick<Finding, 'id' | 'severity' | 'ruleId' | 'accountId' | 'region' | 'instanceId' | 'imageId' | 'message'> & Partial<Finding>;

function findingRow(f: RowSource, run: { id: string; asOf: string }, accounts: AccountIndex, tagCount: number, controls: string, diffStatus: string, diffDetail = ''): string[] {
  const tags = Array.from({ length: tagCount }, (_, i) => f.tags?.[i] ?? null);
  return [
    f.id, f.severity, f.ruleId, f.accountId, f.region, f.instanceId, f.instanceName, f.instanceState, f.imageId, f.imageName,
    f.imageOwnerId, f.imageOwnerAlias, f.message, f.remediation, f.waiver ? 'true' : 'false', f.waiver?.id, f.waiver?.reason,
    f.waiver?.expires, f.waiver?.ticket, f.waiver?.approvedBy, f.expiredWaiver?.id, diffStatus, diffDetail, run.id, run.asOf,
    accounts.rawName(f.accountId), accounts.rawOuPath(f.accountId), f.resource?.type, f.resource?.arn,
    f.firstSeenAt, f.ageDays, f.dueAt, f.overdue === undefined ? null : String(f.overdue), f.lifecycle, controls, ...tags,
  ].map(csvCell);
}

/**
 * One row per finding; with a baseline, `diffStatus` is new, changed (`diffDetail` says how) or
 * unchanged, and the baseline's findings that are gone follow: `resolved` where their scope was ok
 * in both runs, `unverified` otherwise (`diffDetail` says which scope status kept it unverified).
 * `runId` and `asOf` are this run's, or the baseline's on the rows that come from the baseline.
 * `accountName` and `ouPath` are the account's as this run knows it (empty when it does not).
 * A finding whose subject is a resource (launchable-bad-ami: a launch template, SSM parameter or
 * recipe) has an empty instanceId and its `resourceType` and `resourceArn`; both are empty on
 * instance findings. With a run history, `firstSeenAt`, `ageDays`, `dueAt` (empty when the
 * severity has no SLA), `overdue` (true or false) and `lifecycle` (new, open, escalated, reopened)
 * say where the finding stands; all five are empty without one, and on the baseline's rows.
 * An escalated finding (schema 3 diffs) has `diffStatus` escalated, `diffDetail` the rule it
 * replaced: `deprecation-soon -> deprecated-ami`.
 * `controls` lists the compliance controls of the finding's rule (the report's rules[]), as
 * `<framework> <control id>` separated by `; `.
 */
export function renderFindingsCsv(report: Report): string {
  return [...findingsCsvChunks(report)].join('');
}

/** The findings CSV in pieces, a row made as it is written (see renderFindingsCsv). */
export function findingsCsvChunks(report: Report, chunkRows = CSV_CHUNK_ROWS): Generator<string> {
  return csvChunks(findingColumns(report).map(csvCell), findingRows(report), chunkRows);
}

function* findingRows(report: Report): Generator<string[]> {
  const diff = report.diff;
  const statusOf = diff ? diffStatusOf(diff) : null;
  const tagCount = (report.tagColumns ?? []).length;
  const run = { id: report.run.id, asOf: report.run.asOf };
  const accounts = accountIndex(report);
  const controlsOf = ruleControls(report);
  const texts = new Map<string, string>();
  const controls = (ruleId: string): string => {
    let t = texts.get(ruleId);
    if (t === undefined) texts.set(ruleId, (t = controlsText(controlsOf(ruleId))));
    return t;
  };
  for (const f of report.findings) {
    const d = statusOf?.(f.id);
    yield d ? findingRow(f, run, accounts, tagCount, controls(f.ruleId), d.status, d.detail) : findingRow(f, run, accounts, tagCount, controls(f.ruleId), '');
  }
  if (diff) {
    const base = { id: diff.baseline.runId, asOf: diff.baseline.asOf };
    for (const r of diff.resolved) yield findingRow(r, base, accounts, tagCount, controls(r.ruleId), 'resolved');
    for (const r of diff.unverified ?? []) yield findingRow(r, base, accounts, tagCount, controls(r.ruleId), 'unverified', unverifiedWhy(r));
  }
}

/**
 * One row per scope; `failures` lists every part that failed as `action:code`, separated by `; `.
 * An account not ACTIVE in AWS Organizations has its scopes skipped, its state the `reason`.
 * `references` is how the scope's reference lookups went (--references): `ok`, `error:<code>` or
 * `skipped:nothing-flagged`; empty without --references.
 */
export function renderCoverageCsv(report: Report): string {
  return [...coverageCsvChunks(report)].join('');
}

/** The coverage CSV in pieces (see renderCoverageCsv). */
export function coverageCsvChunks(report: Report, chunkRows = CSV_CHUNK_ROWS): Generator<string> {
  const accounts = accountIndex(report);
  const rows = function* (): Generator<string[]> {
    for (const c of report.coverage) {
      yield [
        c.accountId, c.region, c.status, c.errorCode, c.errorMessage, c.reason, c.instanceCount, c.pageCount, c.apiCalls, c.retries,
        c.allowedImagesState, c.disruptedZones.join(' '), c.uncoveredInstanceCount, failureCodes(c), accounts.rawName(c.accountId), accounts.rawOuPath(c.accountId),
        c.references ? (c.references.code ? `${c.references.status}:${c.references.code}` : c.references.status) : null,
      ].map(csvCell);
    }
  };
  return csvChunks([...COVERAGE_COLUMNS], rows(), chunkRows);
}

/** `ruleId:severity:findings` of each rule an AMI trips, separated by `; `. */
export function imageRules(e: ImagePlanEntry): string {
  return e.rules.map((r) => `${r.ruleId}:${r.severity}:${e.findings === 0 ? 'waived' : r.findings}`).join('; ');
}

/**
 * The remediation plan: one row per AMI with findings, in the plan's priority order. With
 * --references, `references` counts the resources that reference the AMI and `launchedBy` names the
 * Auto Scaling groups that launch it from them (separated by `;`); both are empty without. With a
 * run history, `oldestFirstSeenAt` is the earliest first sight of its findings and `overdue` how
 * many of its unwaived findings are past their due date; both are empty without one.
 */
/** Accounts named in one cell of the plan's CSV before "+N more" (the findings CSV has every one). */
export const IMAGE_ACCOUNTS_MAX = 10;

/** `111111111111 (payments-prod); 222222222222; +3 more`: the accounts' labels, capped. */
function accountsCell(ids: readonly string[], accounts: AccountIndex): string {
  const shown = ids.slice(0, IMAGE_ACCOUNTS_MAX).map((id) => accounts.label(id));
  return [...shown, ...(ids.length > shown.length ? [`+${ids.length - shown.length} more`] : [])].join('; ');
}

export function renderImagesCsv(report: Report): string {
  return [...imagesCsvChunks(report)].join('');
}

/** The plan's CSV in pieces (see renderImagesCsv). */
export function imagesCsvChunks(report: Report, chunkRows = CSV_CHUNK_ROWS): Generator<string> {
  const accounts = accountIndex(report);
  const asOfMs = asOfMsOf(report);
  const rows = function* (): Generator<string[]> {
    for (const e of report.images ?? []) yield imageRow(e, accounts, asOfMs);
  };
  return csvChunks([...IMAGE_COLUMNS], rows(), chunkRows);
}

function imageRow(e: ImagePlanEntry, accounts: AccountIndex, asOfMs: ReturnType<typeof asOfMsOf>): string[] {
  return [
    e.priority, e.imageId, e.name, e.ownerId, e.ownerAlias, e.state, e.deprecationTime, e.creationDate, e.worstSeverity, imageRules(e),
    e.instances.total, e.instances.running, e.instances.stopped, e.instances.other, accountsCell(e.accounts, accounts), e.regions.join(' '), e.findings, e.waived,
    e.references?.length, e.references ? launchingGroups(e.references).join(';') : null,
    e.oldestFirstSeenAt, e.overdue,
    e.successor ? Object.keys(e.successor).sort().map((r) => `${r}=${e.successor![r]!.imageId ?? '-'}`).join(' ') : null,
    e.successor ? successorLines(e, asOfMs).map((l) => `${l.regions}: ${l.text}`).join('\n') : null,
  ].map(csvCell);
}

/** The Allowed AMIs what-if (`-whatif.csv`, when the report has one): one row per account and AMI. */
export const WHATIF_COLUMNS = [
  'accountId', 'accountName', 'imageId', 'imageName', 'ownerId', 'ownerAlias', 'verdict', 'source', 'instances', 'instanceIds', 'launchTemplates', 'regions', 'why', 'criteria',
] as const;

/**
 * One row per account and AMI the what-if would refuse (verdict refused) or cannot decide
 * (undecided): `instances` counts its instances (not terminated), `instanceIds` and
 * `launchTemplates` (ARNs, with --references) are separated by `; `, `criteria` is `current` or
 * `proposed`. Then one row per account and region the what-if could not evaluate (verdict
 * `not-evaluated`, the region in `regions`, the reason in `why`; a state never read, a state that
 * could not be read, criteria not read, already enabled), so that a region it did not judge never
 * reads as one where nothing would break; the scopes not audited are the coverage CSV's. Null when
 * the report has no what-if.
 */
export function renderWhatIfCsv(report: Report): string | null {
  const w = report.whatIf;
  if (!w) return null;
  const accounts = accountIndex(report);
  const rows = w.images.map((e) => [
    e.accountId, accounts.rawName(e.accountId), e.imageId, e.name, e.ownerId, e.ownerAlias, e.verdict, e.source, e.instances.length, e.instances.join('; '),
    e.launchTemplates.map((t) => `${t.arn}${t.version ? `:${t.version}` : ''}`).join('; '), e.regions.join(' '), e.why, w.criteria,
  ].map(csvCell));
  const notEvaluated = whatIfNotEvaluated(w).map((x) => [
    x.accountId, accounts.rawName(x.accountId), null, null, null, null, 'not-evaluated', null, null, null, null, x.region, WHATIF_REASON[x.reason ?? ''] ?? x.reason, w.criteria,
  ].map(csvCell));
  return csv([[...WHATIF_COLUMNS], ...rows, ...notEvaluated]);
}
