import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import { inventoryFromInputs, regionOfZone, regionOfZoneId, readReportDoc } from '../../src/report/input.js';
import { buildReport, inventoryOf } from '../../src/report/build.js';
import { DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import { UserError } from '../../src/model/errors.js';
import { prng } from '../../src/emulator/generate.js';
import { fixtureReport } from '../helpers/fixture.js';

const example = (n: number) => JSON.parse(readFileSync(new URL(`../fixtures/cli-example-${n}.json`, import.meta.url), 'utf8'));
const AS_OF = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });
const TOOL = { name: 'ami-audit', version: 't' };

describe('regions from zone names', () => {
  test.each([
    ['us-east-1a', 'us-east-1'],
    ['eu-central-2c', 'eu-central-2'],
    ['us-west-2-lax-1a', 'us-west-2'],
    ['us-east-1-wl1-bos-wlz-1', 'us-east-1'],
    ['us-gov-west-1a', 'us-gov-west-1'],
    ['ap-southeast-4b', 'ap-southeast-4'],
    ['nonsense', null],
  ])('%s -> %s', (zone, region) => expect(regionOfZone(zone)).toBe(region));
  test.each([
    ['use1-az4', 'us-east-1'],
    ['apse2-az1', 'ap-southeast-2'],
    ['usw2-lax1-az1', 'us-west-2'],
    ['euc1-az2', 'eu-central-1'],
    ['apne1-az4', 'ap-northeast-1'],
    ['usgw1-az1', 'us-gov-west-1'],
    ['x', null],
  ])('zone id %s -> %s', (zoneId, region) => expect(regionOfZoneId(zoneId)).toBe(region));
  test('a dump without AvailabilityZone falls back to ZoneId', () => {
    const inv = inventoryFromInputs([{ file: 'd.json', doc: { InstanceImageMetadata: [{ InstanceId: 'i-1', OwnerId: '123412341234', ZoneId: 'euw1-az2' }] } }], '2026-11-26T00:00:00Z');
    expect(inv.instances[0]!.region).toBe('eu-west-1');
  });
});

describe('the three example outputs of the AWS CLI page, as of 2026-11-26', () => {
  test.each([1, 2, 3])('example %i', (n) => {
    const inv = inventoryFromInputs([{ file: `example-${n}.json`, doc: example(n) }], '2026-11-26T00:00:00Z');
    const r = buildReport({ inventory: inv, settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: TOOL });
    const instances = new Set(example(n).InstanceImageMetadata.map((i: { InstanceId: string }) => i.InstanceId));
    expect(r.instances).toHaveLength(instances.size);
    expect(r.coverage.map((c) => `${c.accountId}|${c.region}`)).toEqual(['123412341234|us-east-1']);
    // the AMI was deprecated on 2025-01-25 and created on 2023-01-25: deprecated (high) and stale (low)
    expect(r.findings.map((f) => `${f.ruleId}:${f.severity}:${f.instanceId}`).sort()).toEqual(
      [...instances].flatMap((i) => [`deprecated-ami:high:${i}`, `stale-ami:low:${i}`]).sort(),
    );
    expect(r.findings.find((f) => f.ruleId === 'deprecated-ami')!.message).toContain('2025-01-25T17:20:40Z');
    // examples 1 and 3 end with a NextToken: the dump stops before its last page
    expect(r.coverage[0]!.status).toBe(n === 2 ? 'ok' : 'partial');
    expect(r.run.source).toBe('aws-cli');
  });
  test('overlapping dumps keep each instance once', () => {
    const inv = inventoryFromInputs([1, 2, 3].map((n) => ({ file: `e${n}`, doc: example(n) })), '2026-11-26T00:00:00Z');
    expect(inv.instances.map((i) => i.InstanceId).sort()).toEqual(['i-0987654321EXAMPLE', 'i-1234567890EXAMPLE']);
  });
});

