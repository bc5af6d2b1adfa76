/**
 * The built-in demo fleet: three organisation accounts plus the caller's, three regions and an
 * opt-in region nobody enabled, a healthy majority, and at least one instance for every rule; and
 * the AWS Organizations organisation they belong to, managed from the caller's account, with a
 * suspended and a closed member that have no EC2 data.
 * Dates are relative to `now`, so the demo shows the same picture on any day.
 */
import type { Fleet, FleetAccount, FleetImage, FleetInstance, FleetOrganization, FleetOrgMember, FleetPublicParameter, OrgAccountState } from './fleet.js';
import type { ImageMetadata } from '../model/types.js';
import { zonePrefix } from './generate.js';

const DAY = 86_400_000;

export const DEMO_ACCOUNTS = {
  security: '111111111111',
  prod: '222222222222',
  dev: '333333333333',
  legacy: '444444444444',
} as const;
export const DEMO_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'] as const;
export const DEMO_OPT_IN_REGION = 'ap-east-1';
/** An account the demo config trusts, whose private AMIs are shared into prod. */
export const DEMO_TRUSTED_ACCOUNT = '555555555555';

/**
 * What will launch a bad AMI next, in prod (DEMO_ACCOUNTS.prod) us-east-1: a launch template whose
 * version 2 ($Latest) is the deprecated AMI billing-worker-1 runs and whose version 1 is an older
 * AMI; an Auto Scaling group on $Latest and one pinned to version 1; an SSM parameter holding the
 * deregistered AMI payments-api-1 runs; an Image Builder recipe built on sap-bridge's not-allowed AMI.
 */
export const DEMO_REFERENCES = {
  region: 'us-east-1',
  launchTemplateId: 'lt-0de0a1b2c3d4e5f01',
  launchTemplateName: 'web-prod',
  /** Version 2 of the template ($Latest, not the default): the deprecated amzn2 AMI. */
  deprecatedImageId: 'ami-0d1e2f3a4b5c60010',
  /** Version 1 of the template (the default): an older amzn2 build, no longer on any instance. */
  olderImageId: 'ami-0d1e2f3a4b5c60020',
  /** Uses the template at $Latest. */
  latestGroup: 'web-prod',
  /** Uses the template pinned to version 1 (through a MixedInstancesPolicy). */
  pinnedGroup: 'web-prod-v1-pinned',
  /** Its value is the deregistered AMI payments-api-1 runs. */
  ssmParameter: '/golden/ami/web',
  deregisteredImageId: 'ami-0d1e2f3a4b5c60012',
  /** Its parent image is the not-allowed AMI sap-bridge runs. */
  imageRecipe: { name: 'sap-bridge-base', version: '1.0.0' },
  notAllowedImageId: 'ami-0d1e2f3a4b5c60017',
} as const;

/**
 * The demo organisation, managed from the caller's account (DEMO_ACCOUNTS.security); names and
 * OUs agree with the report fixtures (test/helpers/fixture.ts) where both have the account:
 *
 *   Root
 *   ├── Security                           security-audit (111111111111, the management account)
 *   ├── Workloads
 *   │   ├── Prod
 *   │   │   ├── Payments                   payments-prod (222222222222)
 *   │   │   └── Legacy                     legacy (444444444444, role not deployed)
 *   │   └── Dev
 *   │       └── Data                       data-dev (333333333333)
 *   └── Sandbox                            old-sandbox (777777777777, SUSPENDED, no EC2 data)
 *                                          sandbox-alice (888888888888, CLOSED, no EC2 data)
 */
