/** Sharding and merging: slices, fingerprints, and a merge that equals the unsharded run. */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { mergeShards } from '../../src/report/merge.js';
import { parseShard, sealShard, shardAccounts, shardInfo } from '../../src/report/shard.js';
import { buildReport } from '../../src/report/build.js';
import { mergeInputs, parseInputDoc, type ParsedInput } from '../../src/report/input.js';
import { renderJsonChunks } from '../../src/render/json.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import type { Inventory, Report } from '../../src/model/types.js';
import { UserError } from '../../src/model/errors.js';
import { partial } from '../../src/model/coverage.js';
import { FIXED_NOW, inventoryFromFleet } from '../helpers/fixture.js';

const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
const settings = settingsFrom(demoConfig(asOf));
const tool = { name: 'ami-audit', version: '0.0.0-test' };
const SCOPE = { regions: ['us-east-1'], filters: [] };

/** The fixture's run cut into N shard runs: each shard's sealed report as its JSON holds it. */
function shardDocs(n: number, at = asOf, scope: Record<string, unknown> = SCOPE, tweak?: (inv: Inventory, k: number) => void, key?: string): Report[] {
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
    const report = sealShard(buildReport({ inventory: inv, settings, asOf: at.toMillis(), tool }), key);
    // as the shard's JSON file holds it (findings as their records)
    return JSON.parse([...renderJsonChunks(report)].join('')) as Report;
  });
}

/** A shard's report read back as merge reads it (its content digest computed on the way). */
const read = (doc: Report, k: number): ParsedInput => parseInputDoc(`shard-${k}.json`, doc, { instances: true, findings: false, digest: true });

/** The fixture's run cut into N shard runs, each a saved report read back from its JSON. */
function shards(n: number, at = asOf, scope: Record<string, unknown> = SCOPE, tweak?: (inv: Inventory, k: number) => void, key?: string): ParsedInput[] {
  return shardDocs(n, at, scope, tweak, key).map((doc, i) => read(doc, i + 1));
}

