/**
 * The report as OCSF Detection Findings (class_uid 2004, category 2 Findings), OCSF 1.3.0, for a
 * security data lake or SIEM: `--format ocsf` writes them as one JSON array, one event a line.
 * One event per finding (a waived one Suppressed), per finding the run history or the baseline
 * says is resolved (a Close event), and per scope that could not be read (error or partial), so
 * that a failed run never reads as a clean one. Pure: the times are the run's as-of, the history's
 * first and last sight, and the time the file was written as the edge passes it in (the as-of
 * without it), so the same inputs give the same bytes. The mapping, and the required attributes it
 * honours, are in docs/output-formats.md. Also the helpers the ASFF renderer shares (ids, ARNs,
 * types, JSON text, the resolved findings and the failed scopes).
 */
import type { CoverageEntry, DiffEntry, Finding, FindingResource, InstanceRecord, Report, ResolvedFinding, RuleInfo, Severity, WaiverRef } from '../model/types.js';
import { RECORD_INSTANCE_ID_RE } from '../model/ids.js';
import { controlLabel } from '../rules/controls.js';
import { RULES } from '../rules/registry.js';
import { parseInstantMs } from '../model/time.js';
import { indexedInstance, instanceIndex } from '../model/finding-record.js';

export const OCSF_VERSION = '1.3.0';
/** The product and vendor name both formats give (the project has no company behind it). */
export const PRODUCT_NAME = 'ami-audit';

const SEVERITY_ID: Record<Severity, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };
const SEVERITY_CAPTION: Record<Severity, string> = { info: 'Informational', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };

const CLASS_UID = 2004;
const ACTIVITY = { create: 1, update: 2, close: 3 } as const;
const ACTIVITY_NAME: Record<number, string> = { 1: 'Create', 2: 'Update', 3: 'Close' };
const STATUS = { new: 1, suppressed: 3, resolved: 4, other: 99 } as const;

/** What the renderers of the security formats take beside the report. */
export interface ExportOptions {
  /** When the files are written (ISO 8601), read once by the edge; the as-of when absent. */
  writtenAt?: string | undefined;
}

/** The time the files are written, epoch ms: the edge's, or the run's as-of. */
export function writtenMs(report: Report, opts: ExportOptions = {}): number {
  if (opts.writtenAt === undefined) return asOfMs(report);
  const ms = parseInstantMs(opts.writtenAt);
  if (ms === null) throw new Error(`internal error: the time written "${opts.writtenAt}" is not a date-time`);
  return ms;
}

/** A date-time of the model as epoch ms; null when absent or not a date-time. */
export function msOf(value: string | null | undefined): number | null {
  return value ? parseInstantMs(value) : null;
}

/** A waiver in words, for a status detail or a description: `Waived by <id> until <expires> (<ticket>): <reason>`. */
export function waiverText(w: WaiverRef): string {
  return `Waived by ${w.id} until ${w.expires}${w.ticket ? ` (${w.ticket})` : ''}: ${w.reason}`;
}

/**
 * The findings of earlier runs this run verified gone: the run history's (`history.resolved`,
 * with their first sight), then the baseline diff's that the history does not already list.
 */
export function resolvedEntries(report: Report): (DiffEntry & Partial<Pick<ResolvedFinding, 'firstSeenAt' | 'resolvedAt' | 'daysToFix'>>)[] {
  const fromHistory = report.history?.resolved ?? [];
  const seen = new Set(fromHistory.map((r) => r.id));
  return [...fromHistory, ...(report.diff?.resolved ?? []).filter((d) => !seen.has(d.id))];
}

/**
 * The scopes that could not be read, in coverage order: `error` (nothing was listed) and
 * `partial` (something was not). A skipped scope (a region the account has not enabled, an
 * account not ACTIVE) was not to be audited: it is no failure and has no record.
 */
export function failedScopes(report: Report): CoverageEntry[] {
  return report.coverage.filter((c) => c.status === 'error' || c.status === 'partial');
}

