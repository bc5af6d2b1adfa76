/**
 * Inputs of `ami-audit report --input`, `--baseline` and `diff`: saved ami-audit JSON reports, and raw
 * `aws ec2 describe-instance-image-metadata` output ({"InstanceImageMetadata": [...]}).
 *
 * Pure. The I/O layer (src/io/files.ts) streams a file's JSON tokens into a `JsonDocumentReader`,
 * which assembles the document's top-level members, and the elements of its long arrays one at a
 * time, under limits on nesting depth and size: no whole text, and no value of unbounded size or
 * depth, is ever built. An `InputFileReader` validates each element as it arrives (against the
 * report schema, and account ids, regions and instance ids where they enter) and keeps only what
 * its caller needs: a diff needs run, coverage and findings, a re-evaluation needs instances.
 * A version 4 report stores each finding as a record that refers to its instance, AMI, rule and
 * waiver (src/model/finding-record.ts): the reader makes them whole findings again once the file is
 * read, keeping for it what findings take from the instances when the instances are not kept.
 *
 * Saved data is untrusted: everything keyed by an AWS string lives in a Map.
 */
import { createHash } from 'node:crypto';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { AccountInfo, CoverageEntry, Finding, ImageReference, InstanceRecord, Inventory, OwnedImage, Report, ScopeFailure, ScopeStatus, SuccessorRecord, Tag } from '../model/types.js';
import { REPORT_SCHEMA_VERSION } from '../model/types.js';
import { UserError } from '../model/errors.js';
import { canonicalJson } from '../rules/engine.js';
import { RULE_IDS } from '../rules/registry.js';
import { mergeMissingIds, ok, partial, STATUS_RANK } from '../model/coverage.js';
import { coverageGaps, imagePlan } from './plan.js';
import { ContentDigest, REPORT_KEYS, STREAMED } from './digest.js';
import { accountDirectory } from './build.js';
import { FULL_FINDING_FIELDS, reportSchema } from '../schema/report.js';
import { findingRefs, fromFindingRecord, type FindingRecord } from '../model/finding-record.js';
import { FINDING_OWN_VALUES, internRecord, Interner, setOwn } from '../model/intern.js';
import { reportValidator } from '../schema/validate.js';
import { checkConfig, jsonPath, type AuditConfig } from '../config/config.js';

import { ACCOUNT_ID_RE, cmp, RECORD_INSTANCE_ID_RE as INSTANCE_ID_RE, REGION_RE as REGION_NAME_RE, regionOfZone, regionOfZoneId } from '../model/ids.js';

/** Bounds on what one input may make ami-audit build. */
export interface InputLimits {
  /** Nesting depth of the document (a report is 6 deep). */
  maxDepth: number;
  /** Characters in one string, key or number. */
  maxStringChars: number;
  /** Size of one element of a long array (an instance, a finding), in characters and tokens. */
  maxElementUnits: number;
  /** Size of one other top-level member (run, rules, waivers, diff, ...). */
  maxMemberUnits: number;
}

export const INPUT_LIMITS: InputLimits = { maxDepth: 64, maxStringChars: 4 << 20, maxElementUnits: 16 << 20, maxMemberUnits: 256 << 20 };

/** One token of the streaming JSON parser (stream-json's token protocol). */
export interface JsonToken { name: string; value?: unknown }

/** What a document reader does with each top-level member. */
export type MemberRoute = 'elements' | 'value' | 'skip';

export interface DocumentHandler {
  /** `elements`: an array member is handed over element by element; `value`: whole; `skip`: never built. */
  route(key: string): MemberRoute;
  member(key: string, value: unknown): void;
  element(key: string, index: number, value: unknown): void;
  /** An array member routed to `elements` started (so the document is known to have it). */
  arrayStart?(key: string): void;
}

interface Frame { container: Record<string, unknown> | unknown[]; key: string | null }

function pathText(parts: (string | number)[]): string {
  const shown = parts.length > 12 ? [...parts.slice(0, 12), '…'] : parts;
  return shown.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : p === '…' ? `${acc}…` : /^[A-Za-z_$][\w$]*$/.test(p) ? (acc ? `${acc}.${p}` : p) : `${acc}[${JSON.stringify(p)}]`), '');
}

/**
 * Assembles a streamed JSON document: the root must be an object; each top-level member is routed
 * (see DocumentHandler). Iterative throughout (no recursion), with the limits of InputLimits.
 */
export class JsonDocumentReader {
  private depth = 0;
  private topKey: string | null = null;
  private mode: 'none' | 'value' | 'skip' | 'elements' = 'none';
  private index = 0;
  private stack: Frame[] = [];
  private units = 0;
  private chars = 0;
  private rootSeen = false;

  constructor(private readonly file: string, private readonly handler: DocumentHandler, private readonly limits: InputLimits = INPUT_LIMITS) {}

  private fail(problem: string, fix: string): never {
    const parts: (string | number)[] = [];
    if (this.topKey !== null) parts.push(this.topKey);
    if (this.mode === 'elements') parts.push(this.index);
    for (const f of this.stack) parts.push(Array.isArray(f.container) ? f.container.length : f.key ?? '?');
    const where = parts.length ? `${pathText(parts)}: ` : '';
    throw new UserError(`${this.file}: ${where}${problem}; ${fix}`);
  }

  private count(n: number): void {
    this.units += n;
    const max = this.mode === 'elements' ? this.limits.maxElementUnits : this.limits.maxMemberUnits;
    if (this.units > max) this.fail(`value larger than ${Math.round(max / (1 << 20))} MiB`, 'this is not a report or AWS CLI output ami-audit reads');
  }

