/**
 * The collector never turns a failure into success (issue: no failure ever reads as success):
 * identity, the Allowed AMIs read, regions named by the user, paging, answers that are not
 * answers, deadlines, interrupts and unchecked instance ids, through the real SDK over loopback.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { collect } from '../../src/collect/collector.js';
import { generateFleet } from '../../src/emulator/generate.js';
import type { Fleet } from '../../src/emulator/fleet.js';
import type { FaultRule } from '../../src/emulator/faults.js';
import type { Emulator } from '../../src/emulator/server.js';
import type { Inventory } from '../../src/model/types.js';
import { emulator } from '../helpers/emulator.js';
import { collectOptions, keys, reachable } from '../helpers/collect.js';

let e: Emulator | null = null;
afterEach(async () => {
  await e?.close();
  e = null;
});

const ids = (f: Fleet) => f.accounts.map((a) => a.accountId);
const scope = (inv: Inventory, account: string, region: string) => inv.coverage.find((c) => c.accountId === account && c.region === region);
function twoAccounts(instances = 120): Fleet {
  return generateFleet({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], instances, seed: 21 });
}
/** One account whose us-east-1 holds `n` instances (and eu-west-1 a few). */
function bigScope(n: number): Fleet {
  const f = generateFleet({ accounts: 1, regions: ['us-east-1'], instances: n, seed: 4 });
  const small = generateFleet({ accounts: 1, regions: ['eu-west-1'], instances: 7, seed: 5 });
  f.regions.push({ name: 'eu-west-1' });
  f.accounts[0]!.instances!['eu-west-1'] = small.accounts[0]!.instances!['eu-west-1']!.map((i) => ({ ...i, OwnerId: f.accounts[0]!.accountId }));
  return f;
}

describe('identity (case 2)', () => {
  test('credentials of another account are an IdentityMismatch error, never that account\'s instances under this one', async () => {
    const fleet = twoAccounts();
    const [a, b] = ids(fleet) as [string, string];
    e = await emulator({ fleet });
    const inv = await collect(collectOptions(e, { accounts: [a], roleArns: { [a]: `arn:aws:iam::${b}:role/AmiAuditReadOnly` }, regions: ['us-east-1', 'eu-west-1'] }));
    expect(inv.instances).toEqual([]);
    for (const r of ['us-east-1', 'eu-west-1']) {
      const c = scope(inv, a, r)!;
      expect(c.status).toBe('error');
      expect(c.errorCode).toBe('IdentityMismatch');
      expect(c.errorMessage).toContain(b);
    }
    expect(inv.coverage.some((c) => c.accountId === b)).toBe(false);
  });
});

describe('Allowed AMIs state (case 3)', () => {
  test('a denied GetAllowedImagesSettings makes the scope partial, naming that call; the instances are all there', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'GetAllowedImagesSettings', error: 'UnauthorizedOperation' }] } });
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1', 'eu-west-1'] }));
    const c = scope(inv, a, 'us-east-1')!;
    expect(c.status).toBe('partial');
    expect(c.errorCode).toBe('UnauthorizedOperation');
    expect(c.failures).toEqual([expect.objectContaining({ action: 'GetAllowedImagesSettings', code: 'UnauthorizedOperation' })]);
    expect(c.allowedImagesState).toBe('unknown');
    expect(keys(inv)).toEqual(reachable(fleet, ids(fleet), 'all'));
    expect(inv.coverage.filter((x) => x !== c).every((x) => x.status === 'ok')).toBe(true);
  });

  test('a scope that could not be listed at all stays distinguishable: error, naming DescribeInstanceImageMetadata', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', error: 'UnauthorizedOperation' }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'] }));
    const c = scope(inv, a, 'us-east-1')!;
    expect(c.status).toBe('error');
    expect(c.failures[0]).toMatchObject({ action: 'DescribeInstanceImageMetadata', code: 'UnauthorizedOperation' });
  });
});

