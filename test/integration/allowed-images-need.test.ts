/**
 * GetAllowedImagesSettings is called only where its answer can change an outcome: in a scope
 * that holds an instance whose AMI is not allowed (ImageAllowed false) or does not say
 * (ImageAllowed unreported). Elsewhere the state is recorded as `not-needed`, and a failure of
 * that call cannot make such a scope partial, because the call is not made.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { collect } from '../../src/collect/collector.js';
import type { Fleet, FleetInstance } from '../../src/emulator/fleet.js';
import type { Emulator } from '../../src/emulator/server.js';
import type { Inventory } from '../../src/model/types.js';
import { evaluate, DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import { emulator } from '../helpers/emulator.js';
import { collectOptions } from '../helpers/collect.js';

let e: Emulator | null = null;
afterEach(async () => {
  await e?.close();
  e = null;
});

const A = '222233334444';
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'];

/** An instance whose AMI is allowed (true), not allowed (false), silent on it (undefined) or without metadata ('bare'). */
function inst(n: number, allowed: boolean | undefined | 'bare', region = 'us-east-1'): FleetInstance {
  const id = `i-0${n.toString(16).padStart(16, '0')}`;
  const base = {
    InstanceId: id, InstanceType: 't3.micro', LaunchTime: '2026-01-01T00:00:00.000Z', AvailabilityZone: `${region}a`, ZoneId: 'use1-az1',
    State: { Code: 16, Name: 'running' }, OwnerId: A, Tags: [{ Key: 'Name', Value: `web-${n}` }], Operator: { Managed: false },
  };
  if (allowed === 'bare') return { ...base, ImageMetadata: { ImageId: 'ami-0aaaaaaaaaaaaaaa1' } };
  return {
    ...base,
    ImageMetadata: {
      ImageId: 'ami-0bbbbbbbbbbbbbbb2', Name: 'al2023', OwnerId: '137112412989', State: 'available', ImageOwnerAlias: 'amazon',
      CreationDate: '2026-06-01T00:00:00.000Z', DeprecationTime: '2028-06-01T00:00:00.000Z', IsPublic: true,
      ...(allowed === undefined ? {} : { ImageAllowed: allowed }),
    },
  };
}

/** us-east-1: all allowed; eu-west-1: one not allowed; ap-southeast-2: one that does not say; us-west-2: empty. */
function fleet(): Fleet {
  return {
    fleetVersion: 1,
    caller: { accountId: '111122223333', arn: 'arn:aws:iam::111122223333:user/auditor' },
    regions: REGIONS.map((name) => ({ name })),
    accounts: [{
      accountId: A,
      allowedImages: { 'us-east-1': 'enabled', 'eu-west-1': 'enabled', 'ap-southeast-2': 'audit-mode' },
      instances: {
        'us-east-1': [inst(1, true), inst(2, true), inst(3, true)],
        'eu-west-1': [inst(4, true, 'eu-west-1'), inst(5, false, 'eu-west-1')],
        'ap-southeast-2': [inst(6, true, 'ap-southeast-2'), inst(7, undefined, 'ap-southeast-2'), inst(8, 'bare', 'ap-southeast-2')],
        'us-west-2': [],
      },
    }],
  };
}

const scope = (inv: Inventory, region: string) => inv.coverage.find((c) => c.region === region)!;