  /** A complete value inside the member or element being assembled. */
  private deliver(value: unknown): void {
    const top = this.stack[this.stack.length - 1];
    if (top) {
      if (Array.isArray(top.container)) top.container.push(value);
      else setOwn(top.container, top.key ?? '', value);
      return;
    }
    if (this.mode === 'elements') this.handler.element(this.topKey!, this.index++, value);
    else {
      this.handler.member(this.topKey!, value);
      this.mode = 'none';
    }
  }

  private scalar(value: unknown): void {
    if (this.depth === 0) this.notAnObject();
    if (this.depth === 1) {
      // a top-level member that is a scalar
      if (this.handler.route(this.topKey!) !== 'skip') this.handler.member(this.topKey!, value);
      return;
    }
    if (this.mode === 'skip') return;
    this.count(1);
    this.deliver(value);
  }

  private notAnObject(): never {
    throw new UserError(`${this.file}: expected a JSON object: an ami-audit report or AWS CLI describe-instance-image-metadata output`);
  }

  private open(isArray: boolean): void {
    if (this.depth === 0) {
      if (isArray || this.rootSeen) this.notAnObject();
      this.rootSeen = true;
      this.depth = 1;
      return;
    }
    this.depth += 1;
    if (this.depth > this.limits.maxDepth) this.fail(`nested deeper than ${this.limits.maxDepth} levels`, 'no ami-audit report or AWS CLI output nests this deep');
    if (this.depth === 2) {
      const route = this.handler.route(this.topKey!);
      if (route === 'skip') {
        this.mode = 'skip';
        return;
      }
      if (route === 'elements' && isArray) {
        this.mode = 'elements';
        this.index = 0;
        this.handler.arrayStart?.(this.topKey!);
        return;
      }
      this.mode = 'value';
      this.units = 0;
    } else if (this.mode === 'skip') return;
    else if (this.mode === 'elements' && this.depth === 3) this.units = 0;
    this.count(1);
    this.stack.push({ container: isArray ? [] : {}, key: null });
  }

  private close(): void {
    this.depth -= 1;
    if (this.depth === 0) return;
    if (this.mode === 'skip') {
      if (this.depth === 1) this.mode = 'none';
      return;
    }
    if (this.mode === 'elements' && this.depth === 1) {
      this.mode = 'none';
      return;
    }
    const frame = this.stack.pop()!;
    this.deliver(frame.container);
  }

  token(t: JsonToken): void {
    switch (t.name) {
      case 'startObject': return this.open(false);
      case 'startArray': return this.open(true);
      case 'endObject':
      case 'endArray': return this.close();
      case 'startString':
      case 'startKey':
      case 'startNumber':
        this.chars = 0;
        return;
      case 'stringChunk':
      case 'numberChunk':
        this.chars += (t.value as string).length;
        if (this.chars > this.limits.maxStringChars) this.fail(`a string or number longer than ${this.limits.maxStringChars} characters`, 'this is not a report or AWS CLI output ami-audit reads');
        return;
      case 'keyValue': {
        const key = t.value as string;
        if (this.depth === 1) {
          this.topKey = key;
          this.mode = 'none';
          return;
        }
        if (this.mode === 'skip') return;
        this.count(1 + key.length);
        this.stack[this.stack.length - 1]!.key = key;
        return;
      }
      case 'stringValue': {
        const s = t.value as string;
        if (this.mode !== 'skip' && this.depth > 1) this.count(s.length);
        return this.scalar(s);
      }
      case 'numberValue': return this.scalar(Number(t.value as string));
      case 'nullValue': return this.scalar(null);
      case 'trueValue': return this.scalar(true);
      case 'falseValue': return this.scalar(false);
      default: return;
    }
  }

  /** The end of the input. */
  end(): void {
    if (!this.rootSeen) throw new UserError(`${this.file}: empty; expected an ami-audit JSON report or AWS CLI describe-instance-image-metadata output`);
    if (this.depth !== 0) throw new UserError(`${this.file}: the JSON ends before the document does (a truncated file?)`);
  }
}

/** Hands an already parsed document to a handler the way a streamed one would be. */
export function walkDocument(file: string, doc: unknown, handler: DocumentHandler): void {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new UserError(`${file}: expected a JSON object: an ami-audit report or AWS CLI describe-instance-image-metadata output`);
  }
  for (const [key, value] of Object.entries(doc)) {
    const route = handler.route(key);
    if (route === 'skip') continue;
    if (route === 'elements' && Array.isArray(value)) {
      handler.arrayStart?.(key);
      value.forEach((v, i) => handler.element(key, i, v));
    } else handler.member(key, value);
  }
}

export { regionOfZone, regionOfZoneId };

// ---------------------------------------------------------------------------------------------
// Validation of report elements, against the published report schema (whatever it holds now).

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let elementAjv: Ajv | null = null;
const elementValidators = new Map<string, ValidateFunction>();

type Streamed = (typeof STREAMED)[number];

function elementValidator(key: Streamed): ValidateFunction {
  let v = elementValidators.get(key);
  if (!v) {
    if (!elementAjv) {
      elementAjv = addFormats(new Ajv({ allErrors: false, strict: false }));
      elementAjv.addSchema(reportSchema);
    }
    v = elementAjv.compile({ $ref: `${reportSchema.$id}#/properties/${key}/items` });
    elementValidators.set(key, v);
  }
  return v;
}

