/**
 * Inputs of `ami-audit report --input`: saved ami-audit JSON reports, and raw
 * `aws ec2 describe-instance-image-metadata` output ({"InstanceImageMetadata": [...]}).
 * Pure: the CLI reads the files and hands over their parsed JSON.
 */
import type { CoverageEntry, InstanceRecord, Inventory, Report } from '../model/types.js';
import { REPORT_SCHEMA_VERSION } from '../model/types.js';
import { UserError } from '../model/errors.js';
import { cmp } from '../rules/engine.js';
import { emptyCoverage } from './coverage.js';
import { reportValidator } from '../schema/validate.js';
import { jsonPath } from '../config/config.js';

export interface InputDoc { file: string; doc: unknown }

/** The region of an Availability Zone, Local Zone or Wavelength Zone name. */
export function regionOfZone(zone: string | undefined): string | null {
  const m = /^([a-z]{2}(?:-[a-z]+)+-\d+)/.exec(zone ?? '');
  return m ? m[1]! : null;
}

const DIRECTIONS: Record<string, string> = { e: 'east', w: 'west', n: 'north', s: 'south', c: 'central', ne: 'northeast', nw: 'northwest', se: 'southeast', sw: 'southwest' };

/** The region of a zone id (use1-az4 -> us-east-1, apse2-az1 -> ap-southeast-2, usw2-lax1-az1 -> us-west-2). */
export function regionOfZoneId(zoneId: string | undefined): string | null {
  const m = /^([a-z]{2}|usg)(ne|nw|se|sw|[ewnsc])(\d+)-/.exec(zoneId ?? '');
  if (!m) return null;
  const head = m[1] === 'usg' ? 'us-gov' : m[1]!;
  return `${head}-${DIRECTIONS[m[2]!]}-${m[3]}`;
}

function isReport(doc: Record<string, unknown>): boolean {
  return 'schemaVersion' in doc;
}

function checkReport(file: string, doc: Record<string, unknown>): Report {
  const v = doc.schemaVersion;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new UserError(`${file}: schemaVersion: expected an integer`);
  if (v > REPORT_SCHEMA_VERSION) throw new UserError(`${file}: schemaVersion ${v} is newer than this ami-audit reads (${REPORT_SCHEMA_VERSION}); upgrade ami-audit to re-render it`);
  if (v < 1) throw new UserError(`${file}: schemaVersion ${v} is not a version ami-audit ever wrote`);
  const validateReport = reportValidator();
  if (!validateReport(doc)) {
    const e = validateReport.errors?.[0];
    const path = jsonPath(e?.instancePath ?? '') || '(root)';
    throw new UserError(`${file}: ${path}: ${e?.message ?? 'invalid'}; this is not a complete ami-audit report (schema ${REPORT_SCHEMA_VERSION})`);
  }
  return doc as unknown as Report;
}

/** Reads a saved report as a baseline (for --baseline and diff). */
export function readReportDoc(file: string, doc: unknown): Report {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !isReport(doc as Record<string, unknown>)) {
    throw new UserError(`${file}: not an ami-audit JSON report (no schemaVersion)`);
  }
  return checkReport(file, doc as Record<string, unknown>);
}

