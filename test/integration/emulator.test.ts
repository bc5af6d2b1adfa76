/** The local endpoint, driven by the real AWS SDK over loopback. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import {
  DescribeInstanceImageMetadataCommand, EC2Client, DescribeInstancesCommand, DescribeRegionsCommand, GetAllowedImagesSettingsCommand,
  paginateDescribeInstanceImageMetadata, type InstanceImageMetadata,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpProxyAgent } from 'hpagent';
import type { Emulator } from '../../src/emulator/server.js';
import type { Fleet, FleetInstance } from '../../src/emulator/fleet.js';
import { generateFleet } from '../../src/emulator/generate.js';
import { validateFaults, type FaultPlan } from '../../src/emulator/faults.js';
import { BASE_CREDS, ec2, emulator, rejection, sts } from '../helpers/emulator.js';
import { startProxy } from '../helpers/proxy.js';

const FULL: FleetInstance = {
  InstanceId: 'i-0abcdef0123456789',
  InstanceType: 'm7i.large',
  LaunchTime: '2026-03-04T05:06:07.000Z',
  AvailabilityZone: 'us-east-1b',
  ZoneId: 'use1-az2',
  State: { Code: 16, Name: 'running' },
  OwnerId: '111111111111',
  Tags: [{ Key: 'Name', Value: '<b>&"quoted"\'s</b>' }, { Key: 'emoji', Value: 'caf\u00e9 \u{1F680}' }, { Key: 'team', Value: 'platform' }],
  ImageMetadata: {
    ImageId: 'ami-0123456789abcdef0', Name: 'golden <image> & co', OwnerId: '137112412989', State: 'available', ImageOwnerAlias: 'amazon',
    CreationDate: '2025-01-02T03:04:05.000Z', DeprecationTime: '2027-01-02T03:04:05Z', ImageAllowed: false, IsPublic: true,
    ImageWatermarks: [{ WatermarkKey: 'k1', SourceImageRegion: 'us-west-2', SourceImageId: 'ami-0fedcba9876543210', SourceImageCreationTime: '2024-01-01T00:00:00Z', WatermarkCreationTime: '2024-02-01T00:00:00Z' }],
  },
  Operator: { Managed: true, Principal: 'eks.amazonaws.com', HiddenByDefault: false },
};

function inst(n: number, over: Partial<FleetInstance> = {}): FleetInstance {
  return {
    InstanceId: `i-${n.toString(16).padStart(17, '0')}`, InstanceType: n % 2 ? 't3.micro' : 't3.nano', LaunchTime: `2026-0${(n % 9) + 1}-15T10:00:00.000Z`,
    AvailabilityZone: `us-east-1${'abc'[n % 3]}`, ZoneId: `use1-az${(n % 3) + 1}`, State: n % 4 === 3 ? { Code: 80, Name: 'stopped' } : { Code: 16, Name: 'running' },
    OwnerId: '111111111111', Tags: n % 5 === 0 ? [] : [{ Key: 'env', Value: n % 2 ? 'prod' : 'dev' }],
    ImageMetadata: { ImageId: `ami-${n.toString(16).padStart(17, '0')}`, OwnerId: n % 3 ? '137112412989' : '222222222222', ImageOwnerAlias: n % 3 ? 'amazon' : undefined, State: 'available', ImageAllowed: n % 2 === 0, IsPublic: true },
    ...over,
  };
}

const fleet: Fleet = {
  fleetVersion: 1,
  caller: { accountId: '111111111111', arn: 'arn:aws:iam::111111111111:user/tester' },
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }, { name: 'ap-east-1', optIn: true }, { name: 'me-south-1', optIn: true }],
  accounts: [
    { accountId: '111111111111', optedInRegions: ['me-south-1'], allowedImages: { 'us-east-1': 'enabled', 'eu-west-1': 'audit-mode' }, instances: { 'us-east-1': [FULL, ...Array.from({ length: 40 }, (_, i) => inst(i + 1))] } },
    { accountId: '222222222222', externalId: 'ext-secret-42', roleNames: ['Audit'], instances: { 'eu-west-1': [inst(100, { AvailabilityZone: 'eu-west-1a', OwnerId: '222222222222' })] } },
    { accountId: '333333333333', assumable: false },
  ],
};

let e: Emulator;
beforeAll(async () => {
  e = await emulator({
    fleet,
    faults: {
      rules: [
        { action: 'DescribeInstances', region: 'eu-west-1', account: '111111111111', error: 'UnauthorizedOperation' },
        { action: 'GetAllowedImagesSettings', region: 'me-south-1', error: 'InternalError', count: 2 },
        { region: 'me-south-1', account: '111111111111', disruptedZone: 'me-south-1a' },
      ],
    },
  });
});
afterAll(async () => e.close());

const all = async (input: ConstructorParameters<typeof DescribeInstanceImageMetadataCommand>[0] = {}, region = 'us-east-1'): Promise<InstanceImageMetadata[]> => {
  const out: InstanceImageMetadata[] = [];
  for await (const p of paginateDescribeInstanceImageMetadata({ client: ec2(e, region), pageSize: 1000 }, input)) out.push(...(p.InstanceImageMetadata ?? []));
  return out;
};

describe('DescribeInstanceImageMetadata', () => {
  test('every response field round-trips through the SDK', async () => {
    const out = await ec2(e).send(new DescribeInstanceImageMetadataCommand({ InstanceIds: [FULL.InstanceId!] }));
    expect(out.NextToken).toBeUndefined();
    const got = out.InstanceImageMetadata![0]!;
    // timestamps arrive as Dates (LaunchTime and the watermark times are timestamps in the model)
    const w = FULL.ImageMetadata!.ImageWatermarks![0]!;
    const expected = { ...FULL, LaunchTime: new Date(FULL.LaunchTime!), ImageMetadata: { ...FULL.ImageMetadata, ImageWatermarks: [{ ...w, SourceImageCreationTime: new Date(w.SourceImageCreationTime!), WatermarkCreationTime: new Date(w.WatermarkCreationTime!) }] } };
    expect(got).toEqual(expected);
  });

  test('pagination across many pages returns every instance exactly once', async () => {
    for (const pageSize of [1, 7, 1000]) {
      const ids: string[] = [];
      let pages = 0;
      for await (const p of paginateDescribeInstanceImageMetadata({ client: ec2(e), pageSize }, {})) {
        pages += 1;
        expect((p.InstanceImageMetadata ?? []).length).toBeLessThanOrEqual(pageSize);
        ids.push(...(p.InstanceImageMetadata ?? []).map((i) => i.InstanceId!));
      }
      expect(ids.length).toBe(41);
      expect(new Set(ids).size).toBe(41);
      expect(pages).toBe(Math.ceil(41 / pageSize));
    }
  });

  test('MaxResults defaults to 1000 and must be 1..1000', async () => {
    const big = generateFleet({ accounts: 1, regions: ['us-east-1'], instances: 2500, seed: 3 });
    const e2 = await emulator({ fleet: { ...big, caller: { accountId: big.accounts[0]!.accountId } } });
    try {
      const first = await ec2(e2).send(new DescribeInstanceImageMetadataCommand({}));
      expect(first.InstanceImageMetadata).toHaveLength(1000);
      expect(first.NextToken).toBeTruthy();
    } finally {
      await e2.close();
    }
    for (const bad of [0, 1001]) {
      const err = await rejection(() => ec2(e).send(new DescribeInstanceImageMetadataCommand({ MaxResults: bad })));
      expect(err.name).toBe('InvalidParameterValue');
      expect(err.$metadata?.httpStatusCode).toBe(400);
    }
  });

  test('a bad or foreign pagination token is InvalidPaginationToken', async () => {
    const err = await rejection(() => ec2(e).send(new DescribeInstanceImageMetadataCommand({ NextToken: 'not-a-token' })));
    expect(err.name).toBe('InvalidPaginationToken');
    const page = await ec2(e).send(new DescribeInstanceImageMetadataCommand({ MaxResults: 5 }));
    const err2 = await rejection(() => ec2(e).send(new DescribeInstanceImageMetadataCommand({ MaxResults: 5, NextToken: page.NextToken, Filters: [{ Name: 'instance-type', Values: ['t3.micro'] }] })));
    expect(err2.name).toBe('InvalidPaginationToken');
  });

  const filterCases: [string, string[], (i: FleetInstance) => boolean][] = [
    ['availability-zone', ['us-east-1a'], (i) => i.AvailabilityZone === 'us-east-1a'],
    ['instance-id', ['i-00000000000000003', 'i-00000000000000004'], (i) => ['i-00000000000000003', 'i-00000000000000004'].includes(i.InstanceId!)],
    ['image-allowed', ['false'], (i) => i.ImageMetadata?.ImageAllowed === false],
    ['instance-state-name', ['stopped'], (i) => i.State?.Name === 'stopped'],
    ['instance-type', ['t3.nano', 'm7i.large'], (i) => ['t3.nano', 'm7i.large'].includes(i.InstanceType!)],
    ['launch-time', ['2026-03-*'], (i) => i.LaunchTime!.startsWith('2026-03-')],
    ['owner-alias', ['amazon'], (i) => i.ImageMetadata?.ImageOwnerAlias === 'amazon'],
    ['owner-id', ['222222222222'], (i) => i.ImageMetadata?.OwnerId === '222222222222'],
    ['tag:env', ['prod'], (i) => (i.Tags ?? []).some((t) => t.Key === 'env' && t.Value === 'prod')],
    ['tag-key', ['emoji'], (i) => (i.Tags ?? []).some((t) => t.Key === 'emoji')],
    ['zone-id', ['use1-az2'], (i) => i.ZoneId === 'use1-az2'],
  ];
  test.each(filterCases)('filter %s', async (name, values, pred) => {
    const expected = fleet.accounts[0]!.instances!['us-east-1']!.filter(pred).map((i) => i.InstanceId).sort();
    expect(expected.length).toBeGreaterThan(0);
    const got = (await all({ Filters: [{ Name: name, Values: values }] })).map((i) => i.InstanceId).sort();
    expect(got).toEqual(expected);
  });

  test('filters are AND-ed, values OR-ed', async () => {
    const got = await all({ Filters: [{ Name: 'instance-type', Values: ['t3.micro', 't3.nano'] }, { Name: 'availability-zone', Values: ['us-east-1b'] }] });
    const expected = fleet.accounts[0]!.instances!['us-east-1']!.filter((i) => ['t3.micro', 't3.nano'].includes(i.InstanceType!) && i.AvailabilityZone === 'us-east-1b');
    expect(got.map((i) => i.InstanceId).sort()).toEqual(expected.map((i) => i.InstanceId).sort());
  });

  test('an unknown filter is InvalidParameterValue', async () => {
    const err = await rejection(() => ec2(e).send(new DescribeInstanceImageMetadataCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })));
    expect(err.name).toBe('InvalidParameterValue');
  });

  test('instance ids: NotFound when any is not here, Malformed when one is not an id', async () => {
    const nf = await rejection(() => ec2(e).send(new DescribeInstanceImageMetadataCommand({ InstanceIds: [FULL.InstanceId!, 'i-0fffffffffffffff0'] })));
    expect(nf.name).toBe('InvalidInstanceID.NotFound');
    expect(nf.message).toContain('i-0fffffffffffffff0');
    expect(nf.$metadata?.httpStatusCode).toBe(400);
    const nf2 = await rejection(() => ec2(e, 'eu-west-1').send(new DescribeInstanceImageMetadataCommand({ InstanceIds: [FULL.InstanceId!] })));
    expect(nf2.name).toBe('InvalidInstanceID.NotFound');
    const bad = await rejection(() => ec2(e).send(new DescribeInstanceImageMetadataCommand({ InstanceIds: ['i-zzz'] })));
    expect(bad.name).toBe('InvalidInstanceID.Malformed');
  });

  test('DryRun answers DryRunOperation, or UnauthorizedOperation where denied', async () => {
    const ok = await rejection(() => ec2(e).send(new DescribeInstanceImageMetadataCommand({ DryRun: true })));
    expect(ok.name).toBe('DryRunOperation');
    expect(ok.$metadata?.httpStatusCode).toBe(412);
    const denied = await rejection(() => ec2(e, 'eu-west-1').send(new DescribeInstancesCommand({ DryRun: true })));
    expect(denied.name).toBe('UnauthorizedOperation');
    expect(denied.$metadata?.httpStatusCode).toBe(403);
  });

  test('the query string works as well as a form body (GET, presigned credential)', async () => {
    const url = `${e.url}/?Action=GetAllowedImagesSettings&Version=2016-11-15&X-Amz-Credential=${encodeURIComponent('AKIDTEST/20261126/eu-west-1/ec2/aws4_request')}`;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<state>audit-mode</state>');
  });

  test('element order varies between calls, the content does not', async () => {
    const body = 'Action=DescribeInstanceImageMetadata&Version=2016-11-15&InstanceId.1=' + FULL.InstanceId;
    const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20261126/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00' };
    const a = await (await fetch(e.url, { method: 'POST', body, headers })).text();
    const b = await (await fetch(e.url, { method: 'POST', body, headers })).text();
    const strip = (x: string) => x.replace(/<requestId>[^<]*<\/requestId>/, '');
    expect(strip(a)).not.toBe(strip(b));
    expect(a).toContain('<instanceOwnerId>111111111111</instanceOwnerId>');
    expect(a).toContain('<imageOwnerId>137112412989</imageOwnerId>');
    expect(a).toContain('<imageState>available</imageState>');
    expect(a).toMatch(/<instanceState>(<code>16<\/code><name>running<\/name>|<name>running<\/name><code>16<\/code>)<\/instanceState>/);
    expect(a).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeInstanceImageMetadataResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>/);
  });
});

describe('errors as the collector sees them', () => {
  test('an opt-in region not enabled answers AuthFailure (401)', async () => {
    const err = await rejection(() => ec2(e, 'ap-east-1').send(new DescribeInstanceImageMetadataCommand({})));
    expect(err.name).toBe('AuthFailure');
    expect(err.$metadata?.httpStatusCode).toBe(401);
  });
  test('a denied EC2 action answers UnauthorizedOperation (403)', async () => {
    const err = await rejection(() => ec2(e, 'eu-west-1').send(new DescribeInstancesCommand({})));
    expect(err.name).toBe('UnauthorizedOperation');
  });
  test('server errors for N calls, then success', async () => {
    const c = ec2(e, 'me-south-1');
    expect((await rejection(() => c.send(new GetAllowedImagesSettingsCommand({})))).name).toBe('InternalError');
    const err = await rejection(() => c.send(new GetAllowedImagesSettingsCommand({})));
    expect(err.name).toBe('InternalError');
    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect((await c.send(new GetAllowedImagesSettingsCommand({}))).State).toBe('disabled');
  });
  test('an AZ disruption fails unfiltered calls and calls naming ids there; ids elsewhere work', async () => {
    const big: Fleet = {
      ...fleet,
      accounts: [{ accountId: '111111111111', optedInRegions: ['me-south-1'], instances: { 'me-south-1': [inst(1, { AvailabilityZone: 'me-south-1a' }), inst(2, { AvailabilityZone: 'me-south-1b' })] } }],
    };
    const e2 = await emulator({ fleet: big, faults: { rules: [{ region: 'me-south-1', disruptedZone: 'me-south-1a' }] } });
    try {
      const c = ec2(e2, 'me-south-1');
      const err = await rejection(() => c.send(new DescribeInstanceImageMetadataCommand({})));
      expect(err.name).toBe('Unavailable');
      expect(err.$metadata?.httpStatusCode).toBe(503);
      expect((await rejection(() => c.send(new DescribeInstanceImageMetadataCommand({ InstanceIds: [inst(1).InstanceId!] })))).name).toBe('Unavailable');
      const ok = await c.send(new DescribeInstanceImageMetadataCommand({ InstanceIds: [inst(2).InstanceId!] }));
      expect(ok.InstanceImageMetadata!.map((i) => i.InstanceId)).toEqual([inst(2).InstanceId]);
      const di = await c.send(new DescribeInstancesCommand({}));
      expect(di.Reservations!.flatMap((r) => r.Instances!.map((i) => i.Placement!.AvailabilityZone)).sort()).toEqual(['me-south-1a', 'me-south-1b']);
    } finally {
      await e2.close();
    }
  });
  test('throttling answers RequestLimitExceeded (503) and engages the SDK retry', async () => {
    const e2 = await emulator({ fleet, faults: { throttle: { capacity: 2, refillPerSecond: 5 } } });
    try {
      const c = ec2(e2);
      await c.send(new GetAllowedImagesSettingsCommand({}));
      await c.send(new GetAllowedImagesSettingsCommand({}));
      const err = await rejection(() => c.send(new GetAllowedImagesSettingsCommand({})));
      expect(err.name).toBe('RequestLimitExceeded');
      expect(err.$metadata?.httpStatusCode).toBe(503);
      // buckets are per action: another action still has its tokens
      await c.send(new DescribeInstanceImageMetadataCommand({ MaxResults: 1 }));
      const retrying = ec2(e2, 'us-east-1', BASE_CREDS, { maxAttempts: 6 });
      const out = await retrying.send(new GetAllowedImagesSettingsCommand({}));
      expect(out.$metadata.attempts).toBeGreaterThan(1);
      expect(e2.stats.throttled).toBeGreaterThanOrEqual(2);
    } finally {
      await e2.close();
    }
  });
  test('token buckets can differ per account, region and action', async () => {
    const e2 = await emulator({ fleet, faults: { throttle: { capacity: 100, refillPerSecond: 20, overrides: [{ region: 'eu-west-1', action: 'GetAllowedImagesSettings', capacity: 1, refillPerSecond: 0.5 }] } } });
    try {
      const eu = ec2(e2, 'eu-west-1');
      await eu.send(new GetAllowedImagesSettingsCommand({}));
      expect((await rejection(() => eu.send(new GetAllowedImagesSettingsCommand({})))).name).toBe('RequestLimitExceeded');
      for (let i = 0; i < 5; i++) await ec2(e2, 'us-east-1').send(new GetAllowedImagesSettingsCommand({}));
      for (let i = 0; i < 5; i++) await eu.send(new DescribeInstanceImageMetadataCommand({ MaxResults: 1 }));
    } finally {
      await e2.close();
    }
  });
  test('malformed, truncated and reset responses surface as SDK errors', async () => {
    const e2 = await emulator({ fleet, faults: { rules: [
      { region: 'us-east-1', action: 'DescribeInstanceImageMetadata', kind: 'malformed' },
      { region: 'eu-west-1', action: 'DescribeInstanceImageMetadata', kind: 'truncated' },
      { region: 'me-south-1', action: 'DescribeInstanceImageMetadata', kind: 'reset' },
    ] } });
    try {
      for (const r of ['us-east-1', 'eu-west-1', 'me-south-1']) {
        await expect(ec2(e2, r).send(new DescribeInstanceImageMetadataCommand({}))).rejects.toBeDefined();
      }
    } finally {
      await e2.close();
    }
  });
});

describe('DescribeRegions and GetAllowedImagesSettings', () => {
  test('enabled regions by default; AllRegions adds the rest with their opt-in status', async () => {
    const enabled = await ec2(e).send(new DescribeRegionsCommand({}));
    expect(enabled.Regions!.map((r) => r.RegionName).sort()).toEqual(['eu-west-1', 'me-south-1', 'us-east-1']);
    const allR = await ec2(e).send(new DescribeRegionsCommand({ AllRegions: true }));
    expect(Object.fromEntries(allR.Regions!.map((r) => [r.RegionName, r.OptInStatus]))).toEqual({
      'us-east-1': 'opt-in-not-required', 'eu-west-1': 'opt-in-not-required', 'ap-east-1': 'not-opted-in', 'me-south-1': 'opted-in',
    });
    const filtered = await ec2(e).send(new DescribeRegionsCommand({ AllRegions: true, Filters: [{ Name: 'opt-in-status', Values: ['opted-in', 'opt-in-not-required'] }] }));
    expect(filtered.Regions!.map((r) => r.RegionName).sort()).toEqual(['eu-west-1', 'me-south-1', 'us-east-1']);
  });
  test('Allowed AMIs state per region', async () => {
    expect((await ec2(e, 'us-east-1').send(new GetAllowedImagesSettingsCommand({}))).State).toBe('enabled');
    expect((await ec2(e, 'eu-west-1').send(new GetAllowedImagesSettingsCommand({}))).State).toBe('audit-mode');
  });
});

describe('STS', () => {
  test('GetCallerIdentity for base credentials is the fleet caller', async () => {
    const id = await sts(e).send(new GetCallerIdentityCommand({}));
    expect(id).toMatchObject({ Account: '111111111111', Arn: 'arn:aws:iam::111111111111:user/tester' });
  });
  test('AssumeRole issues credentials that act as the assumed account', async () => {
    const out = await sts(e).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/Audit', RoleSessionName: 'ami-audit', ExternalId: 'ext-secret-42', DurationSeconds: 900 }));
    const c = out.Credentials!;
    expect(c.Expiration!.getTime() - Date.now()).toBeGreaterThan(800_000);
    expect(out.AssumedRoleUser!.Arn).toBe('arn:aws:sts::222222222222:assumed-role/Audit/ami-audit');
    const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const who = await sts(e, 'us-east-1', creds).send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe('222222222222');
    const items = await ec2(e, 'eu-west-1', creds).send(new DescribeInstanceImageMetadataCommand({}));
    expect(items.InstanceImageMetadata!.map((i) => i.OwnerId)).toEqual(['222222222222']);
  });
  test.each([
    ['an unassumable account', 'arn:aws:iam::333333333333:role/Audit', undefined],
    ['a wrong external id', 'arn:aws:iam::222222222222:role/Audit', 'wrong'],
    ['a role that does not exist', 'arn:aws:iam::222222222222:role/Other', 'ext-secret-42'],
    ['an account outside the fleet', 'arn:aws:iam::999999999999:role/Audit', undefined],
  ])('AccessDenied (403) for %s', async (_n, RoleArn, ExternalId) => {
    const err = await rejection(() => sts(e).send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'ami-audit', ExternalId })));
    expect(err.name).toBe('AccessDenied');
    expect(err.$metadata?.httpStatusCode).toBe(403);
  });
  test('invalid DurationSeconds and role ARNs are ValidationError', async () => {
    expect((await rejection(() => sts(e).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/Audit', RoleSessionName: 's1', DurationSeconds: 60 })))).name).toBe('ValidationError');
    expect((await rejection(() => sts(e).send(new AssumeRoleCommand({ RoleArn: 'not-an-arn-at-all-really', RoleSessionName: 's1' })))).name).toBe('ValidationError');
  });
  test('expired session credentials are refused', async () => {
    const e2 = await emulator({ fleet, faults: { credentialLifetimeSeconds: 0.2 as number } });
    try {
      const out = await sts(e2).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::333333333333:role/Audit'.replace('333333333333', '111111111111'), RoleSessionName: 's1' }));
      const c = out.Credentials!;
      await new Promise((r) => setTimeout(r, 300));
      const err = await rejection(() => ec2(e2, 'us-east-1', { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }).send(new GetAllowedImagesSettingsCommand({})));
      expect(err.name).toBe('RequestExpired');
    } finally {
      await e2.close();
    }
  });
});

describe('faults at the wire: what the SDK receives', () => {
  /** Runs fn against an emulator serving `fleet` with these fault rules (and plan fields). */
  const withFaults = async (plan: FaultPlan, fn: (e2: Emulator) => Promise<void>, f: Fleet = fleet): Promise<void> => {
    const e2 = await emulator({ fleet: f, faults: validateFaults(plan) });
    try {
      await fn(e2);
    } finally {
      await e2.close();
    }
  };
  const post = async (url: string, region: string, service: string, body: string): Promise<Response> =>
    fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `AWS4-HMAC-SHA256 Credential=AKIDTEST/20261126/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00` } });
  const assumed = async (e2: Emulator): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> => {
    const c = (await sts(e2).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/Audit', RoleSessionName: 'ami-audit' }))).Credentials!;
    return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  };

  test('raw: a 200 whose root is a proxy page, a 403 with a text body; placeholders filled in', async () => {
    await withFaults({ rules: [
      { region: 'us-east-1', action: 'DescribeInstanceImageMetadata', kind: 'raw', body: '<?xml version="1.0"?><ProxyNotice><Text>Blocked by policy ({action}, {requestId})</Text></ProxyNotice>' },
      { region: 'eu-west-1', kind: 'raw', status: 403, contentType: 'text/plain', body: 'Forbidden by the egress proxy' },
    ] }, async (e2) => {
      const ok = await ec2(e2).send(new DescribeInstanceImageMetadataCommand({}));
      expect(ok.$metadata.httpStatusCode).toBe(200);
      expect(ok.InstanceImageMetadata).toBeUndefined();
      expect(ok.NextToken).toBeUndefined();
      const res = await post(e2.url, 'us-east-1', 'ec2', 'Action=DescribeInstanceImageMetadata&Version=2016-11-15');
      const text = await res.text();
      expect(text).toMatch(/^<\?xml version="1.0"\?><ProxyNotice><Text>Blocked by policy \(DescribeInstanceImageMetadata, [0-9a-f-]{36}\)<\/Text><\/ProxyNotice>$/);
      expect(text).toContain(res.headers.get('x-amzn-requestid')!);
      const err = await rejection(() => ec2(e2, 'eu-west-1').send(new DescribeRegionsCommand({})));
      // no AWS error code: the SDK fails to parse the body, and only $metadata holds the status
      expect(err.$metadata?.httpStatusCode).toBe(403);
      expect(err.message).toMatch(/XML parse error/);
      const plain = await post(e2.url, 'eu-west-1', 'ec2', 'Action=DescribeRegions&Version=2016-11-15');
      expect(plain.headers.get('content-type')).toBe('text/plain');
      expect(await plain.text()).toBe('Forbidden by the egress proxy');
    });
  });

  test('empty: a 200 with no body at all', async () => {
    await withFaults({ rules: [{ kind: 'empty' }] }, async (e2) => {
      const res = await post(e2.url, 'us-east-1', 'ec2', 'Action=DescribeRegions&Version=2016-11-15');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-length')).toBe('0');
      expect(await res.text()).toBe('');
      const out = await ec2(e2).send(new DescribeInstanceImageMetadataCommand({}));
      expect(out.$metadata.httpStatusCode).toBe(200);
      expect(out.InstanceImageMetadata).toBeUndefined();
      const regions = await ec2(e2).send(new DescribeRegionsCommand({}));
      expect(regions.Regions).toBeUndefined();
      const role = await sts(e2).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/Audit', RoleSessionName: 's1' }));
      expect(role.Credentials).toBeUndefined();
    });
  });

  test('wrong-root: a well-formed answer of another action', async () => {
    await withFaults({ rules: [{ kind: 'wrong-root' }] }, async (e2) => {
      const text = await (await post(e2.url, 'us-east-1', 'ec2', 'Action=DescribeInstanceImageMetadata&Version=2016-11-15')).text();
      expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeInstancesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><reservationSet\/><\/DescribeInstancesResponse>$/);
      expect(await (await post(e2.url, 'us-east-1', 'ec2', 'Action=DescribeInstances&Version=2016-11-15')).text()).toContain('<DescribeInstanceImageMetadataResponse ');
      expect(await (await post(e2.url, 'us-east-1', 'sts', 'Action=AssumeRole&Version=2011-06-15')).text()).toMatch(/<GetSessionTokenResponse [^>]*><GetSessionTokenResult><\/GetSessionTokenResult><ResponseMetadata>/);
      // the SDK does not look at the root element: each call "succeeds" with nothing in it
      const diim = await ec2(e2).send(new DescribeInstanceImageMetadataCommand({}));
      expect(diim.$metadata.httpStatusCode).toBe(200);
      expect(diim.InstanceImageMetadata).toBeUndefined();
      expect((await ec2(e2).send(new DescribeRegionsCommand({}))).Regions).toBeUndefined();
      expect((await ec2(e2).send(new DescribeInstancesCommand({}))).Reservations).toBeUndefined();
      expect((await sts(e2).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/Audit', RoleSessionName: 's1' }))).Credentials).toBeUndefined();
      expect((await sts(e2).send(new GetCallerIdentityCommand({}))).Account).toBeUndefined();
    });
  });

  test('error-200: an error document with status 200', async () => {
    await withFaults({ rules: [{ service: 'ec2', kind: 'error-200' }, { service: 'sts', kind: 'error-200', error: 'Throttling', message: 'Rate exceeded' }] }, async (e2) => {
      const text = await (await post(e2.url, 'us-east-1', 'ec2', 'Action=DescribeInstanceImageMetadata&Version=2016-11-15')).text();
      expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>InternalError<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
      const stsText = await (await post(e2.url, 'us-east-1', 'sts', 'Action=GetCallerIdentity&Version=2011-06-15')).text();
      expect(stsText).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>');
      // a 200 is a success to the SDK, whatever the body says
      const diim = await ec2(e2).send(new DescribeInstanceImageMetadataCommand({}));
      expect(diim.$metadata.httpStatusCode).toBe(200);
      expect(diim.InstanceImageMetadata).toBeUndefined();
      expect((await ec2(e2).send(new DescribeRegionsCommand({}))).Regions).toBeUndefined();
      expect((await sts(e2).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/Audit', RoleSessionName: 's1' }))).Credentials).toBeUndefined();
    });
  });

  test('trickle: one byte at a time keeps the socket busy until the client gives up', async () => {
    await withFaults({ rules: [{ action: 'DescribeInstanceImageMetadata', kind: 'trickle', intervalMs: 20 }] }, async (e2) => {
      // the socket never idles for 150 ms, so only a total deadline ends the call
      const c = ec2(e2, 'us-east-1', BASE_CREDS, { requestHandler: new NodeHttpHandler({ socketTimeout: 150 }) });
      const started = Date.now();
      const err = await rejection(() => c.send(new DescribeInstanceImageMetadataCommand({}), { abortSignal: AbortSignal.timeout(500) }));
      // the headers had come, so the abort ends the reading of the body
      expect(err.message).toMatch(/aborted/);
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      // headers came at once, with the length of a whole answer
      const res = await post(e2.url, 'us-east-1', 'ec2', 'Action=DescribeInstanceImageMetadata&Version=2016-11-15');
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('content-length'))).toBeGreaterThan(4096);
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toBe('<');
      await reader.cancel();
      for (let i = 0; i < 50 && e2.trickling > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(e2.trickling).toBe(0);
    });
  });

  test('trickle: slower than the socket timeout, the SDK times out; close() ends what is left', async () => {
    await withFaults({ rules: [{ kind: 'trickle', intervalMs: 400 }] }, async (e2) => {
      const c = ec2(e2, 'us-east-1', BASE_CREDS, { requestHandler: new NodeHttpHandler({ socketTimeout: 100 }) });
      const err = await rejection(() => c.send(new GetAllowedImagesSettingsCommand({})));
      expect(err.name).toBe('TimeoutError');
      void fetch(e2.url, { method: 'POST', body: 'Action=GetCallerIdentity&Version=2011-06-15', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20261126/us-east-1/sts/aws4_request' } }).then((r) => r.body?.cancel(), () => undefined);
      for (let i = 0; i < 50 && e2.trickling === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(e2.trickling).toBe(1);
    });
  });

  test('echo-auth: the error message quotes the Authorization and X-Amz-Security-Token headers', async () => {
    await withFaults({ rules: [{ service: 'ec2', kind: 'echo-auth' }, { service: 'sts', action: 'GetCallerIdentity', kind: 'echo-auth', error: 'InvalidClientTokenId', status: 400 }] }, async (e2) => {
      const creds = await assumed(e2);
      const err = await rejection(() => ec2(e2, 'eu-west-1', creds).send(new DescribeInstanceImageMetadataCommand({})));
      expect(err.name).toBe('SignatureDoesNotMatch');
      expect(err.$metadata?.httpStatusCode).toBe(403);
      expect(err.message).toContain('The request signature we calculated does not match the signature you provided.');
      expect(err.message).toContain(`authorization:AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/`);
      expect(err.message).toMatch(/\/eu-west-1\/ec2\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}\n/);
      expect(err.message).toContain(`x-amz-security-token:${creds.sessionToken}\n`);
      const stsErr = await rejection(() => sts(e2, 'us-east-1', creds).send(new GetCallerIdentityCommand({})));
      expect(stsErr.name).toBe('InvalidClientTokenId');
      expect(stsErr.$metadata?.httpStatusCode).toBe(400);
      expect(stsErr.message).toContain(`Credential=${creds.accessKeyId}/`);
      expect(stsErr.message).toContain(creds.sessionToken);
      const base = await rejection(() => ec2(e2).send(new GetAllowedImagesSettingsCommand({})));
      expect(base.message).toContain(`Credential=${BASE_CREDS.accessKeyId}/`);
      expect(base.message).not.toContain('x-amz-security-token');
    });
  });

  describe('paging', () => {
    const big = generateFleet({ accounts: 1, regions: ['us-east-1'], instances: 2500, seed: 3 });
    const bigFleet: Fleet = { ...big, caller: { accountId: big.accounts[0]!.accountId } };
    const small = generateFleet({ accounts: 1, regions: ['us-east-1'], instances: 250, seed: 3 });
    const smallFleet: Fleet = { ...small, caller: { accountId: small.accounts[0]!.accountId } };
    const pages = async (c: EC2Client, limit: number, input: { MaxResults?: number } = {}): Promise<{ n: number; token?: string }[]> => {
      const out: { n: number; token?: string }[] = [];
      let token: string | undefined;
      do {
        const p = await c.send(new DescribeInstanceImageMetadataCommand({ ...input, NextToken: token }));
        token = p.NextToken;
        out.push({ n: (p.InstanceImageMetadata ?? []).length, token });
      } while (token && out.length < limit);
      return out;
    };

    test('same-token: one token on every page; a client stopping at a repeat gets 2 of 3 pages', async () => {
      await withFaults({ rules: [{ action: 'DescribeInstanceImageMetadata', paging: 'same-token' }] }, async (e2) => {
        let got = 0;
        let n = 0;
        for await (const p of paginateDescribeInstanceImageMetadata({ client: ec2(e2), pageSize: 1000, stopOnSameToken: true }, {})) {
          got += (p.InstanceImageMetadata ?? []).length;
          n += 1;
        }
        expect([n, got]).toEqual([2, 2000]);
        // a client that follows the token regardless gets every page, the last without a token
        const seen = await pages(ec2(e2), 10);
        expect(seen.map((p) => p.n)).toEqual([1000, 1000, 500]);
        expect(seen[0]!.token).toBeTruthy();
        expect(seen[1]!.token).toBe(seen[0]!.token);
        expect(seen[2]!.token).toBeUndefined();
        // other actions and scopes are served as usual
        const di = await ec2(e2).send(new DescribeInstancesCommand({ MaxResults: 5 }));
        const di2 = await ec2(e2).send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: di.NextToken }));
        expect(di2.NextToken).not.toBe(di.NextToken);
      }, bigFleet);
    });

    test('cycle: tokens alternate A, B, A, B and the pages never end', async () => {
      await withFaults({ rules: [{ action: 'DescribeInstanceImageMetadata', paging: 'cycle' }] }, async (e2) => {
        const seen = await pages(ec2(e2), 8, { MaxResults: 100 });
        expect(seen.map((p) => p.n)).toEqual([100, 100, 50, 0, 0, 0, 0, 0]);
        const [a, b] = [seen[0]!.token, seen[1]!.token];
        expect(a).toBeTruthy();
        expect(b).toBeTruthy();
        expect(a).not.toBe(b);
        expect(seen.map((p) => p.token)).toEqual([a, b, a, b, a, b, a, b]);
      }, smallFleet);
    });

    test('empty-forever: empty pages with fresh tokens from the first page on', async () => {
      await withFaults({ rules: [{ action: 'DescribeInstanceImageMetadata', paging: 'empty-forever' }] }, async (e2) => {
        const seen = await pages(ec2(e2), 20);
        expect(seen).toHaveLength(20);
        expect(seen.every((p) => p.n === 0 && p.token)).toBe(true);
        expect(new Set(seen.map((p) => p.token)).size).toBe(20);
      }, smallFleet);
    });

    test('DescribeInstances repeats a token too; count limits the rule to the first N calls', async () => {
      await withFaults({ rules: [{ action: 'DescribeInstances', paging: 'same-token', count: 2 }] }, async (e2) => {
        const c = ec2(e2);
        const p1 = await c.send(new DescribeInstancesCommand({ MaxResults: 100 }));
        const p2 = await c.send(new DescribeInstancesCommand({ MaxResults: 100, NextToken: p1.NextToken }));
        expect([p1.Reservations!.length, p2.Reservations!.length]).toEqual([100, 100]);
        expect(p2.NextToken).toBe(p1.NextToken);
        // the rule is spent: its token is now refused, as an expired one would be
        expect((await rejection(() => c.send(new DescribeInstancesCommand({ MaxResults: 100, NextToken: p2.NextToken })))).name).toBe('InvalidPaginationToken');
        const all3 = await c.send(new DescribeInstancesCommand({}));
        expect(all3.Reservations).toHaveLength(250);
        expect(all3.NextToken).toBeUndefined();
      }, smallFleet);
    });
  });

  describe('DescribeRegions', () => {
    const names = async (e2: Emulator, all = true): Promise<[string, string][]> =>
      ((await ec2(e2).send(new DescribeRegionsCommand({ AllRegions: all }))).Regions ?? []).map((r) => [r.RegionName!, r.OptInStatus!]);

    test('empty: no region at all', async () => {
      await withFaults({ rules: [{ regions: 'empty' }] }, async (e2) => {
        const out = await ec2(e2).send(new DescribeRegionsCommand({ AllRegions: true }));
        expect(out.Regions).toEqual([]);
        // other actions are not touched
        expect((await ec2(e2).send(new GetAllowedImagesSettingsCommand({}))).State).toBe('enabled');
      });
    });

    test('duplicate: every region twice', async () => {
      await withFaults({ rules: [{ regions: 'duplicate' }] }, async (e2) => {
        const got = await names(e2, false);
        expect(got).toEqual([['us-east-1', 'opt-in-not-required'], ['eu-west-1', 'opt-in-not-required'], ['me-south-1', 'opted-in'], ['us-east-1', 'opt-in-not-required'], ['eu-west-1', 'opt-in-not-required'], ['me-south-1', 'opted-in']]);
      });
    });

    test('conflict: the first opt-in region both opted-in and not-opted-in', async () => {
      await withFaults({ rules: [{ regions: 'conflict' }] }, async (e2) => {
        expect(await names(e2)).toEqual([['us-east-1', 'opt-in-not-required'], ['eu-west-1', 'opt-in-not-required'], ['ap-east-1', 'opted-in'], ['ap-east-1', 'not-opted-in'], ['me-south-1', 'opted-in']]);
        // without AllRegions the not-opted-in region was not listed: both items come at the end
        expect((await names(e2, false)).slice(-2)).toEqual([['ap-east-1', 'opted-in'], ['ap-east-1', 'not-opted-in']]);
      });
    });

    test('inject: a region name with terminal escapes reaches the caller as is; count applies', async () => {
      const evil = 'us-east-1\u001b[31m\u0007';
      await withFaults({ rules: [{ regions: 'inject', regionName: evil, count: 1 }] }, async (e2) => {
        const got = await names(e2);
        expect(got).toHaveLength(5);
        expect(got[4]).toEqual([evil, 'opt-in-not-required']);
        expect(await names(e2)).toHaveLength(4);
      });
    });
  });

  test('clockSkewSeconds: credentials look expired on arrival, yet the endpoint accepts them', async () => {
    await withFaults({ clockSkewSeconds: 7200 }, async (e2) => {
      const out = await sts(e2).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/Audit', RoleSessionName: 's1', DurationSeconds: 3600 }));
      const expiresIn = out.Credentials!.Expiration!.getTime() - Date.now();
      expect(expiresIn).toBeLessThan(-3590_000);
      expect(expiresIn).toBeGreaterThan(-3610_000);
      const c = out.Credentials!;
      const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
      expect((await ec2(e2, 'us-east-1', creds).send(new GetAllowedImagesSettingsCommand({}))).State).toBe('enabled');
    });
  });

  test('validateFaults takes the new fields and names what is wrong', () => {
    expect(validateFaults({ clockSkewSeconds: 30, rules: [{ kind: 'raw', body: 'x', status: 403, contentType: 'text/plain' }, { kind: 'trickle', intervalMs: 5 }, { paging: 'cycle' }, { regions: 'inject', regionName: 'x' }, { kind: 'echo-auth' }] })).toBeTruthy();
    expect(() => validateFaults({ rules: [{ kind: 'raw' }] })).toThrow('rules[0].body');
    expect(() => validateFaults({ rules: [{ paging: 'loop' }] })).toThrow('rules[0].paging');
    expect(() => validateFaults({ rules: [{ regions: 'inject' }] })).toThrow('rules[0].regionName');
    expect(() => validateFaults({ rules: [{ regions: 'many' }] })).toThrow('rules[0].regions');
    expect(() => validateFaults({ rules: [{ kind: 'trickle', intervalMs: 0 }] })).toThrow('rules[0].intervalMs');
    expect(() => validateFaults({ rules: [{ paging: 'cycle', regions: 'empty' }] })).toThrow('one effect');
    expect(() => validateFaults({ clockSkewSeconds: 'a lot' })).toThrow('clockSkewSeconds');
  });
});