/** A finding of a version 1 to 3 report: every field present (a version 4 record leaves out what its references give). */
let fullFindingValidator: ValidateFunction | null = null;
function fullFinding(): ValidateFunction {
  if (!fullFindingValidator) {
    elementValidator('findings');
    fullFindingValidator = elementAjv!.compile({
      allOf: [{ $ref: `${reportSchema.$id}#/properties/findings/items` }, { required: [...FULL_FINDING_FIELDS], properties: { waiver: { not: { type: 'string' } }, expiredWaiver: { not: { type: 'string' } } } }],
    });
  }
  return fullFindingValidator;
}

function notAReport(file: string, path: string, message: string): UserError {
  return new UserError(`${file}: ${path || '(root)'}: ${message}; this is not a complete ami-audit report (schema ${REPORT_SCHEMA_VERSION})`);
}

function firstError(errors: ErrorObject[] | null | undefined): { path: string; message: string } {
  const e = errors?.[0];
  return { path: jsonPath(e?.instancePath ?? ''), message: e?.message ?? 'invalid' };
}

function join(base: string, sub: string): string {
  return sub ? (sub.startsWith('[') ? `${base}${sub}` : `${base}.${sub}`) : base;
}

function checkId(file: string, path: string, value: unknown, re: RegExp, what: string, fix: string): void {
  if (typeof value !== 'string' || !re.test(value)) throw new UserError(`${file}: ${path}: ${JSON.stringify(value)?.slice(0, 80) ?? 'missing'} is not ${what}; ${fix}`);
}

/** Tags sorted by key (then value), so that the same estate gives the same bytes. */
export function sortedTags(tags: Tag[] | undefined): Tag[] | undefined {
  if (!Array.isArray(tags)) return tags;
  return [...tags].sort((a, b) => cmp(String(a?.Key ?? ''), String(b?.Key ?? '')) || cmp(String(a?.Value ?? ''), String(b?.Value ?? '')));
}

/** What a reader keeps of a saved report. */
export interface KeepOptions {
  /** Instances (re-evaluation needs them; a diff does not). */
  instances: boolean;
  /** The saved findings (a diff needs them; re-evaluation makes its own). */
  findings: boolean;
  /** Compute the digest of the report's content as it is read (merge checks a shard part's against the one it records). */
  digest?: boolean;
}

export type ParsedInput =
  | { file: string; kind: 'report'; report: Report; digest?: string }
  | { file: string; kind: 'dump'; records: InstanceRecord[]; hasMore: boolean };

/**
 * Reads one input file, element by element: a saved report or AWS CLI output. Validates each
 * element as it arrives and keeps only what `keep` asks for.
 */
export class InputFileReader implements DocumentHandler {
  private readonly head = new Map<string, unknown>();
  private readonly arrays = new Set<string>();
  private readonly coverage: CoverageEntry[] = [];
  private readonly instances: InstanceRecord[] = [];
  /** Version 1 to 3: findings; version 4: their records, made findings again when the file is read. */
  private readonly findings: (Finding | FindingRecord)[] = [];
  /** What findings refer to of the instances, kept when the instances themselves are not (a diff of a version 4 report). */
  private readonly instanceRefs: InstanceRecord[] = [];
  private version: number | null = null;
  private readonly instanceScopes = new Map<string, string>();
  private readonly dump = new Map<string, InstanceRecord>();
  private readonly dumpScopes = new Set<string>();

  private readonly digest: ContentDigest | null;
  /** What the records read share (src/model/intern.ts): one copy of each repeated value, none of the text read. */
  private readonly interner = new Interner();

  constructor(readonly file: string, private readonly keep: KeepOptions = { instances: true, findings: true }) {
    this.digest = keep.digest ? new ContentDigest() : null;
  }

  route(key: string): MemberRoute {
    if ((STREAMED as readonly string[]).includes(key) || key === 'InstanceImageMetadata') return 'elements';
    if (REPORT_KEYS.has(key) || key === 'NextToken') return 'value';
    return 'skip';
  }

  arrayStart(key: string): void {
    this.arrays.add(key);
    this.digest?.arrayStart(key);
  }

  member(key: string, value: unknown): void {
    this.digest?.member(key, value);
    this.head.set(key, value);
    if (key === 'schemaVersion') {
      this.checkVersion(value);
      this.version = value as number;
    }
  }

  private checkVersion(v: unknown): void {
    const file = this.file;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new UserError(`${file}: schemaVersion: expected an integer`);
    if (v > REPORT_SCHEMA_VERSION) throw new UserError(`${file}: schemaVersion ${v} is newer than this ami-audit reads (${REPORT_SCHEMA_VERSION}); upgrade ami-audit to re-render it`);
    if (v < 1) throw new UserError(`${file}: schemaVersion ${v} is not a version ami-audit ever wrote`);
  }