describe('saved reports', () => {
  test('a saved report re-evaluates to the same findings', () => {
    const r = fixtureReport();
    const again = JSON.parse(JSON.stringify(r));
    const inv = inventoryFromInputs([{ file: 'r.json', doc: again }], '2027-01-01T00:00:00Z');
    // the same instances, their tags sorted by key
    expect(inv.instances).toEqual(r.instances.map((i) => (i.Tags ? { ...i, Tags: [...i.Tags].sort((a, b) => (a.Key! < b.Key! ? -1 : a.Key! > b.Key! ? 1 : 0)) } : i)));
    expect(inventoryOf(r).coverage).toEqual(inv.coverage);
  });
  test('a newer schemaVersion is refused', () => {
    expect(() => readReportDoc('new.json', { ...fixtureReport(), schemaVersion: 5 })).toThrow(/newer than this ami-audit reads \(4\)/);
  });
  test('a version 1 report is read and upgraded to the current version; a version 2 report must have the plan', () => {
    const { tagColumns: _t, images: _i, owners: _o, coverageGaps: _g, ...v1 } = JSON.parse(JSON.stringify(fixtureReport()));
    const r = readReportDoc('old.json', { ...v1, schemaVersion: 1 });
    expect(r.schemaVersion).toBe(4);
    expect(r.history).toBeNull();
    // a version 2 report (no history) is read as well
    expect(readReportDoc('v2.json', { ...JSON.parse(JSON.stringify(fixtureReport())), schemaVersion: 2, history: undefined }).schemaVersion).toBe(4);
    // a version 1 report predates --references: its plan is rebuilt without them
    expect(r.images).toEqual(fixtureReport().images.map(({ references: _r, ...i }) => i));
    expect(r.coverageGaps).toEqual(fixtureReport().coverageGaps);
    expect(() => readReportDoc('new.json', { ...v1, schemaVersion: 2 })).toThrow(/must have required property 'tagColumns'; this is not a complete ami-audit report/);
  });
  test.each([
    [{}, 'neither an ami-audit report'],
    [[], 'expected a JSON object'],
    [{ InstanceImageMetadata: [{ InstanceId: 'i-1' }] }, 'OwnerId: missing'],
    [{ InstanceImageMetadata: [{ OwnerId: '123412341234', AvailabilityZone: '??' }] }, 'AvailabilityZone: missing or not a zone name'],
    [{ schemaVersion: 1 }, "must have required property 'tool'"],
    [{ ...JSON.parse(JSON.stringify(fixtureReport())), coverage: [null] }, 'coverage[0]: must be object'],
    [{ schemaVersion: 'one' }, 'schemaVersion: expected an integer'],
  ])('bad input %j', (doc, msg) => {
    expect(() => inventoryFromInputs([{ file: 'in.json', doc }], '2026-11-26T00:00:00Z')).toThrow(msg);
  });
  test('generated garbage gives a UserError or an inventory, never a crash', () => {
    const rand = prng(99);
    const values: unknown[] = [null, 1, 'x', [], {}, true, '123412341234', 'us-east-1a', { InstanceId: 'i-1' }];
    const keys = ['InstanceImageMetadata', 'schemaVersion', 'run', 'coverage', 'instances', 'findings', 'OwnerId', 'AvailabilityZone', 'NextToken'];
    const gen = (depth: number): unknown => {
      if (depth > 3 || rand() < 0.3) return values[Math.floor(rand() * values.length)];
      if (rand() < 0.3) return Array.from({ length: Math.floor(rand() * 3) }, () => gen(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, () => [keys[Math.floor(rand() * keys.length)]!, gen(depth + 1)]));
    };
    for (let n = 0; n < 1000; n++) {
      const doc = gen(0);
      try {
        const inv = inventoryFromInputs([{ file: 'g.json', doc }], '2026-11-26T00:00:00Z');
        buildReport({ inventory: inv, settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: TOOL });
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
      }
    }
  });
});
