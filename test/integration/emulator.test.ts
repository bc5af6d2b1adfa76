/** The local endpoint, driven by the real AWS SDK over loopback. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  DescribeInstanceImageMetadataCommand, DescribeInstancesCommand, DescribeRegionsCommand, GetAllowedImagesSettingsCommand,
  paginateDescribeInstanceImageMetadata, type InstanceImageMetadata,
} from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Emulator } from '../../src/emulator/server.js';
import type { Fleet, FleetInstance } from '../../src/emulator/fleet.js';
import { generateFleet } from '../../src/emulator/generate.js';
import { BASE_CREDS, ec2, emulator, rejection, sts } from '../helpers/emulator.js';

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