/** The id of a failed scope's record in both formats, the same in every run: `ami-audit/coverage/<account>/<region>`. */
export function scopeRecordId(c: { accountId: string; region: string }): string {
  return `${PRODUCT_NAME}/coverage/${c.accountId}/${c.region}`;
}

/** What failed in a scope, one line: `AssumeRole AccessDenied: <message>; ...`. */
export function scopeFailureText(c: CoverageEntry): string {
  const failures = c.failures ?? [];
  if (!failures.length) return `${c.errorCode ?? c.status}${c.errorMessage ? `: ${c.errorMessage}` : ''}`;
  return failures.map((f) => `${f.action && f.action !== 'Run' ? `${f.action} ` : ''}${f.code}${f.message ? `: ${f.message}` : ''}`).join('; ');
}

/** The sentence of a failed scope's record: what it means for the findings. */
export function scopeMeaning(c: CoverageEntry): string {
  return c.status === 'error'
    ? `${PRODUCT_NAME} could not check account ${c.accountId} in ${c.region === '*' ? 'any region' : c.region}: nothing there was audited, so no finding there means nothing.`
    : `${PRODUCT_NAME} could check account ${c.accountId} in ${c.region === '*' ? 'its regions' : c.region} only in part (${c.instanceCount} instances read): findings there may be missing.`;
}

/** A finding's id for both formats, the same in every run that finds it (the model's id is a hash of rule, account, region, instance, AMI). */
export function exportId(ruleId: string, findingId: string): string {
  return `${PRODUCT_NAME}/${ruleId}/${findingId}`;
}

const PARTITIONS: [RegExp, string][] = [
  [/^us-gov-/, 'aws-us-gov'], [/^us-isob-/, 'aws-iso-b'], [/^us-isof-/, 'aws-iso-f'], [/^us-iso-/, 'aws-iso'],
  [/^eu-isoe-/, 'aws-iso-e'], [/^eusc-/, 'aws-eusc'], [/^cn-/, 'aws-cn'],
];

/** The partition of a region (the SDK's partition patterns), for the ARNs built in it. */
export function partitionOfRegion(region: string): string {
  return PARTITIONS.find(([re]) => re.test(region))?.[1] ?? 'aws';
}

/** The instance's ARN; null when the record had no instance id (the finding names it `(unknown: record …)`). */
export function instanceArn(f: { accountId: string; region: string; instanceId: string }): string | null {
  return RECORD_INSTANCE_ID_RE.test(f.instanceId) ? `arn:${partitionOfRegion(f.region)}:ec2:${f.region}:${f.accountId}:instance/${f.instanceId}` : null;
}

/** An AMI's ARN (images have no account in their ARN). */
export function imageArn(region: string, imageId: string): string {
  return `arn:${partitionOfRegion(region)}:ec2:${region}::image/${imageId}`;
}

/** The rules about an AMI's lifecycle (the publisher stopped maintaining it) against those about its provenance: each rule's meta says which. */
const LIFECYCLE_RULES: ReadonlySet<string> = new Set(RULES.filter((r) => r.meta.category === 'lifecycle').map((r) => r.meta.id));

/** The ASFF types taxonomy entry of a rule (OCSF finding_info.types takes the same). */
export function findingTypes(ruleId: string): string[] {
  return [LIFECYCLE_RULES.has(ruleId) ? 'Software and Configuration Checks/Patch Management' : 'Software and Configuration Checks/AWS Security Best Practices'];
}

/** The run's as-of in epoch milliseconds: the time of every event. */
export function asOfMs(report: Report): number {
  const ms = parseInstantMs(report.run.asOf);
  if (ms === null) throw new Error(`internal error: the report's as-of "${report.run.asOf}" is not a date-time`);
  return ms;
}