function merged(parts: ParsedInput[], o: { asOfGiven?: boolean } = {}): Report {
  const m = mergeShards(parts, '2026-11-26T01:00:00Z', o);
  return buildReport({ inventory: m.inventory, settings, asOf: asOf.toMillis(), tool });
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
  const single = buildReport({ inventory: inventoryFromFleet(), settings, asOf: asOf.toMillis(), tool });

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
    const a = buildReport({ inventory: mergeShards(parts, 'T').inventory, settings, asOf: asOf.toMillis(), tool });
    const b = buildReport({ inventory: mergeShards([parts[2]!, parts[0]!, parts[1]!, parts[0]!], 'T').inventory, settings, asOf: asOf.toMillis(), tool });
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
    expect(buildReport({ inventory: m.inventory, settings, asOf: asOf.toMillis(), tool }).run.status).toBe('partial');
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

describe('merge trusts no part blindly', () => {
  const KEY = 'k3y-shared-by-every-shard-and-merge';
  const refusal = (parts: ParsedInput[], key?: string): string => {
    try {
      mergeShards(parts, 'T', { shardKey: key });
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return (e as Error).message;
    }
    return 'accepted';
  };

  test('a part from which a finding and its instance were deleted by hand is refused, naming it', () => {
    const docs = shardDocs(2);
    const f = docs[1]!.findings[0]!;
    docs[1]!.findings = docs[1]!.findings.filter((x) => x.instanceId !== f.instanceId);
    docs[1]!.instances = docs[1]!.instances.filter((x) => x.InstanceId !== f.instanceId);
    expect(refusal([read(docs[0]!, 1), read(docs[1]!, 2)])).toMatch(/^merge: shard-2\.json \(shard 2\/2\) refused: its content does not match the digest it records/);
    // any byte of meaning: a finding's severity
    const again = shardDocs(2);
    again[0]!.findings[0]!.severity = again[0]!.findings[0]!.severity === 'low' ? 'high' : 'low';
    expect(refusal([read(again[0]!, 1), read(again[1]!, 2)])).toMatch(/shard-1\.json .*does not match the digest/);
  });

  test('a part without a digest is refused; the layout of the file does not matter, only its content', () => {
    const docs = shardDocs(2);
    const { digest: _d, ...bare } = docs[0]!.run.shard!;
    docs[0]!.run.shard = bare;
    expect(refusal([read(docs[0]!, 1), read(docs[1]!, 2)])).toMatch(/shard-1\.json .*records no digest/);
    // keys in another order, the same content: accepted
    const fresh = shardDocs(2);
    const reordered = Object.fromEntries(Object.entries(fresh[0]!).reverse()) as unknown as Report;
    reordered.run = Object.fromEntries(Object.entries(fresh[0]!.run).reverse()) as unknown as Report['run'];
    expect(refusal([read(reordered, 1), read(fresh[1]!, 2)])).toBe('accepted');
  });

  test('AMI_AUDIT_SHARD_KEY: parts signed with it merge; unsigned, re-sealed or signed with another key are refused', () => {
    const signed = shardDocs(2, asOf, SCOPE, undefined, KEY);
    expect(signed[0]!.run.shard!.signature).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(signed)).not.toContain(KEY);
    expect(refusal(signed.map(read), KEY)).toBe('accepted');
    expect(mergeShards(signed.map(read), 'T', { shardKey: KEY }).stored.notes.join('\n')).not.toMatch(/signed/);
    // without the key the digests are checked, and the merged report says that authenticity was not
    expect(mergeShards(signed.map(read), 'T').stored.notes).toContain('The shards are signed, but merge was not given AMI_AUDIT_SHARD_KEY: their contents match their digests; who wrote them was not checked.');
    expect(refusal(shards(2), KEY)).toMatch(/shard-1\.json .*not signed, and AMI_AUDIT_SHARD_KEY is set/);
    expect(refusal(shardDocs(2, asOf, SCOPE, undefined, 'another-key-entirely').map(read), KEY)).toMatch(/signature does not match/);
    // someone who can rewrite the file recomputes the digest after an edit: without the key, the digest alone cannot tell
    const forged = shardDocs(2, asOf, SCOPE, undefined, KEY);
    forged[1]!.findings = forged[1]!.findings.slice(1);
    forged[1]!.summary = { ...forged[1]!.summary, findings: forged[1]!.summary.findings - 1 };
    const resealed = { ...sealShard(forged[1]!), run: { ...sealShard(forged[1]!).run, shard: { ...sealShard(forged[1]!).run.shard!, signature: forged[1]!.run.shard!.signature! } } };
    expect(refusal([read(forged[0]!, 1), read(resealed, 2)])).toBe('accepted');
    expect(refusal([read(forged[0]!, 1), read(resealed, 2)], KEY)).toMatch(/shard-2\.json .*signature does not match/);
  });

  /** A part edited by someone who also recomputed its digest: merge still checks that it agrees with itself. */
  const edited = (k: number, edit: (r: Report) => void): ParsedInput[] => shardDocs(2).map((doc, i) => {
    if (i + 1 === k) edit(doc);
    return read(i + 1 === k ? sealShard(doc) : doc, i + 1);
  });

  test('a scope edited to ok that still carries its errorCode and failures is refused', () => {
    const failing = (r: Report) => r.coverage.find((c) => c.status === 'error');
    const k = shardDocs(2).findIndex((r) => failing(r)) + 1;
    expect(k).toBeGreaterThan(0);
    expect(refusal(edited(k, (r) => {
      failing(r)!.status = 'ok';
    }))).toMatch(new RegExp(`shard-${k}\\.json \\(shard ${k}/2\\) contradicts itself: coverage of \\d{12} [a-z0-9-]+: status ok, yet it carries errorCode`));
  });

  test('a scope rewritten ok while the run status says partial and the summary counts an error is refused', () => {
    const k = shardDocs(2).findIndex((r) => r.coverage.some((c) => c.status === 'error')) + 1;
    expect(refusal(edited(k, (r) => {
      const c = r.coverage.find((x) => x.status === 'error')!;
      Object.assign(c, { status: 'ok', errorCode: null, errorMessage: null, failures: [] });
    }))).toMatch(/contradicts itself: its summary counts scopes .*"error":[1-9].*its coverage holds/);
    expect(refusal(edited(k, (r) => {
      for (const c of r.coverage.filter((x) => x.status === 'error')) Object.assign(c, { status: 'ok', errorCode: null, errorMessage: null, failures: [] });
      r.summary.scopes = { ...r.summary.scopes, ok: r.summary.scopes.ok + r.summary.scopes.error, error: 0 };
      r.summary.scopes.ok += r.summary.scopes.partial;
      for (const c of r.coverage.filter((x) => x.status === 'partial')) Object.assign(c, { status: 'ok', errorCode: null, errorMessage: null, failures: [] });
      r.summary.scopes.partial = 0;
    }))).toMatch(/contradicts itself: its run status is partial, its scopes make it complete/);
  });

  test('a part holding an account outside its shard\'s slice, or relabelled shard 3 of 2, is refused', () => {
    const docs = shardDocs(2);
    const other = docs[1]!.coverage[0]!;
    expect(refusal(edited(1, (r) => {
      r.coverage.push({ ...other });
      r.summary.scopes = { ...r.summary.scopes, total: r.summary.scopes.total + 1, [other.status]: r.summary.scopes[other.status] + 1 };
    }))).toMatch(new RegExp(`shard-1\\.json \\(shard 1/2\\) contradicts itself: coverage of ${other.accountId} .*not in shard 1/2's slice`));
    expect(refusal(edited(2, (r) => {
      r.run.shard = { ...r.run.shard!, index: 3 };
    }))).toMatch(/shard-2\.json \(shard 3\/2\) contradicts itself: it calls itself shard 3 of 2/);
  });
});