  element(key: string, index: number, value: unknown): void {
    const at = `${key}[${index}]`;
    if (key === 'InstanceImageMetadata') return this.dumpItem(index, value);
    this.digest?.element(key, value);
    const k = key as Streamed;
    const validate = elementValidator(k);
    if (!validate(value)) {
      const e = firstError(validate.errors);
      throw notAReport(this.file, join(at, e.path), e.message);
    }
    const file = this.file;
    if (k === 'coverage') {
      const c = value as CoverageEntry;
      checkId(file, `${at}.accountId`, c.accountId, ACCOUNT_ID_RE, 'a 12-digit account id', 'this is not a report ami-audit wrote');
      if (c.region !== '*') checkId(file, `${at}.region`, c.region, REGION_NAME_RE, 'a region name', 'this is not a report ami-audit wrote');
      this.coverage.push({ ...c, failures: Array.isArray(c.failures) ? c.failures : [] });
    } else if (k === 'instances') {
      const i = value as InstanceRecord;
      checkId(file, `${at}.accountId`, i.accountId, ACCOUNT_ID_RE, 'a 12-digit account id', 'this is not a report ami-audit wrote');
      checkId(file, `${at}.region`, i.region, REGION_NAME_RE, 'a region name', 'this is not a report ami-audit wrote');
      if (i.InstanceId !== undefined) checkId(file, `${at}.InstanceId`, i.InstanceId, INSTANCE_ID_RE, 'an instance id', 'this is not a report ami-audit wrote');
      const scope = `${i.accountId}|${i.region}`;
      if (!this.instanceScopes.has(scope)) this.instanceScopes.set(scope, at);
      if (this.keep.instances) this.instances.push(internRecord(i.Tags ? { ...i, Tags: sortedTags(i.Tags) } : i, this.interner));
      else if (this.keep.findings && typeof i.InstanceId === 'string') {
        // a version 4 finding takes its instance's name, state and tag values from here
        this.instanceRefs.push(internRecord({ accountId: i.accountId, region: i.region, InstanceId: i.InstanceId, ...(i.State ? { State: { Name: i.State.Name } } : {}), ...(i.Tags ? { Tags: i.Tags } : {}) }, this.interner));
      }
    } else {
      const f = value as Finding | FindingRecord;
      if (this.version !== null && this.version < 4) this.checkFullFinding(at, f);
      checkId(file, `${at}.accountId`, f.accountId, ACCOUNT_ID_RE, 'a 12-digit account id', 'this is not a report ami-audit wrote');
      checkId(file, `${at}.region`, f.region, REGION_NAME_RE, 'a region name', 'this is not a report ami-audit wrote');
      if (this.keep.findings) this.findings.push(internRecord(f, this.interner, FINDING_OWN_VALUES));
    }
  }

  /** A finding of a version 1 to 3 report has every field. */
  private checkFullFinding(at: string, f: unknown): void {
    const validate = fullFinding();
    if (!validate(f)) {
      const e = firstError(validate.errors);
      throw notAReport(this.file, join(at, e.path), e.message);
    }
  }

