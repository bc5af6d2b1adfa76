/**
 * Fleets for the local endpoint: a seeded generator for large estates and the built-in demo
 * fleet, which holds at least one instance for every rule ami-audit has.
 */
import type { Fleet, FleetAccount, FleetInstance, FleetOrgMember } from './fleet-types.js';
import { prng } from './prng.js';

export { prng } from './prng.js';
import type { ImageMetadata } from '../model/types.js';

export const DEFAULT_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3',
  'eu-central-1', 'eu-north-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ap-southeast-1', 'ap-southeast-2', 'sa-east-1',
];

const DIRECTION: Record<string, string> = {
  east: 'e', west: 'w', north: 'n', south: 's', central: 'c', northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw',
};

/** The zone-id prefix AWS uses for a region: us-east-1 -> use1, ap-southeast-2 -> apse2. */
export function zonePrefix(region: string): string {
  const parts = region.split('-');
  const head = parts[0] ?? '';
  const num = parts[parts.length - 1] ?? '';
  const mid = parts.slice(1, -1).map((p) => DIRECTION[p] ?? p.slice(0, 1)).join('');
  return `${head}${mid}${num}`;
}

export function accountIdFor(i: number): string {
  return String(100000000001 + i).padStart(12, '0');
}

export function instanceIdFor(n: number, salt = 0): string {
  const hex = ((n * 2654435761 + salt) >>> 0).toString(16).padStart(8, '0') + n.toString(16).padStart(9, '0');
  return `i-${hex.slice(-17)}`;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const DAY = 86_400_000;
/** What a generated fleet's dates are relative to when its options give no `now` (its `asOf`). */
const DEFAULT_NOW = '2026-11-26T00:00:00Z';

export interface GenerateOptions {
  seed?: number;
  accounts: number;
  /** Region names, or a count of the default region list. */
  regions: string[] | number;
  instances: number;
  /** Fraction of the instances placed in the heaviest scopes (0 = even spread). */
  skewInstances?: number;
  /** Fraction of the scopes that hold those instances. */
  skewScopes?: number;
  /** A date all generated dates are relative to (ISO), and the fleet's `asOf`; default 2026-11-26T00:00:00Z. */
  now?: string;
  /** Fraction of instances whose AMI has a problem (default 0.15). */
  unhealthy?: number;
  /** Put every instance in one scope of this index (for throttling scenarios). */
  singleScope?: boolean;
  /**
   * `uniform` (the default): short repeated strings (ids from a counter, 97 names, 11 AMIs), as the
   * golden files use. `realistic`: strings like a real estate's, for the benchmark: every instance
   * id random, a unique Name tag and a team tag on every instance, 400 AMIs of many owners with
   * varied creation and deprecation dates (see realisticFleet).
   */
  style?: 'uniform' | 'realistic';
  /**
   * With N > 0: an AWS Organizations organisation of the caller (its management account) and
   * every generated account, dealt round-robin (by account id) into N OUs under the root, so that
   * `scan --org` discovers them; a realistic fleet's golden images' owner (GOLDEN_IMAGE_ACCOUNT,
   * running no instances) is a member too, as a platform team's account is. The management account
   * is an audited account too (running no instances, the role there), so a generated `scan --org`
   * is complete. 0 or absent: no organisation, and no account beyond the generated ones.
   */
  organization?: number;
}

/** How many instances each scope gets: the skewed share in evenly spaced heavy scopes, the rest at random. */
function scopeCounts(opts: GenerateOptions, scopes: number, rand: () => number): number[] {
  const counts = new Array<number>(scopes).fill(0);
  if (opts.singleScope) counts[0] = opts.instances;
  else {
    const skewI = opts.skewInstances ?? 0;
    const heavy = Math.max(1, Math.round(scopes * (opts.skewScopes ?? 0)));
    const heavyTotal = Math.round(opts.instances * skewI);
    const stride = scopes / heavy;
    for (let k = 0; k < heavyTotal; k++) counts[Math.floor((k % heavy) * stride)]! += 1;
    for (let k = heavyTotal; k < opts.instances; k++) counts[Math.floor(rand() * scopes)]! += 1;
  }
  return counts;
}

/** The account that owns a realistic fleet's private golden images (the platform team's). */
export const GOLDEN_IMAGE_ACCOUNT = '555500000001';

/** Builds a fleet deterministically from its options. */
export function generateFleet(opts: GenerateOptions): Fleet {
  const fleet = opts.style === 'realistic' ? realisticFleet(opts) : uniformFleet(opts);
  if (!opts.organization) return fleet;
  // In a real estate the account that builds the golden images is one of the organisation's.
  const shared = opts.style === 'realistic' ? [{ accountId: GOLDEN_IMAGE_ACCOUNT, name: 'platform-golden-images' }] : [];
  return withOrganization(fleet, opts.organization, shared);
}

/** The name of a generated organisation's management account (the caller's). */
const MANAGEMENT_NAME = 'management';

/**
 * The fleet with an organisation: the caller manages it; its accounts, and the `shared` accounts
 * (added to the fleet, running no instances), in `units` OUs, dealt by account id. The management
 * account is an audited account as well (added to the fleet, running no instances): in AWS it is a
 * member of its organisation, and an estate that deploys the audit role with self-managed
 * StackSets, or by hand, has the role there too, so `scan --org --role-name R` covers it and a
 * clean generated organisation's scan is complete.
 */
function withOrganization(fleet: Fleet, units: number, shared: { accountId: string; name: string }[]): Fleet {
  const rootId = 'r-gen0';
  const ous = Array.from({ length: units }, (_, i) => ({ id: `ou-gen0-${String(i + 1).padStart(8, '0')}`, name: `Unit ${i + 1}`, parentId: rootId }));
  const caller = fleet.caller.accountId;
  const wanted = [...shared, { accountId: caller, name: MANAGEMENT_NAME }];
  const added = wanted.filter((s, i) => !fleet.accounts.some((a) => a.accountId === s.accountId) && wanted.findIndex((w) => w.accountId === s.accountId) === i);
  const accounts: FleetAccount[] = [...fleet.accounts, ...added.map((s) => ({ accountId: s.accountId, name: s.name, instances: {} }))];
  const nameOf = new Map(added.map((s) => [s.accountId, s.name]));
  const ids = accounts.map((a) => a.accountId).filter((id) => id !== caller).sort();
  const members: FleetOrgMember[] = [
    { accountId: caller, name: MANAGEMENT_NAME, email: 'aws+management@example.com', state: 'ACTIVE', parentId: rootId },
    ...ids.map((accountId, i) => ({ accountId, name: nameOf.get(accountId) ?? `account-${String(i + 1).padStart(4, '0')}`, email: `aws+${accountId}@example.com`, state: 'ACTIVE' as const, parentId: ous[i % units]!.id })),
  ];
  return { ...fleet, accounts, organization: { id: 'o-generated00', managementAccountId: fleet.caller.accountId, rootId, units: ous, members } };
}

function uniformFleet(opts: GenerateOptions): Fleet {
  const rand = prng(opts.seed ?? 1);
  const now = Date.parse(opts.now ?? DEFAULT_NOW);
  const regions = typeof opts.regions === 'number' ? DEFAULT_REGIONS.slice(0, opts.regions) : opts.regions;
  const accounts: FleetAccount[] = [];
  for (let i = 0; i < opts.accounts; i++) accounts.push({ accountId: accountIdFor(i), instances: {} });
  const scopes: [FleetAccount, string][] = [];
  for (const a of accounts) for (const r of regions) scopes.push([a, r]);
  const unhealthy = opts.unhealthy ?? 0.15;

  const images = imageCatalogue(now);
  const counts = scopeCounts(opts, scopes.length, rand);
  let n = 0;
  scopes.forEach(([acc, region], s) => {
    const c = counts[s]!;
    if (c === 0) return;
    const list: FleetInstance[] = [];
    const prefix = zonePrefix(region);
    for (let k = 0; k < c; k++, n++) {
      const az = 'abc'[n % 3]!;
      const img = rand() < unhealthy ? images.unhealthy[Math.floor(rand() * images.unhealthy.length)]! : images.healthy[Math.floor(rand() * images.healthy.length)]!;
      const terminated = rand() < 0.01;
      list.push({
        InstanceId: instanceIdFor(n, opts.seed ?? 1),
        InstanceType: ['t3.micro', 'm7i.large', 'c7g.xlarge', 'r6i.2xlarge'][n % 4]!,
        LaunchTime: iso(now - Math.floor(rand() * 400) * DAY - (n % 86400) * 1000),
        AvailabilityZone: `${region}${az}`,
        ZoneId: `${prefix}-az${(n % 3) + 1}`,
        State: terminated ? { Code: 48, Name: 'terminated' } : n % 10 === 9 ? { Code: 80, Name: 'stopped' } : { Code: 16, Name: 'running' },
        OwnerId: acc.accountId,
        Tags: [{ Key: 'Name', Value: `app-${n % 97}` }, { Key: 'env', Value: ['prod', 'staging', 'dev'][n % 3]! }],
        ImageMetadata: img,
        Operator: { Managed: false },
      });
    }
    acc.instances![region] = list;
  });
  return { fleetVersion: 1, asOf: new Date(now).toISOString(), caller: { accountId: '100000000000', arn: 'arn:aws:iam::100000000000:user/auditor' }, regions: regions.map((name) => ({ name })), accounts };
}

function imageCatalogue(now: number): { healthy: ImageMetadata[]; unhealthy: ImageMetadata[] } {
  const amazon = (id: string, name: string, ageDays: number, extra: Partial<ImageMetadata> = {}): ImageMetadata => ({
    ImageId: id, Name: name, OwnerId: '137112412989', State: 'available', ImageOwnerAlias: 'amazon',
    CreationDate: iso(now - ageDays * DAY), DeprecationTime: iso(now - ageDays * DAY + 730 * DAY), ImageAllowed: true, IsPublic: true, ...extra,
  });
  return {
    healthy: [
      amazon('ami-0a1b2c3d4e5f60001', 'al2023-ami-2023.9.20261101.0-kernel-6.1-x86_64', 25),
      amazon('ami-0a1b2c3d4e5f60002', 'al2023-ami-2023.9.20261015.0-kernel-6.1-arm64', 42),
      amazon('ami-0a1b2c3d4e5f60003', 'Windows_Server-2025-English-Full-Base-2026.10.15', 42),
      amazon('ami-0a1b2c3d4e5f60004', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261002', 55, { OwnerId: '099720109477', ImageOwnerAlias: 'aws-marketplace' }),
    ],
    unhealthy: [
      amazon('ami-0b1b2c3d4e5f60011', 'amzn2-ami-hvm-2.0.20230926.0-x86_64-gp2', 790),
      amazon('ami-0b1b2c3d4e5f60012', 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64', 710),
      amazon('ami-0b1b2c3d4e5f60013', 'ubuntu-focal-20.04-amd64-server-20241101', 400, { State: 'deregistered' }),
      amazon('ami-0b1b2c3d4e5f60014', 'rhel-9.2-x86_64-20240601', 300, { State: 'disabled' }),
      amazon('ami-0b1b2c3d4e5f60015', 'golden-base-2024-02', 300, { OwnerId: '555555555555', ImageOwnerAlias: undefined, IsPublic: false }),
      amazon('ami-0b1b2c3d4e5f60016', 'cheap-nginx-community', 120, { OwnerId: '987654321098', ImageOwnerAlias: undefined, ImageAllowed: false }),
      { ImageId: 'ami-0b1b2c3d4e5f60017' },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Realistic fleets (style: 'realistic')

const TEAMS = [
  'payments', 'checkout', 'search', 'catalog', 'identity', 'platform', 'data-eng', 'analytics', 'ml-infra', 'messaging',
  'notifications', 'billing', 'fraud', 'risk', 'ledger', 'shipping', 'inventory', 'pricing', 'recommendations', 'ads',
  'media', 'streaming', 'mobile-backend', 'web-frontend', 'growth', 'crm', 'support-tools', 'observability', 'sre', 'security',
  'devex', 'ci-runners', 'edge', 'networking', 'storage', 'databases', 'kafka', 'etl', 'reporting', 'partner-api',
  'loyalty', 'marketplace', 'onboarding', 'compliance', 'hr-systems', 'finance-it', 'geo', 'maps',
];
const SERVICES = [
  'api', 'worker', 'web', 'batch', 'cron', 'gateway', 'consumer', 'producer', 'scheduler', 'indexer', 'cache', 'proxy',
  'ingest', 'export', 'sync', 'auth', 'admin', 'render', 'transcoder', 'bastion', 'runner', 'collector', 'router', 'query',
];
const ENVS = ['prod', 'prod', 'prod', 'staging', 'dev', 'sandbox'];
const INSTANCE_TYPES = [
  't3.micro', 't3.small', 't3.medium', 't3.large', 't3a.medium', 't3a.large', 't4g.small', 't4g.medium', 't4g.large',
  'm5.large', 'm5.xlarge', 'm5.2xlarge', 'm6i.large', 'm6i.xlarge', 'm6i.4xlarge', 'm6g.large', 'm6g.xlarge', 'm7i.large',
  'm7i.2xlarge', 'm7g.large', 'm7g.xlarge', 'c5.large', 'c5.2xlarge', 'c6i.xlarge', 'c6g.2xlarge', 'c7g.xlarge', 'c7i.4xlarge',
  'r5.large', 'r5.2xlarge', 'r6i.xlarge', 'r6g.4xlarge', 'r7i.2xlarge', 'i4i.2xlarge', 'g5.xlarge', 'p4d.24xlarge', 'x2idn.16xlarge',
];
const STATES: [number, string, number][] = [[16, 'running', 0.86], [80, 'stopped', 0.11], [48, 'terminated', 0.015], [0, 'pending', 0.005], [64, 'stopping', 0.005], [32, 'shutting-down', 0.005]];

/** A date as EC2 writes image dates: milliseconds always present. */
const isoMs = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();
const ymd = (ms: number, sep = ''): string => new Date(ms).toISOString().slice(0, 10).replaceAll('-', sep);

function hexOf(rand: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += ((rand() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

/** Zipf-like popularity over n items (weight 1/(rank+1)): cumulative weights for sampling. */
function zipf(n: number): Float64Array {
  const cum = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cum[k] = sum += 1 / (k + 1);
  for (let k = 0; k < n; k++) cum[k]! /= sum;
  return cum;
}

function pick(cum: Float64Array, x: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many distinct AMIs a realistic fleet's instances run on (at most). */
export const REALISTIC_AMIS = 400;

/**
 * 400 AMIs of the owners a real estate runs: Amazon Linux 2023 and 2, Windows, EKS-optimised and
 * Bottlerocket (amazon), Ubuntu (Canonical), RHEL (Red Hat), the organisation's own private golden
 * images, Marketplace and community images; created over three years, most with the two-year
 * deprecation AWS sets (so some already deprecated), some deregistered or disabled, some that the
 * Allowed AMIs criteria exclude, and a few whose metadata the caller cannot see (only the id).
 * In popularity order (most used first, roughly newest first): the AMIs with a problem of their
 * own are in the tail.
 */
function realisticImages(rand: () => number, now: number): ImageMetadata[] {
  const int = (n: number): number => Math.floor(rand() * n);
  const created = (): number => now - (3 + int(1100)) * DAY - int(86_400) * 1000;
  const arch = (): string => (rand() < 0.7 ? 'x86_64' : 'arm64');
  const healthy: ImageMetadata[] = [];
  const problem: ImageMetadata[] = [];
  const base = (ImageId: string, Name: string, OwnerId: string, alias: string | undefined, c: number, deprecateDays: number | null, extra: Partial<ImageMetadata> = {}): ImageMetadata => ({
    ImageId, Name, OwnerId, State: 'available', ...(alias ? { ImageOwnerAlias: alias } : {}), CreationDate: isoMs(c),
    ...(deprecateDays === null ? {} : { DeprecationTime: isoMs(c + deprecateDays * DAY) }), ImageAllowed: true, IsPublic: OwnerId !== GOLDEN_IMAGE_ACCOUNT, ...extra,
  });
  const id = (): string => `ami-0${hexOf(rand, 16)}`;
  const families: [number, () => ImageMetadata][] = [
    [80, () => { const c = created(); return base(id(), `al2023-ami-2023.${int(9) + 1}.${ymd(c)}.${int(3)}-kernel-6.${rand() < 0.7 ? 1 : 12}-${arch()}`, '137112412989', 'amazon', c, 730); }],
    [50, () => { const c = created(); return base(id(), `amzn2-ami-kernel-5.10-hvm-2.0.${ymd(c)}.${int(2)}-${arch()}-gp2`, '137112412989', 'amazon', c, 730); }],
    [30, () => { const c = created(); return base(id(), `Windows_Server-${rand() < 0.6 ? '2022' : '2019'}-English-Full-Base-${ymd(c, '.')}`, '801119661308', 'amazon', c, 730); }],
    [40, () => { const c = created(); return base(id(), `amazon-eks-node-al2023-${arch()}-standard-1.${27 + int(6)}-v${ymd(c)}`, '602401143452', 'amazon', c, 730); }],
    [20, () => { const c = created(); return base(id(), `bottlerocket-aws-k8s-1.${27 + int(6)}-${arch()}-v1.${20 + int(20)}.${int(5)}-${hexOf(rand, 8)}`, '092701018921', 'amazon', c, 730); }],
    [50, () => { const c = created(); return base(id(), `ubuntu/images/hvm-ssd-gp3/ubuntu-${rand() < 0.6 ? 'noble-24.04' : 'jammy-22.04'}-${arch() === 'arm64' ? 'arm64' : 'amd64'}-server-${ymd(c)}`, '099720109477', undefined, c, 730); }],
    [20, () => { const c = created(); return base(id(), `RHEL-9.${int(5)}.0_HVM-${ymd(c)}-x86_64-${int(90)}-Hourly2-GP3`, '309956199498', undefined, c, 730); }],
    [66, () => { const c = created(); return base(id(), `golden-${TEAMS[int(TEAMS.length)]}-${rand() < 0.5 ? 'al2023' : 'ubuntu2404'}-${ymd(c, '-')}-build${int(900) + 100}`, GOLDEN_IMAGE_ACCOUNT, undefined, c, rand() < 0.6 ? 365 : null); }],
    [10, () => { const c = created(); return base(id(), `${['nginx-plus', 'f5-bigip', 'paloalto-vm', 'sophos-utm', 'tableau-server'][int(5)]}-${int(20)}.${int(10)}-${hexOf(rand, 8)}-${hexOf(rand, 4)}-${hexOf(rand, 4)}-${hexOf(rand, 12)}`, '679593333241', 'aws-marketplace', c, rand() < 0.5 ? 730 : null); }],
  ];
  for (const [n, make] of families) for (let k = 0; k < n; k++) healthy.push(make());
  // The problems: deregistered and disabled images, images outside the Allowed AMIs criteria, and
  // images whose metadata the caller cannot see.
  for (let k = 0; k < 8; k++) { const c = created(); problem.push(base(id(), `golden-legacy-${hexOf(rand, 6)}-${ymd(c, '-')}`, GOLDEN_IMAGE_ACCOUNT, undefined, c, 365, { State: 'deregistered' })); }
  for (let k = 0; k < 4; k++) { const c = created(); problem.push(base(id(), `RHEL-8.${int(10)}.0_HVM-${ymd(c)}-x86_64-${int(90)}-Hourly2-GP2`, '309956199498', undefined, c, 730, { State: 'disabled' })); }
  for (let k = 0; k < 10; k++) { const c = created(); problem.push(base(id(), `${['community-nginx', 'hardened-debian', 'cheap-k3s', 'free-vpn-server'][int(4)]}-${ymd(c)}-${hexOf(rand, 6)}`, String(200000000000 + int(700000000000)), undefined, c, null, { ImageAllowed: false })); }
  for (let k = 0; k < 6; k++) { const c = created(); problem.push(base(id(), `${['openvpn-as', 'jenkins-bitnami', 'gitlab-ce'][int(3)]}-${int(10)}.${int(10)}-${hexOf(rand, 8)}-${hexOf(rand, 4)}-${hexOf(rand, 12)}`, '679593333241', 'aws-marketplace', c, null, { ImageAllowed: false })); }
  for (let k = 0; k < 6; k++) problem.push({ ImageId: id() });
  // Popularity follows recency, loosely: newest first, then each moved by up to 40 places (teams
  // roll out new images, but not in lockstep); the problem ones take ranks in the tail.
  healthy.sort((a, b) => (a.CreationDate! < b.CreationDate! ? 1 : a.CreationDate! > b.CreationDate! ? -1 : 0));
  const order = healthy.map((img, k) => ({ img, key: k + rand() * 80 }));
  order.sort((a, b) => a.key - b.key);
  healthy.splice(0, healthy.length, ...order.map((o) => o.img));
  const out = healthy.slice(0, 150);
  const tail = healthy.slice(150);
  for (const p of problem) tail.splice(int(tail.length + 1), 0, p);
  return [...out, ...tail];
}

/**
 * A fleet with the strings of a real estate (style: 'realistic'): random 17-digit instance ids;
 * on every instance a unique Name tag (`<team>-<service>-<env>-<serial><random>`) and a `team`
 * tag (48 teams, each account running one to three of them), in either order; 36 instance types;
 * launch times over 900 days to the second; zones a-c (a-d in us-east-1) with account-specific
 * zone ids; 86 % running, 11 % stopped, the rest terminated or in transition; 3 % managed by EKS;
 * the 400 AMIs of realisticImages with Zipf-like popularity (about 2 % of instances on an AMI
 * outside the Allowed AMIs criteria or with unreadable metadata); Allowed AMIs enabled in about
 * 5 % of the scopes and in audit-mode in 10 %. Scope sizes follow `skewInstances`/`skewScopes`.
 */
function realisticFleet(opts: GenerateOptions): Fleet {
  const rand = prng(opts.seed ?? 1);
  const int = (n: number): number => Math.floor(rand() * n);
  const now = Date.parse(opts.now ?? DEFAULT_NOW);
  const regions = typeof opts.regions === 'number' ? DEFAULT_REGIONS.slice(0, opts.regions) : opts.regions;
  const images = realisticImages(rand, now);
  const popularity = zipf(images.length);
  const accounts: FleetAccount[] = [];
  const teamsOf: string[][] = [];
  const envOf: string[] = [];
  for (let i = 0; i < opts.accounts; i++) {
    const acc: FleetAccount = { accountId: accountIdFor(i), instances: {} };
    for (const r of regions) {
      const x = rand();
      if (x < 0.05) (acc.allowedImages ??= {})[r] = 'enabled';
      else if (x < 0.15) (acc.allowedImages ??= {})[r] = 'audit-mode';
    }
    accounts.push(acc);
    teamsOf.push(Array.from({ length: 1 + int(3) }, () => TEAMS[int(TEAMS.length)]!));
    envOf.push(ENVS[int(ENVS.length)]!);
  }
  const scopes: [number, string][] = [];
  for (let a = 0; a < accounts.length; a++) for (const r of regions) scopes.push([a, r]);
  const counts = scopeCounts(opts, scopes.length, rand);
  const ids = new Set<string>();
  const stateCum: number[] = [];
  STATES.reduce((s, [, , p]) => (stateCum.push(s + p), s + p), 0);
  let n = 0;
  scopes.forEach(([a, region], s) => {
    const c = counts[s]!;
    if (c === 0) return;
    const acc = accounts[a]!;
    const prefix = zonePrefix(region);
    const zones = region === 'us-east-1' ? 4 : 3;
    const shift = a % zones;
    const list: FleetInstance[] = [];
    for (let k = 0; k < c; k++, n++) {
      let id: string;
      do id = `i-0${hexOf(rand, 16)}`; while (ids.has(id));
      ids.add(id);
      const team = teamsOf[a]![int(teamsOf[a]!.length)]!;
      const name = `${team}-${SERVICES[int(SERVICES.length)]}-${envOf[a]}-${n.toString(36).padStart(4, '0')}${hexOf(rand, 4)}`;
      const tags = rand() < 0.5 ? [{ Key: 'Name', Value: name }, { Key: 'team', Value: team }] : [{ Key: 'team', Value: team }, { Key: 'Name', Value: name }];
      const z = int(zones);
      const x = rand();
      const [code, state] = STATES[Math.max(0, stateCum.findIndex((p) => x < p))]!;
      const managed = rand() < 0.03;
      list.push({
        InstanceId: id,
        InstanceType: INSTANCE_TYPES[int(INSTANCE_TYPES.length)]!,
        LaunchTime: isoMs(now - int(900 * 86_400) * 1000),
        AvailabilityZone: `${region}${'abcd'[z]}`,
        ZoneId: `${prefix}-az${((z + shift) % zones) + 1}`,
        State: { Code: code, Name: state },
        OwnerId: acc.accountId,
        Tags: tags,
        ImageMetadata: images[pick(popularity, rand())]!,
        Operator: managed ? { Managed: true, Principal: 'eks.amazonaws.com' } : { Managed: false },
      });
    }
    acc.instances![region] = list;
  });
  return { fleetVersion: 1, asOf: new Date(now).toISOString(), caller: { accountId: '100000000000', arn: 'arn:aws:iam::100000000000:user/auditor' }, regions: regions.map((name) => ({ name })), accounts };
}