export const DEMO_ORGANIZATION = {
  id: 'o-dm7q2x9k4p',
  rootId: 'r-dm7q',
  units: {
    security: 'ou-dm7q-securt01',
    workloads: 'ou-dm7q-wrkld001',
    prod: 'ou-dm7q-prod0001',
    payments: 'ou-dm7q-paymnt01',
    legacy: 'ou-dm7q-legacy01',
    dev: 'ou-dm7q-dev00001',
    data: 'ou-dm7q-data0001',
    sandbox: 'ou-dm7q-sandbx01',
  },
  /** A SUSPENDED member with no EC2 data. */
  suspended: '777777777777',
  /** A CLOSED member with no EC2 data. */
  closed: '888888888888',
} as const;

function demoOrganization(at: (days: number) => string): FleetOrganization {
  const { id, rootId, units: u, suspended, closed } = DEMO_ORGANIZATION;
  const { security, prod, dev, legacy } = DEMO_ACCOUNTS;
  const member = (accountId: string, name: string, parentId: string, joinedDaysAgo: number, state: OrgAccountState = 'ACTIVE', joinedMethod: 'CREATED' | 'INVITED' = 'CREATED'): FleetOrgMember => ({
    accountId, name, email: `aws+${name}@example.com`, state, parentId, joinedTimestamp: at(-joinedDaysAgo), joinedMethod,
  });
  return {
    id, managementAccountId: security, rootId,
    units: [
      { id: u.security, name: 'Security', parentId: rootId },
      { id: u.workloads, name: 'Workloads', parentId: rootId },
      { id: u.prod, name: 'Prod', parentId: u.workloads },
      { id: u.payments, name: 'Payments', parentId: u.prod },
      { id: u.legacy, name: 'Legacy', parentId: u.prod },
      { id: u.dev, name: 'Dev', parentId: u.workloads },
      { id: u.data, name: 'Data', parentId: u.dev },
      { id: u.sandbox, name: 'Sandbox', parentId: rootId },
    ],
    members: [
      member(security, 'security-audit', u.security, 1900, 'ACTIVE', 'INVITED'),
      member(prod, 'payments-prod', u.payments, 1500),
      member(dev, 'data-dev', u.data, 1200),
      member(legacy, 'legacy', u.legacy, 1000, 'ACTIVE', 'INVITED'),
      member(suspended, 'old-sandbox', u.sandbox, 700, 'SUSPENDED'),
      member(closed, 'sandbox-alice', u.sandbox, 400, 'CLOSED'),
    ],
  };
}