  private dumpItem(n: number, item: unknown): void {
    const file = this.file;
    const at = `InstanceImageMetadata[${n}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new UserError(`${file}: ${at}: expected an object`);
    const it = item as Record<string, unknown>;
    if (it.OwnerId === undefined || it.OwnerId === null) throw new UserError(`${file}: ${at}.OwnerId: missing; the account of the instance cannot be told`);
    checkId(file, `${at}.OwnerId`, it.OwnerId, ACCOUNT_ID_RE, 'a 12-digit account id', 'give the output of aws ec2 describe-instance-image-metadata as it was written');
    const account = it.OwnerId as string;
    const region = regionOfZone(typeof it.AvailabilityZone === 'string' ? it.AvailabilityZone : undefined)
      ?? regionOfZoneId(typeof it.ZoneId === 'string' ? it.ZoneId : undefined);
    if (!region) throw new UserError(`${file}: ${at}.AvailabilityZone: missing or not a zone name (and no ZoneId); the region cannot be told`);
    checkId(file, `${at}.AvailabilityZone`, region, REGION_NAME_RE, 'in a region', 'give the output of aws ec2 describe-instance-image-metadata as it was written');
    // The account and region come from the instance's own fields; fields of these names are not AWS output.
    for (const [field, derived] of [['accountId', account], ['region', region]] as const) {
      if (field in it && it[field] !== derived) {
        throw new UserError(`${file}: ${at}.${field}: ${JSON.stringify(it[field])?.slice(0, 80)} contradicts the ${field === 'accountId' ? 'OwnerId' : 'Availability Zone'} (${derived}); remove the field: the AWS CLI does not write it`);
      }
    }
    if (it.InstanceId !== undefined) checkId(file, `${at}.InstanceId`, it.InstanceId, INSTANCE_ID_RE, 'an instance id', 'give the output of aws ec2 describe-instance-image-metadata as it was written');
    const rec = { ...it, accountId: account, region } as InstanceRecord;
    if (rec.Tags) rec.Tags = sortedTags(rec.Tags);
    const validate = elementValidator('instances');
    if (!validate(rec)) {
      const e = firstError(validate.errors);
      throw new UserError(`${file}: ${join(at, e.path)}: ${e.message}; this is not aws ec2 describe-instance-image-metadata output`);
    }
    const scope = `${account}|${region}`;
    this.dumpScopes.add(scope);
    const key = `${scope}|${typeof rec.InstanceId === 'string' ? rec.InstanceId : `#${n}`}`;
    if (!this.dump.has(key)) this.dump.set(key, internRecord(rec, this.interner));
  }

  /** The whole file was read: what it is. */
  finish(): ParsedInput {
    const file = this.file;
    if (this.head.has('schemaVersion')) {
      const skeleton: Record<string, unknown> = {};
      for (const [k, v] of this.head) setOwn(skeleton, k, v);
      for (const k of this.arrays) if (k !== 'InstanceImageMetadata') setOwn(skeleton, k, []);
      const validate = reportValidator();
      if (!validate(skeleton)) {
        const e = firstError(validate.errors);
        throw notAReport(file, e.path, e.message);
      }
      const scopes = new Set(this.coverage.map((c) => `${c.accountId}|${c.region}`));
      const wildcard = new Set(this.coverage.filter((c) => c.region === '*').map((c) => c.accountId));
      for (const [scope, at] of this.instanceScopes) {
        if (!scopes.has(scope) && !wildcard.has(scope.split('|')[0]!)) {
          throw new UserError(`${file}: ${at}: account ${scope.replace('|', ', region ')} has no coverage entry; this is not a complete ami-audit report`);
        }
      }
      const version = skeleton.schemaVersion as number;
      // a file whose schemaVersion came after its findings: those are checked now
      if (version < 4 && this.version === null) this.findings.forEach((f, n) => this.checkFullFinding(`findings[${n}]`, f));
      if (version >= 4 && this.findings.length) {
        const refs = findingRefs({ ...(skeleton as Partial<Report>), instances: this.keep.instances ? this.instances : this.instanceRefs });
        for (let n = 0; n < this.findings.length; n++) this.findings[n] = fromFindingRecord(this.findings[n] as FindingRecord, refs);
      }
      this.instanceRefs.length = 0;
      const report = upgradeReport(skeleton, this.coverage, this.instances, this.findings as Finding[]);
      return this.digest ? { file, kind: 'report', report, digest: this.digest.digest() } : { file, kind: 'report', report };
    }
    if (this.arrays.has('InstanceImageMetadata')) {
      const next = this.head.get('NextToken');
      return { file, kind: 'dump', records: [...this.dump.values()], hasMore: typeof next === 'string' && next.length > 0 };
    }
    throw new UserError(`${file}: neither an ami-audit report (schemaVersion) nor AWS CLI describe-instance-image-metadata output (InstanceImageMetadata list)`);
  }
}

/**
 * A validated saved report as the current model. A version 1 report (no tag columns, no plan) is
 * upgraded: tagColumns and owners are empty, images and coverageGaps are computed from what was
 * kept of its findings, instances and coverage (re-rendering recomputes all of them anyway; a
 * baseline or a diff reads only run, coverage and findings). Top-level keys in the model's order.
 */
export function upgradeReport(doc: Record<string, unknown>, coverage: CoverageEntry[], instances: InstanceRecord[], findings: Finding[]): Report {
  const saved = doc as unknown as Report & { schemaVersion: number };
  const v1 = saved.schemaVersion < 2;
  const out: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: saved.tool,
    run: saved.run,
    tagColumns: v1 ? [] : saved.tagColumns,
    images: v1 ? imagePlan(findings, instances) : saved.images,
    owners: v1 ? [] : saved.owners,
    coverageGaps: v1 ? coverageGaps(coverage) : saved.coverageGaps,
    accounts: saved.accounts ?? accountDirectory({ run: saved.run, coverage }),
    coverage,
    instances,
    notFoundInstanceIds: saved.notFoundInstanceIds,
    ...(saved.uncheckedInstanceIds !== undefined ? { uncheckedInstanceIds: saved.uncheckedInstanceIds } : {}),
    findings,
    waivers: saved.waivers,
    rules: saved.rules,
    summary: saved.summary,
    diff: saved.diff,
    // version 3: what the run history said beside the run (versions 1 and 2 had none)
    history: saved.history ?? null,
    // ami-audit images: the owned AMIs (absent in scan reports)
    ...(Array.isArray(saved.ownedImages) ? { ownedImages: saved.ownedImages } : {}),
  };
  return out;
}

/** Reads an already parsed document (tests, and callers that hold one). */
export function parseInputDoc(file: string, doc: unknown, keep?: KeepOptions): ParsedInput {
  const r = new InputFileReader(file, keep);
  walkDocument(file, doc, r);
  return r.finish();
}

/** Reads a saved report as a baseline (for --baseline and diff). */
export function readReportDoc(file: string, doc: unknown): Report {
  return reportOf(parseInputDoc(file, doc));
}

export function reportOf(p: ParsedInput): Report {
  if (p.kind !== 'report') throw new UserError(`${p.file}: not an ami-audit JSON report (no schemaVersion): AWS CLI output cannot be a baseline`);
  return p.report;
}

// ---------------------------------------------------------------------------------------------
// Merging inputs. Nothing depends on the order the inputs are given in.


export interface InputDoc { file: string; doc: unknown }

/** How a merged inventory is to be evaluated, as far as the inputs tell. */
export interface StoredEvaluation {
  /** The as-of of the saved reports (the latest, when they differ); null for AWS CLI output only. */
  asOf: string | null;
  /** Where the as-of came from. */
  asOfFrom: string[];
  /** Waivers, rule settings and trust settings stored in the saved reports; null when there are none. */
  config: AuditConfig | null;
  configFrom: string[];
  /** Things the output must say about the merge. */
  notes: string[];
}

export interface MergedInputs { inventory: Inventory; stored: StoredEvaluation }

const hash = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The settings a report was evaluated with, as a config document (validated like one). */
function storedConfig(file: string, r: Report, notes: Set<string>): AuditConfig {
  const rules: Record<string, Record<string, unknown>> = {};
  for (const info of r.rules) {
    if (!RULE_IDS.includes(info.id)) {
      notes.add(`Rule ${JSON.stringify(info.id).slice(0, 70)} of ${file} is not a rule of this ami-audit; its settings were ignored.`);
      continue;
    }
    const s: Record<string, unknown> = { ...(typeof info.options === 'object' && info.options ? info.options : {}) };
    if (info.severity !== info.defaultSeverity) s.severity = info.severity;
    if (Object.keys(s).length) rules[info.id] = s;
  }
  const MATCH_KEYS = ['ruleId', 'accountId', 'region', 'instanceId', 'imageId', 'tag'] as const;
  const waivers = r.waivers.map((w) => {
    const out: Record<string, unknown> = { id: w.id };
    const match = (typeof w.match === 'object' && w.match ? w.match : {}) as Record<string, unknown>;
    for (const k of MATCH_KEYS) if (Object.prototype.hasOwnProperty.call(match, k) && match[k] !== undefined) out[k] = match[k];
    out.reason = w.reason;
    out.expires = w.expires;
    if (w.ticket !== null) out.ticket = w.ticket;
    if (w.approvedBy !== null) out.approvedBy = w.approvedBy;
    return out;
  });
  const doc: Record<string, unknown> = { rules, waivers };
  const o = r.run.options as Record<string, unknown>;
  let trustRecorded = true;
  for (const k of ['trustedAccounts', 'trustedOwnerAliases', 'includeTerminated'] as const) {
    if (Object.prototype.hasOwnProperty.call(o, k)) doc[k] = o[k];
    else if (k !== 'includeTerminated') trustRecorded = false;
  }
  // the trusted accounts recorded are the whole list the run used (publishers included): nothing is added to them
  if (trustRecorded) doc.trustedPublishers = 'none';
  if (!trustRecorded) notes.add(`${file} does not record its trusted accounts and owner aliases (written by an older ami-audit): the defaults apply; give --config to set them.`);
  return checkConfig(`${file} (the evaluation settings stored in it)`, doc);
}

/** The same value gives the same text whatever the order of its keys. */
const canonical = canonicalJson;

function sameAll<T>(values: T[]): T | undefined {
  const first = values[0];
  return values.every((v) => canonical(v) === canonical(first)) ? first : undefined;
}

/**
 * Merges the inputs into one inventory. Rules, so that the argument order never matters:
 * - coverage: one entry per account x region; when inputs disagree, the worse status wins
 *   (error > partial > skipped > ok), a saved report's entry over AWS CLI output's at equal status,
 *   and the output says so;
 * - an instance found in several inputs: the record of the run that finished last (AWS CLI output
 *   counts as oldest), then the record that sorts first;
 * - the run: one saved report alone keeps its run (id, times, caller, options); AWS CLI output alone
 *   gives `import-<time of this run>`; anything else is a merged run `merged-<hash of the sorted run
 *   ids>` that started at the earliest start and finished at the latest finish;
 * - the as-of and the settings stored in the reports: see StoredEvaluation.
 */
export function mergeInputs(
  inputs: ParsedInput[],
  startedAt: string,
  /** shards: the inputs are the shard reports `ami-audit merge` combines (it checks them and writes its own note). */
  opts: { storedSettings?: boolean; shards?: boolean } = {},
): MergedInputs {
  const notes = new Set<string>();
  const coverage = new Map<string, { c: CoverageEntry; file: string; fromReport: boolean }>();
  const instances = new Map<string, { rec: InstanceRecord; rank: string }>();
  const reports = inputs.filter((p): p is Extract<ParsedInput, { kind: 'report' }> => p.kind === 'report');
  // Shard reports combine only through merge, which knows a missing shard from a smaller estate.
  const shard = inputs.length > 1 && !opts.shards ? reports.find((p) => p.report.run.shard) : undefined;
  if (shard) {
    const s = shard.report.run.shard!;
    throw new UserError(`--input: ${shard.file} is the report of shard ${s.index}/${s.count} of a sharded run: combine shard reports with "ami-audit merge", which records a missing shard's accounts as gaps`);
  }
  const dumps = inputs.filter((p): p is Extract<ParsedInput, { kind: 'dump' }> => p.kind === 'dump');