describe('regions the user named (cases 4, 14)', () => {
  function withOptIn(): Fleet {
    const f = twoAccounts();
    f.regions.push({ name: 'ap-east-1', optIn: true });
    return f;
  }

  test('--regions with --all-regions: an opt-in region DescribeRegions does not list is skipped not-offered; one not enabled, not-enabled', async () => {
    const fleet = withOptIn();
    e = await emulator({ fleet });
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1', 'me-south-1', 'ap-east-1'], allRegions: true }));
    for (const a of ids(fleet)) {
      expect(scope(inv, a, 'us-east-1')!.status).toBe('ok');
      expect(scope(inv, a, 'me-south-1')).toMatchObject({ status: 'skipped', reason: 'not-offered' });
      expect(scope(inv, a, 'ap-east-1')).toMatchObject({ status: 'skipped', reason: 'not-enabled' });
    }
    expect(inv.coverage).toHaveLength(6);
  });

  test('an account whose role cannot be assumed has an error entry for every region named', async () => {
    const fleet = withOptIn();
    fleet.accounts[1]!.assumable = false;
    e = await emulator({ fleet });
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1', 'us-west-2'], allRegions: true }));
    const b = ids(fleet)[1]!;
    expect(inv.coverage.filter((c) => c.accountId === b).map((c) => `${c.region}:${c.status}:${c.errorCode}`)).toEqual(['us-east-1:error:AccessDenied', 'us-west-2:error:AccessDenied']);
  });

  test.each([
    ['an empty list', { regions: 'empty' }],
    ['a proxy page with status 200', { kind: 'raw', body: '<html><body>Proxy authentication required</body></html>', contentType: 'text/html' }],
    ['a region name with terminal escapes', { regions: 'inject', regionName: 'us-east-1\u001b[31m' }],
  ] as [string, Partial<FaultRule>][])('DescribeRegions answering %s is an error for the account, never a complete run with no scopes', async (_what, rule) => {
    const fleet = twoAccounts();
    const [a, b] = ids(fleet) as [string, string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, action: 'DescribeRegions', ...rule }] } });
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), allRegions: true }));
    const mine = inv.coverage.filter((c) => c.accountId === a);
    expect(mine.length).toBeGreaterThan(0);
    for (const c of mine) {
      expect(c.status).toBe('error');
      expect(c.errorCode).toBe('MalformedResponse');
      expect(c.errorMessage).not.toMatch(/\u001b/);
    }
    expect(inv.coverage.filter((c) => c.accountId === b).map((c) => c.status)).toEqual(['ok', 'ok']);
  });

  test('DescribeRegions listing every region twice, or one both enabled and not, gives one entry per region and every instance once', async () => {
    const fleet = twoAccounts();
    fleet.regions.push({ name: 'ap-east-1', optIn: true });
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, action: 'DescribeRegions', regions: 'duplicate' }] } });
    let inv = await collect(collectOptions(e, { accounts: ids(fleet), allRegions: true }));
    expect(inv.coverage.filter((c) => c.accountId === a).map((c) => c.region).sort()).toEqual(['ap-east-1', 'eu-west-1', 'us-east-1']);
    expect(keys(inv)).toEqual(reachable(fleet, ids(fleet), 'all'));
    await e.close();
    e = await emulator({ fleet, faults: { rules: [{ account: a, action: 'DescribeRegions', regions: 'conflict' }] } });
    inv = await collect(collectOptions(e, { accounts: [a], allRegions: true }));
    expect(inv.coverage.map((c) => c.region).sort()).toEqual(['ap-east-1', 'eu-west-1', 'us-east-1']);
    // listed as both: scanned, and the call itself says the region is not enabled
    expect(scope(inv, a, 'ap-east-1')).toMatchObject({ status: 'error', errorCode: 'AuthFailure' });
  });
});

