/**
 * The report as AWS Security Finding Format (ASFF) findings for `aws securityhub
 * batch-import-findings`, under the account's default product ARN: `--format asff` writes
 * `<stamp>-asff-<account>-<region>-001.json`, `-002`, ..., each a JSON array that one call imports. Security Hub takes
 * such a call only from the finding's own account, in the region of its product ARN, with 1 to 100
 * findings, each under 240 KB and all under 6 MB; so a file holds the findings of one account and
 * one region, at most 100 of them and at most ASFF_LIMITS.fileBytes, and a report with nothing to
 * send writes no file. Every string field is cut to its API length (by UTF-8 bytes, the strictest
 * reading) with an ellipsis.
 *
 * What is sent: every current finding (unwaived: ACTIVE; waived: ARCHIVED with Workflow.Status
 * SUPPRESSED, so that Security Hub hides it while the waiver holds and shows it again when the
 * waiver ends), every finding the run history or the baseline says is resolved (ARCHIVED, PASSED,
 * RESOLVED), and every scope that could not be read (Compliance.Status NOT_AVAILABLE for an error,
 * WARNING for a partial scope), so a failed run never looks clean in Security Hub. Unverified ones
 * are not sent: Security Hub keeps them as they were. Pure: CreatedAt and FirstObservedAt are the
 * first sight (the as-of without a history), UpdatedAt the time the file was written as the edge
 * passes it in (the as-of without it). See docs/output-formats.md for the mapping, the limits and
 * their sources, and the import loop.
 */
import type { CoverageEntry, DiffEntry, Finding, FindingResource, Report, ResolvedFinding, Severity } from '../model/types.js';
import { groupsText, resourceLabel } from './summary.js';
import { controlLabel } from './controls.js';
import { parseInstantMs } from '../model/time.js';
import {
  COVERAGE_TYPE, exportId, failedScopes, findingTypes, instanceArn, jsonArrayPieces, jsonLine, msOf, partitionOfRegion, PRODUCT_NAME, recordLookup, resolvedEntries, ruleLookup,
  scopeFailureText, scopeMeaning, scopeRecordId, waiverText, writtenMs, type ExportOptions, asOfMs,
} from './ocsf.js';

export interface AsffLimits {
  /** Findings in one file (BatchImportFindings takes 1 to 100). */
  findingsPerFile: number;
  /** Bytes of one file, measured as the JSON would be with every non-ASCII character escaped (the API takes 6 MB a request). */
  fileBytes: number;
  /** Bytes of one finding, measured the same way (the API takes 240 KB). */
  findingBytes: number;
}

/** Below the API's limits with room for the request's envelope and any re-serialisation by a client. */
export const ASFF_LIMITS: AsffLimits = { findingsPerFile: 100, fileBytes: 5_000_000, findingBytes: 200_000 };

/** The API's string lengths (botocore's Security Hub model), applied as UTF-8 bytes. */
const MAX = { title: 256, description: 1024, recommendation: 512, fieldKey: 128, fieldValue: 2048, resourceValue: 256, resourceId: 512 } as const;
/** How much of one untrusted value (an AMI name, a tag, a waiver reason) a field or the description quotes. */
const QUOTE = { field: 256, name: 200, message: 400, reason: 200 } as const;
const MAX_PRODUCT_FIELDS = 50;