  const statuses = new Map<string, Map<string, ScopeStatus>>();
  const everyEntry: CoverageEntry[] = [];
  const addCoverage = (c: CoverageEntry, file: string, fromReport: boolean): void => {
    everyEntry.push(c);
    const key = `${c.accountId}|${c.region}`;
    const seen = statuses.get(key) ?? new Map<string, ScopeStatus>();
    statuses.set(key, seen);
    const had = seen.get(file);
    if (had === undefined || STATUS_RANK[c.status] > STATUS_RANK[had]) seen.set(file, c.status);
    const prev = coverage.get(key);
    if (!prev) {
      coverage.set(key, { c, file, fromReport });
      return;
    }
    const a = STATUS_RANK[prev.c.status];
    const b = STATUS_RANK[c.status];
    const pick = b !== a ? b > a
      : prev.fromReport !== fromReport ? fromReport
      : cmp(canonical({ ...c, instanceCount: 0 }), canonical({ ...prev.c, instanceCount: 0 })) < 0;
    if (pick) coverage.set(key, { c, file, fromReport });
  };
  // A record without an InstanceId is its own instance (two identical ones are two records): it is
  // keyed by where it came from, never merged by its content.
  const addInstance = (rec: InstanceRecord, rank: string, where: string): void => {
    const key = `${rec.accountId}|${rec.region}|${rec.InstanceId ?? `#${where}`}`;
    const prev = instances.get(key);
    if (!prev || rank > prev.rank || (rank === prev.rank && cmp(canonical(rec), canonical(prev.rec)) < 0)) instances.set(key, { rec, rank });
  };

