/**
 * The report's unwaived findings as OCSF Detection Findings (class_uid 2004, category 2 Findings),
 * OCSF 1.3.0, one event per finding, for a security data lake or SIEM: `--format ocsf` writes
 * them as one JSON array, one event a line. Pure: every time is the run's as-of, so the same
 * report gives the same bytes. The mapping, and the required attributes it honours, are in
 * docs/output-formats.md. Also the helpers the ASFF renderer shares (ids, ARNs, types, JSON text).
 */
import type { Finding, FindingResource, InstanceRecord, Report, RuleInfo, Severity } from '../model/types.js';
import { RECORD_INSTANCE_ID_RE } from '../model/ids.js';
import { parseInstantMs } from '../model/time.js';

export const OCSF_VERSION = '1.3.0';
/** The product and vendor name both formats give (the project has no company behind it). */
export const PRODUCT_NAME = 'ami-audit';

const SEVERITY_ID: Record<Severity, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };
const SEVERITY_CAPTION: Record<Severity, string> = { info: 'Informational', low: 'Low', medium: 'Medium', high: 'High', critical: 'Critical' };

const CLASS_UID = 2004;
const ACTIVITY_CREATE = 1;

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

/** The rules about an AMI's lifecycle (the publisher stopped maintaining it) against those about its provenance. */
const LIFECYCLE_RULES = new Set(['deprecated-ami', 'deprecation-soon', 'deregistered-ami', 'disabled-ami', 'stale-ami']);

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
  const byKey = new Map<string, InstanceRecord>();
  for (const r of report.instances) if (r.InstanceId) byKey.set(`${r.accountId}\u0000${r.region}\u0000${r.InstanceId}`, r);
  return (f) => byKey.get(`${f.accountId}\u0000${f.region}\u0000${f.instanceId}`);
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

/** A JSON array, one element a line (greppable, diffable), newline-terminated. */
export function jsonArrayText(lines: readonly string[]): string {
  return lines.length === 0 ? '[]\n' : `[\n${lines.join(',\n')}\n]\n`;
}

/** Drops null and undefined members, so an event carries only what is known. */
function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
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

/** The Detection Finding events of the report's unwaived findings, in report order. */
export function ocsfEvents(report: Report): Record<string, unknown>[] {
  const time = asOfMs(report);
  const rule = ruleLookup(report);
  const record = recordLookup(report);
  const imageRecord = imageRecordLookup(report);
  return report.findings.filter((f) => !f.waiver).map((f) => ocsfEvent(report, f, time, rule(f.ruleId), f.resource ? imageRecord(f) : record(f)));
}

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

function ocsfEvent(report: Report, f: Finding, time: number, rule: RuleInfo, rec: InstanceRecord | undefined): Record<string, unknown> {
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
  return compact({
    activity_id: ACTIVITY_CREATE,
    activity_name: 'Create',
    category_uid: 2,
    category_name: 'Findings',
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    type_uid: CLASS_UID * 100 + ACTIVITY_CREATE,
    type_name: 'Detection Finding: Create',
    time,
    timezone_offset: 0,
    severity_id: SEVERITY_ID[f.severity],
    severity: SEVERITY_CAPTION[f.severity],
    status_id: 1,
    status: 'New',
    status_code: 'FAIL',
    status_detail: f.message,
    message: f.message,
    metadata: {
      version: OCSF_VERSION,
      product: { name: report.tool.name, uid: PRODUCT_NAME, vendor_name: PRODUCT_NAME, version: report.tool.version },
      event_code: f.ruleId,
      profiles: ['cloud'],
    },
    finding_info: {
      uid: exportId(f.ruleId, f.id),
      title: rule.title,
      desc: rule.description,
      types: findingTypes(f.ruleId),
      created_time: time,
      analytic: { uid: f.ruleId, name: rule.title, type: 'Rule', type_id: 1 },
    },
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
      },
    },
  });
}

/** The `.ocsf.json` file: a JSON array, one event a line, in pieces so a large estate is written without one huge string. */
export function* renderOcsfChunks(report: Report): Generator<string> {
  const events = ocsfEvents(report);
  if (events.length === 0) {
    yield '[]\n';
    return;
  }
  yield '[\n';
  for (let i = 0; i < events.length; i++) yield `${jsonLine(events[i])}${i < events.length - 1 ? ',\n' : '\n'}`;
  yield ']\n';
}
