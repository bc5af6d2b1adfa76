/** Sharding and merging: slices, fingerprints, and a merge that equals the unsharded run. */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { mergeShards } from '../../src/report/merge.js';
import { parseShard, shardAccounts, shardInfo } from '../../src/report/shard.js';
import { buildReport } from '../../src/report/build.js';
import { mergeInputs, parseInputDoc, type ParsedInput } from '../../src/report/input.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import type { Inventory, Report } from '../../src/model/types.js';
import { UserError } from '../../src/model/errors.js';
import { partial } from '../../src/report/coverage.js';
import { FIXED_NOW, inventoryFromFleet } from '../helpers/fixture.js';

const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
const settings = settingsFrom(demoConfig(asOf));
const tool = { name: 'ami-audit', version: '0.0.0-test' };
const SCOPE = { regions: ['us-east-1'], filters: [] };

/** The fixture's run cut into N shard runs, each a saved report read back from its JSON. */
function shards(n: number, at = asOf, scope: Record<string, unknown> = SCOPE, tweak?: (inv: Inventory, k: number) => void): ParsedInput[] {
  const whole = inventoryFromFleet();
  const all = whole.run.accounts;
  return Array.from({ length: n }, (_, i) => {
    const mine = new Set(shardAccounts(all, i + 1, n));
    const inv: Inventory = {
      run: { ...whole.run, id: `run-shard-${i + 1}`, accounts: whole.run.accounts.filter((a) => mine.has(a)), shard: shardInfo(all, i + 1, n, scope) },
      coverage: whole.coverage.filter((c) => mine.has(c.accountId)),
      accounts: whole.accounts!.filter((a) => mine.has(a.accountId)),
      instances: whole.instances.filter((x) => mine.has(x.accountId)),
      ...(whole.references ? { references: whole.references.filter((r) => mine.has(r.accountId)) } : {}),
      notFoundInstanceIds: [],
    };
    tweak?.(inv, i + 1);
    const report = buildReport({ inventory: inv, settings, asOf: at, tool });
    return parseInputDoc(`shard-${i + 1}.json`, JSON.parse(JSON.stringify(report)), { instances: true, findings: false });
  });
}

function merged(parts: ParsedInput[], o: { asOfGiven?: boolean } = {}): Report {
  const m = mergeShards(parts, '2026-11-26T01:00:00Z', o);
  return buildReport({ inventory: m.inventory, settings, asOf, tool });
}

describe('shards', () => {
  test('--shard K/N is 1-based and bounded', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1', '1/1001']) expect(() => parseShard(bad)).toThrow(/--shard: .* is not K\/N/);
  });

  test('every account lands in exactly one shard, sizes within one of each other, the same on every call', () => {
    const ids = Array.from({ length: 103 }, (_, i) => String(100000000000 + ((i * 7919) % 1000)));
    const slices = [1, 2, 3, 4].map((k) => shardAccounts(ids, k, 4));
    expect(slices.flat().sort()).toEqual([...new Set(ids)].sort());
    const sizes = slices.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(shardAccounts([...ids].reverse(), 3, 4)).toEqual(slices[2]);
  });

  test('the fingerprint changes with the accounts, the count or the scope, not with the order', () => {
    const a = shardInfo(['111111111111', '222222222222'], 1, 2, SCOPE).fingerprint;
    expect(shardInfo(['222222222222', '111111111111'], 2, 2, SCOPE).fingerprint).toBe(a);
    expect(shardInfo(['111111111111', '333333333333'], 1, 2, SCOPE).fingerprint).not.toBe(a);
    expect(shardInfo(['111111111111', '222222222222'], 1, 3, SCOPE).fingerprint).not.toBe(a);
    expect(shardInfo(['111111111111', '222222222222'], 1, 2, { ...SCOPE, regions: ['eu-west-1'] }).fingerprint).not.toBe(a);
  });
});