  for (const { file, report: r } of reports) {
    for (const c of r.coverage) addCoverage({ ...c }, file, true);
    r.instances.forEach((i, n) => addInstance(i, `1${r.run.finishedAt}`, `${file}#${n}`));
  }
  for (const d of dumps) {
    const scopes = new Map<string, { accountId: string; region: string }>();
    d.records.forEach((rec, n) => {
      const key = `${rec.accountId}|${rec.region}`;
      if (!scopes.has(key)) scopes.set(key, { accountId: rec.accountId, region: rec.region });
      addInstance(rec, '0', `${d.file}#${n}`);
    });
    // AWS CLI output does not carry the region's Allowed AMIs state. Where an instance's AMI is not
    // allowed, that state decides the finding's severity: the scope cannot read as fully checked.
    const notAllowedIn = new Set<string>();
    for (const rec of d.records) if (rec.ImageMetadata?.ImageAllowed === false) notAllowedIn.add(`${rec.accountId}|${rec.region}`);
    for (const [key, { accountId, region }] of scopes) {
      const failures: ScopeFailure[] = [];
      // A dump that still carries a NextToken stops before the last page.
      if (d.hasMore) failures.push({ action: 'DescribeInstanceImageMetadata', code: 'IncompleteDump', message: `${d.file} ends with a NextToken: later pages were not included in the dump.` });
      if (notAllowedIn.has(key)) {
        failures.push({
          action: 'GetAllowedImagesSettings', code: 'NotInDump',
          message: `${d.file} is AWS CLI output, which does not carry the region's Allowed AMIs state: its not-allowed findings are rated as if the state were unknown (scan the account, or run aws ec2 get-allowed-images-settings, to know whether they are enforced)`,
        });
      }
      addCoverage(failures.length ? partial(accountId, region, failures, {}, failures[0]!.message) : ok(accountId, region), d.file, false);
    }
  }

  for (const [key, seen] of statuses) {
    if (new Set(seen.values()).size < 2) continue;
    const kept = coverage.get(key)!.c;
    const list = [...seen.entries()].sort((x, y) => cmp(x[0], y[0])).map(([f, st]) => `${st} in ${f}`);
    notes.add(`Coverage of ${kept.accountId} ${kept.region} differs between inputs (${list.join(', ')}): the worse status, ${kept.status}, is kept.`);
  }
  const perScope = new Map<string, number>();
  const found = new Set<string>();
  for (const { rec: i } of instances.values()) {
    perScope.set(`${i.accountId}|${i.region}`, (perScope.get(`${i.accountId}|${i.region}`) ?? 0) + 1);
    if (i.InstanceId) found.add(i.InstanceId);
  }
  const cov = [...coverage.entries()].sort((a, b) => cmp(a[0], b[0])).map(([key, { c }]) => ({ ...c, instanceCount: perScope.get(key) ?? 0 }));

  // The run.
  const runs = reports.map((p) => p.report.run);
  const runIds = [...new Set(runs.map((r) => r.id))].sort(cmp);
  const accounts = new Set<string>(cov.map((c) => c.accountId));
  const regions = new Set<string>(cov.map((c) => c.region).filter((r) => r !== '*'));
  for (const r of runs) {
    for (const a of r.accounts) if (ACCOUNT_ID_RE.test(a)) accounts.add(a);
    for (const g of r.regions) if (REGION_NAME_RE.test(g)) regions.add(g);
  }
  let run: Inventory['run'];
  if (runIds.length === 1 && dumps.length === 0) {
    const stored = sameAll(runs.map(({ asOf: _a, status: _s, ...rest }) => rest));
    const base = stored ?? (() => {
      const { asOf: _a, status: _s, ...rest } = [...runs].sort((a, b) => cmp(canonical(a), canonical(b)))[0]!;
      return rest;
    })();
    run = { ...base, source: 'report' };
  } else if (runs.length === 0) {
    run = { id: `import-${startedAt}`, startedAt, finishedAt: startedAt, caller: { accountId: null, arn: null }, accounts: [], regions: [], options: {}, interrupted: false, source: 'aws-cli' };
  } else {
    const parts = dumps.length ? [...runIds, `import-${startedAt}`] : runIds;
    const caller = sameAll(runs.map((r) => r.caller)) ?? { accountId: null, arn: null };
    const options = sameAll(runs.map((r) => r.options)) ?? { mergedFrom: runIds };
    run = {
      id: `merged-${hash(parts.join('\n')).slice(0, 20)}`,
      startedAt: runs.map((r) => r.startedAt).sort(cmp)[0]!,
      finishedAt: runs.map((r) => r.finishedAt).sort(cmp).at(-1)!,
      caller, accounts: [], regions: [], options, interrupted: runs.some((r) => r.interrupted), source: 'report',
    };
    if (!opts.shards) notes.add(`Merged ${inputs.length} inputs (${runIds.length} saved run${runIds.length === 1 ? '' : 's'}${dumps.length ? `, ${dumps.length} AWS CLI output file${dumps.length === 1 ? '' : 's'}` : ''}) into run ${run.id}.`);
  }
  const oldWarnings = [...new Set(runs.flatMap((r) => (Array.isArray(r.warnings) ? r.warnings : [])))].sort(cmp);
  run = { ...run, accounts: [...accounts].sort(cmp), regions: [...regions].sort(cmp) };
  if (oldWarnings.length) run.warnings = oldWarnings;
  else delete run.warnings;