describe('paging (cases 5, 13)', () => {
  test('the same NextToken on every page: partial PaginationLoop with the pages it got, not ok with 2,000 of 2,500', async () => {
    const fleet = bigScope(2500);
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { throttle: null, rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', paging: 'same-token' }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1', 'eu-west-1'] }));
    const c = scope(inv, a, 'us-east-1')!;
    expect(c.status).toBe('partial');
    expect(c.errorCode).toBe('PaginationLoop');
    expect(c.failures[0]!.action).toBe('DescribeInstanceImageMetadata');
    expect(c.instanceCount).toBe(2000);
    expect(scope(inv, a, 'eu-west-1')!.status).toBe('ok');
  });

  test.each(['cycle', 'empty-forever'] as const)('paging that never ends (%s) ends the scope partial, and the run ends', async (paging) => {
    const fleet = bigScope(30);
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { throttle: null, rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', paging }] } });
    // empty pages with fresh tokens are progress up to what a scope could hold at the page size (510 pages of 1,000)
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1', 'eu-west-1'], pageSize: paging === 'cycle' ? 10 : 1000 }));
    const c = scope(inv, a, 'us-east-1')!;
    expect(c.status).toBe('partial');
    expect(c.errorCode).toBe('PaginationLoop');
  }, 20_000);

  test('issue 23 item 11: --instance-ids against a server that repeats its items under fresh tokens: partial PaginationLoop after a short run, never 2,500 pages', async () => {
    const fleet = bigScope(300);
    const [a] = ids(fleet) as [string];
    const wanted = fleet.accounts[0]!.instances!['us-east-1']!.slice(0, 5).map((i) => i.InstanceId!);
    e = await emulator({ fleet, faults: { throttle: null, rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', paging: 'repeat-forever' }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'], instanceIds: wanted }));
    const c = scope(inv, a, 'us-east-1')!;
    expect(c.status).toBe('partial');
    expect(c.errorCode).toBe('PaginationLoop');
    expect(c.instanceCount).toBe(5);
    expect(c.pageCount).toBeLessThan(200);
  }, 30_000);

  test('issue 23 item 11: the zone fallback\'s DescribeInstances repeating its items under fresh tokens: partial after a short run', async () => {
    const fleet = bigScope(300);
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { throttle: null, rules: [
      { account: a, region: 'us-east-1', disruptedZone: 'us-east-1b' },
      { account: a, region: 'us-east-1', action: 'DescribeInstances', paging: 'repeat-forever' },
    ] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'] }));
    const c = scope(inv, a, 'us-east-1')!;
    expect(c.status).toBe('partial');
    expect(c.failures.map((f) => `${f.action}:${f.code}`)).toContain('DescribeInstances:PaginationLoop');
    expect(c.pageCount).toBeLessThan(200);
  }, 30_000);

  test('DescribeInstances repeating a token in the zone fallback: partial, and the run ends', async () => {
    const fleet = bigScope(2500);
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { throttle: null, rules: [
      { account: a, region: 'us-east-1', disruptedZone: 'us-east-1b' },
      { account: a, region: 'us-east-1', action: 'DescribeInstances', paging: 'same-token' },
    ] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'] }));
    const c = scope(inv, a, 'us-east-1')!;
    expect(c.status).toBe('partial');
    expect(c.failures.map((f) => `${f.action}:${f.code}`)).toContain('DescribeInstances:PaginationLoop');
    expect(c.instanceCount).toBeLessThan(2500);
  }, 20_000);
});