const LABEL: Record<Severity, string> = { info: 'INFORMATIONAL', low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL' };

/** The partitions the ASFF Resource.Partition enum has (it spells the ISO ones its own way). */
const ASFF_PARTITION: Record<string, string> = { aws: 'aws', 'aws-cn': 'aws-cn', 'aws-us-gov': 'aws-us-gov', 'aws-iso': 'aws-us-iso', 'aws-iso-b': 'aws-us-iso-b' };

export interface AsffFinding {
  SchemaVersion: '2018-10-08';
  Id: string;
  ProductArn: string;
  ProductName: string;
  CompanyName: string;
  GeneratorId: string;
  AwsAccountId: string;
  Region: string;
  Types: string[];
  /** With a run history: the first and the last run that saw it. */
  FirstObservedAt?: string;
  LastObservedAt?: string;
  CreatedAt: string;
  UpdatedAt: string;
  Severity: { Label: string; Original: string };
  Title: string;
  Description: string;
  Remediation?: { Recommendation: { Text: string } };
  ProductFields: Record<string, string>;
  Resources: AsffResource[];
  Compliance: { Status: 'FAILED' | 'PASSED' | 'WARNING' | 'NOT_AVAILABLE'; RelatedRequirements?: string[] };
  RecordState: 'ACTIVE' | 'ARCHIVED';
  Workflow: { Status: 'NEW' | 'RESOLVED' | 'SUPPRESSED' };
  FindingProviderFields: { Severity: { Label: string; Original: string }; Types: string[] };
}

export interface AsffResource {
  Type: string;
  Id: string;
  Partition?: string;
  Region: string;
  /** One of them: the instance's, or the launch template's. */
  Details?: { AwsEc2Instance?: { ImageId?: string; Type?: string; LaunchedAt?: string }; AwsEc2LaunchTemplate?: { Id?: string; LaunchTemplateName?: string } };
}

function utf8Bytes(ch: string): number {
  const cp = ch.codePointAt(0)!;
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** At most `max` UTF-8 bytes (so at most `max` characters by any count), ending in … when cut; never splits a character. */
export function clip(s: string, max: number): string {
  let bytes = 0;
  for (const ch of s) bytes += utf8Bytes(ch);
  if (bytes <= max) return s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const b = utf8Bytes(ch);
    if (used + b > max - 3) break;
    out += ch;
    used += b;
  }
  return `${out}…`;
}

/**
 * The size of a value's JSON as any client could send it: every non-ASCII or DEL character counted
 * as a six-byte \u escape (the worst case), the rest as itself.
 */
export function asffWireBytes(value: unknown): number {
  return wireBytesOfText(JSON.stringify(value));
}

/**
 * The same count over a value's JSON text as written (jsonLine): jsonLine writes the characters it
 * escapes as six ASCII bytes, which this counts as six, as asffWireBytes counts them unescaped.
 */
export function wireBytesOfText(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) n += text.charCodeAt(i) < 0x7f ? 1 : 6;
  return n;
}

const present = (v: string | null | undefined): v is string => typeof v === 'string' && /\S/.test(v);

/** ProductFields in a fixed order, each key and value cut to the API's lengths; empty values left out (the API refuses them). */
function productFields(entries: [string, string | null | undefined][]): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [key, value] of entries) {
    if (n >= MAX_PRODUCT_FIELDS) break;
    if (!present(value) || clip(key, MAX.fieldKey) !== key || Object.hasOwn(out, key)) continue;
    out[key] = clip(value, Math.min(QUOTE.field, MAX.fieldValue));
    n += 1;
  }
  return out;
}

const field = (name: string): string => `${PRODUCT_NAME}/${name}`;

interface Ctx {
  report: Report;
  /** The as-of, ISO 8601. */
  at: string;
  /** The time written, ISO 8601 (the as-of when the edge did not give it). */
  written: string;
  rule: ReturnType<typeof ruleLookup>;
  record: ReturnType<typeof recordLookup>;
}

function productArn(accountId: string, region: string): string {
  return `arn:${partitionOfRegion(region)}:securityhub:${region}:${accountId}:product/${accountId}/default`;
}

