/**
 * The endpoint's publisher actions as the real SDK reads them: launch permissions of every kind,
 * errors for images not owned, block public access, usage reports that take polls and page, and
 * the ancestry chain.
 */
import { describe, expect, test } from '@jest/globals';
import {
  CreateImageUsageReportCommand, DescribeImageAttributeCommand, DescribeImageUsageReportEntriesCommand, DescribeImageUsageReportsCommand,
  GetImageAncestryCommand, GetImageBlockPublicAccessStateCommand, DescribeImagesCommand,
} from '@aws-sdk/client-ec2';
import { demoFleet, DEMO_ACCOUNTS, DEMO_PUBLISHER } from '../../src/emulator/demo.js';
import { NOW, ec2, emulator, rejection, withEmulator } from '../helpers/emulator.js';
import type { Emulator } from '../../src/emulator/server.js';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';

/** An EC2 client acting as the account (the endpoint takes the account from assumed credentials). */
async function as(e: Emulator, accountId: string) {
  const sts = new STSClient({ endpoint: e.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTESTTESTTEST0000', secretAccessKey: 'x' }, maxAttempts: 1 });
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/AmiAuditReadOnly`, RoleSessionName: 'publisher-test' }));
  const c = out.Credentials!;
  return ec2(e, 'us-east-1', { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });
}

describe('the publisher actions of the endpoint', () => {
  test('launch permissions, protection, block public access, and errors for images not owned', () => withEmulator(demoFleet(NOW), async (e) => {
    const owner = ec2(e); // the caller is the security account, the owner
    const golden = await owner.send(new DescribeImageAttributeCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, Attribute: 'launchPermission' }));
    expect(golden.LaunchPermissions!.map((p) => p.UserId).sort()).toEqual([DEMO_ACCOUNTS.prod, DEMO_ACCOUNTS.dev, DEMO_PUBLISHER.outsideAccount].sort());
    const current = await owner.send(new DescribeImageAttributeCommand({ ImageId: DEMO_PUBLISHER.currentImageId, Attribute: 'launchPermission' }));
    expect(current.LaunchPermissions).toEqual([{ OrganizationArn: 'arn:aws:organizations::111111111111:organization/o-dm7q2x9k4p' }]);
    const pub = await owner.send(new DescribeImageAttributeCommand({ ImageId: DEMO_PUBLISHER.publicImageId, Attribute: 'launchPermission' }));
    expect(pub.LaunchPermissions).toEqual([{ Group: 'all' }]);
    const prot = await owner.send(new DescribeImageAttributeCommand({ ImageId: DEMO_PUBLISHER.currentImageId, Attribute: 'deregistrationProtection' }));
    expect(prot.DeregistrationProtection?.Value).toBe('enabled-with-cooldown');
    const images = await owner.send(new DescribeImagesCommand({ Owners: ['self'], IncludeDeprecated: true }));
    expect(images.Images!.find((i) => i.ImageId === DEMO_PUBLISHER.goldenImageId)).toMatchObject({ DeregistrationProtection: 'disabled', SourceImageId: 'ami-0f080000000000000' });
    expect(await owner.send(new GetImageBlockPublicAccessStateCommand({}))).toMatchObject({ ImageBlockPublicAccessState: 'unblocked', ManagedBy: 'account' });
    // prod sees the golden AMI (shared with it) but does not own it
    const prod = await as(e, DEMO_ACCOUNTS.prod);
    expect((await rejection(() => prod.send(new DescribeImageAttributeCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, Attribute: 'launchPermission' })))).name).toBe('AuthFailure');
    expect((await rejection(() => prod.send(new DescribeImageAttributeCommand({ ImageId: DEMO_PUBLISHER.publicImageId.replace(/3$/, '9'), Attribute: 'launchPermission' })))).name).toBe('InvalidAMIID.NotFound');
    expect((await rejection(() => owner.send(new DescribeImageAttributeCommand({ ImageId: 'ami-xyz', Attribute: 'launchPermission' })))).name).toBe('InvalidAMIID.Malformed');
  }));

  test('a usage report: pending for two polls, then available; its entries paged; an unknown id refused', () => withEmulator(demoFleet(NOW), async (e) => {
    const owner = ec2(e);
    const { ReportId } = await owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: [{ ResourceType: 'ec2:Instance' }, { ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['5'] }] }] }));
    expect(ReportId).toMatch(/^amiur-[0-9a-f]{17}$/);
    const state = async () => (await owner.send(new DescribeImageUsageReportsCommand({ ReportIds: [ReportId!] }))).ImageUsageReports![0]!;
    expect((await state()).State).toBe('pending');
    expect((await owner.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [ReportId!] }))).ImageUsageReportEntries).toEqual([]);
    expect((await state()).State).toBe('pending');
    const ready = await state();
    expect(ready).toMatchObject({ State: 'available', ImageId: DEMO_PUBLISHER.goldenImageId });
    expect(ready.ResourceTypes![1]).toEqual({ ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['5'] }] });
    expect(ready.ExpirationTime!.getTime() - ready.CreationTime!.getTime()).toBe(30 * 86_400_000);
    const first = await owner.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [ReportId!], MaxResults: 2 }));
    expect(first.ImageUsageReportEntries).toHaveLength(2);
    const rest = await owner.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [ReportId!], MaxResults: 2, NextToken: first.NextToken }));
    const all = [...first.ImageUsageReportEntries!, ...rest.ImageUsageReportEntries!];
    expect(rest.NextToken).toBeUndefined();
    expect(all.map((x) => `${x.AccountId} ${x.ResourceType} ${x.UsageCount}`).sort()).toEqual([
      `${DEMO_ACCOUNTS.prod} ec2:Instance 3`, `${DEMO_ACCOUNTS.prod} ec2:LaunchTemplate 1`, `${DEMO_ACCOUNTS.dev} ec2:Instance 2`, `${DEMO_PUBLISHER.outsideAccount} ec2:Instance 2`,
    ].sort());
    const outside = await owner.send(new DescribeImageUsageReportEntriesCommand({ ReportIds: [ReportId!], Filters: [{ Name: 'account-id', Values: [DEMO_PUBLISHER.outsideAccount] }] }));
    expect(outside.ImageUsageReportEntries).toHaveLength(1);
    expect((await rejection(() => owner.send(new DescribeImageUsageReportsCommand({ ReportIds: ['amiur-0123456789abcdef0'] })))).name).toBe('InvalidImageUsageReportId.NotFound');
    expect((await rejection(() => owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: [{ ResourceType: 'ssm:Parameter' }] })))).name).toBe('InvalidParameterValue');
  }));

  test('usage reports are stamped by the fleet\'s clock: as of the fleet\'s asOf (running in real time from there), an injected clock, or the wall clock for a fleet without one', async () => {
    const create = async (e: Emulator) => {
      const owner = ec2(e);
      const { ReportId } = await owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: [{ ResourceType: 'ec2:Instance' }] }));
      return (await owner.send(new DescribeImageUsageReportsCommand({ ReportIds: [ReportId!] }))).ImageUsageReports![0]!;
    };
    // the demo fleet as of NOW (days before the wall clock): a report made now is of NOW, plus the seconds the endpoint has run
    const fleet = demoFleet(NOW);
    expect(fleet.asOf).toBe(NOW);
    const atAsOf = await withEmulator(fleet, create);
    expect(atAsOf.CreationTime!.getTime() - Date.parse(NOW)).toBeGreaterThanOrEqual(0);
    expect(atAsOf.CreationTime!.getTime() - Date.parse(NOW)).toBeLessThan(60_000);
    expect(atAsOf.ExpirationTime!.getTime() - atAsOf.CreationTime!.getTime()).toBe(30 * 86_400_000);
    // an injected clock wins
    const fixed = Date.parse('2026-10-01T12:00:00Z');
    const e = await emulator({ fleet: demoFleet(NOW), clock: () => fixed });
    try {
      expect((await create(e)).CreationTime!.toISOString()).toBe('2026-10-01T12:00:00.000Z');
    } finally {
      await e.close();
    }
    // a fleet that says no as-of: the wall clock, as before
    const { asOf: _asOf, ...timeless } = demoFleet(NOW);
    const before = Date.now();
    const wall = await withEmulator(timeless, create);
    expect(wall.CreationTime!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(wall.CreationTime!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  test('one pending usage report per AMI: a second create is refused (ResourceLimitExceeded) until the first is available; the same client token is not a second report', () => withEmulator(demoFleet(NOW), async (e) => {
    const owner = ec2(e);
    const types = [{ ResourceType: 'ec2:Instance' as const }, { ResourceType: 'ec2:LaunchTemplate' as const }];
    const first = await owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: types, ClientToken: 'run-1' }));
    // a retry of the same request (same client token) answers the same report
    expect((await owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: types, ClientToken: 'run-1' }))).ReportId).toBe(first.ReportId);
    const refused = await rejection(() => owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: types })));
    expect(refused.name).toBe('ResourceLimitExceeded');
    expect(refused.$metadata?.httpStatusCode).toBe(400);
    expect(refused.message).toContain(first.ReportId!);
    // another AMI of the same account is not held back
    await owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.publicImageId, ResourceTypes: types }));
    // only the one report of the golden AMI exists
    const listed = async () => (await owner.send(new DescribeImageUsageReportsCommand({ ImageIds: [DEMO_PUBLISHER.goldenImageId] }))).ImageUsageReports!;
    expect((await listed()).map((r) => r.ReportId)).toEqual([first.ReportId]);
    await listed();
    expect((await listed())[0]!.State).toBe('available');
    // once available, a new report of the AMI may be made
    const second = await owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: types }));
    expect(second.ReportId).not.toBe(first.ReportId);
  }));

  test('the ancestry: the image, then its source, to the root', () => withEmulator(demoFleet(NOW), async (e) => {
    const out = await ec2(e).send(new GetImageAncestryCommand({ ImageId: DEMO_PUBLISHER.goldenImageId }));
    expect(out.ImageAncestryEntries!.map((a) => [a.ImageId, a.SourceImageId ?? null, a.ImageOwnerAlias ?? null])).toEqual([
      [DEMO_PUBLISHER.goldenImageId, 'ami-0f080000000000000', null],
      ['ami-0f080000000000000', null, 'amazon'],
    ]);
    expect(out.ImageAncestryEntries![0]!.CreationDate).toBeInstanceOf(Date);
  }));
});