describe('answers that are not answers (case 12)', () => {
  test.each([
    ['an empty 200', { kind: 'empty' }],
    ['another action\'s root element', { kind: 'wrong-root' }],
    ['an EC2 error document with status 200', { kind: 'error-200', error: 'InternalError' }],
  ] as [string, Partial<FaultRule>][])('DescribeInstanceImageMetadata answering %s is a MalformedResponse error, not 0 instances', async (_what, rule) => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', ...rule }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1', 'eu-west-1'] }));
    expect(scope(inv, a, 'us-east-1')).toMatchObject({ status: 'error', errorCode: 'MalformedResponse' });
    expect(scope(inv, a, 'eu-west-1')!.status).toBe('ok');
  });

  test('GetAllowedImagesSettings answering an empty 200 makes the scope partial, not ok with an unknown state', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'GetAllowedImagesSettings', kind: 'empty' }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'] }));
    expect(scope(inv, a, 'us-east-1')).toMatchObject({ status: 'partial', errorCode: 'MalformedResponse' });
  });
});

describe('deadlines and interrupts (cases 6, 18)', () => {
  test('a response that trickles a byte at a time is cut off by the per-call deadline', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', kind: 'trickle', intervalMs: 100 }] } });
    const t = Date.now();
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1', 'eu-west-1'], client: { callTimeoutSeconds: 0.5, maxAttempts: 2 } }));
    expect(Date.now() - t).toBeLessThan(8000);
    expect(scope(inv, a, 'us-east-1')).toMatchObject({ status: 'error', errorCode: 'Timeout' });
    expect(scope(inv, a, 'eu-west-1')!.status).toBe('ok');
  }, 20_000);

  test('the run deadline ends unfinished scopes with DeadlineExceeded and returns what it has', async () => {
    const fleet = twoAccounts();
    const [a, b] = ids(fleet) as [string, string];
    e = await emulator({ fleet, faults: { rules: [{ account: b, action: 'DescribeInstanceImageMetadata', latencyMs: 20_000 }] } });
    const t = Date.now();
    const inv = await collect(collectOptions(e, { accounts: [a, b], regions: ['us-east-1', 'eu-west-1'], deadlineMs: 1000 }));
    expect(Date.now() - t).toBeLessThan(5000);
    for (const r of ['us-east-1', 'eu-west-1']) {
      expect(scope(inv, a, r)!.status).toBe('ok');
      expect(scope(inv, b, r)).toMatchObject({ status: 'error', errorCode: 'DeadlineExceeded' });
    }
    expect(inv.run.warnings?.join(' ')).toMatch(/deadline/);
  }, 20_000);

  test('an interrupt during a slow AssumeRole fan-out drops the queued assumes at once', async () => {
    const fleet = generateFleet({ accounts: 120, regions: ['us-east-1'], instances: 240, seed: 3 });
    e = await emulator({ fleet, faults: { latencyMs: { sts: 400 } } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 600);
    const t = Date.now();
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1'], signal: ac.signal, assumeConcurrency: 8 }));
    // queued assumes would take 120 / 8 x 0.4 s = 6 s
    expect(Date.now() - t).toBeLessThan(2500);
    expect(inv.coverage).toHaveLength(120);
    expect(inv.coverage.filter((c) => c.errorCode === 'Interrupted').length).toBeGreaterThan(90);
    expect(e.stats.byAction.AssumeRole ?? 0).toBeLessThan(40);
  }, 20_000);
});

describe('instance ids (case 9)', () => {
  test('ids asked for while a scope failed are unchecked, not "not found"', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'eu-west-1', action: 'DescribeInstanceImageMetadata', error: 'UnauthorizedOperation' }] } });
    const inEu = fleet.accounts[0]!.instances!['eu-west-1']![0]!.InstanceId!;
    const inUs = fleet.accounts[0]!.instances!['us-east-1']![0]!.InstanceId!;
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1', 'eu-west-1'], instanceIds: [inUs, inEu] }));
    expect(inv.instances.map((i) => i.InstanceId)).toEqual([inUs]);
    expect(inv.notFoundInstanceIds).toEqual([]);
    expect(inv.uncheckedInstanceIds).toEqual([inEu]);
  });
});

