/**
 * Fleets for the local endpoint: a seeded generator for large estates and the built-in demo
 * fleet, which holds at least one instance for every rule ami-audit has.
 */
import type { Fleet, FleetAccount, FleetInstance } from './fleet.js';
import type { ImageMetadata } from '../model/types.js';

/** mulberry32: a small, fast, seeded PRNG; the same seed always gives the same fleet. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
  /** A date all generated dates are relative to (ISO); default 2026-11-26T00:00:00Z. */
  now?: string;
  /** Fraction of instances whose AMI has a problem (default 0.15). */
  unhealthy?: number;
  /** Put every instance in one scope of this index (for throttling scenarios). */
  singleScope?: boolean;
}

/** Builds a fleet deterministically from its options. */
export function generateFleet(opts: GenerateOptions): Fleet {
  const rand = prng(opts.seed ?? 1);
  const now = Date.parse(opts.now ?? '2026-11-26T00:00:00Z');
  const regions = typeof opts.regions === 'number' ? DEFAULT_REGIONS.slice(0, opts.regions) : opts.regions;
  const accounts: FleetAccount[] = [];
  for (let i = 0; i < opts.accounts; i++) accounts.push({ accountId: accountIdFor(i), instances: {} });
  const scopes: [FleetAccount, string][] = [];
  for (const a of accounts) for (const r of regions) scopes.push([a, r]);
  const unhealthy = opts.unhealthy ?? 0.15;

  const images = imageCatalogue(now);
  const counts = new Array<number>(scopes.length).fill(0);
  if (opts.singleScope) counts[0] = opts.instances;
  else {
    const skewI = opts.skewInstances ?? 0;
    const heavy = Math.max(1, Math.round(scopes.length * (opts.skewScopes ?? 0)));
    const heavyTotal = Math.round(opts.instances * skewI);
    const stride = scopes.length / heavy;
    for (let k = 0; k < heavyTotal; k++) counts[Math.floor((k % heavy) * stride)]! += 1;
    for (let k = heavyTotal; k < opts.instances; k++) counts[Math.floor(rand() * scopes.length)]! += 1;
  }
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
  return { fleetVersion: 1, caller: { accountId: '100000000000', arn: 'arn:aws:iam::100000000000:user/auditor' }, regions: regions.map((name) => ({ name })), accounts };
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
