/** The collector against the local endpoint: every account, every region, every page. */
import { afterEach, describe, expect, test } from '@jest/globals';
import { collect } from '../../src/collect/collector.js';
import { generateFleet } from '../../src/emulator/generate.js';
import type { Fleet } from '../../src/emulator/fleet.js';
import type { Emulator } from '../../src/emulator/server.js';
import { demoFleet } from '../../src/emulator/demo.js';
import { emulator, NOW } from '../helpers/emulator.js';
import { collectOptions, keys, reachable, statusOf } from '../helpers/collect.js';

let e: Emulator | null = null;
afterEach(async () => {
  await e?.close();
  e = null;
});

/** 6 accounts x 3 regions + an opt-in region one account enabled; account 5 cannot be assumed. */
function orgFleet(): Fleet {
  const f = generateFleet({ accounts: 6, regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], instances: 900, seed: 11, skewInstances: 0.5, skewScopes: 0.1 });
  f.regions.push({ name: 'ap-east-1', optIn: true });
  f.accounts[1]!.optedInRegions = ['ap-east-1'];
  f.accounts[1]!.instances!['ap-east-1'] = generateFleet({ accounts: 1, regions: ['ap-east-1'], instances: 12, seed: 5 }).accounts[0]!.instances!['ap-east-1']!.map((i) => ({ ...i, OwnerId: f.accounts[1]!.accountId }));
  f.accounts[5]!.assumable = false;
  return f;
}
const ids = (f: Fleet) => f.accounts.map((a) => a.accountId);