describe('through an HTTP proxy', () => {
  test('an EC2Client with a proxy agent reaches the emulator through the proxy', async () => {
    const proxy = await startProxy();
    const agent = new HttpProxyAgent({ proxy: proxy.url, keepAlive: false });
    try {
      const c = ec2(e, 'us-east-1', BASE_CREDS, { requestHandler: new NodeHttpHandler({ httpAgent: agent }) });
      const out = await c.send(new DescribeInstanceImageMetadataCommand({ InstanceIds: [FULL.InstanceId!] }));
      expect(out.InstanceImageMetadata!.map((i) => i.InstanceId)).toEqual([FULL.InstanceId]);
      const host = new URL(e.url).host;
      expect(proxy.requests).toEqual([`CONNECT ${host}`]);
      // absolute-form requests (what a plain HTTP proxy client sends) are forwarded with their body
      const text = await new Promise<string>((resolve, reject) => {
        const body = 'Action=GetAllowedImagesSettings&Version=2016-11-15';
        const req = httpRequest(`${proxy.url}`, { method: 'POST', path: `${e.url}/`, headers: { host, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), authorization: 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20261126/eu-west-1/ec2/aws4_request' } }, (res) => {
          let t = '';
          res.setEncoding('utf8').on('data', (d: string) => (t += d)).on('end', () => resolve(t)).on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(text).toContain('<state>audit-mode</state>');
      expect(proxy.requests).toEqual([`CONNECT ${host}`, `POST ${host}`]);
    } finally {
      agent.destroy();
      await proxy.close();
    }
  });
});