/** Rule metadata by id; a rule an older report does not describe gets its id for a title. */
export function ruleLookup(report: Report): (ruleId: string) => RuleInfo {
  const byId = new Map(report.rules.map((r) => [r.id, r]));
  return (id) => byId.get(id) ?? { id, title: `${PRODUCT_NAME} rule ${id}`, description: `${PRODUCT_NAME} rule ${id}.`, severity: 'info', defaultSeverity: 'info', remediation: '', options: {} };
}

/** The instance records by account, region and instance id (a finding's InstanceType, LaunchTime, AMI details). */
export function recordLookup(report: Report): (f: { accountId: string; region: string; instanceId: string }) => InstanceRecord | undefined {
  // the last record of a key, when a report has more than one
  const index = instanceIndex(report.instances);
  return (f) => {
    const found = indexedInstance(index, f.accountId, f.region, f.instanceId);
    return Array.isArray(found) ? found[found.length - 1] : found;
  };
}

/**
 * One value as one line of JSON. JSON.stringify escapes quotes, backslashes and C0 controls, so no
 * string from AWS can break out of its field; C1 controls, DEL, zero-width and bidirectional
 * controls and the line separators are written as \u escapes too, so that printing the file acts
 * on no terminal (the text still parses to the same values).
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A JSON array, one element a line (greppable, diffable), newline-terminated, in pieces: the lines
 * themselves among them, so a file of many lines is written without first joining it into one
 * long string.
 */
export function jsonArrayPieces(lines: readonly string[]): string[] {
  if (lines.length === 0) return ['[]\n'];
  const out: string[] = ['[\n'];
  lines.forEach((l, i) => out.push(i === 0 ? l : `,\n${l}`));
  out.push('\n]\n');
  return out;
}

/** Drops null and undefined members, so an event carries only what is known. */
function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v !== null && v !== undefined) out[k] = v;
  }
  return out as Partial<T>;
}

/**
 * The first instance record of each AMI in each account and region: the AMI's metadata for a
 * finding whose subject is a resource (it has no instance record of its own).
 */
export function imageRecordLookup(report: Report): (f: { accountId: string; region: string; imageId: string | null }) => InstanceRecord | undefined {
  let byKey: Map<string, InstanceRecord> | null = null;
  return (f) => {
    if (f.imageId === null) return undefined;
    if (!byKey) {
      byKey = new Map();
      for (const r of report.instances) {
        const id = r.ImageMetadata?.ImageId;
        const k = `${r.accountId}\u0000${r.region}\u0000${id}`;
        if (typeof id === 'string' && !byKey.has(k)) byKey.set(k, r);
      }
    }
    return byKey.get(`${f.accountId}\u0000${f.region}\u0000${f.imageId}`);
  };
}

/** The CloudFormation type names of the resources that reference AMIs (OCSF resources[].type); another type as AWS names it. */
const RESOURCE_TYPES: Record<string, string> = {
  'ec2:LaunchTemplate': 'AWS::EC2::LaunchTemplate',
  'ssm:Parameter': 'AWS::SSM::Parameter',
  'imagebuilder:ImageRecipe': 'AWS::ImageBuilder::ImageRecipe',
  'imagebuilder:ContainerRecipe': 'AWS::ImageBuilder::ContainerRecipe',
};

export function cloudFormationType(type: string): string {
  return Object.hasOwn(RESOURCE_TYPES, type) ? RESOURCE_TYPES[type]! : type;
}

/**
 * The Detection Finding events of the report: its findings in report order (waived ones
 * Suppressed), the findings resolved since the last run (Close), then the scopes that could not
 * be read.
 */
export function ocsfEvents(report: Report, opts: ExportOptions = {}): Record<string, unknown>[] {
  return [...ocsfEventStream(report, opts)];
}

