/**
 * The fleet the local endpoint serves: accounts -> regions -> instances, with the EC2 API's own
 * field names for instances (see docs/fleet-format.md).
 */
import type { InstanceRecord } from '../model/types.js';
import { UserError } from '../model/errors.js';

export type FleetInstance = Omit<InstanceRecord, 'accountId' | 'region'>;

export interface FleetRegion {
  name: string;
  /** true for regions that an account must opt in to (e.g. ap-east-1). */
  optIn?: boolean;
}

export interface FleetAccount {
  accountId: string;
  /** Human label, shown nowhere on the wire. */
  name?: string;
  /** false: every AssumeRole into this account is refused with AccessDenied. Default true. */
  assumable?: boolean;
  /** When set, AssumeRole must carry this ExternalId. */
  externalId?: string;
  /** Role names that exist in the account; default: any name. */
  roleNames?: string[];
  /** Opt-in regions this account has enabled. */
  optedInRegions?: string[];
  /** Allowed AMIs state per region (default `disabled`). */
  allowedImages?: Record<string, 'enabled' | 'audit-mode' | 'disabled'>;
  /** Instances per region. */
  instances?: Record<string, FleetInstance[]>;
}

export interface Fleet {
  fleetVersion: 1;
  caller: { accountId: string; arn?: string };
  regions: FleetRegion[];
  accounts: FleetAccount[];
}

const ACCOUNT_RE = /^\d{12}$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Checks a parsed fleet document; throws a UserError naming the path at fault. */
export function validateFleet(doc: unknown, file = 'fleet'): Fleet {
  const fail = (path: string, what: string): never => {
    throw new UserError(`${file}: ${path}: ${what}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('(root)', 'expected a JSON object');
  const f = doc as Record<string, unknown>;
  if (f.fleetVersion !== 1) fail('fleetVersion', 'expected 1');
  const caller = f.caller as Record<string, unknown> | undefined;
  if (!caller || typeof caller.accountId !== 'string' || !ACCOUNT_RE.test(caller.accountId)) fail('caller.accountId', 'expected a 12-digit account id');
  if (!Array.isArray(f.regions) || f.regions.length === 0) fail('regions', 'expected a non-empty array of {name, optIn?}');
  const regionNames = new Set<string>();
  (f.regions as unknown[]).forEach((r, i) => {
    const name = (r as FleetRegion)?.name;
    if (typeof name !== 'string' || !REGION_RE.test(name)) fail(`regions[${i}].name`, 'expected a region name such as us-east-1');
    regionNames.add(name);
  });
  if (!Array.isArray(f.accounts)) fail('accounts', 'expected an array');
  const seen = new Set<string>();
  (f.accounts as unknown[]).forEach((a, i) => {
    const acc = a as FleetAccount;
    if (typeof acc?.accountId !== 'string' || !ACCOUNT_RE.test(acc.accountId)) fail(`accounts[${i}].accountId`, 'expected a 12-digit account id');
    if (seen.has(acc.accountId)) fail(`accounts[${i}].accountId`, `duplicate account ${acc.accountId}`);
    seen.add(acc.accountId);
    for (const [region, list] of Object.entries(acc.instances ?? {})) {
      if (!regionNames.has(region)) fail(`accounts[${i}].instances.${region}`, 'region is not listed in regions');
      if (!Array.isArray(list)) fail(`accounts[${i}].instances.${region}`, 'expected an array of instances');
      list.forEach((inst, j) => {
        if (typeof inst?.InstanceId !== 'string') fail(`accounts[${i}].instances.${region}[${j}].InstanceId`, 'expected a string');
      });
    }
    for (const [region, state] of Object.entries(acc.allowedImages ?? {})) {
      if (!['enabled', 'audit-mode', 'disabled'].includes(state)) fail(`accounts[${i}].allowedImages.${region}`, 'expected enabled, audit-mode or disabled');
    }
  });
  return doc as Fleet;
}

/** Region facts for one account, as DescribeRegions reports them. */
export function optInStatus(fleet: Fleet, account: FleetAccount | undefined, region: string): 'opt-in-not-required' | 'opted-in' | 'not-opted-in' | null {
  const r = fleet.regions.find((x) => x.name === region);
  if (!r) return null;
  if (!r.optIn) return 'opt-in-not-required';
  return account?.optedInRegions?.includes(region) ? 'opted-in' : 'not-opted-in';
}

/** Counts the instances of a fleet (for summaries and the benchmark). */
export function fleetSize(fleet: Fleet): number {
  let n = 0;
  for (const a of fleet.accounts) for (const list of Object.values(a.instances ?? {})) n += list.length;
  return n;
}
