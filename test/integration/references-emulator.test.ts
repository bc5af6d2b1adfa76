/**
 * "What will launch the bad AMI next" on the local endpoint: EC2 DescribeImageReferences,
 * DescribeLaunchTemplateVersions and GetAllowedImagesSettings's criteria, and Auto Scaling
 * DescribeAutoScalingGroups, driven by the real AWS SDK over loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import {
  DescribeImageReferencesCommand, DescribeLaunchTemplateVersionsCommand, DescribeRegionsCommand, GetAllowedImagesSettingsCommand,
  paginateDescribeImageReferences, type DescribeImageReferencesCommandInput, type ImageReference,
} from '@aws-sdk/client-ec2';
import { DescribeAutoScalingGroupsCommand, paginateDescribeAutoScalingGroups, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { Emulator } from '../../src/emulator/server.js';
import { validateFleet, type Fleet, type FleetAccount, type FleetInstance } from '../../src/emulator/fleet.js';
import { validateFaults, type FaultPlan } from '../../src/emulator/faults.js';
import { demoFleet, DEMO_ACCOUNTS, DEMO_REFERENCES } from '../../src/emulator/demo.js';
import { autoscaling, ec2, emulator, NOW, rejection, sts } from '../helpers/emulator.js';

const CALLER = '111111111111';
const ACC = '222222222222';
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const ami = (n: number): string => `ami-0${hex(n, 16)}`;
const lt = (n: number): string => `lt-0${hex(n, 16)}`;

/** A: the busy image (30 instances, a template, two parameters, two recipes). B: two instances and a parameter. */
const A = ami(0xa);
const B = ami(0xb);
/** Only in version 1 of `web` (of 3 versions). */
const C = ami(0xc);
/** Only in version 1 of `deep` (of 12 versions): outside the default depth of 10. */
const D = ami(0xd);
/** Versions 2-12 of `deep`. */
const E = ami(0xe);
const LT_WEB = lt(1);
const LT_DEEP = lt(2);
const LT_EU = lt(3);

const instance = (n: number, image: string, state: 'running' | 'stopped' = 'running'): FleetInstance => ({
  InstanceId: `i-0${hex(n, 16)}`, InstanceType: 't3.micro', AvailabilityZone: 'us-east-1a', ZoneId: 'use1-az1',
  State: { Code: state === 'running' ? 16 : 80, Name: state }, ImageMetadata: { ImageId: image },
});
const onA = Array.from({ length: 30 }, (_, i) => instance(i + 1, A, i % 3 === 0 ? 'stopped' : 'running'));
const onB = [instance(101, B), instance(102, B)];
const webProdInstances = onA.filter((i) => i.State!.Name === 'running').slice(0, 3);
const deepVersions = Array.from({ length: 12 }, (_, i) => ({ number: i + 1, imageId: i === 0 ? D : E, createTime: `2025-0${1 + Math.floor(i / 2)}-1${i % 2}T00:00:00Z` }));

const fleet: Fleet = {
  fleetVersion: 1,
  caller: { accountId: CALLER, arn: `arn:aws:iam::${CALLER}:user/auditor` },
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }, { name: 'ap-east-1', optIn: true }],
  accounts: [
    {
      accountId: CALLER,
      autoScalingGroups: { 'us-east-1': [{ name: 'caller-asg', launchTemplate: { id: lt(9), version: '$Latest' } }] },
    },
    {
      accountId: ACC,
      allowedImages: { 'us-east-1': 'enabled', 'eu-west-1': 'audit-mode' },
      allowedImagesCriteria: {
        'us-east-1': [
          { ImageProviders: ['amazon', '123456789012'], ImageNames: ['al2023-ami-*', 'golden-*'], CreationDateCondition: { MaximumDaysSinceCreated: 300 }, DeprecationTimeCondition: { MaximumDaysSinceDeprecated: 0 } },
          { MarketplaceProductCodes: ['abcdefghij1234567890'] },
        ],
      },
      allowedImagesManagedBy: { 'us-east-1': 'declarative-policy' },
      instances: { 'us-east-1': [...onA, ...onB] },
      launchTemplates: {
        'us-east-1': [
          {
            id: LT_WEB, name: 'web', defaultVersion: 1,
            versions: [{ number: 1, imageId: C, createTime: '2025-01-01T00:00:00Z' }, { number: 2, imageId: A, createTime: '2025-06-01T00:00:00Z' }, { number: 3, imageId: A, createTime: '2025-09-01T00:00:00Z' }],
          },
          { id: LT_DEEP, name: 'deep', defaultVersion: 12, versions: deepVersions },
        ],
        'eu-west-1': [{ id: LT_EU, name: 'web', defaultVersion: 1, versions: [{ number: 1, imageId: A }] }],
      },
      ssmParameters: {
        'us-east-1': [{ name: '/ami/web', value: A }, { name: 'golden', value: A }, { name: '/app/config', value: 'hello' }, { name: '/ami/batch', value: B }],
      },
      imageRecipes: {
        'us-east-1': [{ name: 'web-base', version: '1.0.0', parentImage: A }, { name: 'managed', version: '2.0.0', parentImage: 'arn:aws:imagebuilder:us-east-1:aws:image/amazon-linux-2023-x86/x.x.x' }],
      },
      containerRecipes: { 'us-east-1': [{ name: 'svc', version: '2.1.0', parentImage: A }] },
      autoScalingGroups: {
        'us-east-1': [
          { name: 'web-prod', launchTemplate: { id: LT_WEB, version: '$Latest' }, minSize: 1, maxSize: 10, desiredCapacity: 3, instanceIds: webProdInstances.map((i) => i.InstanceId!) },
          { name: 'web-pinned', launchTemplate: { name: 'web', version: '1' } },
          { name: 'web-default', launchTemplate: { id: LT_WEB } },
          {
            name: 'mixed',
            mixedInstancesPolicy: {
              launchTemplate: { id: LT_DEEP, version: '$Default' },
              overrides: [{ instanceType: 't3.micro' }, { instanceType: 'm7i.large', launchTemplate: { name: 'web', version: '2' } }, { instanceType: 'c7g.large', imageId: B }],
            },
          },
          { name: 'g-05', launchTemplate: { id: LT_DEEP, version: '$Latest' } },
          { name: 'g-06', launchTemplate: { id: LT_DEEP, version: '3' } },
          { name: 'g-07', launchTemplate: { name: 'deep' } },
        ],
      },
    },
  ],
};