/** The events of ocsfEvents one by one, each made when it is taken. */
export function* ocsfEventStream(report: Report, opts: ExportOptions = {}): Generator<Record<string, unknown>> {
  const time = asOfMs(report);
  const written = writtenMs(report, opts);
  const rule = ruleLookup(report);
  const record = recordLookup(report);
  const imageRecord = imageRecordLookup(report);
  for (const f of report.findings) yield ocsfEvent(report, f, time, written, rule(f.ruleId), f.resource ? imageRecord(f) : record(f), findingState(f));
  for (const d of resolvedEntries(report)) {
    const f: Finding = {
      ...d, instanceName: null, imageName: null, imageOwnerId: null, imageOwnerAlias: null, instanceState: null, remediation: '', waiver: null, expiredWaiver: null,
      ...(d.firstSeenAt ? { firstSeenAt: d.firstSeenAt } : {}),
    };
    const state: EventState = {
      activity: ACTIVITY.close, status: STATUS.resolved, statusName: 'Resolved', statusCode: 'PASS',
      detail: `Resolved: run ${report.run.id} (as of ${report.run.asOf}) looked for it and no longer finds it${d.daysToFix !== undefined ? `, ${d.daysToFix} days after it was first seen` : ''}.`,
      extra: { resolved_at: d.resolvedAt ?? report.run.asOf, days_to_fix: d.daysToFix ?? null },
    };
    yield ocsfEvent(report, f, time, written, rule(d.ruleId), d.resource ? imageRecord(d) : record(d), state);
  }
  for (const c of failedScopes(report)) yield scopeEvent(report, c, time, written);
}

/** Where a finding stands, in OCSF's words: the activity (from its lifecycle) and its status. */
interface EventState {
  activity: number;
  status: number;
  statusName: string;
  statusCode: string;
  /** status_detail: the waiver, or how it was resolved; the finding's message otherwise. */
  detail: string | null;
  /** More members of unmapped.ami_audit. */
  extra: Record<string, unknown>;
}

/**
 * A current finding: Suppressed while a waiver holds (the waiver in status_detail), New
 * otherwise; created the first time the history sees it (or in a report without a history),
 * updated in every later run.
 */
function findingState(f: Finding): EventState {
  const w = f.waiver;
  return {
    activity: f.lifecycle === undefined || f.lifecycle === 'new' ? ACTIVITY.create : ACTIVITY.update,
    status: w ? STATUS.suppressed : STATUS.new,
    statusName: w ? 'Suppressed' : 'New',
    statusCode: 'FAIL',
    detail: w ? waiverText(w) : null,
    extra: { waiver: w ? { id: w.id, reason: w.reason, expires: w.expires, ticket: w.ticket } : null },
  };
}

/** The history's fields of a finding for unmapped.ami_audit; none without a history. */
function historyFields(f: Finding): Record<string, unknown> {
  if (f.lifecycle === undefined && f.firstSeenAt === undefined) return {};
  return compact({
    lifecycle: f.lifecycle, first_seen_at: f.firstSeenAt, last_seen_at: f.lastSeenAt, age_days: f.ageDays, due_at: f.dueAt, overdue: f.overdue,
    reopened_count: f.reopenedCount, escalated_from: f.escalatedFrom ? { ...f.escalatedFrom } : undefined,
  });
}

/**
 * A scope that could not be read, as a Detection Finding of its own: status Other ("Not Checked"
 * for an error, "Partially Checked" for a partial scope), status_code ERROR or WARNING (as the
 * ASFF record's Compliance.Status), what failed in status_detail; severity Medium when nothing
 * was checked, Low when only part was.
 */