export function demoFleet(nowIso: string): Fleet {
  const now = Date.parse(nowIso);
  const at = (days: number): string => new Date(now + days * DAY).toISOString().replace('.000Z', 'Z');
  const amazon = (id: string, name: string, createdDaysAgo: number, extra: Partial<ImageMetadata> = {}): ImageMetadata => ({
    ImageId: id, Name: name, OwnerId: '137112412989', State: 'available', ImageOwnerAlias: 'amazon',
    CreationDate: at(-createdDaysAgo), DeprecationTime: at(730 - createdDaysAgo), ImageAllowed: true, IsPublic: true, ...extra,
  });
  const img = {
    current: amazon('ami-0c5a1e2b3d4f50001', 'al2023-ami-2023.9.20261101.0-kernel-6.1-x86_64', 25),
    currentArm: amazon('ami-0c5a1e2b3d4f50002', 'al2023-ami-2023.9.20261101.0-kernel-6.1-arm64', 25),
    windows: amazon('ami-0c5a1e2b3d4f50003', 'Windows_Server-2025-English-Full-Base-2026.10.15', 42),
    deprecated: amazon('ami-0d1e2f3a4b5c60010', 'amzn2-ami-hvm-2.0.20231101.0-x86_64-gp2', 800),
    soon: amazon('ami-0d1e2f3a4b5c60011', 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64', 718),
    deregistered: { ImageId: 'ami-0d1e2f3a4b5c60012', Name: 'payments-api-2025-03-01', OwnerId: DEMO_ACCOUNTS.prod, State: 'deregistered', CreationDate: at(-300), IsPublic: false, ImageAllowed: true },
    disabled: { ImageId: 'ami-0d1e2f3a4b5c60013', Name: 'batch-worker-2025-06', OwnerId: DEMO_ACCOUNTS.dev, State: 'disabled', CreationDate: at(-200), IsPublic: false, ImageAllowed: true },
    unverifiable: { ImageId: 'ami-0d1e2f3a4b5c60014' },
    foreignPrivate: { ImageId: 'ami-0d1e2f3a4b5c60015', Name: 'vendor-appliance-7.2', OwnerId: '666666666666', State: 'available', CreationDate: at(-150), IsPublic: false, ImageAllowed: true },
    trustedPrivate: { ImageId: 'ami-0d1e2f3a4b5c60016', Name: 'golden-base-2026-09', OwnerId: DEMO_TRUSTED_ACCOUNT, State: 'available', CreationDate: at(-60), IsPublic: false, ImageAllowed: true },
    notAllowed: amazon('ami-0d1e2f3a4b5c60017', 'suse-sles-15-sp5-v20250101-hvm-ssd-x86_64', 330, { OwnerId: '013907871322', ImageOwnerAlias: 'amazon', ImageAllowed: false }),
    community: { ImageId: 'ami-0d1e2f3a4b5c60018', Name: 'super-fast-nginx <b>tuned</b>', OwnerId: '987654321098', State: 'available', CreationDate: at(-90), DeprecationTime: at(640), IsPublic: true, ImageAllowed: true },
    stale: { ImageId: 'ami-0d1e2f3a4b5c60019', Name: 'legacy-monolith-2024-01', OwnerId: DEMO_ACCOUNTS.dev, State: 'available', CreationDate: at(-700), IsPublic: false, ImageAllowed: true },
  } satisfies Record<string, ImageMetadata>;

  let n = 0;
  const inst = (region: string, image: ImageMetadata, owner: string, name: string, state: 'running' | 'stopped' | 'terminated' | 'shutting-down' = 'running', extraTags: { Key: string; Value: string }[] = []): FleetInstance => {
    n += 1;
    const az = 'abc'[n % 3]!;
    const code = { running: 16, stopped: 80, terminated: 48, 'shutting-down': 32 }[state];
    return {
      InstanceId: `i-0de${n.toString(16).padStart(14, '0')}`,
      InstanceType: ['t3.micro', 'm7i.large', 'c7g.xlarge'][n % 3]!,
      LaunchTime: at(-(n * 3 + 1)),
      AvailabilityZone: `${region}${az}`,
      ZoneId: `${zonePrefix(region)}-az${'abc'.indexOf(az) + 1}`,
      State: { Code: code, Name: state },
      OwnerId: owner,
      Tags: [{ Key: 'Name', Value: name }, { Key: 'team', Value: ['payments', 'platform', 'data'][n % 3]! }, ...extraTags],
      ImageMetadata: image,
      Operator: { Managed: false },
    };
  };
  const healthy = (region: string, owner: string, count: number): FleetInstance[] =>
    Array.from({ length: count }, (_, k) => inst(region, [img.current, img.currentArm, img.windows][k % 3]!, owner, `web-${region}-${k + 1}`));

  const { security, prod, dev, legacy } = DEMO_ACCOUNTS;
  const fleet: Fleet = {
    fleetVersion: 1,
    asOf: nowIso,
    caller: { accountId: security, arn: `arn:aws:iam::${security}:user/ami-auditor` },
    regions: [...DEMO_REGIONS.map((name) => ({ name })), { name: DEMO_OPT_IN_REGION, optIn: true }],
    accounts: [
      {
        accountId: security, name: 'security',
        instances: { 'us-east-1': healthy('us-east-1', security, 3) },
      },
      {
        accountId: prod, name: 'prod',
        allowedImages: { 'us-east-1': 'enabled', 'eu-west-1': 'audit-mode' },
        instances: {
          'us-east-1': [
            ...healthy('us-east-1', prod, 8),
            inst('us-east-1', img.deprecated, prod, 'billing-worker-1'),
            inst('us-east-1', img.soon, prod, 'api-gateway-proxy'),
            inst('us-east-1', img.deregistered, prod, 'payments-api-1'),
            inst('us-east-1', img.notAllowed, prod, 'sap-bridge'),
            inst('us-east-1', img.trustedPrivate, prod, 'golden-service'),
            inst('us-east-1', img.deprecated, prod, 'old-batch', 'terminated'),
          ],
          'eu-west-1': [
            ...healthy('eu-west-1', prod, 6),
            inst('eu-west-1', img.notAllowed, prod, 'sap-bridge-eu'),
            inst('eu-west-1', img.foreignPrivate, prod, 'vendor-appliance'),
            inst('eu-west-1', img.community, prod, '=HYPERLINK("http://evil.example","click")', 'running', [{ Key: 'owner', Value: '</script><script>alert(1)</script>' }]),
          ],
          'ap-southeast-2': [...healthy('ap-southeast-2', prod, 4), inst('ap-southeast-2', img.unverifiable, prod, 'mystery-box')],
        },
      },
      {
        accountId: dev, name: 'dev',
        allowedImages: { 'eu-west-1': 'audit-mode' },
        instances: {
          'us-east-1': [...healthy('us-east-1', dev, 5), inst('us-east-1', img.disabled, dev, 'batch-worker-7', 'stopped'), inst('us-east-1', img.stale, dev, 'legacy-monolith')],
          'eu-west-1': [...healthy('eu-west-1', dev, 4), inst('eu-west-1', img.deprecated, dev, 'ci-runner', 'shutting-down'), inst('eu-west-1', img.soon, dev, 'ci-cache')],
          'ap-southeast-2': healthy('ap-southeast-2', dev, 2),
        },
      },
      {
        accountId: legacy, name: 'legacy (role not deployed)', assumable: false,
        instances: { 'us-east-1': [inst('us-east-1', img.deprecated, legacy, 'forgotten-server')] },
      },
    ],
    organization: demoOrganization(at),
  };
  addReferences(fleet.accounts.find((x) => x.accountId === prod)!, at, img);
  addImages(fleet, at, img);
  return fleet;
}

const AMAZON = '137112412989';
const WINDOWS = '801119661308';
const EKS = '602401143452';
const CANONICAL = '099720109477';

/**
 * Public families as AWS and Canonical publish them: several generations each, both
 * architectures, the older generations deprecated, and the SSM public parameter of each variant
 * pointing at its newest image. Ids are made from the family index, generation and architecture.
 */
export function publicImages(at: (days: number) => string): { images: FleetImage[]; publicParameters: FleetPublicParameter[] } {
  const images: FleetImage[] = [];
  const publicParameters: FleetPublicParameter[] = [];
  type Family = { owner: string; alias?: string; archs: ('x86_64' | 'arm64')[]; name: (gen: number, arch: string) => string; param: (arch: string) => string };
  const families: Family[] = [
    { owner: AMAZON, alias: 'amazon', archs: ['x86_64', 'arm64'], name: (g, a) => `al2023-ami-2023.${6 + g}.2026${String(1 + g * 3).padStart(2, '0')}01.0-kernel-6.1-${a}`, param: (a) => `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-${a}` },
    { owner: AMAZON, alias: 'amazon', archs: ['x86_64', 'arm64'], name: (g, a) => `al2023-ami-minimal-2023.${6 + g}.2026${String(1 + g * 3).padStart(2, '0')}01.0-kernel-6.1-${a}`, param: (a) => `/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-6.1-${a}` },
    { owner: AMAZON, alias: 'amazon', archs: ['x86_64', 'arm64'], name: (g, a) => `amzn2-ami-hvm-2.0.2026${String(1 + g * 3).padStart(2, '0')}15.0-${a}-gp2`, param: (a) => `/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-${a}-gp2` },
    { owner: WINDOWS, alias: 'amazon', archs: ['x86_64'], name: (g) => `Windows_Server-2025-English-Full-Base-2026.${String(1 + g * 3).padStart(2, '0')}.10`, param: () => '/aws/service/ami-windows-latest/Windows_Server-2025-English-Full-Base' },
    { owner: CANONICAL, archs: ['x86_64', 'arm64'], name: (g, a) => `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${a === 'x86_64' ? 'amd64' : 'arm64'}-server-2026${String(1 + g * 3).padStart(2, '0')}05`, param: (a) => `/aws/service/canonical/ubuntu/server/24.04/stable/current/${a === 'x86_64' ? 'amd64' : 'arm64'}/hvm/ebs-gp3/ami-id` },
    { owner: AMAZON, alias: 'amazon', archs: ['x86_64', 'arm64'], name: (g, a) => `bottlerocket-aws-k8s-1.31-${a}-v1.${30 + g}.0-0a1b2c3${g}`, param: (a) => `/aws/service/bottlerocket/aws-k8s-1.31/${a}/latest/image_id` },
    { owner: EKS, alias: 'amazon', archs: ['x86_64', 'arm64'], name: (g, a) => `amazon-eks-node-al2023-${a}-standard-1.31-v2026${String(1 + g * 3).padStart(2, '0')}20`, param: (a) => `/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/${a}/standard/recommended/image_id` },
  ];
  const GENERATIONS = 3;
  families.forEach((f, fi) => {
    for (const arch of f.archs) {
      for (let g = 0; g < GENERATIONS; g++) {
        // the newest (g = 2) 20 days old; each older one 90 days older and deprecated 30 days ago
        const age = 20 + (GENERATIONS - 1 - g) * 90;
        const imageId = `ami-0f${fi.toString(16)}${arch === 'arm64' ? 'a' : '8'}${g}000000000000`;
        images.push({
          imageId, name: f.name(g, arch), ownerId: f.owner, ...(f.alias ? { ownerAlias: f.alias } : {}), architecture: arch, creationDate: at(-age),
          ...(g < GENERATIONS - 1 ? { deprecationTime: at(-30) } : { deprecationTime: at(730 - age) }), public: true,
        });
        if (g === GENERATIONS - 1) publicParameters.push({ name: f.param(arch), imageId, lastModified: at(-age) });
      }
    }
  });
  return { images, publicParameters };
}

/**
 * The images DescribeImages answers in the demo (`--successors`): the public families above, the
 * flagged AMIs that can still be described, and the newer builds of the private families of prod
 * and dev. The deregistered payments-api AMI is gone (its architecture is inferred from the
 * instance that runs it); the SUSE AMI sap-bridge runs has a newer build, outside prod's Allowed
 * AMIs criteria in us-east-1 (no successor there, and the report says why) but allowed in
 * eu-west-1 (audit-mode, Amazon images allowed).
 */
function addImages(fleet: Fleet, at: (days: number) => string, img: Record<'deprecated' | 'deregistered' | 'notAllowed' | 'disabled' | 'current' | 'currentArm' | 'windows', ImageMetadata>): void {
  const pub = publicImages(at);
  const same = (m: ImageMetadata, architecture: FleetImage['architecture'], extra: Partial<FleetImage> = {}): FleetImage => ({
    imageId: m.ImageId!, name: m.Name!, ownerId: m.OwnerId!, ...(m.ImageOwnerAlias ? { ownerAlias: m.ImageOwnerAlias } : {}), architecture,
    creationDate: m.CreationDate!, ...(m.DeprecationTime ? { deprecationTime: m.DeprecationTime } : {}), public: m.IsPublic === true, ...extra,
  });
  const payments = fleet.accounts.find((a) => a.accountId === DEMO_ACCOUNTS.prod)!.instances![DEMO_REFERENCES.region]!.find((i) => i.ImageMetadata?.ImageId === img.deregistered.ImageId)!;
  const paymentsArch = /^[a-z]+\d+[a-z]*g[a-z]*\./.test(payments.InstanceType ?? '') ? 'arm64' : 'x86_64';
  fleet.images = [
    ...pub.images,
    same(img.deprecated, 'x86_64'), same(img.notAllowed, 'x86_64'), same(img.current, 'x86_64'), same(img.currentArm, 'arm64'), same(img.windows, 'x86_64'),
    same(img.disabled, 'x86_64', { state: 'disabled' }),
    { imageId: 'ami-0d1e2f3a4b5c60030', name: 'batch-worker-2025-11', ownerId: DEMO_ACCOUNTS.dev, architecture: 'x86_64', creationDate: at(-25) },
    { imageId: 'ami-0d1e2f3a4b5c60031', name: 'payments-api-2026-10-01', ownerId: DEMO_ACCOUNTS.prod, architecture: paymentsArch, creationDate: at(-60) },
    { imageId: 'ami-0d1e2f3a4b5c60032', name: 'payments-api-2025-06-01', ownerId: DEMO_ACCOUNTS.prod, architecture: paymentsArch, creationDate: at(-180), deprecationTime: at(-5) },
    { imageId: 'ami-0d1e2f3a4b5c60033', name: 'suse-sles-15-sp5-v20260601-hvm-ssd-x86_64', ownerId: img.notAllowed.OwnerId!, ownerAlias: 'amazon', architecture: 'x86_64', creationDate: at(-150), public: true },
    ...publisherImages(at),
  ];
  fleet.publicParameters = pub.publicParameters;
}

/**
 * What will launch a bad AMI next in prod us-east-1 (see DEMO_REFERENCES), and the Allowed AMIs
 * criteria there. Added after the instances so that their ids stay as they were.
 *
 * The criteria explain sap-bridge's not-allowed SUSE AMI (owner 013907871322, alias amazon,
 * 330 days old): the first criterion takes Amazon and verified providers (it is one) but only the
 * al2023, amzn2 and Windows Server 2025 names (it has none of them); the second takes the trusted
 * account's golden images of at most 300 days (neither its owner, nor its name, nor its age).
 * Every other AMI there that the fleet marks allowed matches one of them, or is prod's own.
 */
function addReferences(account: FleetAccount, at: (days: number) => string, img: Record<'deprecated' | 'deregistered' | 'notAllowed', ImageMetadata>): void {
  const R = DEMO_REFERENCES;
  const east = R.region;
  const billing = account.instances![east]!.find((i) => i.Tags?.some((t) => t.Key === 'Name' && t.Value === 'billing-worker-1'))!;
  account.allowedImagesCriteria = {
    [east]: [
      { ImageProviders: ['amazon'], ImageNames: ['al2023-ami-*', 'amzn2-ami-hvm-*', 'Windows_Server-2025-*'] },
      { ImageProviders: [DEMO_TRUSTED_ACCOUNT], ImageNames: ['golden-base-*'], CreationDateCondition: { MaximumDaysSinceCreated: 300 } },
    ],
  };
  account.launchTemplates = {
    [east]: [{
      id: R.launchTemplateId, name: R.launchTemplateName, defaultVersion: 1,
      versions: [
        { number: 1, imageId: R.olderImageId, createTime: at(-900) },
        { number: 2, imageId: img.deprecated.ImageId, createTime: at(-790) },
      ],
    }],
  };
  account.autoScalingGroups = {
    [east]: [
      {
        name: R.latestGroup, launchTemplate: { id: R.launchTemplateId, name: R.launchTemplateName, version: '$Latest' },
        minSize: 1, maxSize: 4, desiredCapacity: 1, instanceIds: [billing.InstanceId!], createdTime: at(-790),
      },
      {
        name: R.pinnedGroup,
        mixedInstancesPolicy: { launchTemplate: { id: R.launchTemplateId, version: '1' }, overrides: [{ instanceType: 't3.micro' }, { instanceType: 'm7i.large' }] },
        minSize: 0, maxSize: 2, desiredCapacity: 0, createdTime: at(-900),
      },
    ],
  };
  account.ssmParameters = { [east]: [{ name: R.ssmParameter, value: img.deregistered.ImageId! }] };
  account.imageRecipes = { [east]: [{ name: R.imageRecipe.name, version: R.imageRecipe.version, parentImage: img.notAllowed.ImageId! }] };
}

/**
 * The AMIs the platform team publishes from the security account (`ami-audit images`, see
 * DEMO_PUBLISHER), in us-east-1.
 */
export const DEMO_PUBLISHER = {
  owner: DEMO_ACCOUNTS.security,
  region: 'us-east-1',
  /** Shared to prod, dev and an account outside the organisation; deprecated 20 days ago; no deregistration protection; built on a deprecated Amazon Linux AMI. Its usage report takes two polls. */
  goldenImageId: 'ami-0e1f2a3b4c5d60001',
  /** Its successor: shared with the organisation, protected, deprecation set, built on the current Amazon Linux AMI. */
  currentImageId: 'ami-0e1f2a3b4c5d60002',
  /** A forgotten public test image: no deprecation time, last launched more than a year ago. */
  publicImageId: 'ami-0e1f2a3b4c5d60003',
  /** The account outside the organisation the golden AMI is shared with. */
  outsideAccount: DEMO_TRUSTED_ACCOUNT,
} as const;

function publisherImages(at: (days: number) => string): FleetImage[] {
  const P = DEMO_PUBLISHER;
  const orgArn = `arn:aws:organizations::${DEMO_ACCOUNTS.security}:organization/${DEMO_ORGANIZATION.id}`;
  return [
    {
      imageId: P.goldenImageId, name: 'golden-al2023-2026-03', ownerId: P.owner, architecture: 'x86_64', creationDate: at(-250), deprecationTime: at(-20),
      regions: [P.region], sharedWith: [DEMO_ACCOUNTS.prod, DEMO_ACCOUNTS.dev, P.outsideAccount], deregistrationProtection: 'disabled', lastLaunchedTime: at(-2),
      sourceImageId: 'ami-0f080000000000000', sourceImageRegion: P.region,
      usage: [
        { accountId: DEMO_ACCOUNTS.prod, resourceType: 'ec2:Instance', count: 3 }, { accountId: DEMO_ACCOUNTS.prod, resourceType: 'ec2:LaunchTemplate', count: 1 },
        { accountId: DEMO_ACCOUNTS.dev, resourceType: 'ec2:Instance', count: 2 }, { accountId: P.outsideAccount, resourceType: 'ec2:Instance', count: 2 },
      ],
      usageReportPolls: 2,
    },
    {
      imageId: P.currentImageId, name: 'golden-al2023-2026-11', ownerId: P.owner, architecture: 'x86_64', creationDate: at(-15), deprecationTime: at(350),
      regions: [P.region], sharedWithOrganizations: [orgArn], deregistrationProtection: 'enabled-with-cooldown', lastLaunchedTime: at(-1),
      sourceImageId: 'ami-0f082000000000000', sourceImageRegion: P.region,
      // approved by the platform team: the watermark names the key, and the AMI and region it was attached in (it survives copies)
      imageWatermarks: [{ WatermarkKey: `${P.owner}:golden-approved`, SourceImageId: P.currentImageId, SourceImageRegion: P.region, SourceImageCreationTime: at(-15), WatermarkCreationTime: at(-14) }],
    },
    {
      imageId: P.publicImageId, name: 'test-public-2025', ownerId: P.owner, architecture: 'x86_64', creationDate: at(-500), regions: [P.region], public: true,
      lastLaunchedTime: at(-400),
    },
  ];
}