describe('instance ids when only the Allowed AMIs read failed (case 9)', () => {
  test('every instance was listed, so an id found nowhere is "not found", not unchecked', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    // the state is read only where it matters: ask for an instance whose AMI is not allowed
    const notAllowed = fleet.accounts[0]!.instances!['eu-west-1']!.find((i) => i.ImageMetadata?.ImageAllowed !== true)!.InstanceId!;
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'eu-west-1', action: 'GetAllowedImagesSettings', error: 'UnauthorizedOperation' }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1', 'eu-west-1'], instanceIds: ['i-0123456789abcdef0', notAllowed] }));
    expect(scope(inv, a, 'eu-west-1')!.status).toBe('partial');
    expect(inv.instances.map((i) => i.InstanceId)).toEqual([notAllowed]);
    expect(inv.notFoundInstanceIds).toEqual(['i-0123456789abcdef0']);
    expect(inv.uncheckedInstanceIds).toEqual([]);
  });
});

describe('credentials in error messages (case 17)', () => {
  test('an error that quotes the Authorization and security-token headers is stored without them', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', kind: 'echo-auth' }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'] }));
    const c = scope(inv, a, 'us-east-1')!;
    expect(c.status).toBe('error');
    const text = JSON.stringify(inv.coverage);
    expect(text).not.toMatch(/ASIA[A-Z0-9]{12,}/);
    expect(text).not.toMatch(/FwoGZXIvYXdzE/);
    expect(text).not.toMatch(/Signature=[0-9a-f]{16,}/);
  });
});

describe('clock skew (case 19)', () => {
  test('credentials that look expired on arrival are used for their lifetime: one AssumeRole per account, and the run says the clock looks skewed', async () => {
    const fleet = twoAccounts(200);
    e = await emulator({ fleet, faults: { clockSkewSeconds: 7200 } });
    const inv = await collect(collectOptions(e, { accounts: ids(fleet), regions: ['us-east-1', 'eu-west-1'], pageSize: 5 }));
    expect(inv.coverage.every((c) => c.status === 'ok')).toBe(true);
    expect(e.stats.byAction.AssumeRole).toBe(2);
    expect(inv.run.warnings?.join(' ')).toMatch(/clock/i);
  });
});