function instanceResource(ctx: Ctx, e: { accountId: string; region: string; instanceId: string; imageId: string | null }): AsffResource {
  const arn = instanceArn(e);
  const rec = ctx.record(e);
  const launched = parseInstantMs(rec?.LaunchTime);
  const details: { ImageId?: string; Type?: string; LaunchedAt?: string } = {};
  if (present(e.imageId)) details.ImageId = clip(e.imageId, MAX.resourceValue);
  if (present(rec?.InstanceType)) details.Type = clip(rec.InstanceType, MAX.resourceValue);
  if (launched !== null) details.LaunchedAt = new Date(launched).toISOString();
  const partition = ASFF_PARTITION[partitionOfRegion(e.region)];
  return {
    // an instance whose id the record lacked is not an AwsEc2Instance Security Hub could look up
    Type: arn ? 'AwsEc2Instance' : 'Other',
    Id: arn ?? clip(`${PRODUCT_NAME}:${e.accountId}:${e.region}:${e.instanceId}`, MAX.resourceValue),
    ...(partition ? { Partition: partition } : {}),
    Region: e.region,
    ...(arn && Object.keys(details).length ? { Details: { AwsEc2Instance: details } } : {}),
  };
}

/** What a finding is about, as far as a diff entry or a finding tells: a resource when it carries one. */
type Subject = { accountId: string; region: string; instanceId: string; imageId: string | null; ruleId: string; id: string; resource?: FindingResource | undefined };

/**
 * The resource a finding about a launch template, SSM parameter or recipe names: its ARN, as an
 * AwsEc2LaunchTemplate (with its id and name) or, for the types ASFF has no details object for, as
 * `Other`. An entry that names neither an instance nor a resource (a baseline's finding about a
 * resource, from a report that did not carry it) gets an id naming the finding.
 */
function subjectResource(ctx: Ctx, e: Subject): AsffResource {
  const r = e.resource;
  if (!r && e.instanceId !== '') return instanceResource(ctx, e);
  const partition = ASFF_PARTITION[partitionOfRegion(e.region)];
  const base = { ...(partition ? { Partition: partition } : {}), Region: e.region };
  if (!r) return { Type: 'Other', Id: clip(`${PRODUCT_NAME}:${e.accountId}:${e.region}:${e.ruleId}/${e.id}`, MAX.resourceValue), ...base };
  const id = clip(r.arn, MAX.resourceId);
  if (r.type !== 'ec2:LaunchTemplate') return { Type: 'Other', Id: id, ...base };
  const lt = /:launch-template\/(lt-[0-9a-zA-Z]+)$/.exec(r.arn)?.[1];
  const details: { Id?: string; LaunchTemplateName?: string } = {};
  if (lt) details.Id = lt;
  if (present(r.name) && r.name !== lt) details.LaunchTemplateName = clip(r.name, MAX.resourceValue);
  return { Type: 'AwsEc2LaunchTemplate', Id: id, ...base, ...(Object.keys(details).length ? { Details: { AwsEc2LaunchTemplate: details } } : {}) };
}

/** The resource fields of a finding about a resource, for ProductFields; none for an instance finding. */
function resourceFields(r: FindingResource | undefined): [string, string | null | undefined][] {
  if (!r) return [];
  return [
    [field('ResourceType'), r.type],
    [field('ResourceArn'), r.arn],
    [field('ResourceName'), r.name],
    [field('ResourceVersion'), r.version],
    [field('UsedBy'), r.usedBy.join(', ')],
  ];
}

const isoOf = (value: string | null | undefined): string | null => {
  const ms = msOf(value);
  return ms === null ? null : new Date(ms).toISOString();
};

/**
 * The members every finding has, in the order they are written: created at its first sight (the
 * as-of without a history), updated when written.
 */
function head(ctx: Ctx, e: { id: string; ruleId: string; accountId: string; region: string; firstSeenAt?: string | undefined; lastSeenAt?: string | undefined }, severity: { Label: string; Original: string }) {
  const first = isoOf(e.firstSeenAt);
  const last = isoOf(e.lastSeenAt);
  return {
    SchemaVersion: '2018-10-08' as const,
    Id: exportId(e.ruleId, e.id),
    ProductArn: productArn(e.accountId, e.region),
    ProductName: PRODUCT_NAME,
    CompanyName: PRODUCT_NAME,
    GeneratorId: `${PRODUCT_NAME}/${e.ruleId}`,
    AwsAccountId: e.accountId,
    Region: e.region,
    Types: findingTypes(e.ruleId),
    ...(first ? { FirstObservedAt: first } : {}),
    ...(last ? { LastObservedAt: last } : {}),
    CreatedAt: first ?? ctx.at,
    UpdatedAt: ctx.written,
    Severity: severity,
    Title: clip(ctx.rule(e.ruleId).title, MAX.title),
  };
}