let e: Emulator;
let creds: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
beforeAll(async () => {
  e = await emulator({ fleet: validateFleet(JSON.parse(JSON.stringify(fleet))) });
  const out = await sts(e).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACC}:role/AmiAuditReadOnly`, RoleSessionName: 'refs' }));
  creds = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
});
afterAll(async () => e.close());

const prod = (region = 'us-east-1') => ec2(e, region, creds);
const asg = (region = 'us-east-1') => autoscaling(e, region, creds);

async function allReferences(input: DescribeImageReferencesCommandInput, pageSize?: number): Promise<{ refs: ImageReference[]; pages: number }> {
  const refs: ImageReference[] = [];
  let pages = 0;
  for await (const p of paginateDescribeImageReferences({ client: prod(), ...(pageSize ? { pageSize } : {}) }, input)) {
    pages += 1;
    refs.push(...(p.ImageReferences ?? []));
  }
  return { refs, pages };
}

/** Runs fn against an emulator serving the test fleet with `faults`, closing it afterwards. */
async function withFaults<T>(faults: FaultPlan, fn: (e2: Emulator, c: typeof creds) => Promise<T>): Promise<T> {
  const e2 = await emulator({ fleet, faults: validateFaults(faults) });
  try {
    const out = await sts(e2).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACC}:role/AmiAuditReadOnly`, RoleSessionName: 'faults' }));
    return await fn(e2, { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! });
  } finally {
    await e2.close();
  }
}