describe('answers that belong to another scope, or say something impossible (independent review)', () => {
  const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
  const diim = (items: string) => `<?xml version="1.0" encoding="UTF-8"?><DescribeInstanceImageMetadataResponse xmlns="${EC2_NS}"><requestId>{requestId}</requestId><instanceImageMetadataSet>${items}</instanceImageMetadataSet></DescribeInstanceImageMetadataResponse>`;
  const item = (id: string, owner: string, zone: string) => `<item><instanceId>${id}</instanceId><instanceOwnerId>${owner}</instanceOwnerId><availabilityZone>${zone}</availabilityZone><imageMetadata><imageId>ami-0123456789abcdef0</imageId></imageMetadata></item>`;

  test.each([
    ['another account\'s instances (a proxy cache keyed on the request body)', (a: string) => item('i-0aaaaaaaaaaaaaaaa', '999999999999', 'us-east-1a').replace('999999999999', a === '999999999999' ? '888888888888' : '999999999999')],
    ['another region\'s instances', (a: string) => item('i-0aaaaaaaaaaaaaaaa', a, 'eu-west-1a')],
  ])('%s: the scope is an error (MisattributedResponse), the instances are not filed under it', async (_what, make) => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', kind: 'raw', body: diim(make(a)) }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1', 'eu-west-1'] }));
    expect(scope(inv, a, 'us-east-1')).toMatchObject({ status: 'error', errorCode: 'MisattributedResponse', instanceCount: 0 });
    expect(inv.instances.filter((i) => i.region === 'us-east-1')).toEqual([]);
    expect(scope(inv, a, 'eu-west-1')!.status).toBe('ok');
  });

  test('an answer with instances not asked for (--instance-ids): those are left out and the scope says so', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', kind: 'raw', body: diim(item('i-0aaaaaaaaaaaaaaaa', a, 'us-east-1a') + item('i-0bbbbbbbbbbbbbbbb', a, 'us-east-1b')) }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'], instanceIds: ['i-0aaaaaaaaaaaaaaaa'] }));
    expect(inv.instances.map((i) => i.InstanceId)).toEqual(['i-0aaaaaaaaaaaaaaaa']);
    expect(scope(inv, a, 'us-east-1')).toMatchObject({ status: 'partial', errorCode: 'MisattributedResponse' });
  });

  test('DescribeRegions calling a default region not enabled, leaving one out, or giving an unknown status: errors, not skipped', async () => {
    const fleet = twoAccounts();
    fleet.regions.push({ name: 'ap-east-1', optIn: true });
    const [a] = ids(fleet) as [string];
    const body = `<?xml version="1.0" encoding="UTF-8"?><DescribeRegionsResponse xmlns="${EC2_NS}"><requestId>{requestId}</requestId><regionInfo>`
      + '<item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint><optInStatus>not-opted-in</optInStatus></item>'
      + '<item><regionName>ap-east-1</regionName><regionEndpoint>ec2.ap-east-1.amazonaws.com</regionEndpoint><optInStatus>weird-status</optInStatus></item>'
      + '</regionInfo></DescribeRegionsResponse>';
    e = await emulator({ fleet, faults: { rules: [{ account: a, action: 'DescribeRegions', kind: 'raw', body }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1', 'us-west-2', 'ap-east-1', 'me-south-1'], allRegions: true }));
    expect(inv.coverage.map((c) => `${c.region}:${c.status}:${c.errorCode ?? c.reason}`).sort()).toEqual([
      'ap-east-1:error:MalformedResponse', 'me-south-1:skipped:not-offered', 'us-east-1:error:MalformedResponse', 'us-west-2:error:MalformedResponse',
    ]);
  });

  test('GetAllowedImagesSettings without a state means disabled (as AWS documents): the scope is ok', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    const body = `<?xml version="1.0" encoding="UTF-8"?><GetAllowedImagesSettingsResponse xmlns="${EC2_NS}"><requestId>{requestId}</requestId></GetAllowedImagesSettingsResponse>`;
    e = await emulator({ fleet, faults: { rules: [{ account: a, action: 'GetAllowedImagesSettings', kind: 'raw', body }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'] }));
    expect(scope(inv, a, 'us-east-1')).toMatchObject({ status: 'ok', allowedImagesState: 'disabled' });
  });

  test('control characters in an error code and message never reach the coverage', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', error: 'Bad\u001b[31mCode', message: 'boom \u001b]0;title\u0007 \u202e reversed', status: 400 }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'] }));
    const c = scope(inv, a, 'us-east-1')!;
    expect(c.status).toBe('error');
    expect(JSON.stringify(c)).not.toMatch(/\\u001b|\\u0007|\\u202e/);
    expect(c.errorCode).toMatch(/^[\w.:-]+$/);
  });

  test('a secret cut short by a message limit is not half-printed', async () => {
    const fleet = twoAccounts();
    const [a] = ids(fleet) as [string];
    // the text body quotes the session token after 80 characters: a cut at 120 would keep a third of it
    e = await emulator({ fleet, faults: { rules: [{ account: a, region: 'us-east-1', action: 'DescribeInstanceImageMetadata', kind: 'raw', status: 403, contentType: 'text/plain', body: `${'x'.repeat(80)} tok FwoGZXIvYXdzE3c48b4a55e7ad5030f9783abcdefabcdefabcdefabcdefabcdef0123456789 key ASIA847B8E8B13E4AAAA` }] } });
    const inv = await collect(collectOptions(e, { accounts: [a], regions: ['us-east-1'], client: { maxAttempts: 1 } }));
    const text = JSON.stringify(inv.coverage);
    expect(text).toContain('HTTP403');
    expect(text).not.toMatch(/FwoGZXIvYXdzE3c/);
    expect(text).not.toMatch(/ASIA847B/);
  });
});