function scopeEvent(report: Report, c: CoverageEntry, time: number, written: number): Record<string, unknown> {
  const error = c.status === 'error';
  const severity: Severity = error ? 'medium' : 'low';
  const title = error ? 'Account and region could not be audited' : 'Account and region audited only in part';
  const account = report.accounts?.find((a) => a.accountId === c.accountId);
  return compact({
    activity_id: ACTIVITY.create,
    activity_name: 'Create',
    category_uid: 2,
    category_name: 'Findings',
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    type_uid: CLASS_UID * 100 + ACTIVITY.create,
    type_name: 'Detection Finding: Create',
    time,
    timezone_offset: 0,
    severity_id: SEVERITY_ID[severity],
    severity: SEVERITY_CAPTION[severity],
    status_id: STATUS.other,
    status: error ? 'Not Checked' : 'Partially Checked',
    status_code: error ? 'ERROR' : 'WARNING',
    status_detail: scopeFailureText(c),
    message: scopeMeaning(c),
    metadata: {
      version: OCSF_VERSION,
      product: { name: report.tool.name, uid: PRODUCT_NAME, vendor_name: PRODUCT_NAME, version: report.tool.version },
      event_code: 'coverage',
      profiles: ['cloud'],
    },
    finding_info: {
      uid: scopeRecordId(c),
      title,
      desc: `${PRODUCT_NAME} records each account and region it could not read, so that a run that failed there never reads as a clean one.`,
      types: [COVERAGE_TYPE],
      created_time: time,
      modified_time: written,
      analytic: { uid: 'coverage', name: `${PRODUCT_NAME} coverage`, type: 'Rule', type_id: 1 },
    },
    resources: [compact({ uid: c.accountId, name: account?.name ?? null, type: 'AWS::::Account', region: c.region === '*' ? null : c.region, cloud_partition: partitionOfRegion(c.region) })],
    cloud: compact({ provider: 'AWS', region: c.region === '*' ? null : c.region, account: { uid: c.accountId, type: 'AWS Account', type_id: 10 } }),
    unmapped: {
      ami_audit: {
        run_id: report.run.id,
        coverage: {
          status: c.status,
          error_code: c.errorCode,
          error_message: c.errorMessage,
          failures: (c.failures ?? []).map((f) => ({ ...f })),
          instance_count: c.instanceCount,
          uncovered_instance_count: c.uncoveredInstanceCount,
          disrupted_zones: [...c.disruptedZones],
        },
      },
    },
  });
}

/** The ASFF type (and OCSF finding_info.types) of a failed scope's record. */
export const COVERAGE_TYPE = 'Software and Configuration Checks/AWS Security Best Practices';

/** The resource a finding is about when it is not an instance: a launch template, SSM parameter or recipe that references the AMI. */
function referencingResource(f: Finding, r: FindingResource): Record<string, unknown> {
  return compact({
    uid: r.arn,
    name: r.name,
    type: cloudFormationType(r.type),
    region: f.region,
    cloud_partition: partitionOfRegion(f.region),
    data: compact({ resource_type: r.type, version: r.version, used_by: r.usedBy.length ? [...r.usedBy] : null }),
  });
}