describe('DescribeImageReferences', () => {
  test('one id, every resource type: instances, the template once (two versions name it), parameters, recipes; ARNs as AWS writes them', async () => {
    const out = await prod().send(new DescribeImageReferencesCommand({ ImageIds: [A], IncludeAllResourceTypes: true }));
    const refs = out.ImageReferences!;
    expect(out.NextToken).toBeUndefined();
    expect(refs).toHaveLength(35);
    expect(refs.every((r) => r.ImageId === A)).toBe(true);
    const byType = (t: string) => refs.filter((r) => r.ResourceType === t).map((r) => r.Arn);
    expect(byType('ec2:Instance')).toEqual(onA.map((i) => `arn:aws:ec2:us-east-1:${ACC}:instance/${i.InstanceId}`));
    expect(byType('ec2:LaunchTemplate')).toEqual([`arn:aws:ec2:us-east-1:${ACC}:launch-template/${LT_WEB}`]);
    expect(byType('ssm:Parameter')).toEqual([`arn:aws:ssm:us-east-1:${ACC}:parameter/ami/web`, `arn:aws:ssm:us-east-1:${ACC}:parameter/golden`]);
    expect(byType('imagebuilder:ImageRecipe')).toEqual([`arn:aws:imagebuilder:us-east-1:${ACC}:image-recipe/web-base/1.0.0`]);
    expect(byType('imagebuilder:ContainerRecipe')).toEqual([`arn:aws:imagebuilder:us-east-1:${ACC}:container-recipe/svc/2.1.0`]);
  });

  test('ten ids: references of the known ones; unknown well-formed ids have none', async () => {
    const ids = [A, B, C, D, E, ami(0x100), ami(0x101), ami(0x102), ami(0x103), 'ami-12345678'];
    const { refs } = await allReferences({ ImageIds: ids, IncludeAllResourceTypes: true });
    const count = (id: string) => refs.filter((r) => r.ImageId === id).length;
    expect([count(A), count(B), count(C), count(D), count(E)]).toEqual([35, 3, 1, 0, 1]);
    expect(refs).toHaveLength(40);
  });

  test('eleven ids: InvalidParameterValue; none at all: MissingParameter', async () => {
    const ids = Array.from({ length: 11 }, (_, i) => ami(0x200 + i));
    const err = await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: ids, IncludeAllResourceTypes: true })));
    expect(err.name).toBe('InvalidParameterValue');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect((await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [], IncludeAllResourceTypes: true })))).name).toBe('MissingParameter');
  });

  test('a malformed id: InvalidAMIID.Malformed', async () => {
    for (const bad of ['ami-xyz', 'i-0123456789abcdef0', 'ami-0123']) {
      const err = await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [A, bad], IncludeAllResourceTypes: true })));
      expect(err.name).toBe('InvalidAMIID.Malformed');
      expect(err.message).toContain(bad);
    }
  });

  test('MaxResults 5 pages over all 35 references, each token bound to its request', async () => {
    const whole = await allReferences({ ImageIds: [A], IncludeAllResourceTypes: true });
    const paged = await allReferences({ ImageIds: [A], IncludeAllResourceTypes: true }, 5);
    expect(paged.pages).toBe(7);
    expect(paged.refs).toEqual(whole.refs);
    const first = await prod().send(new DescribeImageReferencesCommand({ ImageIds: [A], IncludeAllResourceTypes: true, MaxResults: 5 }));
    expect(first.ImageReferences).toHaveLength(5);
    expect(first.NextToken).toBeTruthy();
    const other = await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [B], IncludeAllResourceTypes: true, MaxResults: 5, NextToken: first.NextToken })));
    expect(other.name).toBe('InvalidPaginationToken');
    expect((await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [A], IncludeAllResourceTypes: true, MaxResults: 4 })))).name).toBe('InvalidParameterValue');
  });

  test('resource types: only those asked for; state-name narrows instances', async () => {
    const { refs } = await allReferences({ ImageIds: [A, B], ResourceTypes: [{ ResourceType: 'ec2:Instance', ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: ['stopped'] }] }, { ResourceType: 'ssm:Parameter' }] });
    expect(refs.filter((r) => r.ResourceType === 'ec2:Instance').map((r) => r.Arn!.split('/')[1])).toEqual(onA.filter((i) => i.State!.Name === 'stopped').map((i) => i.InstanceId));
    expect(refs.filter((r) => r.ResourceType === 'ssm:Parameter').map((r) => r.Arn)).toEqual([
      `arn:aws:ssm:us-east-1:${ACC}:parameter/ami/web`, `arn:aws:ssm:us-east-1:${ACC}:parameter/golden`, `arn:aws:ssm:us-east-1:${ACC}:parameter/ami/batch`,
    ]);
    expect(new Set(refs.map((r) => r.ResourceType))).toEqual(new Set(['ec2:Instance', 'ssm:Parameter']));
    const recipes = await allReferences({ ImageIds: [A], ResourceTypes: [{ ResourceType: 'imagebuilder:ImageRecipe' }, { ResourceType: 'imagebuilder:ContainerRecipe' }] });
    expect(recipes.refs.map((r) => r.ResourceType)).toEqual(['imagebuilder:ImageRecipe', 'imagebuilder:ContainerRecipe']);
  });

  test('version-depth: a template whose only matching version is older than the depth is not returned', async () => {
    const lts = async (id: string, depth?: string) => (await allReferences({
      ImageIds: [id], ResourceTypes: [{ ResourceType: 'ec2:LaunchTemplate', ...(depth ? { ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [depth] }] } : {}) }],
    })).refs.map((r) => r.Arn);
    const web = `arn:aws:ec2:us-east-1:${ACC}:launch-template/${LT_WEB}`;
    const deep = `arn:aws:ec2:us-east-1:${ACC}:launch-template/${LT_DEEP}`;
    expect(await lts(C)).toEqual([web]);
    expect(await lts(C, '2')).toEqual([]);
    expect(await lts(C, '3')).toEqual([web]);
    expect(await lts(D)).toEqual([]); // default depth 10 of 12 versions
    expect(await lts(D, '12')).toEqual([deep]);
    expect(await lts(A, '1')).toEqual([web]);
    for (const bad of ['0', '10001', 'ten']) {
      const err = await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [A], ResourceTypes: [{ ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [bad] }] }] })));
      expect(err.name).toBe('InvalidParameterValue');
    }
  });

  test('IncludeAllResourceTypes with ResourceTypes: the options given take precedence over the defaults', async () => {
    const { refs } = await allReferences({ ImageIds: [D], IncludeAllResourceTypes: true, ResourceTypes: [{ ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['12'] }] }] });
    expect(refs.map((r) => r.ResourceType)).toEqual(['ec2:LaunchTemplate']);
    const stopped = await allReferences({ ImageIds: [A], IncludeAllResourceTypes: true, ResourceTypes: [{ ResourceType: 'ec2:Instance', ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: ['stopped'] }] }] });
    expect(stopped.refs.filter((r) => r.ResourceType === 'ec2:Instance')).toHaveLength(10);
    expect(stopped.refs).toHaveLength(15);
  });

  test('neither IncludeAllResourceTypes nor ResourceTypes, unknown types and misplaced options are refused; DryRun', async () => {
    expect((await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [A] })))).name).toBe('MissingParameter');
    expect((await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [A], ResourceTypes: [{ ResourceType: 'ec2:Volume' as 'ec2:Instance' }] })))).name).toBe('InvalidParameterValue');
    expect((await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [A], ResourceTypes: [{ ResourceType: 'ssm:Parameter', ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: ['running'] }] }] })))).name).toBe('InvalidParameterValue');
    expect((await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [A], ResourceTypes: [{ ResourceType: 'ec2:Instance', ResourceTypeOptions: [{ OptionName: 'state-name', OptionValues: ['sleeping'] }] }] })))).name).toBe('InvalidParameterValue');
    const dry = await rejection(() => prod().send(new DescribeImageReferencesCommand({ ImageIds: [A], IncludeAllResourceTypes: true, DryRun: true })));
    expect(dry.name).toBe('DryRunOperation');
  });

  test('references are per account and region', async () => {
    const eu = await prod('eu-west-1').send(new DescribeImageReferencesCommand({ ImageIds: [A], IncludeAllResourceTypes: true }));
    expect(eu.ImageReferences).toEqual([{ ImageId: A, ResourceType: 'ec2:LaunchTemplate', Arn: `arn:aws:ec2:eu-west-1:${ACC}:launch-template/${LT_EU}` }]);
    const caller = await ec2(e).send(new DescribeImageReferencesCommand({ ImageIds: [A], IncludeAllResourceTypes: true }));
    expect(caller.ImageReferences).toEqual([]);
  });
});