describe('collect', () => {
  test('several accounts, one unassumable, an opt-in region not enabled: every scope has the predicted status', async () => {
    const fleet = orgFleet();
    e = await emulator({ fleet });
    const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'ap-east-1'];
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions }));
    expect(keys(inv)).toEqual(reachable(fleet, ids(fleet), regions));
    const st = statusOf(inv);
    expect(inv.coverage).toHaveLength(6 * 4);
    for (const [i, a] of fleet.accounts.entries()) {
      for (const r of regions) {
        const expected = i === 5 ? 'error:AccessDenied' : r === 'ap-east-1' && i !== 1 ? 'error:AuthFailure' : 'ok';
        expect(`${a.accountId}|${r}=${st[`${a.accountId}|${r}`]}`).toBe(`${a.accountId}|${r}=${expected}`);
      }
    }
    const bad = inv.coverage.find((c) => c.errorCode === 'AccessDenied')!;
    expect(bad.errorMessage).toContain('AssumeRole');
    expect(inv.run.caller.accountId).toBe(fleet.caller.accountId);
    for (const c of inv.coverage.filter((x) => x.status === 'ok')) expect(c.pageCount).toBeGreaterThanOrEqual(1);
  });

  test('--all-regions discovers enabled regions and records the others as skipped', async () => {
    const fleet = orgFleet();
    e = await emulator({ fleet });
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), allRegions: true }));
    expect(keys(inv)).toEqual(reachable(fleet, ids(fleet), 'all'));
    const st = statusOf(inv);
    expect(st[`${fleet.accounts[0]!.accountId}|ap-east-1`]).toBe('skipped');
    expect(inv.coverage.find((c) => c.status === 'skipped')!.reason).toBe('not-enabled');
    expect(st[`${fleet.accounts[1]!.accountId}|ap-east-1`]).toBe('ok');
    // the unassumable account's regions cannot be learned: its failure stands for each region the caller has
    for (const r of ['ap-southeast-2', 'eu-west-1', 'us-east-1']) expect(st[`${fleet.accounts[5]!.accountId}|${r}`]).toBe('error:AccessDenied');
    expect(st[`${fleet.accounts[5]!.accountId}|*`]).toBeUndefined();
    expect(inv.run.regions).toEqual(['ap-east-1', 'ap-southeast-2', 'eu-west-1', 'us-east-1']);
  });

  test('--all-regions with --regions discovers, then keeps only the listed regions', async () => {
    const fleet = orgFleet();
    e = await emulator({ fleet });
    const inv = await collect(collectOptions(e, { accounts: ids(fleet).slice(0, 2), allRegions: true, regions: ['eu-west-1', 'ap-east-1'] }));
    expect(statusOf(inv)).toEqual({
      [`${fleet.accounts[0]!.accountId}|eu-west-1`]: 'ok', [`${fleet.accounts[0]!.accountId}|ap-east-1`]: 'skipped',
      [`${fleet.accounts[1]!.accountId}|eu-west-1`]: 'ok', [`${fleet.accounts[1]!.accountId}|ap-east-1`]: 'ok',
    });
  });

  test('no accounts given: the caller\'s own account with base credentials', async () => {
    const fleet = orgFleet();
    fleet.caller = { accountId: fleet.accounts[2]!.accountId, arn: `arn:aws:iam::${fleet.accounts[2]!.accountId}:user/auditor` };
    e = await emulator({ fleet });
    const inv = await collect(collectOptions(e, { roleName: undefined, regions: ['us-east-1', 'eu-west-1'] }));
    expect(inv.run.accounts).toEqual([fleet.accounts[2]!.accountId]);
    expect(keys(inv)).toEqual(reachable(fleet, [fleet.accounts[2]!.accountId], ['us-east-1', 'eu-west-1']));
    expect(e.stats.byAction.AssumeRole ?? 0).toBe(0);
  });

  test.each([1, 7, 1000])('pagination at page size %i returns every instance exactly once', async (pageSize) => {
    const fleet = generateFleet({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], instances: 120, seed: 3, skewInstances: 0.8, skewScopes: 0.25 });
    e = await emulator({ fleet, faults: { throttle: null } });
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1', 'eu-west-1'], pageSize }));
    expect(keys(inv)).toEqual(reachable(fleet, ids(fleet), 'all'));
    for (const c of inv.coverage) expect(c.pageCount).toBe(Math.max(1, Math.ceil(c.instanceCount / pageSize)));
  });

  test('throttling that the retries absorb', async () => {
    const fleet = generateFleet({ accounts: 3, regions: ['us-east-1', 'eu-west-1'], instances: 150, seed: 4 });
    e = await emulator({ fleet, faults: { throttle: { capacity: 4, refillPerSecond: 5 } } });
    // small pages: a scope's calls come faster than its bucket refills, however busy the machine
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1', 'eu-west-1'], pageSize: 2, client: { maxAttempts: 10 } }));
    expect(inv.coverage.every((c) => c.status === 'ok')).toBe(true);
    expect(keys(inv)).toEqual(reachable(fleet, ids(fleet), 'all'));
    expect(e.stats.throttled).toBeGreaterThan(0);
    expect(inv.coverage.reduce((s, c) => s + c.retries, 0)).toBeGreaterThan(0);
  }, 60_000);

  test('a scope that fails permanently is recorded; the run goes on', async () => {
    const fleet = orgFleet();
    const [a0, a1, a2] = fleet.accounts;
    e = await emulator({ fleet, faults: { rules: [
      { account: a0!.accountId, region: 'eu-west-1', action: 'DescribeInstanceImageMetadata', error: 'InternalError' },
      { account: a1!.accountId, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', error: 'UnauthorizedOperation' },
      { account: a2!.accountId, region: 'us-east-1', action: 'GetAllowedImagesSettings', error: 'UnauthorizedOperation' },
    ] } });
    const regions = ['us-east-1', 'eu-west-1'];
    const accounts = [a0!.accountId, a1!.accountId, a2!.accountId];
    const inv = await collect(collectOptions(e, { accounts, regions }));
    const st = statusOf(inv);
    expect(st[`${a0!.accountId}|eu-west-1`]).toBe('error:InternalError');
    const failed = inv.coverage.find((c) => c.accountId === a0!.accountId && c.region === 'eu-west-1')!;
    // the zone-by-zone fallback failed everywhere too: a region failure, with what it left uncovered
    expect(failed.disruptedZones).toEqual([]);
    expect(failed.uncoveredInstanceCount).toBe(a0!.instances!['eu-west-1']!.length);
    expect(st[`${a1!.accountId}|us-east-1`]).toBe('error:UnauthorizedOperation');
    // the instances were all listed, but the Allowed AMIs state was not read: partial, never ok
    expect(st[`${a2!.accountId}|us-east-1`]).toBe('partial:UnauthorizedOperation');
    expect(inv.coverage.find((c) => c.accountId === a2!.accountId && c.region === 'us-east-1')!.allowedImagesState).toBe('unknown');
    const expected = reachable(fleet, accounts, regions).filter((k) => !k.startsWith(`${a0!.accountId}|eu-west-1|`) && !k.startsWith(`${a1!.accountId}|us-east-1|`));
    expect(keys(inv)).toEqual(expected);
  });

  test('a throttling storm on many scopes at once is absorbed by the retries', async () => {
    const fleet = generateFleet({ accounts: 10, regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], instances: 600, seed: 12 });
    // 2 tokens and 2 a second per account x region x action: each scope's 4 pages come faster than
    // that (loopback), so its third page is throttled whatever the machine's speed
    e = await emulator({ fleet, faults: { throttle: { capacity: 2, refillPerSecond: 2 } } });
    // the storm comes from the pages (GetAllowedImagesSettings is asked only where it is needed)
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], pageSize: 5, concurrency: 64, client: { maxAttempts: 10 } }));
    expect(e.stats.throttled).toBeGreaterThan(5);
    expect(inv.coverage.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(keys(inv)).toEqual(reachable(fleet, ids(fleet), 'all'));
  }, 60_000);

  test('transient server errors for a few calls are retried away', async () => {
    const fleet = orgFleet();
    e = await emulator({ fleet, faults: { rules: [{ action: 'DescribeInstanceImageMetadata', error: 'Unavailable', count: 5 }, { action: 'AssumeRole', error: 'InternalFailure', count: 1 }] } });
    const accounts = ids(fleet).slice(0, 3);
    const inv = await collect(collectOptions(e, { accounts, regions: ['us-east-1', 'eu-west-1'], client: { maxAttempts: 8 } }));
    expect(inv.coverage.every((c) => c.status === 'ok')).toBe(true);
    expect(keys(inv)).toEqual(reachable(fleet, accounts, ['us-east-1', 'eu-west-1']));
  });

  test('instance ids spanning regions are narrowed per region; ids found nowhere are reported', async () => {
    const fleet = orgFleet();
    e = await emulator({ fleet });
    const a = fleet.accounts[0]!;
    const wanted = [a.instances!['us-east-1']![0]!.InstanceId!, a.instances!['eu-west-1']![1]!.InstanceId!, a.instances!['ap-southeast-2']![2]!.InstanceId!, 'i-0000000000000dead'];
    const inv = await collect(collectOptions(e, { accounts: [a.accountId], regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], instanceIds: wanted }));
    expect(inv.instances.map((i) => i.InstanceId).sort()).toEqual(wanted.slice(0, 3).sort());
    expect(inv.notFoundInstanceIds).toEqual(['i-0000000000000dead']);
    expect(inv.coverage.every((c) => c.status === 'ok')).toBe(true);
  });

  test('filters pass through to every scope', async () => {
    const fleet = orgFleet();
    e = await emulator({ fleet });
    const accounts = ids(fleet).slice(0, 2);
    const inv = await collect(collectOptions(e, { accounts, regions: ['us-east-1', 'eu-west-1'], filters: [{ Name: 'instance-state-name', Values: ['stopped'] }, { Name: 'instance-type', Values: ['t3.micro', 'm7i.large'] }] }));
    expect(inv.instances.length).toBeGreaterThan(0);
    for (const i of inv.instances) {
      expect(i.State!.Name).toBe('stopped');
      expect(['t3.micro', 'm7i.large']).toContain(i.InstanceType);
    }
  });

  test('credentials that expire mid-run are refreshed, not failed', async () => {
    const fleet = generateFleet({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], instances: 60, seed: 8 });
    e = await emulator({ fleet, latencyMs: 40, faults: { throttle: null, credentialLifetimeSeconds: 0.6 } });
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1', 'eu-west-1'], pageSize: 1, accountConcurrency: 1 }));
    expect(inv.coverage.map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(keys(inv)).toEqual(reachable(fleet, ids(fleet), 'all'));
    expect(e.stats.byAction.AssumeRole!).toBeGreaterThan(2 * 2);
  }, 30_000);

  test('an Availability Zone disruption leaves only that zone uncovered (status partial)', async () => {
    const fleet = generateFleet({ accounts: 1, regions: ['us-east-1', 'eu-west-1'], instances: 90, seed: 9 });
    const acct = fleet.accounts[0]!.accountId;
    e = await emulator({ fleet, faults: { rules: [{ account: acct, region: 'us-east-1', disruptedZone: 'us-east-1b' }] } });
    const inv = await collect(collectOptions(e, { accounts: [acct], regions: ['us-east-1', 'eu-west-1'] }));
    const cov = inv.coverage.find((c) => c.region === 'us-east-1')!;
    const inZone = fleet.accounts[0]!.instances!['us-east-1']!.filter((i) => i.AvailabilityZone === 'us-east-1b');
    expect(cov.status).toBe('partial');
    expect(cov.disruptedZones).toEqual(['us-east-1b']);
    expect(cov.uncoveredInstanceCount).toBe(inZone.length);
    expect(cov.errorMessage).toContain('us-east-1b');
    const expected = reachable(fleet, [acct], 'all').filter((k) => !inZone.some((i) => k.endsWith(`|${i.InstanceId}`)));
    expect(keys(inv)).toEqual(expected);
    expect(inv.coverage.find((c) => c.region === 'eu-west-1')!.status).toBe('ok');
  });

  test.each([
    ['malformed', 'MalformedResponse'],
    ['truncated', null],
    ['reset', null],
  ] as const)('a %s response is a scope error, not a crash', async (kind, code) => {
    const fleet = demoFleet(NOW);
    e = await emulator({ fleet, faults: { rules: [{ account: '222222222222', region: 'eu-west-1', action: 'DescribeInstanceImageMetadata', kind }] } });
    const inv = await collect(collectOptions(e, { accounts: ['222222222222', '333333333333'], regions: ['us-east-1', 'eu-west-1'] }));
    const c = inv.coverage.find((x) => x.accountId === '222222222222' && x.region === 'eu-west-1')!;
    expect(c.status).toBe('error');
    if (code) expect(c.errorCode).toBe(code);
    expect(c.errorCode).toBeTruthy();
    expect(inv.coverage.filter((x) => x !== c).every((x) => x.status === 'ok')).toBe(true);
  });

  test('a hanging endpoint is cut off by the read timeout', async () => {
    const fleet = demoFleet(NOW);
    e = await emulator({ fleet, faults: { rules: [{ account: '333333333333', region: 'us-east-1', action: 'DescribeInstanceImageMetadata', kind: 'hang' }] } });
    const inv = await collect(collectOptions(e, { accounts: ['333333333333'], regions: ['us-east-1', 'eu-west-1'], client: { readTimeoutSeconds: 0.3, maxAttempts: 2 } }));
    const c = inv.coverage.find((x) => x.region === 'us-east-1')!;
    expect(c.status).toBe('error');
    expect(c.errorCode).toMatch(/Timeout|ECONNRESET/);
    expect(inv.coverage.find((x) => x.region === 'eu-west-1')!.status).toBe('ok');
  }, 20_000);

  test('an interrupted run records the scopes it did not finish', async () => {
    const fleet = generateFleet({ accounts: 4, regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], instances: 200, seed: 2 });
    e = await emulator({ fleet, latencyMs: 30, faults: { throttle: null } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], pageSize: 2, signal: ac.signal, accountConcurrency: 1 }));
    expect(inv.run.interrupted).toBe(true);
    expect(inv.coverage).toHaveLength(12);
    const interrupted = inv.coverage.filter((c) => c.errorCode === 'Interrupted');
    expect(interrupted.length).toBeGreaterThan(0);
    for (const c of inv.coverage.filter((x) => x.status === 'ok')) {
      expect(inv.instances.filter((i) => i.accountId === c.accountId && i.region === c.region)).toHaveLength(c.instanceCount);
    }
  });
});
