/**
 * Report schema 4: a finding is stored as a record that refers to its instance, AMI, rule and
 * waiver; reading the record back gives the finding that was written. Version 2 and 3 files are
 * still read; and the long formats are written in pieces whose size changes no byte.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, Report } from '../../src/model/types.js';
import { findingRefs, fromFindingRecord, toFindingRecord, type FindingRecord } from '../../src/model/finding-record.js';
import { renderJsonChunks } from '../../src/render/json.js';
import { parseInputDoc, readReportDoc } from '../../src/report/input.js';
import { reportDigest } from '../../src/report/digest.js';
import { reportValidator } from '../../src/schema/validate.js';
import { coverageCsvChunks, findingsCsvChunks, imagesCsvChunks, renderCoverageCsv, renderFindingsCsv, renderImagesCsv } from '../../src/render/csv.js';
import { renderOcsfChunks } from '../../src/render/ocsf.js';
import { ASFF_LIMITS, asffBatches, asffFiles } from '../../src/render/asff.js';
import { jsonLine } from '../../src/render/ocsf.js';
import { writeTemp } from '../../src/io/files.js';
import { fixtureReport, generatedReport } from '../helpers/fixture.js';
import { withHistory } from '../helpers/history-fixture.js';

const json = (r: Report): Record<string, unknown> & { findings: FindingRecord[] } => JSON.parse([...renderJsonChunks(r)].join(''));
const reports: [string, () => Report][] = [
  ['the demo fleet (waivers, resource findings, hostile strings)', fixtureReport],
  ['a generated fleet (tag columns, an active and an expired waiver)', generatedReport],
  ['with a run history (first sight, age, due date, lifecycle)', () => withHistory(fixtureReport())],
];

describe('finding records', () => {
  test.each(reports)('%s: every finding read back from its record equals the original', (_name, make) => {
    const r = make();
    const refs = findingRefs(r);
    expect(r.findings.length).toBeGreaterThan(10);
    for (const f of r.findings) expect(fromFindingRecord(toFindingRecord(f, refs), refs)).toEqual(f);
    // through the JSON file and its reader too, instances kept or not
    const doc = json(r);
    expect(readReportDoc('r.json', doc).findings).toEqual(r.findings);
    const diffOnly = parseInputDoc('r.json', json(r), { instances: false, findings: true });
    expect(diffOnly.kind === 'report' && diffOnly.report.findings).toEqual(r.findings);
  });

  test('with a history, the last sight is the run\'s as-of: read from the run, not repeated', () => {
    const r = withHistory(fixtureReport());
    expect(r.findings.filter((f) => f.lastSeenAt !== undefined).length).toBeGreaterThan(0);
    const doc = json(r);
    expect(doc.findings.some((f) => f.firstSeenAt !== undefined)).toBe(true);
    expect(doc.findings.filter((f) => f.lastSeenAt !== undefined).map((f) => f.id)).toEqual(r.findings.filter((f) => f.lastSeenAt !== undefined && f.lastSeenAt !== r.run.asOf).map((f) => f.id));
  });

  test('a record keeps the ids and leaves out what its references give', () => {
    const r = generatedReport();
    const doc = json(r);
    expect(doc.schemaVersion).toBe(4);
    expect(reportValidator()(doc)).toBe(true);
    const onInstance = doc.findings.find((f) => f.instanceId.startsWith('i-'))!;
    expect(Object.keys(onInstance)).toEqual(expect.arrayContaining(['id', 'ruleId', 'severity', 'accountId', 'region', 'instanceId', 'imageId', 'message']));
    for (const k of ['instanceName', 'instanceState', 'tags', 'imageName', 'imageOwnerId', 'imageOwnerAlias', 'remediation']) expect(onInstance).not.toHaveProperty(k);
    // the rule's remediation once in rules[], in no finding
    const remediation = r.rules.find((x) => x.id === onInstance.ruleId)!.remediation;
    expect(JSON.stringify(doc.findings)).not.toContain(remediation);
    // a waiver by its id
    const waived = doc.findings.find((f) => f.waiver !== undefined)!;
    expect(typeof waived.waiver).toBe('string');
    expect(r.waivers.map((w) => w.id)).toContain(waived.waiver);
    expect(doc.findings.every((f) => !('expiredWaiver' in f) || typeof f.expiredWaiver === 'string')).toBe(true);
  });

  test('what its references do not give is written: no instance of that id, another name, a waiver not in waivers[]', () => {
    const r = fixtureReport();
    const refs = findingRefs(r);
    const f = r.findings.find((x) => x.instanceId.startsWith('i-') && x.instanceName !== null)!;
    const renamed: Finding = { ...f, instanceName: 'renamed', imageName: 'other', remediation: 'do this', waiver: { id: 'not-listed', reason: 'r', expires: '2027-01-01', ticket: null, approvedBy: null } };
    const rec = toFindingRecord(renamed, refs);
    expect(rec).toMatchObject({ instanceName: 'renamed', imageName: 'other', remediation: 'do this', waiver: renamed.waiver });
    expect(fromFindingRecord(rec, refs)).toEqual(renamed);
    const orphan: Finding = { ...f, instanceId: 'i-0000000000000dead' };
    expect(toFindingRecord(orphan, refs)).toMatchObject({ instanceName: f.instanceName, instanceState: f.instanceState });
    expect(fromFindingRecord(toFindingRecord(orphan, refs), refs)).toEqual(orphan);
    // two tags of one key: the instance cannot say which is its name
    const twice = { ...r, instances: r.instances.map((i) => (i.InstanceId === f.instanceId && i.accountId === f.accountId ? { ...i, Tags: [...(i.Tags ?? []), { Key: 'Name', Value: 'second' }] } : i)) };
    const refs2 = findingRefs(twice);
    expect(toFindingRecord(f, refs2).instanceName).toBe(f.instanceName);
    expect(fromFindingRecord(toFindingRecord(f, refs2), refs2)).toEqual(f);
  });

  test('a record given as a finding gives itself: the digest of a report read back is the one written', () => {
    const r = generatedReport();
    const refs = findingRefs(r);
    for (const f of r.findings) {
      const rec = toFindingRecord(f, refs);
      expect(toFindingRecord(rec as unknown as Finding, refs)).toEqual(rec);
    }
    const doc = json(r) as unknown as Report;
    expect(reportDigest(doc)).toBe(reportDigest(r));
    const read = parseInputDoc('r.json', json(r), { instances: false, findings: false, digest: true });
    expect(read.kind === 'report' && read.digest).toBe(reportDigest(r));
  });
});

describe('reports of versions 2 and 3', () => {
  const v3 = (): Record<string, unknown> => JSON.parse(readFileSync(new URL('../fixtures/report-v3.json', import.meta.url), 'utf8'));

  test('a version 3 file (every field in every finding) reads to the findings its version 4 file holds', () => {
    const doc = v3();
    expect(doc.schemaVersion).toBe(3);
    expect(reportValidator()(doc)).toBe(true);
    const old = readReportDoc('v3.json', doc);
    expect(old.schemaVersion).toBe(4);
    expect(old.findings).toEqual(fixtureReport().findings);
    expect(readReportDoc('v4.json', json(fixtureReport())).findings).toEqual(old.findings);
  });

  test('a version 2 file reads too (no history)', () => {
    const { history: _h, ...doc } = v3();
    const r = readReportDoc('v2.json', { ...doc, schemaVersion: 2 });
    expect(r.history).toBeNull();
    expect(r.findings).toEqual(fixtureReport().findings);
  });

  test('a version 3 file whose findings lack what only version 4 may leave out is refused, naming the finding', () => {
    const doc = v3();
    const findings = doc.findings as Record<string, unknown>[];
    const { remediation: _r, ...short } = findings[1]!;
    findings[1] = short;
    expect(() => readReportDoc('v3.json', doc)).toThrow(/v3\.json: findings\[1\]: must have required property 'remediation'/);
    expect(reportValidator()(doc)).toBe(false);
    // the same finding in a version 4 file is a record: its remediation comes from rules[]
    expect(reportValidator()({ ...doc, schemaVersion: 4 })).toBe(true);
  });
});

describe('writers in pieces', () => {
  const r = withHistory(generatedReport());

  test('CSV files stringified one row at a time are the same bytes', () => {
    expect([...findingsCsvChunks(r, 1)].join('')).toBe(renderFindingsCsv(r));
    expect([...imagesCsvChunks(r, 1)].join('')).toBe(renderImagesCsv(r));
    expect([...coverageCsvChunks(r, 1)].join('')).toBe(renderCoverageCsv(r));
    expect([...findingsCsvChunks(r, 7)].length).toBeGreaterThan(r.findings.length / 7);
  });

  test('OCSF in pieces, an event a piece, is one array, an event a line', () => {
    const chunks = [...renderOcsfChunks(r)];
    const whole = chunks.join('');
    expect(chunks.length).toBeGreaterThan(r.findings.length);
    expect(chunks.every((c) => c.split('\n').length <= 3)).toBe(true);
    expect(JSON.parse(whole)).toHaveLength(whole.split('\n').length - 3);
    expect([...renderOcsfChunks({ ...r, findings: [], coverage: r.coverage.filter((c) => c.status === 'ok'), diff: null, history: null })].join('')).toBe('[]\n');
  });

  test('ASFF files cut as they go are the batches, named as before', () => {
    const small = { ...ASFF_LIMITS, findingsPerFile: 2 };
    const files = [...asffFiles(r, {}, small)];
    const batches = asffBatches(r, small);
    expect(files.map((f) => f.content.join(''))).toEqual(batches.map((b) => `[\n${b.map(jsonLine).join(',\n')}\n]\n`));
    expect(files.every((f) => /^-asff-\d{12}-[a-z0-9-]+-\d{3}\.json$/.test(f.suffix))).toBe(true);
    // more than 999 files in one account and region: every number of the group is wider
    const many = { ...ASFF_LIMITS, findingsPerFile: 1 };
    const big = fixtureReport();
    const one = big.findings[0]!;
    big.findings = Array.from({ length: 1001 }, (_, i) => ({ ...one, id: i.toString(16).padStart(20, '0') }));
    const names = [...asffFiles(big, {}, many)].map((f) => f.suffix).filter((s) => s.includes(`${one.accountId}-${one.region}`));
    expect(names).toHaveLength(1001);
    expect(names[0]).toMatch(/-0001\.json$/);
    expect(names.at(-1)).toMatch(/-1001\.json$/);
  });

  test('the atomic writer given pieces writes the same bytes whatever its write size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-chunks-'));
    try {
      const pieces = [...renderJsonChunks(r)];
      const a = await writeTemp(join(dir, 'a.json'), pieces, 0o600, undefined, 1);
      const b = await writeTemp(join(dir, 'b.json'), pieces, 0o600);
      expect(readFileSync(a, 'utf8')).toBe(pieces.join(''));
      expect(readFileSync(b, 'utf8')).toBe(pieces.join(''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
