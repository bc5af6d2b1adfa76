/**
 * --successors through the real SDK against the local endpoint: every public family and
 * architecture through its SSM parameter; a private family by owner and name; a successor outside
 * the Allowed AMIs criteria skipped for the next; an ambiguous family; a deregistered AMI whose
 * architecture is inferred; lookups denied, throttled and malformed named on the AMI without making
 * the run partial; calls that grow with flagged AMIs x regions, not with instances.
 */
import { describe, expect, jest, test } from '@jest/globals';
import { collect } from '../../src/collect/collector.js';
import { SuccessorFinder } from '../../src/collect/successors.js';
import { demoFleet, DEMO_ACCOUNTS, DEMO_REFERENCES, publicImages } from '../../src/emulator/demo.js';
import type { Fleet, FleetImage, FleetInstance } from '../../src/emulator/fleet.js';
import type { FaultPlan } from '../../src/emulator/faults.js';
import type { Inventory, Successor } from '../../src/model/types.js';
import { NOW, withEmulator } from '../helpers/emulator.js';
import { collectOptions } from '../helpers/collect.js';

const { prod: PROD, dev: DEV } = DEMO_ACCOUNTS;
const EAST = DEMO_REFERENCES.region;
const DAY = 86_400_000;
const at = (days: number): string => new Date(Date.parse(NOW) + days * DAY).toISOString().replace('.000Z', 'Z');
const of = (inv: Inventory, imageId: string, region: string = EAST): Successor | undefined => inv.successors!.find((r) => r.flaggedImageId === imageId && r.region === region)?.successor;

const ACCOUNT = '210987654321';
let serial = 0;
function instanceOn(img: FleetImage, type: string): FleetInstance {
  serial += 1;
  return {
    InstanceId: `i-0${serial.toString(16).padStart(16, '0')}`, InstanceType: type, AvailabilityZone: 'us-east-1a', ZoneId: 'use1-az1', LaunchTime: at(-100),
    State: { Code: 16, Name: 'running' }, OwnerId: ACCOUNT,
    ImageMetadata: {
      ImageId: img.imageId, Name: img.name, OwnerId: img.ownerId, ImageOwnerAlias: img.ownerAlias, State: img.state ?? 'available', CreationDate: img.creationDate,
      DeprecationTime: img.deprecationTime, IsPublic: img.public ?? img.ownerAlias !== undefined, ImageAllowed: true,
    },
  } as FleetInstance;
}
function fleetOf(images: FleetImage[], instances: FleetInstance[], extra: Partial<Fleet['accounts'][number]> = {}, publicParameters = publicImages(at).publicParameters): Fleet {
  return {
    fleetVersion: 1, caller: { accountId: ACCOUNT }, regions: [{ name: 'us-east-1' }],
    accounts: [{ accountId: ACCOUNT, instances: { 'us-east-1': instances }, ...extra }], images, publicParameters,
  };
}
const run = (fleet: Fleet, faults?: FaultPlan, maxAttempts = 3) => withEmulator(fleet, async (e) => ({
  inv: await collect(collectOptions(e, { accounts: [ACCOUNT], regions: ['us-east-1'], successors: {}, now: () => new Date(NOW), client: { maxAttempts } })),
  calls: { ...e.stats.byAction },
}), faults);

describe('public families: the SSM parameter of the same variant', () => {
  test('every family and architecture: an instance on a deprecated generation gets the newest of its variant', async () => {
    const pub = publicImages(at);
    // the oldest generation of every family and architecture (ids ...0000000000000 with generation digit 0), deprecated 30 days ago
    const oldest = pub.images.filter((i) => /^ami-0f[0-9a-f][8a]0/.test(i.imageId));
    expect(oldest.length).toBe(13);
    const instances = oldest.map((i) => instanceOn(i, i.architecture === 'arm64' ? 'c7g.large' : 'm7i.large'));
    const { inv, calls } = await run(fleetOf(pub.images, instances));
    expect(inv.coverage[0]!.status).toBe('ok');
    for (const old of oldest) {
      const newest = old.imageId.replace(/^(ami-0f[0-9a-f][8a])0/, '$12');
      const param = pub.publicParameters.find((p) => p.imageId === newest)!;
      expect([old.name, of(inv, old.imageId)]).toEqual([old.name, expect.objectContaining({ status: 'found', imageId: newest, method: 'ssm-parameter', matchedOn: param.name, architecture: old.architecture, inferred: false })]);
    }
    // one parameter call per variant, never one per instance
    expect(calls.GetParameters).toBe(13);
    expect(inv.run.warnings).toBeUndefined();
  });
});