describe('merge', () => {
  const single = buildReport({ inventory: inventoryFromFleet(), settings, asOf, tool });

  test('the merge of 3 shards equals the unsharded run: findings, coverage, plan, owners, gaps, accounts, summary', () => {
    const m = merged(shards(3));
    for (const k of ['findings', 'coverage', 'images', 'owners', 'coverageGaps', 'accounts', 'summary', 'waivers', 'rules', 'notFoundInstanceIds'] as const) expect(m[k]).toEqual(single[k]);
    expect(m.run.accounts).toEqual(single.run.accounts);
    expect(m.run.regions).toEqual(single.run.regions);
    expect(m.run.status).toBe(single.run.status);
    expect(m.run.shard).toBeUndefined();
  });

  test('argument order does not matter; the same part twice is read once', () => {
    const parts = shards(3);
    const a = buildReport({ inventory: mergeShards(parts, 'T').inventory, settings, asOf, tool });
    const b = buildReport({ inventory: mergeShards([parts[2]!, parts[0]!, parts[1]!, parts[0]!], 'T').inventory, settings, asOf, tool });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  test('a missing shard: its accounts are ShardMissing errors in every region, the run partial', () => {
    const parts = shards(3);
    const m = mergeShards([parts[0]!, parts[2]!], 'T');
    const lost = shardAccounts(inventoryFromFleet().run.accounts, 2, 3);
    expect(lost.length).toBeGreaterThan(0);
    const gaps = m.inventory.coverage.filter((c) => c.errorCode === 'ShardMissing');
    expect([...new Set(gaps.map((g) => g.accountId))].sort()).toEqual(lost);
    expect(new Set(gaps.map((g) => g.region))).toEqual(new Set(single.run.regions));
    expect(m.stored.notes.join('\n')).toMatch(/Shard 2\/3 missing/);
    expect(buildReport({ inventory: m.inventory, settings, asOf, tool }).run.status).toBe('partial');
  });

  test('a shard from two different runs: its scopes are partial (ShardDuplicated)', () => {
    const parts = shards(3);
    const again = JSON.parse(JSON.stringify(parts[1]!)) as Extract<ParsedInput, { kind: 'report' }>;
    again.report.run.id = 'run-shard-2-again';
    again.file = 'shard-2-again.json';
    const m = mergeShards([...parts, again], 'T');
    const dup = m.inventory.coverage.filter((c) => c.failures.some((f) => f.code === 'ShardDuplicated'));
    expect(dup.length).toBeGreaterThan(0);
    expect(dup.every((c) => c.status !== 'ok')).toBe(true);
  });

  test('parts of different runs (fingerprints differ) are refused', () => {
    const a = shards(2);
    const b = shards(2, asOf, { regions: ['eu-west-1'] });
    expect(() => mergeShards([a[0]!, b[1]!], 'T')).toThrow(/are shards of different runs/);
    expect(() => mergeShards([a[0]!, shards(3)[1]!], 'T')).toThrow(UserError);
  });

  test('parts evaluated at different times are refused unless the merge re-evaluates them', () => {
    const early = shards(2);
    const late = shards(2, asOf.plus({ days: 1 }));
    expect(() => mergeShards([early[0]!, late[1]!], 'T')).toThrow(/evaluated at different times .* same --as-of, or re-evaluate them at one with merge --as-of/);
    expect(() => mergeShards([early[0]!, late[1]!], 'T', { asOfGiven: true })).not.toThrow();
  });

  test('instance ids asked for are unchecked, not "not found", while a shard is missing', () => {
    const parts = shards(3).map((p) => {
      const r = p as Extract<ParsedInput, { kind: 'report' }>;
      return { ...r, report: { ...r.report, notFoundInstanceIds: ['i-0123456789abcdef0'] } };
    });
    const m = mergeShards([parts[0]!, parts[2]!], 'T').inventory;
    expect(m.notFoundInstanceIds).toEqual([]);
    expect(m.uncheckedInstanceIds).toEqual(['i-0123456789abcdef0']);
  });

  test('an id a partial shard could not check stays unchecked when another shard is complete (never "not found")', () => {
    const X = 'i-0123456789abcdef0';
    const loop = { action: 'DescribeInstanceImageMetadata', code: 'PaginationLoop', message: 'The token repeated.' };
    // both shards were asked for X; shard 1 could not list one of its scopes, shard 2 listed all of its own
    const parts = shards(2, asOf, { ...SCOPE, instanceIds: [X] }, (inv, k) => {
      if (k === 1) {
        inv.coverage[0] = partial(inv.coverage[0]!.accountId, inv.coverage[0]!.region, [loop], { instanceCount: inv.coverage[0]!.instanceCount });
        inv.uncheckedInstanceIds = [X];
      } else {
        inv.notFoundInstanceIds = [X];
        inv.uncheckedInstanceIds = [];
      }
    });
    const m = mergeShards(parts, 'T').inventory;
    expect({ notFound: m.notFoundInstanceIds, unchecked: m.uncheckedInstanceIds }).toEqual({ notFound: [], unchecked: [X] });
    // the same two runs as plain reports given to report --input: the same rule
    const plain = parts.map((p) => {
      const r = p as Extract<ParsedInput, { kind: 'report' }>;
      const { shard: _s, ...run } = r.report.run;
      return { ...r, report: { ...r.report, run } };
    });
    const i = mergeInputs(plain, 'T').inventory;
    expect({ notFound: i.notFoundInstanceIds, unchecked: i.uncheckedInstanceIds }).toEqual({ notFound: [], unchecked: [X] });
  });

  test('report --input refuses several shard reports: only merge knows a missing shard', () => {
    expect(() => mergeInputs(shards(2), 'T')).toThrow(/is the report of shard \d\/2 of a sharded run: combine shard reports with "ami-audit merge"/);
  });

  test('a report that is not a shard is refused with what to use instead', () => {
    const plain = parseInputDoc('plain.json', JSON.parse(JSON.stringify(single)), { instances: true, findings: false });
    expect(() => mergeShards([plain], 'T')).toThrow(/plain.json is not the report of a shard .*use report --input/);
  });
});