describe('GetAllowedImagesSettings only where it can change an outcome', () => {
  test('called for the scopes with an instance not allowed or silent on it; the others are ok with state not-needed', async () => {
    e = await emulator({ fleet: fleet(), faults: { throttle: null } });
    const inv = await collect(collectOptions(e, { accounts: [A], regions: REGIONS }));
    expect(e.stats.byAction.GetAllowedImagesSettings).toBe(2);
    expect(scope(inv, 'us-east-1')).toMatchObject({ status: 'ok', allowedImagesState: 'not-needed', apiCalls: 1, instanceCount: 3 });
    expect(scope(inv, 'us-west-2')).toMatchObject({ status: 'ok', allowedImagesState: 'not-needed', apiCalls: 1, instanceCount: 0 });
    expect(scope(inv, 'eu-west-1')).toMatchObject({ status: 'ok', allowedImagesState: 'enabled', apiCalls: 2 });
    expect(scope(inv, 'ap-southeast-2')).toMatchObject({ status: 'ok', allowedImagesState: 'audit-mode', apiCalls: 2 });
    // the state still reaches the finding that depends on it
    const asOf = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });
    const notAllowed = evaluate(inv.instances, inv.coverage, DEFAULT_SETTINGS, asOf.toMillis()).findings.filter((f) => f.ruleId === 'not-allowed-ami');
    expect(notAllowed.map((f) => [f.region, f.severity])).toEqual([['eu-west-1', 'high']]);
  });

  test('a denied GetAllowedImagesSettings leaves a scope that did not need it ok, and one that did partial', async () => {
    e = await emulator({ fleet: fleet(), faults: { throttle: null, rules: [{ account: A, action: 'GetAllowedImagesSettings', error: 'UnauthorizedOperation' }] } });
    const inv = await collect(collectOptions(e, { accounts: [A], regions: REGIONS }));
    expect(scope(inv, 'us-east-1')).toMatchObject({ status: 'ok', allowedImagesState: 'not-needed', failures: [] });
    expect(scope(inv, 'eu-west-1')).toMatchObject({ status: 'partial', allowedImagesState: 'unknown', errorCode: 'UnauthorizedOperation' });
    expect(scope(inv, 'eu-west-1').failures.map((f) => f.action)).toEqual(['GetAllowedImagesSettings']);
  });

  test('the instance that needs it on a later page: called once, the state read', async () => {
    const f = fleet();
    f.accounts[0]!.instances!['us-east-1'] = [...Array.from({ length: 12 }, (_, k) => inst(100 + k, true)), inst(200, false)];
    e = await emulator({ fleet: f, faults: { throttle: null } });
    const inv = await collect(collectOptions(e, { accounts: [A], regions: ['us-east-1'], pageSize: 5 }));
    expect(scope(inv, 'us-east-1')).toMatchObject({ status: 'ok', allowedImagesState: 'enabled', pageCount: 3, apiCalls: 4, instanceCount: 13 });
    expect(e.stats.byAction.GetAllowedImagesSettings).toBe(1);
  });

  test('with --instance-ids, the instances found decide', async () => {
    e = await emulator({ fleet: fleet(), faults: { throttle: null } });
    const asked = [inst(1, true).InstanceId!, inst(5, false).InstanceId!];
    const inv = await collect(collectOptions(e, { accounts: [A], regions: ['us-east-1', 'eu-west-1'], instanceIds: asked }));
    expect(scope(inv, 'us-east-1')).toMatchObject({ status: 'ok', allowedImagesState: 'not-needed' });
    expect(scope(inv, 'eu-west-1')).toMatchObject({ status: 'ok', allowedImagesState: 'enabled' });
    expect(e.stats.byAction.GetAllowedImagesSettings).toBe(1);
  });
});

describe('the criteria with watermark filters', () => {
  test('GetAllowedImagesSettings answers a criterion\'s ImageWatermarks (imageWatermarkSet) and the scope keeps them', async () => {
    const f = fleet();
    const filter = { WatermarkKey: '123456789012:approved*', SourceImageRegion: 'us-*', MaximumDaysSinceWatermarkCreated: 90 };
    f.accounts[0]!.allowedImagesCriteria = { 'ap-southeast-2': [{ ImageProviders: ['amazon'], ImageWatermarks: [filter] }] };
    e = await emulator({ fleet: f, faults: { throttle: null } });
    const inv = await collect(collectOptions(e, { accounts: [A], regions: ['ap-southeast-2'] }));
    expect(scope(inv, 'ap-southeast-2').allowedImagesCriteria).toEqual([
      { imageProviders: ['amazon'], marketplaceProductCodes: [], imageNames: [], maximumDaysSinceDeprecated: null, maximumDaysSinceCreated: null, imageWatermarks: [filter] },
    ]);
  });

  test('a fleet\'s watermark filter with an unknown field is refused, naming it', async () => {
    const { validateFleet } = await import('../../src/emulator/fleet.js');
    const f = fleet();
    f.accounts[0]!.allowedImagesCriteria = { 'ap-southeast-2': [{ ImageWatermarks: [{ WatermarkName: 'x' } as never] }] };
    expect(() => validateFleet(f)).toThrow(/allowedImagesCriteria\.ap-southeast-2\[0\]\.ImageWatermarks\[0\]\.WatermarkName/);
  });
});

