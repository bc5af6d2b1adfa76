/**
 * The security-pipeline formats: OCSF Detection Findings (`--format ocsf`) and AWS Security Finding
 * Format batches for `aws securityhub batch-import-findings` (`--format asff`). Each is checked
 * against a schema of the published requirements (below, with their sources), for its batching
 * limits, its stable ids, and against golden files. After a deliberate change, regenerate the
 * goldens with `UPDATE_GOLDEN=1` and review the diff.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { checkGolden } from '../helpers/golden.js';
import { DateTime } from 'luxon';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { contentText, FORMATS, renderFormat, rendererOf, type RenderedFile } from '../../src/render/index.js';
import { ASFF_LIMITS, asffBatches, asffWireBytes, wireBytesOfText, type AsffFinding } from '../../src/render/asff.js';
import { jsonLine, OCSF_VERSION } from '../../src/render/ocsf.js';
import { buildReport } from '../../src/report/build.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import { loadTemplates } from '../../src/io/files.js';
import { FIXED_NOW, fixtureReport, generatedReport, HOSTILE, inventoryFromFleet } from '../helpers/fixture.js';
import { withHistory } from '../helpers/history-fixture.js';
import type { Finding, Report } from '../../src/model/types.js';

const NO_TEMPLATES = null as never;
const report = fixtureReport();
const templates = loadTemplates();
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

const goldenDir = new URL('../golden/', import.meta.url);
const golden = (name: string, content: string) => {
  checkGolden(new URL(name, goldenDir), content);
};

const render = (format: 'ocsf' | 'asff', r: Report): RenderedFile[] => renderFormat(format, r, NO_TEMPLATES);
/** What the tests read of an OCSF event (the schema below checks the rest). */
interface OcsfEvent {
  activity_id: number; category_uid: number; class_uid: number; type_uid: number; time: number;
  severity_id: number; severity: string; status_id: number; status: string;
  metadata: { version: string; profiles: string[]; event_code: string; product: Record<string, string> };
  finding_info: { uid: string };
  cloud: unknown;
  resources: { uid: string; name?: string; type: string; labels?: string[] }[];
  remediation: { desc: string };
  unmapped: { ami_audit: { instance_name: string | null } };
}
const ocsfOf = (r: Report): OcsfEvent[] => JSON.parse(contentText(render('ocsf', r)[0]!)) as OcsfEvent[];
const asffOf = (r: Report): AsffFinding[][] => render('asff', r).map((f) => JSON.parse(contentText(f)) as AsffFinding[]);
const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** The same inventory as another run: other run id and times, same as-of, so the same findings. */
function otherRun(): Report {
  const inv = inventoryFromFleet();
  inv.run = { ...inv.run, id: 'run-fixture-0002', startedAt: '2026-11-26T06:00:00Z', finishedAt: '2026-11-26T06:00:07Z' };
  const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
  return buildReport({ inventory: inv, settings: settingsFrom(demoConfig(asOf)), asOf: asOf.toMillis(), tool: { name: 'ami-audit', version: '0.0.0-test' }, baseline: null });
}

/**
 * A baseline with one more finding than the fixture in an `ok` scope (resolved now) and one in a
 * scope that is `error` now (unverified: it must not be closed).
 */
function withBaseline(): Report {
  const base = report.findings.find((f) => !f.waiver && report.coverage.some((c) => c.accountId === f.accountId && c.region === f.region && c.status === 'ok'))!;
  const gone = (over: Partial<Finding>): Finding => ({ ...base, waiver: null, expiredWaiver: null, ...over });
  const errorScope = report.coverage.find((c) => c.status === 'error')!;
  const baseline: Report = {
    ...report,
    run: { ...report.run, id: 'run-baseline-0001', startedAt: '2026-11-19T00:00:00Z', asOf: '2026-11-19T00:00:00Z' },
    findings: [
      ...report.findings,
      gone({ id: 'bbbbbbbbbbbbbbbbbbb1', ruleId: 'stale-ami', severity: 'low', instanceId: 'i-0aaaaaaaaaaaaaaa1' }),
      gone({ id: 'bbbbbbbbbbbbbbbbbbb2', accountId: errorScope.accountId, region: errorScope.region, instanceId: 'i-0aaaaaaaaaaaaaaa2' }),
    ],
    coverage: report.coverage.map((c) => (c === errorScope ? { ...c, status: 'ok' as const, errorCode: null, errorMessage: null } : c)),
  };
  return fixtureReport(baseline);
}