/** Where the instance and its AMI are, for the description (untrusted names quoted, cut short). */
function where(e: { accountId: string; region: string; instanceId: string; imageId: string | null }, instanceName: string | null, imageName: string | null, owner: string | null): string {
  const inst = `${e.instanceId}${present(instanceName) ? ` (${clip(instanceName, QUOTE.name)})` : ''}`;
  const ami = `${e.imageId === null ? 'an unknown AMI' : clip(e.imageId, QUOTE.name)}${present(imageName) ? ` (${clip(imageName, QUOTE.name)})` : ''}${present(owner) ? `, owner ${clip(owner, QUOTE.name)}` : ''}`;
  return `Instance ${inst} in account ${e.accountId}, ${e.region}, runs ${ami}.`;
}

/**
 * Where the resource and the AMI it references are, for the description, with the Auto Scaling
 * groups that launch the AMI from it.
 */
function whereResource(e: { accountId: string; region: string; imageId: string | null }, r: FindingResource, imageName: string | null, owner: string | null): string {
  const label = resourceLabel(r);
  const what = `${label.charAt(0).toUpperCase()}${label.slice(1)}`;
  const ami = `${e.imageId === null ? 'an unknown AMI' : clip(e.imageId, QUOTE.name)}${present(imageName) ? ` (${clip(imageName, QUOTE.name)})` : ''}${present(owner) ? `, owner ${clip(owner, QUOTE.name)}` : ''}`;
  const groups = r.usedBy.length ? ` ${clip(groupsText(r.usedBy), QUOTE.message)} launch${r.usedBy.length === 1 ? 'es' : ''} it from there.` : '';
  return `${clip(what, QUOTE.message)} in account ${e.accountId}, ${e.region}, references ${ami}.${groups}`;
}

/** The description's sentence on the subject: the instance or the resource, and its AMI. */
function whereSubject(e: Subject, instanceName: string | null, imageName: string | null, owner: string | null): string {
  if (e.resource) return whereResource(e, e.resource, imageName, owner);
  if (e.instanceId === '') return `A resource in account ${e.accountId}, ${e.region}, references ${e.imageId === null ? 'an unknown AMI' : clip(e.imageId, QUOTE.name)}.`;
  return where(e, instanceName, imageName, owner);
}

const sentence = (s: string): string => (/[.!?…]$/.test(s) ? s : `${s}.`);

/** The API's limit on Compliance.RelatedRequirements. */
export const MAX_RELATED_REQUIREMENTS = 32;

/**
 * The rule's compliance controls as Compliance.RelatedRequirements (`<framework> <control id>`,
 * at most 32, the API's limit; the first 32 in the rule's order when it has more); none for a rule
 * without controls (the API refuses an empty list).
 */
function relatedRequirements(ctx: Ctx, ruleId: string): { RelatedRequirements?: string[] } {
  const list = (ctx.rule(ruleId).controls ?? []).map(controlLabel).filter((x) => /\S/.test(x)).slice(0, MAX_RELATED_REQUIREMENTS);
  return list.length ? { RelatedRequirements: list } : {};
}