describe('DescribeLaunchTemplateVersions', () => {
  test('$Latest, $Default and numbers, by id or by name', async () => {
    const out = await prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: LT_WEB, Versions: ['$Latest', '$Default', '2'] }));
    expect(out.LaunchTemplateVersions!.map((v) => ({ id: v.LaunchTemplateId, name: v.LaunchTemplateName, n: v.VersionNumber, d: v.DefaultVersion, image: v.LaunchTemplateData?.ImageId }))).toEqual([
      { id: LT_WEB, name: 'web', n: 3, d: false, image: A },
      { id: LT_WEB, name: 'web', n: 1, d: true, image: C },
      { id: LT_WEB, name: 'web', n: 2, d: false, image: A },
    ]);
    expect(out.LaunchTemplateVersions![0]!.CreateTime).toEqual(new Date('2025-09-01T00:00:00Z'));
    const byName = await prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'deep', Versions: ['$Default'] }));
    expect(byName.LaunchTemplateVersions!.map((v) => [v.LaunchTemplateId, v.VersionNumber, v.DefaultVersion, v.LaunchTemplateData?.ImageId])).toEqual([[LT_DEEP, 12, true, E]]);
  });

  test('every version, newest first, without Versions; MinVersion/MaxVersion; paging', async () => {
    const all = await prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: LT_DEEP }));
    expect(all.LaunchTemplateVersions!.map((v) => v.VersionNumber)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const range = await prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: LT_DEEP, MinVersion: '3', MaxVersion: '5' }));
    expect(range.LaunchTemplateVersions!.map((v) => v.VersionNumber)).toEqual([5, 4, 3]);
    const p1 = await prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: LT_DEEP, MaxResults: 5 }));
    expect(p1.LaunchTemplateVersions!.map((v) => v.VersionNumber)).toEqual([12, 11, 10, 9, 8]);
    const p2 = await prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: LT_DEEP, MaxResults: 5, NextToken: p1.NextToken }));
    expect(p2.LaunchTemplateVersions!.map((v) => v.VersionNumber)).toEqual([7, 6, 5, 4, 3]);
  });

  test('all templates of the account and region: $Latest and/or $Default only', async () => {
    const out = await prod().send(new DescribeLaunchTemplateVersionsCommand({ Versions: ['$Latest'] }));
    expect(out.LaunchTemplateVersions!.map((v) => [v.LaunchTemplateId, v.VersionNumber])).toEqual([[LT_WEB, 3], [LT_DEEP, 12]]);
    expect((await rejection(() => prod().send(new DescribeLaunchTemplateVersionsCommand({}))))?.name).toBe('MissingParameter');
    expect((await rejection(() => prod().send(new DescribeLaunchTemplateVersionsCommand({ Versions: ['1'] }))))?.name).toBe('InvalidParameterValue');
  });

  test('errors as AWS names them', async () => {
    const notFound = await rejection(() => prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lt(0x99), Versions: ['$Latest'] })));
    expect(notFound.name).toBe('InvalidLaunchTemplateId.NotFound');
    const noName = await rejection(() => prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: 'nope', Versions: ['$Latest'] })));
    expect(noName.name).toBe('InvalidLaunchTemplateName.NotFoundException');
    expect(noName.message).toBe('The specified launch template, with template name nope, does not exist.');
    const noVersion = await rejection(() => prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: LT_WEB, Versions: ['9'] })));
    expect(noVersion.name).toBe('InvalidLaunchTemplateId.VersionNotFound');
    expect((await rejection(() => prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: 'lt-nothex' })))).name).toBe('InvalidLaunchTemplateId.Malformed');
    expect((await rejection(() => prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: LT_WEB, LaunchTemplateName: 'web' })))).name).toBe('InvalidParameterCombination');
    // The template of another region is not found here.
    expect((await rejection(() => prod().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: LT_EU })))).name).toBe('InvalidLaunchTemplateId.NotFound');
  });
});

describe('GetAllowedImagesSettings', () => {
  test('criteria and managedBy round-trip through the SDK', async () => {
    const out = await prod().send(new GetAllowedImagesSettingsCommand({}));
    expect(out.State).toBe('enabled');
    expect(out.ManagedBy).toBe('declarative-policy');
    expect(out.ImageCriteria).toEqual([
      { ImageProviders: ['amazon', '123456789012'], ImageNames: ['al2023-ami-*', 'golden-*'], CreationDateCondition: { MaximumDaysSinceCreated: 300 }, DeprecationTimeCondition: { MaximumDaysSinceDeprecated: 0 } },
      { MarketplaceProductCodes: ['abcdefghij1234567890'] },
    ]);
  });
  test('a region without criteria keeps the old answer (providers: amazon) and managedBy account', async () => {
    const out = await prod('eu-west-1').send(new GetAllowedImagesSettingsCommand({}));
    expect(out).toMatchObject({ State: 'audit-mode', ManagedBy: 'account', ImageCriteria: [{ ImageProviders: ['amazon'] }] });
  });
});