test('the family\'s latest image outside the Allowed AMIs criteria: skipped, said, and the owner\'s name family answers', async () => {
  const pub = publicImages(at);
  const old = pub.images.find((i) => i.name.startsWith('amzn2-ami-hvm-') && i.architecture === 'x86_64' && /^ami-0f\d80/.test(i.imageId))!;
  // audit-mode, and criteria that allow only the middle generation's name
  const middle = pub.images.find((i) => i.imageId === old.imageId.replace(/^(ami-0f\d8)0/, '$11'))!;
  const fleet = fleetOf(pub.images, [instanceOn(old, 'm7i.large')], {
    allowedImages: { 'us-east-1': 'audit-mode' },
    allowedImagesCriteria: { 'us-east-1': [{ ImageProviders: ['amazon'], ImageNames: [middle.name] }] },
  });
  const { inv } = await run(fleet);
  const s = of(inv, old.imageId)!;
  // the middle generation is deprecated too: nothing allowed and undeprecated is left
  expect(s.status).toBe('not-found');
  expect(s.reason).toMatch(/the latest Amazon Linux 2 image ami-0f\w+ \(\/aws\/service\/ami-amazon-linux-latest\/amzn2-ami-hvm-x86_64-gp2\) was skipped: it is outside the region's Allowed AMIs criteria \(audit-mode\)/);
  expect(s.method).toBe('same-name-family');
});

describe('the same owner\'s name family', () => {
  const OWNER = '555555555555';
  const img = (name: string, days: number, over: Partial<FleetImage> = {}): FleetImage => ({
    imageId: `ami-0a${(serial++).toString(16).padStart(15, '0')}`, name, ownerId: OWNER, architecture: 'x86_64', creationDate: at(-days), sharedWith: [ACCOUNT], ...over,
  });
  test('every AMI a lifecycle rule flags gets one: deprecated within the deprecation-soon window, or older than stale-ami\'s age; a current one none', async () => {
    const soon = img('web-2026-03-01', 270, { deprecationTime: at(10) });
    const old = img('batch-2024-06-01', 900);
    const current = img('api-2026-11-01', 30);
    const soonNext = img('web-2026-11-01', 25);
    const oldNext = img('batch-2026-10-01', 60);
    const currentNext = img('api-2026-11-20', 12);
    const fleet = fleetOf([soon, old, current, soonNext, oldNext, currentNext], [instanceOn(soon, 'm7i.large'), instanceOn(old, 'm7i.large'), instanceOn(current, 'm7i.large')]);
    const inv = await withEmulator(fleet, (e) => collect(collectOptions(e, { accounts: [ACCOUNT], regions: ['us-east-1'], successors: { soonDays: 30, staleDays: 365 }, now: () => new Date(NOW) })));
    expect(of(inv, soon.imageId)).toMatchObject({ status: 'found', imageId: soonNext.imageId });
    expect(of(inv, old.imageId)).toMatchObject({ status: 'found', imageId: oldNext.imageId });
    expect(of(inv, current.imageId)).toBeUndefined();
    // the rules switched off (null): only what is already deprecated, deregistered, disabled or not allowed
    const off = await withEmulator(fleet, (e) => collect(collectOptions(e, { accounts: [ACCOUNT], regions: ['us-east-1'], successors: { soonDays: null, staleDays: null }, now: () => new Date(NOW) })));
    expect(off.successors ?? []).toEqual([]);
  });
  test('the newest available, undeprecated image of the family; one outside the Allowed AMIs criteria is skipped for the next', async () => {
    const flagged = img('app-server-2026-01-01', 330, { deprecationTime: at(-10) });
    const newest = img('app-server-2026-11-01', 20);
    const next = img('app-server-2026-09-01', 80);
    const older = img('app-server-2026-06-01', 170, { deprecationTime: at(-1) });
    const other = img('app-server-canary-2026-11-20', 10); // matches app-server-* but is another family
    const arm = img('app-server-2026-11-02', 19, { architecture: 'arm64' });
    const stranger = { ...img('app-server-2026-11-30', 5), ownerId: '987654321098', public: true }; // same name, another owner: never considered
    const fleet = fleetOf([flagged, newest, next, older, other, arm, stranger], [instanceOn(flagged, 'm7i.large')], {
      allowedImages: { 'us-east-1': 'audit-mode' },
      allowedImagesCriteria: { 'us-east-1': [{ ImageProviders: [OWNER], ImageNames: ['app-server-2026-0*'] }] },
    });
    const { inv } = await run(fleet);
    const s = of(inv, flagged.imageId)!;
    expect(s).toMatchObject({ status: 'found', imageId: next.imageId, name: 'app-server-2026-09-01', method: 'same-name-family', matchedOn: `owner ${OWNER}, name app-server-*, x86_64`, architecture: 'x86_64', inferred: false });
    expect(s.reason).toContain(`${newest.imageId} (app-server-2026-11-01) was skipped: it is outside the region's Allowed AMIs criteria (audit-mode)`);
  });

  test('with Allowed AMIs enabled the successor says the newest may not have been returned; none left: not found, and why', async () => {
    const flagged = img('tool-2026-01-01', 330, { deprecationTime: at(-10) });
    const newest = img('tool-2026-11-01', 20);
    const enabled = { allowedImages: { 'us-east-1': 'enabled' as const }, allowedImagesCriteria: { 'us-east-1': [{ ImageProviders: [OWNER], ImageNames: ['nothing-*'] }] } };
    const { inv } = await run(fleetOf([flagged, newest], [instanceOn(flagged, 'm7i.large')], enabled));
    const s = of(inv, flagged.imageId)!;
    expect(s.status).toBe('not-found');
    expect(s.reason).toMatch(/owner 555555555555 publishes no other available image named tool-\*/);
    expect(s.reason).toContain('Allowed AMIs is enabled here');
  });

  test('an ambiguous family: a deregistered AMI run on Graviton and x86 instances, and builds of both architectures', async () => {
    const gone = img('batch-2025-01-01', 400, { state: 'deregistered' });
    const x86 = img('batch-2026-11-01', 20);
    const armBuild = img('batch-2026-11-01', 20, { architecture: 'arm64' });
    const instances = [instanceOn(gone, 'm7i.large'), instanceOn(gone, 'c7g.large')];
    for (const i of instances) Object.assign(i.ImageMetadata!, { State: 'deregistered' });
    const { inv } = await run(fleetOf([x86, armBuild], instances));
    expect(of(inv, gone.imageId)).toMatchObject({ status: 'not-found', method: 'same-name-family', architecture: null, inferred: false, reason: expect.stringContaining('ambiguous') });
  });

  test('a deregistered AMI: its architecture inferred from the instance types (Graviton: arm64), and said so', async () => {
    const gone = img('svc-2025-01-01', 400);
    const armBuild = img('svc-2026-11-01', 20, { architecture: 'arm64' });
    const x86 = img('svc-2026-11-02', 19);
    const i = instanceOn(gone, 'c7g.xlarge');
    Object.assign(i.ImageMetadata!, { State: 'deregistered' });
    const { inv } = await run(fleetOf([armBuild, x86], [i]));
    expect(of(inv, gone.imageId)).toMatchObject({ status: 'found', imageId: armBuild.imageId, architecture: 'arm64', inferred: true });
  });

  test('no name family can be told: not found, and why', async () => {
    const flagged = img('golden', 330, { deprecationTime: at(-10) });
    const { inv } = await run(fleetOf([flagged], [instanceOn(flagged, 'm7i.large')]));
    expect(of(inv, flagged.imageId)).toMatchObject({ status: 'not-found', reason: expect.stringContaining('has no version, date or build token') });
  });
});

describe('failed lookups: named on the AMI, counted in the warnings, never a partial audit', () => {
  const fleet = () => demoFleet(NOW);
  const go = (faults: FaultPlan, maxAttempts = 3) => withEmulator(fleet(), (e) => collect(collectOptions(e, { accounts: [PROD], regions: [EAST], successors: {}, now: () => new Date(NOW), client: { maxAttempts } })), faults);
  test('denied: ssm:GetParameters', async () => {
    const inv = await go({ rules: [{ service: 'ssm', action: 'GetParameters', error: 'AccessDeniedException' }] });
    expect(inv.coverage.find((c) => c.region === EAST)!.status).toBe('ok');
    expect(of(inv, DEMO_REFERENCES.deprecatedImageId)).toMatchObject({ status: 'not-looked-up', reason: 'successor not looked up: AccessDeniedException (ssm:GetParameters)' });
    // the private families need no parameter: still found
    expect(of(inv, DEMO_REFERENCES.deregisteredImageId)!.status).toBe('found');
    expect(inv.run.warnings!.find((w) => w.startsWith('Successors not looked up'))).toMatch(/for 1 flagged AMI x region \(AccessDeniedException \(ssm:GetParameters\): 1\)/);
  });
  test('throttled past retries: ec2:DescribeImages', async () => {
    const inv = await go({ rules: [{ service: 'ec2', action: 'DescribeImages', error: 'RequestLimitExceeded' }] }, 2);
    expect(inv.coverage.find((c) => c.region === EAST)!.status).toBe('ok');
    for (const r of inv.successors!) expect(r.successor).toMatchObject({ status: 'not-looked-up', reason: 'successor not looked up: RequestLimitExceeded (ec2:DescribeImages)' });
    expect(inv.run.warnings!.some((w) => /RequestLimitExceeded \(ec2:DescribeImages\): 3/.test(w))).toBe(true);
  });
  test('malformed: an SSM answer that is not JSON', async () => {
    const inv = await go({ rules: [{ service: 'ssm', action: 'GetParameters', kind: 'malformed' }] });
    expect(of(inv, DEMO_REFERENCES.deprecatedImageId)).toMatchObject({ status: 'not-looked-up', reason: 'successor not looked up: MalformedResponse (ssm:GetParameters)' });
    expect(inv.coverage.every((c) => c.status === 'ok')).toBe(true);
  });
});

describe('a fault of this program in a lookup: said on the AMI, the scope and its instances stand', () => {
  const go = () => withEmulator(demoFleet(NOW), async (e) => {
    const lines: string[] = [];
    const inv = await collect(collectOptions(e, { accounts: [PROD], regions: [EAST], successors: {}, now: () => new Date(NOW), onDiagnostic: (l: string) => lines.push(l) }));
    return { inv, lines };
  });
  const baseline = () => withEmulator(demoFleet(NOW), (e) => collect(collectOptions(e, { accounts: [PROD], regions: [EAST], now: () => new Date(NOW) })));
  test.each(['allowedAmis', 'successorOf'])('an exception in %s', async (method) => {
    const spy = jest.spyOn(SuccessorFinder.prototype as unknown as Record<string, () => Promise<unknown>>, method).mockRejectedValue(new TypeError('boom'));
    try {
      const { inv, lines } = await go();
      const without = await baseline();
      expect(inv.coverage.find((c) => c.region === EAST)).toMatchObject({ status: 'ok' });
      expect(inv.instances.length).toBe(without.instances.length);
      expect(inv.instances.length).toBeGreaterThan(0);
      expect(of(inv, DEMO_REFERENCES.deprecatedImageId)).toMatchObject({ status: 'not-looked-up', reason: 'successor not looked up: InternalError (ami-audit)' });
      expect(lines.some((l) => /successor lookup: unexpected TypeError: boom/.test(l))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

test('calls grow with flagged AMIs x regions, never with instances: ten times the instances on the same AMIs make the same calls', async () => {
  const count = async (copies: number) => {
    const fleet = demoFleet(NOW);
    for (const acct of fleet.accounts) {
      for (const [region, list] of Object.entries(acct.instances ?? {})) {
        const more: FleetInstance[] = [];
        list.forEach((inst, i) => {
          for (let k = 1; k < copies; k++) more.push({ ...inst, InstanceId: `i-0c${k.toString(16).padStart(4, '0')}${i.toString(16).padStart(11, '0')}` });
        });
        acct.instances![region] = [...list, ...more];
      }
    }
    return withEmulator(fleet, async (e) => {
      const inv = await collect(collectOptions(e, { accounts: [PROD, DEV], regions: [EAST, 'eu-west-1'], successors: {}, now: () => new Date(NOW) }));
      const c = e.stats.byAction;
      return { instances: inv.instances.length, lookups: { DescribeImages: c.DescribeImages ?? 0, GetParameters: c.GetParameters ?? 0, GetParametersByPath: c.GetParametersByPath ?? 0 } };
    });
  };
  const one = await count(1);
  const ten = await count(10);
  expect(ten.instances).toBe(one.instances * 10);
  expect(one.lookups.DescribeImages + one.lookups.GetParameters).toBeGreaterThan(0);
  expect(ten.lookups).toEqual(one.lookups);
});

describe('the demo', () => {
  test('successors for its flagged AMIs, one with none and why; public answers shared across accounts of a region', async () => {
    const { inv, calls } = await withEmulator(demoFleet(NOW), async (e) => ({
      inv: await collect(collectOptions(e, { accounts: [PROD, DEV], regions: [EAST, 'eu-west-1'], successors: {}, now: () => new Date(NOW) })),
      calls: { ...e.stats.byAction },
    }));
    expect(inv.run.options.successors).toBe(true);
    expect(inv.coverage.every((c) => c.status === 'ok')).toBe(true);
    expect(of(inv, DEMO_REFERENCES.deprecatedImageId)).toMatchObject({ status: 'found', method: 'ssm-parameter', matchedOn: '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2' });
    expect(of(inv, DEMO_REFERENCES.deprecatedImageId, 'eu-west-1')!.imageId).toBe(of(inv, DEMO_REFERENCES.deprecatedImageId)!.imageId);
    expect(of(inv, DEMO_REFERENCES.deregisteredImageId)).toMatchObject({ status: 'found', name: 'payments-api-2026-10-01', method: 'same-name-family', inferred: true });
    expect(of(inv, 'ami-0d1e2f3a4b5c60013')).toMatchObject({ status: 'found', name: 'batch-worker-2025-11' });
    // the SUSE AMI: a newer build in eu-west-1 (audit-mode, Amazon allowed); none in us-east-1, where the criteria exclude it
    expect(of(inv, DEMO_REFERENCES.notAllowedImageId, 'eu-west-1')).toMatchObject({ status: 'found', name: 'suse-sles-15-sp5-v20260601-hvm-ssd-x86_64' });
    expect(of(inv, DEMO_REFERENCES.notAllowedImageId)).toMatchObject({ status: 'not-found', reason: expect.stringContaining('Allowed AMIs is enabled here') });
    // one parameter call per region for the family both accounts run (prod us-east-1, dev eu-west-1 and us-east-1)
    expect(calls.GetParameters).toBe(2);
  });
  test('without --successors nothing is looked up', async () => {
    const { inv, calls } = await withEmulator(demoFleet(NOW), async (e) => ({ inv: await collect(collectOptions(e, { accounts: [PROD], regions: [EAST] })), calls: { ...e.stats.byAction } }));
    expect(inv.successors).toBeUndefined();
    expect(calls.DescribeImages ?? 0).toBe(0);
    expect(calls.GetParameters ?? 0).toBe(0);
  });
});
