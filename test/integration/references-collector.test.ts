/**
 * --references through the real SDK against the local endpoint: what relaunches the demo's flagged
 * AMIs (launch template version resolved through $Latest and a pinned group, an SSM parameter, a
 * recipe), batching over 10 image ids with paging, a denied lookup as a partial scope, the Allowed
 * AMIs criteria read, and calls that grow with flagged AMIs, not instances.
 */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { collect } from '../../src/collect/collector.js';
import { demoFleet, DEMO_ACCOUNTS, DEMO_REFERENCES } from '../../src/emulator/demo.js';
import type { Fleet, FleetInstance } from '../../src/emulator/fleet.js';
import type { FaultPlan } from '../../src/emulator/faults.js';
import { buildReport } from '../../src/report/build.js';
import { settingsFrom } from '../../src/config/config.js';
import { NOW, withEmulator } from '../helpers/emulator.js';
import { collectOptions } from '../helpers/collect.js';


const PROD = DEMO_ACCOUNTS.prod;
const REGION = DEMO_REFERENCES.region;

describe('--references against the demo', () => {
  test('the group that will relaunch the deprecated AMI, the parameter and the recipe; criteria read; the rule fires', async () => {
    const fleet = demoFleet(NOW);
    const { inv, calls } = await withEmulator(fleet, async (e) => {
      const inv = await collect(collectOptions(e, { accounts: [PROD], regions: [REGION, 'eu-west-1'], references: {}, now: () => new Date(NOW) }));
      return { inv, calls: { ...e.stats.byAction } };
    });
    const refs = inv.references!;
    const lt = refs.find((r) => r.resourceType === 'ec2:LaunchTemplate')!;
    expect(lt).toMatchObject({ accountId: PROD, region: REGION, imageId: DEMO_REFERENCES.deprecatedImageId, name: DEMO_REFERENCES.launchTemplateName, version: '2', usedBy: [DEMO_REFERENCES.latestGroup] });
    // the group pinned to version 1 launches another AMI: not named
    expect(refs.some((r) => r.usedBy.includes(DEMO_REFERENCES.pinnedGroup))).toBe(false);
    expect(refs.find((r) => r.resourceType === 'ssm:Parameter')).toMatchObject({ imageId: DEMO_REFERENCES.deregisteredImageId, name: DEMO_REFERENCES.ssmParameter, usedBy: [] });
    expect(refs.find((r) => r.resourceType === 'imagebuilder:ImageRecipe')).toMatchObject({ imageId: DEMO_REFERENCES.notAllowedImageId, name: DEMO_REFERENCES.imageRecipe.name, version: DEMO_REFERENCES.imageRecipe.version });
    const cov = inv.coverage.find((c) => c.accountId === PROD && c.region === REGION)!;
    expect(cov.status).toBe('ok');
    expect(cov.references).toMatchObject({ status: 'ok', code: null });
    expect(cov.allowedImagesCriteria!.length).toBeGreaterThan(0);
    // one lookup call for the scope's few flagged AMIs (at most 10 a call), not one per instance
    expect(calls.DescribeImageReferences).toBe(inv.coverage.filter((c) => c.references?.status === 'ok').reduce((n, c) => n + Math.ceil(c.references!.images / 10), 0));
    const asOf = DateTime.fromISO(NOW, { zone: 'utc' });
    const report = buildReport({ inventory: inv, settings: settingsFrom({}), asOf: asOf.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    const launchable = report.findings.filter((f) => f.ruleId === 'launchable-bad-ami');
    expect(launchable.find((f) => f.resource!.usedBy.length)!.severity).toBe('high');
    expect(launchable.map((f) => f.resource!.type).sort()).toEqual(['ec2:LaunchTemplate', 'imagebuilder:ImageRecipe', 'ssm:Parameter']);
    // the not-allowed finding says which criteria the AMI fails
    const notAllowed = report.findings.find((f) => f.ruleId === 'not-allowed-ami' && f.accountId === PROD && f.region === REGION)!;
    expect(notAllowed.message).toMatch(/Against the region's criteria: criterion 1: its name "suse-sles[^"]*" matches none of/);
    expect(report.images.find((i) => i.imageId === DEMO_REFERENCES.deprecatedImageId)!.references![0]!.usedBy).toEqual([DEMO_REFERENCES.latestGroup]);
  });

  test('a denied DescribeImageReferences makes the scope partial and says so; never "no references"', async () => {
    const faults: FaultPlan = { rules: [{ action: 'DescribeImageReferences', error: 'UnauthorizedOperation' }] };
    const inv = await withEmulator(demoFleet(NOW), (e) => collect(collectOptions(e, { accounts: [PROD], regions: [REGION], references: {}, now: () => new Date(NOW) })), faults);
    const cov = inv.coverage.find((c) => c.region === REGION)!;
    expect(cov.status).toBe('partial');
    expect(cov.references).toMatchObject({ status: 'error', code: 'UnauthorizedOperation' });
    expect(cov.failures.map((f) => f.action)).toContain('DescribeImageReferences');
    expect(inv.references).toEqual([]);
  });

  test('without --references nothing is looked up', async () => {
    const { inv, calls } = await withEmulator(demoFleet(NOW), async (e) => ({ inv: await collect(collectOptions(e, { accounts: [PROD], regions: [REGION] })), calls: { ...e.stats.byAction } }));
    expect(inv.references).toBeUndefined();
    expect(inv.coverage[0]!.references).toBeUndefined();
    expect(calls.DescribeImageReferences ?? 0).toBe(0);
  });
});

test('25 flagged AMIs in one scope: 3 lookups of at most 10 ids, every page followed, every reference once', async () => {
  const account = '210987654321';
  const ami = (n: number): string => `ami-${(0x0a000000000000000n + BigInt(n)).toString(16).padStart(17, '0')}`;
  const instances: FleetInstance[] = Array.from({ length: 25 }, (_, n) => ({
    InstanceId: `i-${(0x0b000000000000000n + BigInt(n)).toString(16).padStart(17, '0')}`, InstanceType: 't3.micro', AvailabilityZone: 'us-east-1a', ZoneId: 'use1-az1',
    LaunchTime: '2026-01-01T00:00:00Z', State: { Code: 16, Name: 'running' }, OwnerId: account,
    ImageMetadata: { ImageId: ami(n), Name: `old-${n}`, OwnerId: account, State: 'deregistered', ImageOwnerAlias: undefined, IsPublic: false },
  } as unknown as FleetInstance));
  const ssmParameters = { 'us-east-1': instances.flatMap((i, n) => [{ name: `/ami/a${n}`, value: i.ImageMetadata!.ImageId! }, { name: `/ami/b${n}`, value: i.ImageMetadata!.ImageId! }]) };
  const fleet: Fleet = { fleetVersion: 1, caller: { accountId: account }, regions: [{ name: 'us-east-1' }], accounts: [{ accountId: account, instances: { 'us-east-1': instances }, ssmParameters }] };
  const { inv, calls } = await withEmulator(fleet, async (e) => ({ inv: await collect(collectOptions(e, { roleName: undefined, accounts: [account], regions: ['us-east-1'], references: {} })), calls: { ...e.stats.byAction } }));
  expect(inv.references).toHaveLength(50);
  expect(new Set(inv.references!.map((r) => r.arn)).size).toBe(50);
  expect(calls.DescribeImageReferences).toBeGreaterThanOrEqual(3);
  expect(inv.coverage[0]!.references).toMatchObject({ status: 'ok', images: 25 });
});

test('issue 23 item 8: a stop that arrives just after a scope\'s listing: the skipped lookup is Interrupted and the scope partial, never ok without a reference outcome', async () => {
  const account = '210987654322';
  const ami = (n: number): string => `ami-${(0x0c000000000000000n + BigInt(n)).toString(16).padStart(17, '0')}`;
  const instances: FleetInstance[] = Array.from({ length: 3 }, (_, n) => ({
    InstanceId: `i-${(0x0d000000000000000n + BigInt(n)).toString(16).padStart(17, '0')}`, InstanceType: 't3.micro', AvailabilityZone: 'us-east-1a', ZoneId: 'use1-az1',
    LaunchTime: '2026-01-01T00:00:00Z', State: { Code: 16, Name: 'running' }, OwnerId: account,
    // deregistered (flagged for --references) yet allowed: no Allowed AMIs read after the listing
    ImageMetadata: { ImageId: ami(n), Name: `old-${n}`, OwnerId: account, State: 'deregistered', ImageAllowed: true, IsPublic: false },
  } as unknown as FleetInstance));
  const fleet: Fleet = { fleetVersion: 1, caller: { accountId: account }, regions: [{ name: 'us-east-1' }], accounts: [{ accountId: account, instances: { 'us-east-1': instances } }] };
  const stop = new AbortController();
  const inv = await withEmulator(fleet, (e) => collect(collectOptions(e, {
    accounts: [account], regions: ['us-east-1'], references: {}, now: () => new Date(NOW), signal: stop.signal,
    // the interrupt lands as the listing's last page arrives
    onCall: (c) => { if (c.action === 'DescribeInstanceImageMetadata') stop.abort(); },
  })));
  const cov = inv.coverage[0]!;
  expect(cov.instanceCount).toBe(3);
  expect(cov.status).toBe('partial');
  expect(cov.references).toMatchObject({ status: 'error', code: 'Interrupted' });
  expect(cov.failures.map((f) => `${f.action}:${f.code}`)).toEqual(['DescribeImageReferences:Interrupted']);
  expect(inv.run.interrupted).toBe(true);
});