describe('DescribeAutoScalingGroups', () => {
  const names = (gs: AutoScalingGroup[] | undefined) => (gs ?? []).map((g) => g.AutoScalingGroupName);

  test('pages of MaxRecords, in name order; the paginator gets every group', async () => {
    const p1 = await asg().send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 3 }));
    expect(names(p1.AutoScalingGroups)).toEqual(['g-05', 'g-06', 'g-07']);
    expect(p1.NextToken).toBeTruthy();
    const p2 = await asg().send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 3, NextToken: p1.NextToken }));
    expect(names(p2.AutoScalingGroups)).toEqual(['mixed', 'web-default', 'web-pinned']);
    const all: AutoScalingGroup[] = [];
    let pages = 0;
    for await (const p of paginateDescribeAutoScalingGroups({ client: asg(), pageSize: 2 }, {})) {
      pages += 1;
      all.push(...(p.AutoScalingGroups ?? []));
    }
    expect(pages).toBe(4);
    expect(names(all)).toEqual(['g-05', 'g-06', 'g-07', 'mixed', 'web-default', 'web-pinned', 'web-prod']);
    const whole = await asg().send(new DescribeAutoScalingGroupsCommand({}));
    expect(names(whole.AutoScalingGroups)).toHaveLength(7);
    expect(whole.NextToken).toBeUndefined();
  });

  test('a LaunchTemplate group: id and name filled in, Version as set ($Default when unset), sizes, ARN, instances', async () => {
    const out = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-prod', 'web-pinned', 'web-default', 'no-such-group'] }));
    const g = Object.fromEntries((out.AutoScalingGroups ?? []).map((x) => [x.AutoScalingGroupName!, x] as const));
    expect(Object.keys(g).sort()).toEqual(['web-default', 'web-pinned', 'web-prod']);
    expect(g['web-prod']).toMatchObject({
      LaunchTemplate: { LaunchTemplateId: LT_WEB, LaunchTemplateName: 'web', Version: '$Latest' },
      MinSize: 1, MaxSize: 10, DesiredCapacity: 3, DefaultCooldown: 300, HealthCheckType: 'EC2',
    });
    expect(g['web-prod']!.AutoScalingGroupARN).toMatch(new RegExp(`^arn:aws:autoscaling:us-east-1:${ACC}:autoScalingGroup:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:autoScalingGroupName/web-prod$`));
    expect(g['web-prod']!.CreatedTime).toBeInstanceOf(Date);
    expect(g['web-prod']!.Instances!.map((i) => [i.InstanceId, i.LifecycleState, i.LaunchTemplate?.LaunchTemplateId])).toEqual(webProdInstances.map((i) => [i.InstanceId, 'InService', LT_WEB]));
    expect(g['web-pinned']!.LaunchTemplate).toEqual({ LaunchTemplateId: LT_WEB, LaunchTemplateName: 'web', Version: '1' });
    expect(g['web-default']!.LaunchTemplate).toEqual({ LaunchTemplateId: LT_WEB, LaunchTemplateName: 'web', Version: '$Default' });
    expect(g['web-pinned']!.MixedInstancesPolicy).toBeUndefined();
  });

  test('a MixedInstancesPolicy group: the template specification and the overrides', async () => {
    const out = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['mixed'] }));
    const g = out.AutoScalingGroups![0]!;
    expect(g.LaunchTemplate).toBeUndefined();
    expect(g.MixedInstancesPolicy!.LaunchTemplate).toEqual({
      LaunchTemplateSpecification: { LaunchTemplateId: LT_DEEP, LaunchTemplateName: 'deep', Version: '$Default' },
      Overrides: [
        { InstanceType: 't3.micro' },
        { InstanceType: 'm7i.large', LaunchTemplateSpecification: { LaunchTemplateId: LT_WEB, LaunchTemplateName: 'web', Version: '2' } },
        { InstanceType: 'c7g.large', ImageId: B },
      ],
    });
  });

  test('IncludeInstances false leaves Instances out (true is the default)', async () => {
    const without = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-prod'], IncludeInstances: false }));
    expect(without.AutoScalingGroups![0]!.Instances).toBeUndefined();
    const empty = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['g-05'] }));
    expect(empty.AutoScalingGroups![0]!.Instances).toEqual([]);
  });

  test('errors in Auto Scaling\'s format: MaxRecords out of range, a foreign token', async () => {
    const big = await rejection(() => asg().send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 101 })));
    expect(big.name).toBe('ValidationError');
    expect(big.$metadata?.httpStatusCode).toBe(400);
    expect((big as { Type?: string }).Type).toBe('Sender');
    const p1 = await asg().send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 2 }));
    const foreign = await rejection(() => asg().send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 2, AutoScalingGroupNames: ['g-05'], NextToken: p1.NextToken })));
    expect(foreign.name).toBe('InvalidNextToken');
  });

  test('identity: base credentials see the caller\'s groups, an opt-in region not enabled is refused', async () => {
    const caller = await autoscaling(e).send(new DescribeAutoScalingGroupsCommand({}));
    expect(names(caller.AutoScalingGroups)).toEqual(['caller-asg']);
    expect((await asg('eu-west-1').send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups).toEqual([]);
    const optIn = await rejection(() => asg('ap-east-1').send(new DescribeAutoScalingGroupsCommand({})));
    expect(optIn.name).toBe('InvalidClientTokenId');
    const forged = await rejection(() => autoscaling(e, 'us-east-1', { ...creds, sessionToken: 'forged' }).send(new DescribeAutoScalingGroupsCommand({})));
    expect(forged.name).toBe('InvalidClientTokenId');
  });
});