function currentFinding(ctx: Ctx, f: Finding): AsffFinding {
  const severity = { Label: LABEL[f.severity], Original: f.severity };
  const h = head(ctx, f, severity);
  const w = f.waiver;
  const parts = [sentence(clip(f.message, QUOTE.message)), whereSubject(f, f.instanceName, f.imageName, f.imageOwnerAlias ?? f.imageOwnerId)];
  if (w) parts.push(sentence(waiverText({ ...w, ticket: present(w.ticket) ? clip(w.ticket, QUOTE.name) : null, reason: clip(w.reason, QUOTE.reason) })));
  const tags = ctx.report.tagColumns.map((key, i): [string, string | null | undefined] => [field(`Tag/${key}`), f.tags?.[i]]);
  return {
    ...h,
    Description: clip(parts.join(' '), MAX.description),
    ...(present(f.remediation) ? { Remediation: { Recommendation: { Text: clip(f.remediation, MAX.recommendation) } } } : {}),
    ProductFields: productFields([
      [field('RuleId'), f.ruleId],
      [field('FindingId'), f.id],
      ...resourceFields(f.resource),
      [field('InstanceId'), f.instanceId],
      [field('InstanceName'), f.instanceName],
      [field('InstanceState'), f.instanceState],
      [field('ImageId'), f.imageId],
      [field('ImageName'), f.imageName],
      [field('ImageOwnerId'), f.imageOwnerId],
      [field('ImageOwnerAlias'), f.imageOwnerAlias],
      [field('Waived'), w ? 'true' : 'false'],
      [field('WaiverId'), w?.id],
      [field('WaiverExpires'), w?.expires],
      [field('WaiverTicket'), w?.ticket],
      [field('WaiverReason'), w?.reason],
      [field('ExpiredWaiverId'), f.expiredWaiver?.id],
      [field('RunId'), ctx.report.run.id],
      [field('ToolVersion'), ctx.report.tool.version],
      ...tags,
    ]),
    Resources: [subjectResource(ctx, f)],
    Compliance: { Status: 'FAILED', ...relatedRequirements(ctx, f.ruleId) },
    RecordState: w ? 'ARCHIVED' : 'ACTIVE',
    Workflow: { Status: w ? 'SUPPRESSED' : 'NEW' },
    FindingProviderFields: { Severity: { ...severity }, Types: [...h.Types] },
  };
}

type Resolved = DiffEntry & { resource?: FindingResource } & Partial<Pick<ResolvedFinding, 'firstSeenAt' | 'resolvedAt' | 'daysToFix'>>;

function resolvedFinding(ctx: Ctx, d: Resolved): AsffFinding {
  const severity = { Label: 'INFORMATIONAL', Original: d.severity };
  const h = head(ctx, { ...d, lastSeenAt: undefined }, severity);
  const run = ctx.report.run;
  const baseline = ctx.report.diff?.baseline;
  const before = d.firstSeenAt
    ? `first seen ${d.firstSeenAt}${d.daysToFix !== undefined ? `, fixed in ${d.daysToFix} days` : ''}`
    : baseline ? `found by run ${clip(baseline.runId, QUOTE.name)} (as of ${baseline.asOf})` : 'found by an earlier run';
  const text = `Resolved: run ${clip(run.id, QUOTE.name)} (as of ${run.asOf}) no longer finds what was ${before}: ${sentence(clip(d.message, QUOTE.message))} ${whereSubject(d, null, null, null)}`;
  return {
    ...h,
    Description: clip(text, MAX.description),
    ProductFields: productFields([
      [field('RuleId'), d.ruleId],
      [field('FindingId'), d.id],
      ...resourceFields(d.resource),
      [field('InstanceId'), d.instanceId],
      [field('ImageId'), d.imageId],
      [field('Waived'), 'false'],
      [field('ResolvedInRunId'), run.id],
      [field('BaselineRunId'), baseline?.runId],
      [field('DaysToFix'), d.daysToFix === undefined ? null : String(d.daysToFix)],
      [field('RunId'), run.id],
      [field('ToolVersion'), ctx.report.tool.version],
    ]),
    Resources: [subjectResource(ctx, d)],
    Compliance: { Status: 'PASSED', ...relatedRequirements(ctx, d.ruleId) },
    RecordState: 'ARCHIVED',
    Workflow: { Status: 'RESOLVED' },
    FindingProviderFields: { Severity: { ...severity }, Types: [...h.Types] },
  };
}

