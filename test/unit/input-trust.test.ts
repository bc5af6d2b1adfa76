/** Saved reports and AWS CLI dumps are untrusted: ids checked where they enter, no recursion, read as streams, merged in any order alike. */
import { describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inventoryFromInputs, mergeInputs, parseInputDoc, readReportDoc } from '../../src/report/input.js';
import { nodeReadSeam, readInputFile, readJsonFile, readReportFile, readTextFile, READ_BLOCK, type ReadSeam } from '../../src/io/files.js';
import { renderJsonChunks } from '../../src/render/json.js';
import { tableData } from '../../src/render/html.js';
import { UserError } from '../../src/model/errors.js';
import type { Finding, Report } from '../../src/model/types.js';
import { fixtureReport } from '../helpers/fixture.js';

const tmp = (): string => fs.mkdtempSync(join(tmpdir(), 'ami-audit-in-'));
const NOW = '2026-11-26T00:00:00Z';
const item = (extra: Record<string, unknown> = {}) => ({ InstanceId: 'i-0123456789abcdef0', OwnerId: '123412341234', AvailabilityZone: 'us-east-1a', ImageMetadata: { ImageId: 'ami-0123456789abcdef0' }, ...extra });
const dump = (...items: unknown[]) => ({ InstanceImageMetadata: items });
const write = (doc: unknown, name = 'in.json'): string => {
  const f = join(tmp(), name);
  fs.writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return f;
};
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('deep JSON (case 21)', () => {
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  test('a dump whose instance nests 50,000 deep is an input error naming the file and where', () => {
    const f = write(`{"InstanceImageMetadata":[{"InstanceId":"i-0123456789abcdef0","OwnerId":"123412341234","AvailabilityZone":"us-east-1a","Extra":${deep(50_000)}}]}`);
    expect(() => readInputFile(f, '--input', { instances: true, findings: false })).toThrow(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: InstanceImageMetadata\\[0\\]\\.Extra(\\[0\\])+…?: nested deeper than 64 levels`));
  });
  test('the same in a saved report, and at the top level', () => {
    const r = clone(fixtureReport()) as unknown as Record<string, unknown>;
    const text = JSON.stringify(r).replace('"diff":null', `"diff":${deep(10_000)}`);
    expect(() => readInputFile(write(text), '--input', { instances: true, findings: false })).toThrow(/diff(\[0\])+…?: nested deeper than 64 levels/);
  });
  test('a config nested 50,000 deep (even with a syntax error) is a config error, not a stack overflow', () => {
    const f = write(`{"waivers":${deep(50_000).slice(0, -1)}}`, 'cfg.json');
    expect(() => readJsonFile(f, '--config')).toThrow(`${f}: JSON nested deeper than 64 levels at line 1, column 75; no ami-audit input nests this deep`);
  });
});

describe('keys that are not ids (case 23)', () => {
  test.each([
    [dump(item({ OwnerId: '__proto__' })), 'InstanceImageMetadata[0].OwnerId: "__proto__" is not a 12-digit account id'],
    [dump(item({ accountId: '999999999999' })), 'InstanceImageMetadata[0].accountId: "999999999999" contradicts the OwnerId (123412341234); remove the field'],
    [dump(item({ region: 'eu-west-1' })), 'InstanceImageMetadata[0].region: "eu-west-1" contradicts the Availability Zone (us-east-1)'],
    [dump(item({ InstanceId: '__proto__' })), 'InstanceImageMetadata[0].InstanceId: "__proto__" is not an instance id'],
    [dump(item({ Tags: 'Name=x' })), 'InstanceImageMetadata[0].Tags: must be array'],
  ])('dump %j -> %s', (doc, msg) => {
    expect(() => inventoryFromInputs([{ file: 'd.json', doc }], NOW)).toThrow(`d.json: ${msg}`);
  });

  test('a dump item with matching accountId/region fields is accepted, and files under its own account and region', () => {
    const inv = inventoryFromInputs([{ file: 'd.json', doc: dump(item({ accountId: '123412341234', region: 'us-east-1' })) }], NOW);
    expect(inv.instances.map((i) => `${i.accountId}|${i.region}`)).toEqual(['123412341234|us-east-1']);
    expect(inv.coverage.map((c) => `${c.accountId}|${c.region}`)).toEqual(['123412341234|us-east-1']);
  });

  test.each([
    ['instances', 0, 'accountId', '__proto__', 'instances[0].accountId: "__proto__" is not a 12-digit account id'],
    ['instances', 0, 'region', 'constructor', 'instances[0].region: "constructor" is not a region name'],
    ['coverage', 1, 'accountId', '1', 'coverage[1].accountId: "1" is not a 12-digit account id'],
    ['findings', 0, 'region', '\u001b[31m', 'findings[0].region: "\\u001b[31m" is not a region name'],
  ])('a saved report with %s[%i].%s = %j is refused', (list, n, field, value, msg) => {
    const r = clone(fixtureReport()) as unknown as Record<string, Record<string, unknown>[]>;
    r[list]![n]![field] = value;
    expect(() => readReportDoc('r.json', r)).toThrow(`r.json: ${msg}`);
  });

  test('an instance of a scope the report has no coverage entry for is refused', () => {
    const r = clone(fixtureReport());
    r.instances[0]!.accountId = '999999999999';
    expect(() => readReportDoc('r.json', r)).toThrow(/r\.json: instances\[0\]: account 999999999999, region .* has no coverage entry/);
  });

  test('a waiver id __proto__ stays in the HTML report\'s data', () => {
    const f = clone(fixtureReport().findings[0]!) as Finding;
    f.waiver = { id: '__proto__', reason: 'r', expires: '2030-01-01', ticket: null, approvedBy: null };
    f.expiredWaiver = null;
    const data = tableData([f], null);
    expect(Object.keys(data.waivers)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(data)).waivers).toHaveProperty(['__proto__', 'reason'], 'r');
  });

  test('instance tags of dumps and saved reports are sorted by key, so the same estate gives the same bytes', () => {
    const tags = [{ Key: 'b', Value: '2' }, { Key: 'Name', Value: 'x' }, { Key: 'a', Value: '1' }];
    const inv = inventoryFromInputs([{ file: 'd.json', doc: dump(item({ Tags: tags })) }], NOW);
    expect(inv.instances[0]!.Tags!.map((t) => t.Key)).toEqual(['Name', 'a', 'b']);
    const r = clone(fixtureReport());
    r.instances[0]!.Tags = tags;
    const again = inventoryFromInputs([{ file: 'r.json', doc: r }], NOW);
    expect(again.instances[0]!.Tags!.map((t) => t.Key)).toEqual(['Name', 'a', 'b']);
  });
});

describe('reports read as streams (case 25)', () => {
  /** The real reads, counted. */
  const watching = () => {
    const reads: number[] = [];
    const seam: ReadSeam = { ...nodeReadSeam, readSync: (fd, b, o, l, p) => { const n = nodeReadSeam.readSync(fd, b, o, l, p); reads.push(n); return n; } };
    return { seam, reads };
  };
  const bigReport = (): { file: string; report: Report } => {
    const report = fixtureReport();
    const many = { ...report, instances: Array.from({ length: 60 }, () => report.instances).flat().map((i, n) => ({ ...i, InstanceId: `i-${n.toString(16).padStart(17, '0')}` })) };
    const file = join(tmp(), 'big.json');
    fs.writeFileSync(file, [...renderJsonChunks(many as Report)].join(''));
    return { file, report: many as Report };
  };

  test('a report larger than the text limit is read a block at a time, whole', () => {
    const { file, report } = bigReport();
    const size = fs.statSync(file).size;
    expect(size).toBeGreaterThan(2 << 20);
    // the whole-text reader refuses it under a limit below its size; the stream reader reads it under the same bound per read
    expect(() => readTextFile(file, '--input', 1 << 20)).toThrow(/more than the 1 MiB/);
    const { seam, reads } = watching();
    const parsed = readInputFile(file, '--input', { instances: true, findings: false }, seam);
    expect(Math.max(...reads)).toBeLessThanOrEqual(READ_BLOCK);
    expect(reads.reduce((a, b) => a + b, 0)).toBe(size);
    expect(parsed.kind).toBe('report');
    if (parsed.kind === 'report') {
      expect(parsed.report.instances).toHaveLength(report.instances.length);
      expect(parsed.report.findings).toEqual([]);
    }
  });

  test('a baseline keeps run, coverage and findings, not the instances', () => {
    const { file, report } = bigReport();
    const b = readReportFile(file, '--baseline');
    expect(b.instances).toEqual([]);
    expect(b.findings).toEqual(report.findings);
    expect(b.coverage.map((c) => c.accountId)).toEqual(report.coverage.map((c) => c.accountId));
    expect(b.run.id).toBe(report.run.id);
  });

  test('an element that breaks the schema is named by its index', () => {
    const r = clone(fixtureReport());
    (r.instances[3] as unknown as Record<string, unknown>).State = { Code: 'sixteen' };
    const f = write([...renderJsonChunks(r)].join(''));
    expect(() => readInputFile(f, '--input', { instances: true, findings: false })).toThrow(`${f}: instances[3].State.Code: must be integer; this is not a complete ami-audit report`);
  });

  test('a string longer than the limit is refused while it streams', () => {
    const f = write(`{"InstanceImageMetadata":[{"OwnerId":"123412341234","AvailabilityZone":"us-east-1a","Name":"${'x'.repeat(5 << 20)}"}]}`);
    expect(() => readInputFile(f, '--input', { instances: true, findings: false })).toThrow(/InstanceImageMetadata\[0\]\.Name: a string or number longer than/);
  });

  test('truncated, empty and non-JSON files are input errors', () => {
    const r = [...renderJsonChunks(fixtureReport())].join('');
    expect(() => readInputFile(write(r.slice(0, r.length / 2)), '--input', { instances: true, findings: false })).toThrow(UserError);
    expect(() => readInputFile(write(''), '--input', { instances: true, findings: false })).toThrow(/empty/);
    expect(() => readInputFile(write('<html>'), '--input', { instances: true, findings: false })).toThrow(/invalid JSON/);
    expect(() => readInputFile(write('[1]'), '--input', { instances: true, findings: false })).toThrow(/expected a JSON object/);
  });
});

describe('several inputs merge alike in any order (case 10)', () => {
  const base = () => clone(fixtureReport());
  test('a coverage conflict keeps the worse status, says so, and does not depend on the order', () => {
    const a = base();
    const b = base();
    b.run.id = 'run-fixture-0002';
    b.run.finishedAt = '2026-11-26T00:00:09Z';
    const scope = b.coverage.find((c) => c.status === 'ok')!;
    Object.assign(scope, { status: 'error', errorCode: 'UnauthorizedOperation', errorMessage: 'no' });
    const one = mergeInputs([parseInputDoc('a.json', a), parseInputDoc('b.json', b)], NOW);
    const two = mergeInputs([parseInputDoc('b.json', b), parseInputDoc('a.json', a)], NOW);
    expect(one.inventory).toEqual(two.inventory);
    expect(one.stored).toEqual(two.stored);
    const merged = one.inventory.coverage.find((c) => c.accountId === scope.accountId && c.region === scope.region)!;
    expect(merged.status).toBe('error');
    expect(one.stored.notes.join('\n')).toContain(`Coverage of ${scope.accountId} ${scope.region} differs between inputs (ok in a.json, error in b.json): the worse status, error, is kept.`);
    expect(one.inventory.run.id).toMatch(/^merged-[0-9a-f]{20}$/);
    expect(one.inventory.run.startedAt).toBe(a.run.startedAt);
    expect(one.inventory.run.finishedAt).toBe('2026-11-26T00:00:09Z');
  });

  test('one saved report keeps its run, its as-of and its settings', () => {
    const r = base();
    const { inventory, stored } = mergeInputs([parseInputDoc('r.json', r)], '2030-01-01T00:00:00Z');
    expect(inventory.run.id).toBe(r.run.id);
    expect(stored.asOf).toBe(r.run.asOf);
    expect(stored.config!.waivers!.map((w) => w.id).sort()).toEqual(r.waivers.map((w) => w.id).sort());
  });

  test('reports evaluated with different waivers need --config', () => {
    const a = base();
    const b = base();
    b.run.id = 'other';
    b.waivers = b.waivers.slice(1);
    expect(() => mergeInputs([parseInputDoc('b.json', b), parseInputDoc('a.json', a)], NOW)).toThrow('--input: a.json and b.json were evaluated with different waivers or rule settings; give --config');
    expect(() => mergeInputs([parseInputDoc('b.json', b), parseInputDoc('a.json', a)], NOW, { storedSettings: false })).not.toThrow();
  });
});

describe('records without an InstanceId are never merged by their content (case 8)', () => {
  test('a dump with two identical id-less items gives two instances and two findings; so does a saved report of them', async () => {
    const { buildReport } = await import('../../src/report/build.js');
    const { DEFAULT_SETTINGS } = await import('../../src/rules/engine.js');
    const { DateTime } = await import('luxon');
    const bare = { OwnerId: '123412341234', AvailabilityZone: 'us-east-1a', ImageMetadata: { ImageId: 'ami-0123456789abcdef0' } };
    const inv = inventoryFromInputs([{ file: 'd.json', doc: dump(bare, { ...bare }) }], NOW);
    expect(inv.instances).toHaveLength(2);
    const asOf = DateTime.fromISO(NOW, { zone: 'utc' });
    const rep = buildReport({ inventory: inv, settings: DEFAULT_SETTINGS, asOf: asOf.toMillis(), tool: { name: 'ami-audit', version: 't' } });
    expect(rep.findings).toHaveLength(2);
    const again = inventoryFromInputs([{ file: 'r.json', doc: JSON.parse(JSON.stringify(rep)) }], NOW);
    expect(again.instances).toHaveLength(2);
  });
});

describe('AWS CLI output carries no Allowed AMIs state (clean-clone review)', () => {
  test('a dump scope with a not-allowed AMI is partial, naming the missing state; one without is ok', () => {
    const inv = inventoryFromInputs([{ file: 'd.json', doc: dump(
      item({ ImageMetadata: { ImageId: 'ami-0123456789abcdef0', ImageAllowed: false } }),
      item({ InstanceId: 'i-0123456789abcdef1', AvailabilityZone: 'eu-west-1a', ImageMetadata: { ImageId: 'ami-0123456789abcdef0', ImageAllowed: true } }),
    ) }], NOW);
    const us = inv.coverage.find((c) => c.region === 'us-east-1')!;
    expect(us).toMatchObject({ status: 'partial', errorCode: 'NotInDump' });
    expect(us.failures).toEqual([expect.objectContaining({ action: 'GetAllowedImagesSettings', code: 'NotInDump' })]);
    expect(inv.coverage.find((c) => c.region === 'eu-west-1')!.status).toBe('ok');
  });
});