function fromCliDump(file: string, list: unknown[], hasMore: boolean, into: Map<string, { cov: CoverageEntry; recs: Map<string, InstanceRecord> }>): void {
  list.forEach((item, n) => {
    const it = item as Record<string, unknown>;
    if (typeof it !== 'object' || it === null || Array.isArray(it)) throw new UserError(`${file}: InstanceImageMetadata[${n}]: expected an object`);
    const account = typeof it.OwnerId === 'string' ? it.OwnerId : null;
    const region = regionOfZone(typeof it.AvailabilityZone === 'string' ? it.AvailabilityZone : undefined)
      ?? regionOfZoneId(typeof it.ZoneId === 'string' ? it.ZoneId : undefined);
    if (!account) throw new UserError(`${file}: InstanceImageMetadata[${n}].OwnerId: missing; the account of the instance cannot be told`);
    if (!region) throw new UserError(`${file}: InstanceImageMetadata[${n}].AvailabilityZone: missing or not a zone name (and no ZoneId); the region cannot be told`);
    const key = `${account}|${region}`;
    const scope = into.get(key) ?? { cov: emptyCoverage(account, region), recs: new Map<string, InstanceRecord>() };
    into.set(key, scope);
    const rec: InstanceRecord = { accountId: account, region, ...(it as Omit<InstanceRecord, 'accountId' | 'region'>) };
    const id = typeof rec.InstanceId === 'string' ? rec.InstanceId : `#${scope.recs.size}`;
    if (!scope.recs.has(id)) scope.recs.set(id, rec);
  });
  // A dump that still carries a NextToken stops before the last page.
  if (hasMore) {
    const scopes = new Set(list.map((it) => {
      const r = it as Record<string, string>;
      return `${r.OwnerId}|${regionOfZone(r.AvailabilityZone) ?? regionOfZoneId(r.ZoneId)}`;
    }));
    for (const key of scopes) {
      const c = into.get(key)!.cov;
      c.status = 'partial';
      c.errorCode = 'IncompleteDump';
      c.errorMessage = `${file} ends with a NextToken: later pages were not included in the dump.`;
    }
  }
}

/** Builds one inventory from every input; instances seen twice are kept once. */
export function inventoryFromInputs(inputs: InputDoc[], startedAt: string): Inventory {
  const dumps = new Map<string, { cov: CoverageEntry; recs: Map<string, InstanceRecord> }>();
  let base: Inventory | null = null;
  const coverage = new Map<string, CoverageEntry>();
  const instances = new Map<string, InstanceRecord>();
  for (const { file, doc } of inputs) {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UserError(`${file}: expected a JSON object: an ami-audit report or AWS CLI describe-instance-image-metadata output`);
    const d = doc as Record<string, unknown>;
    if (isReport(d)) {
      const r = checkReport(file, d);
      const { asOf: _a, status: _s, ...run } = r.run;
      base ??= { run: { ...run, source: 'report' }, coverage: [], instances: [], notFoundInstanceIds: r.notFoundInstanceIds ?? [] };
      for (const c of r.coverage) coverage.set(`${c.accountId}|${c.region}`, { ...c });
      for (const i of r.instances) instances.set(`${i.accountId}|${i.region}|${i.InstanceId ?? JSON.stringify(i)}`, i);
    } else if (Array.isArray(d.InstanceImageMetadata)) {
      fromCliDump(file, d.InstanceImageMetadata, typeof d.NextToken === 'string' && d.NextToken.length > 0, dumps);
    } else {
      throw new UserError(`${file}: neither an ami-audit report (schemaVersion) nor AWS CLI describe-instance-image-metadata output (InstanceImageMetadata list)`);
    }
  }
  for (const [key, s] of dumps) {
    const prev = coverage.get(key);
    s.cov.instanceCount = s.recs.size;
    if (!prev) coverage.set(key, s.cov);
    for (const r of s.recs.values()) instances.set(`${r.accountId}|${r.region}|${r.InstanceId ?? JSON.stringify(r)}`, r);
  }
  const perScope = new Map<string, number>();
  for (const i of instances.values()) perScope.set(`${i.accountId}|${i.region}`, (perScope.get(`${i.accountId}|${i.region}`) ?? 0) + 1);
  for (const [key, c] of coverage) c.instanceCount = perScope.get(key) ?? 0;
  const cov = [...coverage.values()];
  const accounts = [...new Set(cov.map((c) => c.accountId))].sort(cmp);
  const regions = [...new Set(cov.map((c) => c.region))].filter((r) => r !== '*').sort(cmp);
  const run = base?.run ?? {
    id: `import-${startedAt}`, startedAt, finishedAt: startedAt, caller: { accountId: null, arn: null }, accounts, regions,
    options: {}, interrupted: false, source: 'aws-cli' as const,
  };
  return { run: { ...run, accounts: [...new Set([...run.accounts, ...accounts])].sort(cmp), regions: [...new Set([...run.regions, ...regions])].sort(cmp) }, coverage: cov, instances: [...instances.values()], notFoundInstanceIds: base?.notFoundInstanceIds ?? [] };
}