/**
 * A scope that could not be read, as a finding of its own under a stable id per account and
 * region: Compliance.Status NOT_AVAILABLE when nothing could be checked (error), WARNING when part
 * could (partial), naming the account, the region and what failed. The resource is the account
 * (`AwsAccount`, `AWS::::Account:<id>`); a scope of every region (`*`, when the account's regions
 * could not be listed) goes to the run's first region.
 */
function scopeFinding(ctx: Ctx, c: CoverageEntry): AsffFinding {
  const error = c.status === 'error';
  const region = c.region === '*' ? ctx.report.run.regions.find((r) => r !== '*') ?? 'us-east-1' : c.region;
  const severity = error ? { Label: 'MEDIUM', Original: 'coverage-error' } : { Label: 'LOW', Original: 'coverage-partial' };
  const types = [COVERAGE_TYPE];
  const account = ctx.report.accounts?.find((a) => a.accountId === c.accountId);
  const partition = ASFF_PARTITION[partitionOfRegion(region)];
  return {
    SchemaVersion: '2018-10-08',
    Id: scopeRecordId(c),
    ProductArn: productArn(c.accountId, region),
    ProductName: PRODUCT_NAME,
    CompanyName: PRODUCT_NAME,
    GeneratorId: `${PRODUCT_NAME}/coverage`,
    AwsAccountId: c.accountId,
    Region: region,
    Types: types,
    CreatedAt: ctx.at,
    UpdatedAt: ctx.written,
    Severity: severity,
    Title: error ? 'Account and region could not be audited' : 'Account and region audited only in part',
    Description: clip(`${scopeMeaning(c)} What failed: ${clip(scopeFailureText(c), QUOTE.message * 2)}`, MAX.description),
    ProductFields: productFields([
      [field('RuleId'), 'coverage'],
      [field('ScopeStatus'), c.status],
      [field('ScopeRegion'), c.region],
      [field('AccountName'), account?.name],
      [field('ErrorCode'), c.errorCode],
      [field('Failures'), (c.failures ?? []).map((f) => (f.action && f.action !== 'Run' ? `${f.action}:${f.code}` : f.code)).join('; ')],
      [field('InstancesRead'), String(c.instanceCount)],
      [field('RunId'), ctx.report.run.id],
      [field('ToolVersion'), ctx.report.tool.version],
    ]),
    Resources: [{ Type: 'AwsAccount', Id: `AWS::::Account:${c.accountId}`, ...(partition ? { Partition: partition } : {}), Region: region }],
    Compliance: { Status: error ? 'NOT_AVAILABLE' : 'WARNING' },
    RecordState: 'ACTIVE',
    Workflow: { Status: 'NEW' },
    FindingProviderFields: { Severity: { ...severity }, Types: [...types] },
  };
}

/** One account and region's findings to send, cut into batches as they are taken. */
interface AsffGroup {
  /** `<account>-<region>`, as the files are named. */
  where: string;
  /** Findings in it (a bound on its batches). */
  size: number;
  batches(): Generator<AsffBatchEntry[]>;
}

/** One finding of a batch, with its JSON line as the file holds it (made once: it also gives the size). */
interface AsffBatchEntry { finding: AsffFinding; line: string }

/**
 * The findings to send, grouped by account and region (sorted), each group in report order with the
 * resolved ones last; each group's ASFF findings made only when its batches are taken, and cut into
 * batches of at most `findingsPerFile` findings and `fileBytes` bytes.
 */