  const { notFoundInstanceIds: notFound, uncheckedInstanceIds: unchecked } = mergeMissingIds(
    reports.map(({ report: r }) => ({ notFoundInstanceIds: r.notFoundInstanceIds ?? [], uncheckedInstanceIds: r.uncheckedInstanceIds ?? [] })), found, everyEntry);

  // What the saved reports were evaluated with.
  let asOf: string | null = null;
  let asOfFrom: string[] = [];
  let config: AuditConfig | null = null;
  let configFrom: string[] = [];
  if (reports.length) {
    asOf = reports.map((p) => p.report.run.asOf).sort(cmp).at(-1)!;
    asOfFrom = reports.filter((p) => p.report.run.asOf === asOf).map((p) => p.file).sort(cmp);
  }
  if (reports.length && opts.storedSettings !== false) {
    const configs = reports.map((p) => ({ file: p.file, cfg: storedConfig(p.file, p.report, notes) })).sort((a, b) => cmp(a.file, b.file));
    const first = configs[0]!;
    const differ = configs.find((c) => canonical(c.cfg) !== canonical(first.cfg));
    if (differ) {
      throw new UserError(`--input: ${first.file} and ${differ.file} were evaluated with different waivers or rule settings; give --config to choose the settings of the merged report`);
    }
    config = first.cfg;
    configFrom = configs.map((c) => c.file);
    // The tag columns the reports were rendered with (version 1: none) carry over when they agree.
    const columns = reports.map((p) => (Array.isArray(p.report.tagColumns) ? p.report.tagColumns : []));
    const same = sameAll(columns);
    if (same === undefined) notes.add('The input reports were written with different tag columns: none are used; give --tag-columns to choose.');
    else if (same.length) config = checkConfig(`${first.file} (the evaluation settings stored in it)`, { ...config, report: { tagColumns: [...same] } });
  }

  // Account names: per account, the entry that knows the most, then the one that sorts first.
  const known = (a: AccountInfo): number => [a.name, a.ouPath, a.state].filter((v) => v !== null && v !== undefined).length;
  const names = new Map<string, AccountInfo>();
  for (const { report: r } of reports) {
    for (const a of r.accounts ?? []) {
      const prev = names.get(a.accountId);
      if (!prev || known(a) > known(prev) || (known(a) === known(prev) && cmp(canonical(a), canonical(prev)) < 0)) names.set(a.accountId, a);
    }
  }
  // References (--references) from the saved plans: each resource once per AMI, the record that sorts first.
  const refs = new Map<string, ImageReference>();
  let anyReferences = false;
  for (const { report: r } of reports) {
    for (const img of Array.isArray(r.images) ? r.images : []) {
      if (!Array.isArray(img.references)) continue;
      anyReferences = true;
      for (const x of img.references) {
        const k = `${x.accountId}|${x.region}|${x.imageId}|${x.arn}`;
        const prev = refs.get(k);
        if (!prev || cmp(canonical(x), canonical(prev)) < 0) refs.set(k, x);
      }
    }
  }
  // Successors (--successors) from the saved plans: per AMI and region, the first report's.
  const successors = new Map<string, SuccessorRecord>();
  let anySuccessors = false;
  for (const { report: r } of reports) {
    for (const img of Array.isArray(r.images) ? r.images : []) {
      if (!img.successor || typeof img.successor !== 'object' || typeof img.imageId !== 'string') continue;
      anySuccessors = true;
      for (const [region, successor] of Object.entries(img.successor)) if (!successors.has(`${img.imageId}|${region}`)) successors.set(`${img.imageId}|${region}`, { region, flaggedImageId: img.imageId, successor });
    }
  }
  // ami-audit images: the owned AMIs of the saved reports, each once (its consumers' names are derived again)
  const owned = new Map<string, OwnedImage>();
  let anyOwned = false;
  for (const { report: r } of reports) {
    if (!Array.isArray(r.ownedImages)) continue;
    anyOwned = true;
    for (const img of r.ownedImages) {
      const k = `${img.accountId}|${img.region}|${img.imageId}`;
      if (owned.has(k)) continue;
      owned.set(k, img.usage ? { ...img, usage: { ...img.usage, consumers: img.usage.consumers.map((c) => ({ accountId: c.accountId, instances: c.instances, launchTemplates: c.launchTemplates })) } } : img);
    }
  }
  const inventory: Inventory = { run, coverage: cov, instances: [...instances.values()].map((v) => v.rec), notFoundInstanceIds: notFound };
  if (anyOwned) inventory.ownedImages = [...owned.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, x]) => x);
  if (anySuccessors) inventory.successors = [...successors.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, x]) => x);
  if (names.size) inventory.accounts = [...names.values()].sort((a, b) => cmp(a.accountId, b.accountId));
  if (anyReferences) inventory.references = [...refs.entries()].sort((a, b) => cmp(a[0], b[0])).map(([, x]) => x);
  if (unchecked.length) inventory.uncheckedInstanceIds = unchecked;
  return { inventory, stored: { asOf, asOfFrom, config, configFrom, notes: [...notes].sort(cmp) } };
}

/** Builds one inventory from parsed documents; instances seen twice are kept once. */
export function inventoryFromInputs(inputs: InputDoc[], startedAt: string): Inventory {
  return mergeInputs(inputs.map(({ file, doc }) => parseInputDoc(file, doc, { instances: true, findings: false })), startedAt).inventory;
}