describe('faults', () => {
  test('a rule denying DescribeImageReferences answers UnauthorizedOperation', async () => {
    await withFaults({ rules: [{ action: 'DescribeImageReferences', account: ACC, error: 'UnauthorizedOperation' }] }, async (e2, c) => {
      const err = await rejection(() => ec2(e2, 'us-east-1', c).send(new DescribeImageReferencesCommand({ ImageIds: [A], IncludeAllResourceTypes: true })));
      expect(err.name).toBe('UnauthorizedOperation');
      expect(err.$metadata?.httpStatusCode).toBe(403);
      expect(err.message).toContain('ec2:DescribeImageReferences');
      // Other accounts are not denied.
      expect((await ec2(e2).send(new DescribeImageReferencesCommand({ ImageIds: [A], IncludeAllResourceTypes: true }))).ImageReferences).toEqual([]);
    });
  });

  test('a rule denying DescribeAutoScalingGroups answers AccessDenied in Auto Scaling\'s error format', async () => {
    await withFaults({ rules: [{ action: 'DescribeAutoScalingGroups', account: ACC, error: 'AccessDenied' }] }, async (e2, c) => {
      const err = await rejection(() => autoscaling(e2, 'us-east-1', c).send(new DescribeAutoScalingGroupsCommand({})));
      expect(err.name).toBe('AccessDenied');
      expect(err.$metadata?.httpStatusCode).toBe(403);
      expect((err as { Type?: string }).Type).toBe('Sender');
      expect(err.message).toContain('autoscaling:DescribeAutoScalingGroups');
      // Other accounts are not denied.
      expect(names2(await autoscaling(e2).send(new DescribeAutoScalingGroupsCommand({})))).toEqual(['caller-asg']);
    });
  });

  test('rules without service or action leave Auto Scaling alone; service: autoscaling rules reach it', async () => {
    await withFaults({ rules: [{ account: ACC, error: 'InternalError' }, { service: 'autoscaling', region: 'eu-west-1', error: 'Throttling', count: 1 }] }, async (e2, c) => {
      expect((await rejection(() => ec2(e2, 'us-east-1', c).send(new DescribeRegionsCommand({})))).name).toBe('InternalError');
      expect(names2(await autoscaling(e2, 'us-east-1', c).send(new DescribeAutoScalingGroupsCommand({})))).toHaveLength(7);
      const throttled = await rejection(() => autoscaling(e2, 'eu-west-1', c).send(new DescribeAutoScalingGroupsCommand({})));
      expect(throttled.name).toBe('Throttling');
      expect(throttled.$metadata?.httpStatusCode).toBe(400);
      expect((await autoscaling(e2, 'eu-west-1', c).send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups).toEqual([]);
    });
  });

  test('token buckets throttle Auto Scaling with Throttling; malformed bodies fail to parse', async () => {
    await withFaults({
      throttle: { capacity: 100, refillPerSecond: 20, overrides: [{ action: 'DescribeAutoScalingGroups', capacity: 1, refillPerSecond: 0.01 }] },
      rules: [{ service: 'autoscaling', region: 'eu-west-1', kind: 'malformed' }],
      latencyMs: { autoscaling: 1 },
    }, async (e2, c) => {
      await autoscaling(e2, 'us-east-1', c).send(new DescribeAutoScalingGroupsCommand({}));
      const err = await rejection(() => autoscaling(e2, 'us-east-1', c).send(new DescribeAutoScalingGroupsCommand({})));
      expect(err.name).toBe('Throttling');
      expect(e2.stats.throttled).toBe(1);
      await expect(autoscaling(e2, 'eu-west-1', c).send(new DescribeAutoScalingGroupsCommand({}))).rejects.toThrow();
    });
  });
});

describe('broken Auto Scaling answers', () => {
  test('wrong-root and error-200 succeed with the groups absent; truncated fails', async () => {
    await withFaults({
      rules: [
        { service: 'autoscaling', region: 'us-east-1', kind: 'wrong-root' },
        { service: 'autoscaling', region: 'eu-west-1', kind: 'truncated' },
        { service: 'autoscaling', region: 'ap-east-1', kind: 'error-200', error: 'InternalFailure' },
      ],
    }, async (e2, c) => {
      expect((await autoscaling(e2, 'us-east-1', c).send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups).toBeUndefined();
      await expect(autoscaling(e2, 'eu-west-1', c).send(new DescribeAutoScalingGroupsCommand({}))).rejects.toThrow();
      const settled = await Promise.allSettled([autoscaling(e2, 'ap-east-1', c).send(new DescribeAutoScalingGroupsCommand({}))]);
      expect(settled[0]!.status === 'rejected' || settled[0]!.value.AutoScalingGroups === undefined).toBe(true);
      expect(e2.stats.errors.InternalFailure).toBe(1);
    });
  });
});

const names2 = (out: { AutoScalingGroups?: AutoScalingGroup[] }) => (out.AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName);

describe('fleet validation names the path', () => {
  const withAccount = (extra: Record<string, unknown>) => ({ ...fleet, accounts: [{ accountId: ACC, ...extra }] });
  test.each([
    [{ launchTemplates: { 'us-east-1': [{ id: 'lt-123', name: 'web', defaultVersion: 1, versions: [{ number: 1, imageId: A }] }] } }, /accounts\[0\]\.launchTemplates\.us-east-1\[0\]\.id/],
    [{ launchTemplates: { 'us-east-1': [{ id: LT_WEB, name: 'web', defaultVersion: 2, versions: [{ number: 1, imageId: A }] }] } }, /accounts\[0\]\.launchTemplates\.us-east-1\[0\]\.defaultVersion/],
    [{ launchTemplates: { 'us-east-1': [{ id: LT_WEB, name: 'web', defaultVersion: 1, versions: [{ number: 1, imageId: A }, { number: 1, imageId: B }] }] } }, /accounts\[0\]\.launchTemplates\.us-east-1\[0\]\.versions\[1\]\.number/],
    [{ launchTemplates: { 'mars-1': [] } }, /accounts\[0\]\.launchTemplates\.mars-1/],
    [{ autoScalingGroups: { 'us-east-1': [{ name: 'g', launchTemplate: { version: '1' } }] } }, /accounts\[0\]\.autoScalingGroups\.us-east-1\[0\]\.launchTemplate/],
    [{ autoScalingGroups: { 'us-east-1': [{ name: 'g', launchTemplate: { id: LT_WEB, version: 'latest' } }] } }, /accounts\[0\]\.autoScalingGroups\.us-east-1\[0\]\.launchTemplate\.version/],
    [{ autoScalingGroups: { 'us-east-1': [{ name: 'g', mixedInstancesPolicy: { launchTemplate: { id: LT_WEB }, overrides: [{ launchTemplate: {} }] } }] } }, /accounts\[0\]\.autoScalingGroups\.us-east-1\[0\]\.mixedInstancesPolicy\.overrides\[0\]\.launchTemplate/],
    [{ autoScalingGroups: { 'us-east-1': [{ name: 'g', instanceIds: ['i-0000000000000dead'] }] } }, /accounts\[0\]\.autoScalingGroups\.us-east-1\[0\]\.instanceIds\[0\]/],
    [{ ssmParameters: { 'us-east-1': [{ name: '/x' }] } }, /accounts\[0\]\.ssmParameters\.us-east-1\[0\]\.value/],
    [{ imageRecipes: { 'us-east-1': [{ name: 'r', parentImage: A }] } }, /accounts\[0\]\.imageRecipes\.us-east-1\[0\]\.version/],
    [{ containerRecipes: { 'us-east-1': [{ name: 'r', version: '1.0.0' }] } }, /accounts\[0\]\.containerRecipes\.us-east-1\[0\]\.parentImage/],
    [{ allowedImagesCriteria: { 'us-east-1': [{ ImageProviders: 'amazon' }] } }, /accounts\[0\]\.allowedImagesCriteria\.us-east-1\[0\]\.ImageProviders/],
    [{ allowedImagesCriteria: { 'us-east-1': [{ CreationDateCondition: { MaximumDaysSinceCreated: -1 } }] } }, /accounts\[0\]\.allowedImagesCriteria\.us-east-1\[0\]\.CreationDateCondition\.MaximumDaysSinceCreated/],
    [{ allowedImagesManagedBy: { 'us-east-1': 'organization' } }, /accounts\[0\]\.allowedImagesManagedBy\.us-east-1/],
  ])('%#', (extra, path) => {
    expect(() => validateFleet(withAccount(extra))).toThrow(path);
  });
  test('the example in docs/emulator.md validates, and names the demo\'s ids', () => {
    const md = readFileSync(new URL('../../docs/emulator.md', import.meta.url), 'utf8');
    const block = [...md.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('"launchTemplates"'))!;
    const acc = JSON.parse(block) as FleetAccount;
    const demoProd = demoFleet(NOW).accounts.find((a) => a.accountId === DEMO_ACCOUNTS.prod)!;
    const billing = demoProd.instances!['us-east-1']!.find((i) => i.Tags?.some((t) => t.Value === 'billing-worker-1'))!;
    expect(acc.autoScalingGroups!['us-east-1']![0]!.instanceIds).toEqual([billing.InstanceId]);
    expect(demoProd.autoScalingGroups!['us-east-1']![0]!.instanceIds).toEqual([billing.InstanceId]);
    acc.instances = { 'us-east-1': [billing] };
    expect(() => validateFleet({ fleetVersion: 1, caller: { accountId: CALLER }, regions: [{ name: 'us-east-1' }], accounts: [acc] })).not.toThrow();
  });
  test('faults accept the autoscaling service and its latency', () => {
    expect(() => validateFaults({ rules: [{ service: 'autoscaling', error: 'Throttling' }], latencyMs: { autoscaling: 5 } })).not.toThrow();
  });
});

describe('the demo fleet', () => {
  let d: Emulator;
  let prodCreds: typeof creds;
  const demo = demoFleet(NOW);
  const prodInstances = demo.accounts.find((a) => a.accountId === DEMO_ACCOUNTS.prod)!.instances!['us-east-1']!;
  const byName = (name: string) => prodInstances.find((i) => i.Tags?.some((t) => t.Key === 'Name' && t.Value === name))!;
  beforeAll(async () => {
    d = await emulator();
    const out = await sts(d).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${DEMO_ACCOUNTS.prod}:role/AmiAuditReadOnly`, RoleSessionName: 'demo' }));
    prodCreds = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
  });
  afterAll(async () => d.close());

  test('the demo fleet passes validation', () => {
    expect(() => validateFleet(JSON.parse(JSON.stringify(demo)))).not.toThrow();
  });

  test('the deprecated AMI: running instances, and the template whose $Latest names it', async () => {
    const deprecated = byName('billing-worker-1').ImageMetadata!.ImageId!;
    expect(DEMO_REFERENCES.deprecatedImageId).toBe(deprecated);
    const out = await ec2(d, 'us-east-1', prodCreds).send(new DescribeImageReferencesCommand({ ImageIds: [deprecated], IncludeAllResourceTypes: true }));
    const arns = out.ImageReferences!.map((r) => r.Arn);
    expect(arns).toContain(`arn:aws:ec2:us-east-1:${DEMO_ACCOUNTS.prod}:instance/${byName('billing-worker-1').InstanceId}`);
    expect(arns).toContain(`arn:aws:ec2:us-east-1:${DEMO_ACCOUNTS.prod}:launch-template/${DEMO_REFERENCES.launchTemplateId}`);
    const versions = await ec2(d, 'us-east-1', prodCreds).send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: DEMO_REFERENCES.launchTemplateId, Versions: ['$Latest', '1'] }));
    expect(versions.LaunchTemplateVersions!.map((v) => [v.VersionNumber, v.LaunchTemplateData?.ImageId])).toEqual([[2, deprecated], [1, DEMO_REFERENCES.olderImageId]]);
    const groups = await autoscaling(d, 'us-east-1', prodCreds).send(new DescribeAutoScalingGroupsCommand({}));
    const g = Object.fromEntries(groups.AutoScalingGroups!.map((x) => [x.AutoScalingGroupName!, x] as const));
    expect(g[DEMO_REFERENCES.latestGroup]!.LaunchTemplate).toEqual({ LaunchTemplateId: DEMO_REFERENCES.launchTemplateId, LaunchTemplateName: DEMO_REFERENCES.launchTemplateName, Version: '$Latest' });
    expect(g[DEMO_REFERENCES.pinnedGroup]!.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification ?? g[DEMO_REFERENCES.pinnedGroup]!.LaunchTemplate).toMatchObject({ LaunchTemplateId: DEMO_REFERENCES.launchTemplateId, Version: '1' });
  });

  test('the deregistered AMI in an SSM parameter, the not-allowed AMI in an image recipe', async () => {
    const deregistered = byName('payments-api-1').ImageMetadata!.ImageId!;
    const notAllowed = byName('sap-bridge').ImageMetadata!.ImageId!;
    const out = await ec2(d, 'us-east-1', prodCreds).send(new DescribeImageReferencesCommand({ ImageIds: [deregistered, notAllowed], ResourceTypes: [{ ResourceType: 'ssm:Parameter' }, { ResourceType: 'imagebuilder:ImageRecipe' }] }));
    expect(out.ImageReferences).toEqual([
      { ImageId: deregistered, ResourceType: 'ssm:Parameter', Arn: `arn:aws:ssm:us-east-1:${DEMO_ACCOUNTS.prod}:parameter${DEMO_REFERENCES.ssmParameter}` },
      { ImageId: notAllowed, ResourceType: 'imagebuilder:ImageRecipe', Arn: `arn:aws:imagebuilder:us-east-1:${DEMO_ACCOUNTS.prod}:image-recipe/${DEMO_REFERENCES.imageRecipe.name}/${DEMO_REFERENCES.imageRecipe.version}` },
    ]);
  });

  test('the Allowed AMIs criteria explain why sap-bridge\'s AMI is not allowed', async () => {
    const image = byName('sap-bridge').ImageMetadata!;
    expect(image.ImageAllowed).toBe(false);
    const out = await ec2(d, 'us-east-1', prodCreds).send(new GetAllowedImagesSettingsCommand({}));
    expect(out.State).toBe('enabled');
    const glob = (p: string) => new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
    const ageDays = (Date.parse(NOW) - Date.parse(image.CreationDate!)) / 86_400_000;
    const matches = (c: NonNullable<typeof out.ImageCriteria>[number]) =>
      (!c.ImageProviders || c.ImageProviders.some((p) => p === image.OwnerId || p === image.ImageOwnerAlias))
      && (!c.ImageNames || c.ImageNames.some((p) => glob(p).test(image.Name!)))
      && (!c.CreationDateCondition || ageDays <= c.CreationDateCondition.MaximumDaysSinceCreated!);
    expect(out.ImageCriteria!.length).toBeGreaterThan(0);
    expect(out.ImageCriteria!.some(matches)).toBe(false);
    // Every instance the demo marks allowed there matches some criterion (own-account AMIs are always allowed).
    for (const i of prodInstances) {
      const m = i.ImageMetadata!;
      if (m.ImageAllowed === false || m.OwnerId === DEMO_ACCOUNTS.prod) continue;
      const age = (Date.parse(NOW) - Date.parse(m.CreationDate!)) / 86_400_000;
      const ok = out.ImageCriteria!.some((c) => (!c.ImageProviders || c.ImageProviders.some((p) => p === m.OwnerId || p === m.ImageOwnerAlias))
        && (!c.ImageNames || c.ImageNames.some((p) => glob(p).test(m.Name!)))
        && (!c.CreationDateCondition || age <= c.CreationDateCondition.MaximumDaysSinceCreated!));
      expect([m.ImageId, ok]).toEqual([m.ImageId, true]);
    }
  });
});