function* asffGroups(report: Report, limits: AsffLimits, opts: ExportOptions): Generator<AsffGroup> {
  const ctx: Ctx = { report, at: new Date(asOfMs(report)).toISOString(), written: new Date(writtenMs(report, opts)).toISOString(), rule: ruleLookup(report), record: recordLookup(report) };
  const resolved = resolvedEntries(report);
  const scopes = failedScopes(report);
  const scopeRegion = (c: CoverageEntry): string => (c.region === '*' ? report.run.regions.find((r) => r !== '*') ?? 'us-east-1' : c.region);
  // what each group holds, as positions: a finding i is 3i, a resolved one 3i+1, a failed scope 3i+2
  const groups = new Map<string, number[]>();
  const add = (accountId: string, region: string, at: number): void => {
    const key = `${accountId}\u0000${region}`;
    const list = groups.get(key);
    if (list) list.push(at);
    else groups.set(key, [at]);
  };
  report.findings.forEach((f, i) => add(f.accountId, f.region, 3 * i));
  resolved.forEach((d, i) => add(d.accountId, d.region, 3 * i + 1));
  scopes.forEach((c, i) => add(c.accountId, scopeRegion(c), 3 * i + 2));
  const make = (at: number): AsffFinding => {
    const i = Math.floor(at / 3);
    const kind = at % 3;
    return kind === 0 ? currentFinding(ctx, report.findings[i]!) : kind === 1 ? resolvedFinding(ctx, resolved[i]!) : scopeFinding(ctx, scopes[i]!);
  };
  for (const key of [...groups.keys()].sort()) {
    const members = groups.get(key)!;
    yield {
      where: key.replace('\u0000', '-'),
      size: members.length,
      * batches() {
        let batch: AsffBatchEntry[] = [];
        let bytes = 4; // "[\n" and "]\n"
        for (const at of members) {
          const a = make(at);
          const line = jsonLine(a);
          const size = wireBytesOfText(line);
          if (size > limits.findingBytes) throw new Error(`internal error: ASFF finding ${a.Id} is ${size} bytes, over ${limits.findingBytes}`);
          if (batch.length > 0 && (batch.length >= limits.findingsPerFile || bytes + size + 2 > limits.fileBytes)) {
            yield batch;
            batch = [];
            bytes = 4;
          }
          batch.push({ finding: a, line });
          bytes += size + 2; // ",\n"
        }
        if (batch.length) yield batch;
      },
    };
  }
}

/**
 * The findings to send, grouped by account and region (sorted), each group in report order with the
 * resolved ones last; cut into batches of at most `findingsPerFile` findings and `fileBytes` bytes.
 */
export function asffBatches(report: Report, limits: AsffLimits = ASFF_LIMITS, opts: ExportOptions = {}): AsffFinding[][] {
  const batches: AsffFinding[][] = [];
  for (const g of asffGroups(report, limits, opts)) for (const b of g.batches()) batches.push(b.map((e) => e.finding));
  return batches;
}

/** Files a group can have before their numbers need more than three digits. */
const NARROW_FILES = 999;

/**
 * The `-asff-<account>-<region>-NNN.json` files: named by the account and region every finding of
 * the file belongs to (the one account and region its import must run as), numbered from 001 within
 * them (wider when there are more than 999); none when there is nothing to send.
 */
export function renderAsffFiles(report: Report, opts: ExportOptions = {}, limits: AsffLimits = ASFF_LIMITS): { suffix: string; content: string }[] {
  return [...asffFiles(report, opts, limits)].map((f) => ({ suffix: f.suffix, content: f.content.join('') }));
}

/**
 * The files of renderAsffFiles one at a time, each cut as its findings are made: a group of at
 * most 999 findings (at most 999 files) is written as it goes; only a larger one keeps its files'
 * text until it knows how many digits their numbers take.
 */
export function* asffFiles(report: Report, opts: ExportOptions = {}, limits: AsffLimits = ASFF_LIMITS): Generator<{ suffix: string; content: string[] }> {
  const name = (where: string, n: number, width: number): string => `-asff-${where}-${String(n).padStart(width, '0')}.json`;
  for (const g of asffGroups(report, limits, opts)) {
    if (g.size <= NARROW_FILES) {
      let n = 0;
      for (const b of g.batches()) yield { suffix: name(g.where, ++n, 3), content: jsonArrayPieces(b.map((e) => e.line)) };
      continue;
    }
    const texts: string[][] = [];
    for (const b of g.batches()) texts.push(jsonArrayPieces(b.map((e) => e.line)));
    const width = Math.max(3, String(texts.length).length);
    for (let n = 1; n <= texts.length; n++) yield { suffix: name(g.where, n, width), content: texts[n - 1]! };
  }
}