// ---------------------------------------------------------------------------------------------
// OCSF: the required attributes of Detection Finding (class_uid 2004) in OCSF 1.3.0, with those it
// inherits. Source: the ocsf-schema repository at tag 1.3.0: events/base_event.json (metadata,
// severity_id required), includes/classification.json (activity_id, category_uid, class_uid,
// type_uid), includes/occurrence.json (time), events/findings/finding.json (finding_info; activity
// and status enums), events/findings/detection_finding.json (nothing more), profiles/cloud.json
// (cloud, once the event declares the `cloud` profile), objects/metadata.json (product, version),
// objects/product.json (vendor_name), objects/_entity.json (name or uid), objects/finding_info.json
// (uid, title), objects/cloud.json (provider), objects/remediation.json (desc), objects/analytic.json
// (type_id); dictionary.json for the severity_id enum and timestamp_t (epoch milliseconds).
// ---------------------------------------------------------------------------------------------
const entity = { anyOf: [{ required: ['name'] }, { required: ['uid'] }] };
const ocsfSchema = {
  type: 'object',
  required: ['activity_id', 'category_uid', 'class_uid', 'type_uid', 'time', 'severity_id', 'metadata', 'finding_info', 'cloud'],
  properties: {
    activity_id: { enum: [0, 1, 2, 3, 99] },
    category_uid: { const: 2 },
    class_uid: { const: 2004 },
    type_uid: { enum: [200400, 200401, 200402, 200403, 200499] },
    time: { type: 'integer', minimum: 0 },
    timezone_offset: { type: 'integer' },
    severity_id: { enum: [0, 1, 2, 3, 4, 5, 6, 99] },
    severity: { type: 'string' },
    status_id: { enum: [0, 1, 2, 3, 4, 99] },
    status: { type: 'string' },
    status_code: { type: 'string' },
    message: { type: 'string' },
    metadata: {
      type: 'object',
      required: ['product', 'version'],
      properties: {
        version: { type: 'string', pattern: '^1\\.\\d+\\.\\d+$' },
        product: { type: 'object', required: ['vendor_name'], ...entity, properties: { vendor_name: { type: 'string', minLength: 1 }, name: { type: 'string' }, version: { type: 'string' } } },
        event_code: { type: 'string' },
        profiles: { type: 'array', items: { type: 'string' } },
      },
    },
    finding_info: {
      type: 'object',
      required: ['uid', 'title'],
      properties: {
        uid: { type: 'string', minLength: 1 },
        title: { type: 'string', minLength: 1 },
        desc: { type: 'string' },
        types: { type: 'array', items: { type: 'string' } },
        created_time: { type: 'integer', minimum: 0 },
        analytic: { type: 'object', required: ['type_id'], ...entity, properties: { type_id: { enum: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 99] } } },
      },
    },
    cloud: {
      type: 'object',
      required: ['provider'],
      properties: {
        provider: { type: 'string', minLength: 1 },
        region: { type: 'string' },
        account: { type: 'object', ...entity, properties: { uid: { type: 'string' }, type: { type: 'string' }, type_id: { enum: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99] } } },
      },
    },
    resources: {
      type: 'array',
      items: { type: 'object', ...entity, properties: { uid: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' }, region: { type: 'string' }, cloud_partition: { type: 'string' }, labels: { type: 'array', items: { type: 'string' } } } },
    },
    remediation: { type: 'object', required: ['desc'], properties: { desc: { type: 'string' } } },
    unmapped: { type: 'object' },
  },
};
const SEVERITY_CAPTION: Record<number, string> = { 0: 'Unknown', 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical', 6: 'Fatal', 99: 'Other' };
const STATUS_CAPTION: Record<number, string> = { 0: 'Unknown', 1: 'New', 2: 'In Progress', 3: 'Suppressed', 4: 'Resolved', 99: 'Other' };

/** The report without its failed scopes: only findings to send. */
const clean = (r: Report): Report => ({ ...r, coverage: r.coverage.filter((c) => c.status === 'ok' || c.status === 'skipped') });
const failedCount = report.coverage.filter((c) => c.status === 'error' || c.status === 'partial').length;

describe('OCSF', () => {
  const all = ocsfOf(report);
  /** The events of the report's findings, in report order; the failed scopes' records follow. */
  const events = all.slice(0, report.findings.length);

  test('is written only when asked for, as <stamp>.ocsf.json', () => {
    expect(rendererOf('ocsf').byDefault).toBe(false);
    expect(render('ocsf', report).map((f) => f.suffix)).toEqual(['.ocsf.json']);
  });

  test('every event validates against the required attributes of Detection Finding (OCSF 1.3.0)', () => {
    const validate = ajv.compile(ocsfSchema);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      expect({ uid: e.finding_info?.uid, ok: validate(e), errors: validate.errors ?? null }).toEqual({ uid: e.finding_info?.uid, ok: true, errors: null });
      // the calculated and sibling attributes agree with their ids
      expect(e.type_uid).toBe(e.class_uid * 100 + e.activity_id);
      expect(e.severity).toBe(SEVERITY_CAPTION[e.severity_id]!);
      // Other (99): the status is the source's own label (a failed scope: "Not Checked", "Partially Checked")
      if (e.status_id === 99) expect(e.status).toMatch(/\S/);
      else expect(e.status).toBe(STATUS_CAPTION[e.status_id]!);
      expect(e.metadata.version).toBe(OCSF_VERSION);
      expect(e.metadata.profiles).toContain('cloud');
    }
  });

  test('one Create event per finding (waived ones Suppressed), with its rule, severity, account, region and instance; then one per failed scope', () => {
    expect(all).toHaveLength(report.findings.length + failedCount);
    expect(report.findings.some((f) => f.waiver)).toBe(true);
    const sev = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };
    events.forEach((e, i) => {
      const f = report.findings[i]!;
      expect([e.activity_id, e.class_uid, e.category_uid, e.type_uid, e.status_id]).toEqual([1, 2004, 2, 200401, f.waiver ? 3 : 1]);
      expect(e.severity_id).toBe(sev[f.severity]);
      expect(e.metadata.event_code).toBe(f.ruleId);
      expect(e.metadata.product).toMatchObject({ name: 'ami-audit', version: report.tool.version });
      expect(e.cloud).toEqual({ provider: 'AWS', region: f.region, account: { uid: f.accountId, type: 'AWS Account', type_id: 10 } });
      // the subject: the instance, or the resource (a launch template...) that references the AMI
      if (f.resource) expect(e.resources[0]).toMatchObject({ uid: f.resource.arn, region: f.region, cloud_partition: 'aws' });
      else expect(e.resources[0]).toMatchObject({ uid: `arn:aws:ec2:${f.region}:${f.accountId}:instance/${f.instanceId}`, type: 'AWS::EC2::Instance', region: f.region, cloud_partition: 'aws' });
      if (f.imageId) expect(e.resources[1]).toMatchObject({ uid: `arn:aws:ec2:${f.region}::image/${f.imageId}`, type: 'AWS::EC2::Image' });
      expect(e.remediation.desc).toBe(f.remediation);
      expect(e.time).toBe(Date.parse(report.run.asOf));
    });
  });

  test('finding_info.uid is stable: the same findings of another run have the same uids', () => {
    const other = otherRun();
    expect(other.run.id).not.toBe(report.run.id);
    const uids = all.map((e) => e.finding_info.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(ocsfOf(other).map((e) => e.finding_info.uid)).toEqual(uids);
    expect(uids.slice(0, report.findings.length)).toEqual(report.findings.map((f) => `ami-audit/${f.ruleId}/${f.id}`));
  });

  test('untrusted strings travel as JSON strings, intact, and no character a terminal acts on is written raw', () => {
    const text = contentText(render('ocsf', report)[0]!);
    const hostile = events.find((e) => e.resources[1]?.name === HOSTILE.slice(0, 4).join(' '));
    expect(hostile).toBeDefined();
    expect(hostile!.unmapped.ami_audit.instance_name).toBe(HOSTILE[0]);
    expect(text).not.toMatch(/[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/);
    expect(text.endsWith(']\n')).toBe(true);
  });

  test('a report without findings whose every scope was read gives an empty array', () => {
    expect(ocsfOf(clean({ ...report, findings: [] }))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// ASFF: the required top-level attributes (Security Hub User Guide, "Required top-level ASFF
// attributes": AwsAccountId, CreatedAt, Description, GeneratorId, Id, ProductArn, Resources,
// SchemaVersion, Severity, Title, Types, UpdatedAt) and the lengths, counts and enums of the
// Security Hub API model (botocore data/securityhub/2018-10-26/service-2.json: AwsSecurityFinding,
// Resource, Severity, FindingProviderFields, Compliance, Workflow, RecordState, Partition,
// Recommendation, BatchImportFindingsRequestFindingList min 1 max 100).
// ---------------------------------------------------------------------------------------------
const nonEmpty = (max: number) => ({ type: 'string', pattern: '\\S', minLength: 1, maxLength: max });
const LABELS = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const TYPE_RE = '^(Software and Configuration Checks|TTPs|Effects|Unusual Behaviors|Sensitive Data Identifications)(/[^/]+){0,2}$';
const asffSchema = {
  type: 'object',
  required: ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'Types', 'CreatedAt', 'UpdatedAt', 'Severity', 'Title', 'Description', 'Resources'],
  properties: {
    SchemaVersion: { const: '2018-10-08' },
    Id: nonEmpty(512),
    ProductArn: { type: 'string', pattern: '^arn:aws[a-z-]*:securityhub:[a-z0-9-]+:\\d{12}:product/\\d{12}/default$' },
    GeneratorId: nonEmpty(512),
    AwsAccountId: { type: 'string', pattern: '^\\d{12}$' },
    Types: { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', pattern: TYPE_RE } },
    CreatedAt: { type: 'string', format: 'date-time' },
    UpdatedAt: { type: 'string', format: 'date-time' },
    Severity: { type: 'object', required: ['Label'], properties: { Label: { enum: LABELS }, Original: nonEmpty(64) } },
    Title: nonEmpty(256),
    Description: nonEmpty(1024),
    ProductName: nonEmpty(128),
    CompanyName: nonEmpty(128),
    Region: nonEmpty(16),
    Resources: {
      type: 'array', minItems: 1, maxItems: 32,
      items: {
        type: 'object', required: ['Type', 'Id'],
        properties: {
          Type: nonEmpty(256), Id: nonEmpty(2048), Partition: { enum: ['aws', 'aws-cn', 'aws-us-gov', 'aws-us-iso', 'aws-us-iso-b'] }, Region: nonEmpty(16),
          Details: { type: 'object', properties: { AwsEc2Instance: { type: 'object', properties: { ImageId: nonEmpty(256), Type: nonEmpty(256), LaunchedAt: { type: 'string', format: 'date-time' } } } } },
        },
      },
    },
    Compliance: { type: 'object', required: ['Status'], properties: { Status: { enum: ['PASSED', 'WARNING', 'FAILED', 'NOT_AVAILABLE'] } } },
    RecordState: { enum: ['ACTIVE', 'ARCHIVED'] },
    Workflow: { type: 'object', properties: { Status: { enum: ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'] } } },
    FindingProviderFields: {
      type: 'object',
      properties: {
        Severity: { type: 'object', required: ['Label'], properties: { Label: { enum: LABELS }, Original: nonEmpty(64) } },
        Types: { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', pattern: TYPE_RE } },
      },
    },
    Remediation: { type: 'object', properties: { Recommendation: { type: 'object', properties: { Text: nonEmpty(512) } } } },
    ProductFields: {
      type: 'object', maxProperties: 50,
      propertyNames: { minLength: 1, maxLength: 128, not: { pattern: '^aws/' } },
      additionalProperties: nonEmpty(2048),
    },
  },
};

/** Every string of a finding within the byte lengths too (a limit read as bytes is the strictest reading). */
function checkByteLengths(f: AsffFinding): void {
  expect(utf8(f.Title)).toBeLessThanOrEqual(256);
  expect(utf8(f.Description)).toBeLessThanOrEqual(1024);
  expect(utf8(f.Id)).toBeLessThanOrEqual(512);
  expect(utf8(f.GeneratorId)).toBeLessThanOrEqual(512);
  if (f.Remediation) expect(utf8(f.Remediation.Recommendation.Text)).toBeLessThanOrEqual(512);
  for (const [k, v] of Object.entries(f.ProductFields ?? {})) {
    expect(utf8(k)).toBeLessThanOrEqual(128);
    expect(utf8(v)).toBeLessThanOrEqual(2048);
  }
}

describe('ASFF', () => {
  const files = render('asff', report);
  const batches = files.map((f) => JSON.parse(contentText(f)) as AsffFinding[]);
  const all = batches.flat();

  test('is written only when asked for, as <stamp>-asff-<account>-<region>-001.json, -002, ... (numbered per account and region); no other format writes a plain .json but the report', () => {
    expect(rendererOf('asff').byDefault).toBe(false);
    const seen = new Map<string, number>();
    expect(files.map((f) => f.suffix)).toEqual(batches.map((b) => {
      const where = `${b[0]!.AwsAccountId}-${b[0]!.Region}`;
      const n = (seen.get(where) ?? 0) + 1;
      seen.set(where, n);
      return `-asff-${where}-${String(n).padStart(3, '0')}.json`;
    }));
    expect(new Set(files.map((f) => f.suffix)).size).toBe(files.length);
    for (const format of FORMATS) {
      for (const f of renderFormat(format, report, templates)) {
        if (format !== 'json') expect(f.suffix).not.toBe('.json');
      }
    }
  });

  test('every finding has the required top-level attributes and keeps the API model limits', () => {
    const validate = ajv.compile(asffSchema);
    expect(all.length).toBeGreaterThan(0);
    for (const f of all) {
      expect({ id: f.Id, ok: validate(f), errors: validate.errors ?? null }).toEqual({ id: f.Id, ok: true, errors: null });
      checkByteLengths(f);
      expect(asffWireBytes(f)).toBeLessThanOrEqual(ASFF_LIMITS.findingBytes);
    }
  });

  test('each file is one importable batch: 1..100 findings of one account and one region, under the byte budget', () => {
    expect(new Set(all.map((f) => `${f.AwsAccountId}/${f.Region}`)).size).toBe(batches.length); // the fixture's findings span several
    expect(batches.length).toBeGreaterThan(1);
    for (const [i, batch] of batches.entries()) {
      expect(batch.length).toBeGreaterThanOrEqual(1);
      expect(batch.length).toBeLessThanOrEqual(100);
      expect(asffWireBytes(batch)).toBeLessThanOrEqual(ASFF_LIMITS.fileBytes);
      expect(utf8(contentText(files[i]!))).toBeLessThanOrEqual(ASFF_LIMITS.fileBytes);
      const [first] = batch;
      for (const f of batch) {
        expect([f.AwsAccountId, f.Region]).toEqual([first!.AwsAccountId, first!.Region]);
        expect(f.ProductArn).toBe(`arn:aws:securityhub:${f.Region}:${f.AwsAccountId}:product/${f.AwsAccountId}/default`);
        expect(f.Resources[0]!.Region).toBe(f.Region);
      }
    }
  });

  test('one finding per finding of the report: unwaived ACTIVE and FAILED, waived ARCHIVED and FAILED, with stable ids', () => {
    expect(all.filter((f) => !f.Id.startsWith('ami-audit/coverage/')).map((f) => f.Id).sort()).toEqual(report.findings.map((f) => `ami-audit/${f.ruleId}/${f.id}`).sort());
    expect(all.filter((f) => f.Id.startsWith('ami-audit/coverage/'))).toHaveLength(failedCount);
    const byId = new Map(all.map((f) => [f.Id, f]));
    for (const f of report.findings) {
      const a = byId.get(`ami-audit/${f.ruleId}/${f.id}`)!;
      expect(a.GeneratorId).toBe(`ami-audit/${f.ruleId}`);
      expect(a.Severity.Label).toBe({ info: 'INFORMATIONAL', low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL' }[f.severity]);
      expect(a.FindingProviderFields.Severity.Label).toBe(a.Severity.Label);
      expect(a.FindingProviderFields.Types).toEqual(a.Types);
      expect(a.Compliance.Status).toBe('FAILED');
      expect(a.RecordState).toBe(f.waiver ? 'ARCHIVED' : 'ACTIVE');
      expect(a.Workflow).toEqual({ Status: f.waiver ? 'SUPPRESSED' : 'NEW' });
      expect(a.ProductFields['ami-audit/Waived']).toBe(f.waiver ? 'true' : 'false');
      if (f.waiver) expect(a.ProductFields['ami-audit/WaiverId']).toBe(f.waiver.id);
      if (f.resource) expect(a.Resources[0]).toMatchObject({ Id: f.resource.arn, Partition: 'aws', Region: f.region });
      else {
        expect(a.Resources[0]).toMatchObject({ Type: 'AwsEc2Instance', Id: `arn:aws:ec2:${f.region}:${f.accountId}:instance/${f.instanceId}`, Partition: 'aws', Region: f.region });
        if (f.imageId) expect(a.Resources[0]!.Details?.AwsEc2Instance?.ImageId).toBe(f.imageId);
      }
      expect([a.CreatedAt, a.UpdatedAt]).toEqual([new Date(report.run.asOf).toISOString(), new Date(report.run.asOf).toISOString()]);
    }
    expect(report.findings.some((f) => f.waiver)).toBe(true);
    const other = asffOf(otherRun()).flat().map((f) => f.Id);
    expect(other).toEqual(all.map((f) => f.Id));
    for (const f of all.filter((x) => x.Id.startsWith('ami-audit/coverage/'))) expect([f.CreatedAt, f.UpdatedAt]).toEqual([new Date(report.run.asOf).toISOString(), new Date(report.run.asOf).toISOString()]);
  });

  test('250 findings of one account and region make 3 files of 100, 100 and 50', () => {
    const base = report.findings.find((f) => !f.waiver)!;
    const findings = Array.from({ length: 250 }, (_, n): Finding => ({ ...base, id: `c${String(n).padStart(19, '0')}`, instanceId: `i-0${n.toString(16).padStart(16, '0')}` }));
    const out = asffOf(clean({ ...report, findings, diff: null }));
    expect(out.map((b) => b.length)).toEqual([100, 100, 50]);
    const where = `${base.accountId}-${base.region}`;
    expect(render('asff', clean({ ...report, findings, diff: null })).map((f) => f.suffix)).toEqual([`-asff-${where}-001.json`, `-asff-${where}-002.json`, `-asff-${where}-003.json`]);
  });

  test('a batch is also split by bytes', () => {
    const base = report.findings.find((f) => !f.waiver)!;
    const findings = Array.from({ length: 10 }, (_, n): Finding => ({ ...base, id: `d${String(n).padStart(19, '0')}`, instanceId: `i-0${n.toString(16).padStart(16, '0')}` }));
    const r = clean({ ...report, findings, diff: null });
    const one = asffWireBytes(asffBatches(r)[0]![0]);
    const split = asffBatches(r, { ...ASFF_LIMITS, fileBytes: Math.floor(one * 3.5) });
    expect(split.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    for (const b of split) expect(asffWireBytes(b)).toBeLessThanOrEqual(Math.floor(one * 3.5));
  });

  test('the size a batch is cut by, counted on the line as written, is the size of the finding as any client could send it', () => {
    const values = [...HOSTILE, 'plain', 'é🚀', '\u007f\u0085\u200b\u2028\u202e\u2066', 'a"b\\c\n\t'].map((v) => ({ v, nested: [v, { k: v }] }));
    for (const v of values) expect(wireBytesOfText(jsonLine(v))).toBe(asffWireBytes(v));
  });

  test('a 10 KB AMI name, a 10 KB instance name and hostile tags are cut to the limits with an ellipsis', () => {
    const base = report.findings.find((f) => !f.waiver && f.imageId)!;
    const long = 'é🚀'.repeat(1024) + 'n'.repeat(4096);
    const f: Finding = { ...base, imageName: long, instanceName: long, message: long, remediation: long, tags: [long, HOSTILE[8]!] };
    const r: Report = clean({ ...report, tagColumns: ['team', 'x'.repeat(200)], findings: [f], diff: null });
    const a = asffOf(r)[0]![0]!;
    expect(ajv.compile(asffSchema)(a)).toBe(true);
    checkByteLengths(a);
    expect(a.Description).toContain('…');
    expect(a.ProductFields['ami-audit/ImageName']!.endsWith('…')).toBe(true);
    expect(a.ProductFields['ami-audit/ImageName']!.startsWith('é🚀é🚀')).toBe(true);
    expect(a.Remediation!.Recommendation.Text.endsWith('…')).toBe(true);
    expect(asffWireBytes(a)).toBeLessThanOrEqual(ASFF_LIMITS.findingBytes);
    // no surrogate half is left at a cut
    expect(JSON.stringify(a)).not.toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/i);
  });

  test('findings resolved against the baseline come out ARCHIVED and PASSED; unverified ones are not sent', () => {
    const r = withBaseline();
    expect(r.diff!.resolved.map((d) => d.id)).toEqual(['bbbbbbbbbbbbbbbbbbb1']);
    expect(r.diff!.unverified.map((d) => d.id)).toEqual(['bbbbbbbbbbbbbbbbbbb2']);
    const out = asffOf(r).flat();
    const validate = ajv.compile(asffSchema);
    for (const f of out) expect(validate(f)).toBe(true);
    const resolved = out.filter((f) => f.RecordState === 'ARCHIVED' && f.Compliance.Status === 'PASSED');
    expect(resolved.map((f) => f.Id)).toEqual(['ami-audit/stale-ami/bbbbbbbbbbbbbbbbbbb1']);
    const base = r.diff!.resolved[0]!;
    expect(resolved[0]).toMatchObject({ Workflow: { Status: 'RESOLVED' }, Severity: { Label: 'INFORMATIONAL', Original: 'low' }, AwsAccountId: base.accountId, Region: base.region });
    expect(resolved[0]!.Resources[0]!.Id).toBe(`arn:aws:ec2:${base.region}:${base.accountId}:instance/i-0aaaaaaaaaaaaaaa1`);
    expect(out.some((f) => f.Id.endsWith('bbbbbbbbbbbbbbbbbbb2'))).toBe(false);
    expect(out).toHaveLength(r.findings.length + 1 + failedCount);
  });

  test('no findings and nothing resolved: no file (a batch of none is not importable)', () => {
    expect(render('asff', clean({ ...report, findings: [], diff: null }))).toEqual([]);
  });

  test('untrusted strings travel as JSON strings, and no character a terminal acts on is written raw', () => {
    const text = files.map((f) => contentText(f)).join('');
    expect(text).not.toMatch(/[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/);
    const hostile = all.find((f) => f.ProductFields['ami-audit/ImageName'] === HOSTILE.slice(0, 4).join(' '));
    expect(hostile).toBeDefined();
    for (const f of files) expect(contentText(f).endsWith(']\n')).toBe(true);
  });
});

describe('golden files', () => {
  test('OCSF', () => golden('report.ocsf.json', contentText(render('ocsf', report)[0]!)));
  test('ASFF', () => {
    const files = render('asff', report);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) golden(`report${f.suffix}`, contentText(f));
    // no golden left over from a larger set
    const names = readdirSync(goldenDir).filter((n) => /^report-asff-\d{12}-[a-z0-9-]+-\d+\.json$/.test(n)).sort();
    expect(names).toEqual(files.map((f) => `report${f.suffix}`).sort());
  });
  test('the generated fleet (the files render-generated.test.ts checks too): tag columns become labels and ProductFields', () => {
    const gen = generatedReport();
    golden('generated/report.ocsf.json', contentText(render('ocsf', gen)[0]!));
    const files = render('asff', gen);
    for (const f of files) golden(`generated/report${f.suffix}`, contentText(f));
    const names = readdirSync(new URL('generated/', goldenDir)).filter((n) => /^report-asff-\d{12}-[a-z0-9-]+-\d+\.json$/.test(n)).sort();
    expect(names).toEqual(files.map((f) => `report${f.suffix}`).sort());
    const tagged = files.flatMap((f) => JSON.parse(contentText(f)) as AsffFinding[]).find((a) => a.ProductFields['ami-audit/Tag/team']);
    expect(tagged).toBeDefined();
    expect(ocsfOf(gen).some((e) => e.resources[0]!.labels?.some((l) => l.startsWith('team=')))).toBe(true);
  });
  test('same model, same bytes', () => {
    for (const format of ['ocsf', 'asff'] as const) expect(render(format, fixtureReport()).map(contentText)).toEqual(render(format, report).map(contentText));
  });
});

// ---------------------------------------------------------------------------------------------
// Waivers, the run history and coverage in both formats: they say the same thing.
// ---------------------------------------------------------------------------------------------
const WRITTEN = '2026-11-26T07:31:12.345Z';
const renderAt = (format: 'ocsf' | 'asff', r: Report, writtenAt?: string): RenderedFile[] => renderFormat(format, r, { templates: NO_TEMPLATES, ...(writtenAt ? { writtenAt } : {}) });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the events are checked member by member below
const ocsfAt = (r: Report, writtenAt?: string) => JSON.parse(contentText(renderAt('ocsf', r, writtenAt)[0]!)) as any[];
const asffAt = (r: Report, writtenAt?: string) => renderAt('asff', r, writtenAt).flatMap((f) => JSON.parse(contentText(f)) as AsffFinding[]);
const scopeUid = (accountId: string, region: string) => `ami-audit/coverage/${accountId}/${region}`;

describe('waived findings: suppressed in both formats (issue 23, item 4)', () => {
  const waived = report.findings.filter((f) => f.waiver);
  test('OCSF writes each waived finding with status Suppressed, naming the waiver, its reason and its expiry', () => {
    expect(waived.length).toBeGreaterThan(0);
    const events = ocsfAt(report);
    for (const f of waived) {
      const e = events.find((x) => x.finding_info.uid === `ami-audit/${f.ruleId}/${f.id}`);
      expect(e).toBeDefined();
      expect([e!.status_id, e!.status]).toEqual([3, 'Suppressed']);
      expect(e!.status_detail).toContain(f.waiver!.reason);
      expect(e!.status_detail).toContain(f.waiver!.expires);
      expect(e!.unmapped.ami_audit.waiver).toEqual({ id: f.waiver!.id, reason: f.waiver!.reason, expires: f.waiver!.expires, ticket: f.waiver!.ticket });
    }
    for (const e of events.filter((x) => x.status_id !== 3 && x.finding_info.uid.startsWith('ami-audit/') && !x.finding_info.uid.startsWith('ami-audit/coverage/'))) expect(e.status).toBe('New');
  });
  test('ASFF writes each waived finding with Workflow.Status SUPPRESSED (and ARCHIVED, so it comes back when the waiver ends)', () => {
    const byId = new Map(asffAt(report).map((a) => [a.Id, a]));
    for (const f of report.findings) {
      const a = byId.get(`ami-audit/${f.ruleId}/${f.id}`)!;
      expect(a.Workflow.Status).toBe(f.waiver ? 'SUPPRESSED' : 'NEW');
      expect(a.RecordState).toBe(f.waiver ? 'ARCHIVED' : 'ACTIVE');
    }
  });
  test('ASFF UpdatedAt is the time the file was written; the as-of without it', () => {
    const at = asffAt(report, WRITTEN);
    expect(new Set(at.map((a) => a.UpdatedAt))).toEqual(new Set([WRITTEN]));
    expect(new Set(at.map((a) => a.CreatedAt))).toEqual(new Set([new Date(report.run.asOf).toISOString()]));
    expect(new Set(asffAt(report).map((a) => a.UpdatedAt))).toEqual(new Set([new Date(report.run.asOf).toISOString()]));
  });
});

describe('the run history in OCSF and ASFF', () => {
  const h = withHistory(report);
  test('OCSF: first and last seen, created at first sight, modified when written, the lifecycle as the activity', () => {
    const validate = ajv.compile(ocsfSchema);
    const events = ocsfAt(h, WRITTEN);
    for (const f of h.findings) {
      const e = events.find((x) => x.finding_info.uid === `ami-audit/${f.ruleId}/${f.id}`)!;
      expect(validate(e)).toBe(true);
      expect(e.finding_info).toMatchObject({ first_seen_time: Date.parse(f.firstSeenAt!), last_seen_time: Date.parse(f.lastSeenAt!), created_time: Date.parse(f.firstSeenAt!), modified_time: Date.parse(WRITTEN) });
      expect(e.activity_id).toBe(f.lifecycle === 'new' ? 1 : 2);
      expect(e.type_uid).toBe(200400 + e.activity_id);
      expect(e.unmapped.ami_audit).toMatchObject({ lifecycle: f.lifecycle, age_days: f.ageDays, due_at: f.dueAt, overdue: f.overdue });
    }
    // without a history: Create, created at the as-of, modified at the as-of when the time written is not given
    const plain = ocsfAt(report)[0]!;
    expect(plain.activity_id).toBe(1);
    expect(plain.finding_info).toMatchObject({ created_time: Date.parse(report.run.asOf), modified_time: Date.parse(report.run.asOf) });
    expect(plain.finding_info).not.toHaveProperty('first_seen_time');
  });
  test('OCSF: a finding the history resolved is a Close event, status Resolved', () => {
    const events = ocsfAt(h, WRITTEN);
    for (const r of h.history!.resolved) {
      const e = events.find((x) => x.finding_info.uid === `ami-audit/${r.ruleId}/${r.id}`)!;
      expect([e.activity_id, e.type_uid, e.status_id, e.status]).toEqual([3, 200403, 4, 'Resolved']);
      expect(e.finding_info.first_seen_time).toBe(Date.parse(r.firstSeenAt));
      expect(ajv.compile(ocsfSchema)(e)).toBe(true);
    }
  });
  test('ASFF: FirstObservedAt, LastObservedAt, CreatedAt at first sight, UpdatedAt when written; resolved ones ARCHIVED, PASSED, RESOLVED', () => {
    const validate = ajv.compile(asffSchema);
    const byId = new Map(asffAt(h, WRITTEN).map((a) => [a.Id, a]));
    for (const f of h.findings) {
      const a = byId.get(`ami-audit/${f.ruleId}/${f.id}`)!;
      expect(validate(a)).toBe(true);
      expect([a.FirstObservedAt, a.LastObservedAt, a.CreatedAt, a.UpdatedAt]).toEqual([f.firstSeenAt, f.lastSeenAt, f.firstSeenAt, WRITTEN].map((x) => new Date(x!).toISOString()));
    }
    for (const r of h.history!.resolved) {
      const a = byId.get(`ami-audit/${r.ruleId}/${r.id}`)!;
      expect(a).toMatchObject({ RecordState: 'ARCHIVED', Compliance: { Status: 'PASSED' }, Workflow: { Status: 'RESOLVED' }, FirstObservedAt: new Date(r.firstSeenAt).toISOString(), CreatedAt: new Date(r.firstSeenAt).toISOString(), UpdatedAt: WRITTEN });
      expect(validate(a)).toBe(true);
    }
  });
});

describe('coverage records: a scope that could not be read is never silent (issue 20)', () => {
  /** The fixture as a run whose every scope failed: nothing listed anywhere. */
  const failed: Report = {
    ...report,
    findings: [],
    images: [],
    diff: null,
    coverage: report.coverage.map((c) => (c.status === 'skipped' ? c : { ...c, status: 'error' as const, errorCode: 'AccessDenied', errorMessage: 'AssumeRole refused', instanceCount: 0, failures: [{ action: 'AssumeRole', code: 'AccessDenied', message: 'AssumeRole refused' }] })),
    run: { ...report.run, status: 'partial' as const },
  };
  const failing = failed.coverage.filter((c) => c.status === 'error' || c.status === 'partial');
  test('OCSF: a run whose every scope failed is not an empty array; one event per failed scope, none for skipped scopes', () => {
    const events = ocsfAt(failed, WRITTEN);
    expect(events).toHaveLength(failing.length);
    const validate = ajv.compile(ocsfSchema);
    for (const c of failing) {
      const e = events.find((x) => x.finding_info.uid === scopeUid(c.accountId, c.region))!;
      expect({ ok: validate(e), errors: validate.errors ?? null }).toEqual({ ok: true, errors: null });
      expect([e.status_id, e.status, e.status_code]).toEqual([99, 'Not Checked', 'ERROR']);
      expect(e.cloud).toMatchObject({ region: c.region, account: { uid: c.accountId } });
      expect(e.status_detail).toContain('AssumeRole AccessDenied');
      expect(e.message).toContain(c.accountId);
    }
  });
  test('ASFF: a failed run writes files: NOT_AVAILABLE for an error scope, WARNING for a partial one, a stable Id per scope', () => {
    const partial: Report = { ...failed, coverage: failed.coverage.map((c, i) => (i === 0 ? { ...c, status: 'partial' as const, instanceCount: 3, failures: [{ action: 'DescribeInstances', code: 'RequestLimitExceeded', message: 'Rate exceeded' }] } : c)) };
    const out = asffAt(partial, WRITTEN);
    const validate = ajv.compile(asffSchema);
    expect(out).toHaveLength(failing.length);
    for (const a of out) {
      expect({ ok: validate(a), errors: validate.errors ?? null }).toEqual({ ok: true, errors: null });
      checkByteLengths(a);
    }
    const first = partial.coverage[0]!;
    const warn = out.find((a) => a.Id === scopeUid(first.accountId, first.region))!;
    expect(warn).toMatchObject({ Compliance: { Status: 'WARNING' }, RecordState: 'ACTIVE', AwsAccountId: first.accountId, Region: first.region, UpdatedAt: WRITTEN });
    expect(warn.Description).toContain('DescribeInstances RequestLimitExceeded');
    const err = out.find((a) => a.Id === scopeUid(failing[1]!.accountId, failing[1]!.region))!;
    expect(err.Compliance.Status).toBe('NOT_AVAILABLE');
    expect(err.Resources[0]).toMatchObject({ Type: 'AwsAccount', Id: `AWS::::Account:${failing[1]!.accountId}` });
    expect(asffAt(partial, '2026-12-01T00:00:00Z').map((a) => a.Id)).toEqual(out.map((a) => a.Id));
  });
  test('the fixture (two failed scope groups) carries its failed scopes beside its findings', () => {
    const bad = report.coverage.filter((c) => c.status === 'error' || c.status === 'partial');
    expect(bad.length).toBeGreaterThan(0);
    const uids = new Set(ocsfAt(report).map((e) => e.finding_info.uid));
    const ids = new Set(asffAt(report).map((a) => a.Id));
    for (const c of bad) {
      expect(uids.has(scopeUid(c.accountId, c.region))).toBe(true);
      expect(ids.has(scopeUid(c.accountId, c.region))).toBe(true);
    }
    for (const c of report.coverage.filter((x) => x.status === 'skipped')) expect(uids.has(scopeUid(c.accountId, c.region))).toBe(false);
  });
});