function ocsfEvent(report: Report, f: Finding, time: number, written: number, rule: RuleInfo, rec: InstanceRecord | undefined, state: EventState): Record<string, unknown> {
  const partition = partitionOfRegion(f.region);
  const launched = parseInstantMs(rec?.LaunchTime);
  const img = rec?.ImageMetadata;
  const tags = report.tagColumns.map((key, i) => ({ key, value: f.tags?.[i] ?? null }));
  // the subject first: the instance, or the resource that references the AMI
  const subject = f.resource ? referencingResource(f, f.resource) : compact({
    uid: instanceArn(f) ?? f.instanceId,
    name: f.instanceName,
    type: 'AWS::EC2::Instance',
    region: f.region,
    cloud_partition: partition,
    labels: tags.some((t) => t.value !== null) ? tags.filter((t) => t.value !== null).map((t) => `${t.key}=${t.value}`) : null,
    data: compact({
      instance_id: f.instanceId,
      instance_type: rec?.InstanceType,
      launch_time: launched === null ? null : new Date(launched).toISOString(),
      state: f.instanceState,
      image_id: f.imageId,
    }),
  });
  const image = f.imageId === null ? null : compact({
    uid: imageArn(f.region, f.imageId),
    name: f.imageName,
    type: 'AWS::EC2::Image',
    region: f.region,
    cloud_partition: partition,
    data: compact({
      image_id: f.imageId,
      owner_id: f.imageOwnerId,
      owner_alias: f.imageOwnerAlias,
      state: img?.State,
      creation_date: img?.CreationDate,
      deprecation_time: img?.DeprecationTime,
      is_public: img?.IsPublic,
      image_allowed: img?.ImageAllowed,
    }),
  });
  const firstSeen = msOf(f.firstSeenAt);
  const lastSeen = msOf(f.lastSeenAt);
  return compact({
    activity_id: state.activity,
    activity_name: ACTIVITY_NAME[state.activity],
    category_uid: 2,
    category_name: 'Findings',
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    type_uid: CLASS_UID * 100 + state.activity,
    type_name: `Detection Finding: ${ACTIVITY_NAME[state.activity]}`,
    time,
    timezone_offset: 0,
    severity_id: SEVERITY_ID[f.severity],
    severity: SEVERITY_CAPTION[f.severity],
    status_id: state.status,
    status: state.statusName,
    status_code: state.statusCode,
    status_detail: state.detail ?? f.message,
    message: f.message,
    metadata: {
      version: OCSF_VERSION,
      product: { name: report.tool.name, uid: PRODUCT_NAME, vendor_name: PRODUCT_NAME, version: report.tool.version },
      event_code: f.ruleId,
      profiles: ['cloud'],
    },
    finding_info: compact({
      uid: exportId(f.ruleId, f.id),
      title: rule.title,
      desc: rule.description,
      types: findingTypes(f.ruleId),
      created_time: firstSeen ?? time,
      first_seen_time: firstSeen,
      last_seen_time: lastSeen,
      modified_time: written,
      analytic: { uid: f.ruleId, name: rule.title, type: 'Rule', type_id: 1 },
    }),
    resources: image ? [subject, image] : [subject],
    cloud: { provider: 'AWS', region: f.region, account: { uid: f.accountId, type: 'AWS Account', type_id: 10 } },
    remediation: f.remediation ? { desc: f.remediation } : null,
    unmapped: {
      ami_audit: {
        finding_id: f.id,
        rule_id: f.ruleId,
        run_id: report.run.id,
        instance_name: f.instanceName,
        instance_state: f.instanceState,
        image_owner_id: f.imageOwnerId,
        image_owner_alias: f.imageOwnerAlias,
        tags,
        expired_waiver: f.expiredWaiver ? { id: f.expiredWaiver.id, expires: f.expiredWaiver.expires, reason: f.expiredWaiver.reason, ticket: f.expiredWaiver.ticket } : null,
        ...state.extra,
        ...historyFields(f),
        ...complianceFields(rule, state.statusCode),
      },
    },
  });
}

/**
 * The rule's compliance controls as one OCSF Compliance object: `standards` the frameworks,
 * `requirements` each control as `<framework> <control id>`, `control` the rule id; status Fail
 * for a finding, Pass for a resolved one. OCSF 1.3 defines `compliance` on the Compliance Finding
 * class (2003), not on Detection Finding (2004): it goes in unmapped.ami_audit.compliance, where a
 * consumer that validates the class still accepts the event. None for a rule without controls.
 */
function complianceFields(rule: RuleInfo, statusCode: string): Record<string, unknown> {
  const controls = rule.controls ?? [];
  if (!controls.length) return {};
  const pass = statusCode === 'PASS';
  return {
    compliance: {
      control: rule.id, standards: [...new Set(controls.map((c) => c.framework))], requirements: controls.map(controlLabel), status: pass ? 'Pass' : 'Fail', status_id: pass ? 1 : 3,
    },
  };
}

/**
 * The `.ocsf.json` file: a JSON array, one event a line, written event by event: each event is
 * made, put in its line (the piece) and let go before the next, so a large estate is written
 * without its events, or one huge string, held at once (the writer gathers the pieces into its
 * writes, src/io/files.ts).
 */
export function* renderOcsfChunks(report: Report, opts: ExportOptions = {}): Generator<string> {
  let first = true;
  for (const event of ocsfEventStream(report, opts)) {
    yield `${first ? '[\n' : ',\n'}${jsonLine(event)}`;
    first = false;
  }
  yield first ? '[]\n' : '\n]\n';
}
