/**
 * Records read from a file (a saved report, AWS CLI output) are rebuilt as the collector builds
 * them: equal, key for key and in the same order, with the AMI's metadata and repeated tags shared.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FINDING_OWN_VALUES, internRecord, Interner } from '../../src/model/intern.js';
import { readInputFile } from '../../src/io/files.js';

const meta = { ImageId: 'ami-0abc1234def567890', Name: 'golden-2026', OwnerId: '123456789012', State: 'available', CreationDate: '2026-01-01T00:00:00.000Z', IsPublic: false, ImageAllowed: true };

function record(n: number, extra: Record<string, unknown> = {}) {
  return {
    accountId: '111122223333', region: 'eu-west-1', InstanceId: `i-0${String(n).padStart(16, '0')}`, InstanceType: 't3.micro', LaunchTime: '2026-02-01T00:00:00.000Z',
    AvailabilityZone: 'eu-west-1a', State: { Code: 16, Name: 'running' }, OwnerId: '111122223333',
    Tags: [{ Key: 'Name', Value: `web-${n}` }, { Key: 'team', Value: 'payments' }], ImageMetadata: JSON.parse(JSON.stringify(meta)) as typeof meta, Operator: { Managed: false }, ...extra,
  };
}

describe('internRecord', () => {
  test('the same record, key for key and in order; equal AMI metadata is one object; a repeated tag is one object', () => {
    const interner = new Interner();
    const a = record(1);
    const b = record(2);
    const ia = internRecord(a, interner);
    const ib = internRecord(b, interner);
    expect(JSON.stringify(ia)).toBe(JSON.stringify(a));
    expect(JSON.stringify(ib)).toBe(JSON.stringify(b));
    expect(ia.ImageMetadata).toBe(ib.ImageMetadata);
    expect(ia.Tags[1]).toBe(ib.Tags[1]);
    // an instance state and an operator repeat across a fleet: one object each, as the collector builds them
    expect(ia.State).toBe(ib.State);
    expect(ia.Operator).toBe(ib.Operator);
    const stopped = internRecord(record(4, { State: { Code: 80, Name: 'stopped' } }), interner);
    expect(stopped.State).toEqual({ Code: 80, Name: 'stopped' });
    expect(stopped.State).not.toBe(ia.State);
    // the same values in another key order are another record's own: its order is kept
    const reordered = internRecord(record(5, { State: { Name: 'running', Code: 16 } }), interner);
    expect(Object.keys(reordered.State)).toEqual(['Name', 'Code']);
    // different metadata for the same AMI id is never shared
    const c = internRecord(record(3, { ImageMetadata: { ...meta, State: 'deregistered' } }), interner);
    expect(c.ImageMetadata).not.toBe(ia.ImageMetadata);
    expect(c.ImageMetadata.State).toBe('deregistered');
  });

  test('a __proto__ key stays an own property, as JSON.parse leaves it; tags in another shape keep it', () => {
    const raw = JSON.parse('{"accountId":"111122223333","region":"eu-west-1","__proto__":{"x":1},"Tags":[{"Value":"v","Key":"k"},{"Key":"k2","Value":"v2","Extra":"e"}],"ImageMetadata":{"__proto__":"p","ImageId":"ami-1"}}') as Record<string, unknown>;
    const out = internRecord(raw, new Interner());
    expect(JSON.stringify(out)).toBe(JSON.stringify(raw));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toContain('__proto__');
  });

  test('a tag without a key keeps what it has: no value, an empty value and a value are three tags', () => {
    const interner = new Interner();
    const shapes = [[{}], [{ Value: '' }], [{ Value: 'v' }], [{}], [{ Value: '' }]];
    const out = shapes.map((Tags) => internRecord({ accountId: '111122223333', region: 'eu-west-1', Tags }, interner).Tags);
    expect(out).toEqual(shapes);
    expect(out.map((t) => JSON.stringify(t))).toEqual(shapes.map((t) => JSON.stringify(t)));
  });

  test('a finding keeps its own values (id, message) and is equal to what was read', () => {
    const f = { id: 'f-1', ruleId: 'deprecated-ami', severity: 'high', accountId: '111122223333', region: 'eu-west-1', instanceId: 'i-1', message: 'AMI ami-1 was deprecated on 2026-01-01', waiver: null, tags: ['payments', null] };
    const out = internRecord(f, new Interner(), FINDING_OWN_VALUES);
    expect(out).toEqual(f);
    expect(JSON.stringify(out)).toBe(JSON.stringify(f));
  });
});

describe('AWS CLI output read from a file', () => {
  test('its records share the AMI metadata of instances on the same AMI, and read as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-intern-'));
    try {
      const items = [1, 2, 3].map((n) => {
        const { accountId: _a, region: _r, ...rest } = record(n);
        return rest;
      });
      const file = join(dir, 'dump.json');
      writeFileSync(file, JSON.stringify({ InstanceImageMetadata: items }));
      const p = readInputFile(file, '--input', { instances: true, findings: true });
      if (p.kind !== 'dump') throw new Error('expected a dump');
      expect(p.records).toHaveLength(3);
      expect(p.records[0]!.ImageMetadata).toBe(p.records[2]!.ImageMetadata);
      expect(p.records.map((r) => r.Tags)).toEqual(items.map((i) => i.Tags));
      expect(p.records[1]).toMatchObject({ ...items[1], accountId: '111122223333', region: 'eu-west-1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
