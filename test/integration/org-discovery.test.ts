/**
 * Organisation discovery through the real AWS SDK against the local endpoint: a 300-account
 * organisation in 12 OUs three deep, paged 20 at a time with empty pages that carry a token, an OU
 * filter, and a caller that may not read the organisation.
 */
import { describe, expect, test } from '@jest/globals';
import type { Emulator } from '../../src/emulator/server.js';
import type { Fleet, FleetOrganization } from '../../src/emulator/fleet.js';
import { buildOrganization } from '../../src/emulator/organizations.js';
import type { FaultPlan } from '../../src/emulator/faults.js';
import { DiscoveryError, discoverForRun } from '../../src/collect/org.js';
import { BASE_CREDS, withEmulator } from '../helpers/emulator.js';

const IDS = Array.from({ length: 300 }, (_, i) => String(100000000000 + i * 7919));
const SUSPENDED = [IDS[10]!, IDS[11]!];
const CLOSED = [IDS[20]!];

function org(over: Partial<FleetOrganization> = {}): FleetOrganization {
  return { ...buildOrganization({ accountIds: IDS, managementAccountId: IDS[0]!, units: 12, depth: 3, seed: 3, suspended: SUSPENDED, closed: CLOSED }), pageSize: 20, emptyPageEvery: 3, ...over };
}

function fleetOf(o: FleetOrganization, caller = o.managementAccountId): Fleet {
  return { fleetVersion: 1, caller: { accountId: caller }, regions: [{ name: 'us-east-1' }], accounts: [], organization: o };
}


const client = (e: Emulator) => ({ endpointUrl: e.url, region: 'us-east-1', maxAttempts: 3, retryMode: 'standard' as const, verifySsl: true, credentials: BASE_CREDS });

/** The OU path of every member, as the fleet defines it. */
function pathsOf(o: FleetOrganization): Map<string, string> {
  const unit = new Map(o.units.map((u) => [u.id, u]));
  const path = (parent: string): string => {
    const u = unit.get(parent);
    return u ? `${path(u.parentId)}/${u.name}` : 'Root';
  };
  return new Map(o.members.map((m) => [m.accountId, path(m.parentId)]));
}

describe('discovery over the wire', () => {
  test('300 accounts in 12 OUs three deep, 20 a page with empty pages between: every account once, with its name, OU path and state', async () => {
    const o = org();
    expect(o.units).toHaveLength(12);
    const d = await withEmulator(fleetOf(o), async (e) => {
      const res = await discoverForRun({ client: client(e) }, {});
      // the endpoint served empty pages that carried a token, and discovery kept asking
      expect(e.stats.byAction.ListAccountsForParent).toBeGreaterThan(300 / 20);
      return res;
    });
    expect(d.accounts).toHaveLength(300);
    expect(new Set(d.accounts.map((a) => a.accountId))).toEqual(new Set(IDS));
    expect(d.units).toBe(12);
    const paths = pathsOf(o);
    for (const a of d.accounts) {
      expect(a.ouPath).toBe(paths.get(a.accountId));
      const m = o.members.find((x) => x.accountId === a.accountId)!;
      expect(a.name).toBe(m.name);
      expect(a.state).toBe(m.state);
    }
    expect(Math.max(...d.accounts.map((a) => a.ouPath!.split('/').length - 1))).toBe(3);
    expect(d.accounts.filter((a) => a.state !== 'ACTIVE').map((a) => a.accountId).sort()).toEqual([...SUSPENDED, ...CLOSED].sort());
    expect(d.managementAccountId).toBe(IDS[0]);
  });

  test('--ou keeps exactly the accounts of that OU and the OUs below it', async () => {
    const o = org();
    // a top-level OU with children
    const top = o.units.find((u) => u.parentId === o.rootId && o.units.some((c) => c.parentId === u.id))!;
    const below = new Set([top.id]);
    for (let grew = true; grew;) {
      grew = false;
      for (const u of o.units) {
        if (below.has(u.parentId) && !below.has(u.id)) {
          below.add(u.id);
          grew = true;
        }
      }
    }
    const expected = o.members.filter((m) => below.has(m.parentId)).map((m) => m.accountId).sort();
    expect(expected.length).toBeGreaterThan(0);
    const d = await withEmulator(fleetOf(o), (e) => discoverForRun({ client: client(e) }, { ous: [top.id] }));
    expect(d.accounts.map((a) => a.accountId)).toEqual(expected);
  });

  test('a member account that is not the management account cannot list the organisation: DiscoveryError, exit 2, naming what is needed', async () => {
    const o = org();
    const e = await withEmulator(fleetOf(o, IDS[5]!), (em) => discoverForRun({ client: client(em) }, { callerAccount: IDS[5]! })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiscoveryError);
    expect((e as DiscoveryError).exitCode).toBe(2);
    expect((e as Error).message).toMatch(/AccessDeniedException.*may not read the organisation: run ami-audit with credentials of the organisation's management account or of a delegated administrator/);
  });

  test('a denied ListAccountsForParent half-way fails the discovery, never a shorter list', async () => {
    const faults: FaultPlan = { rules: [{ service: 'organizations', action: 'ListAccountsForParent', error: 'AccessDeniedException', count: 1 }] };
    const e = await withEmulator(fleetOf(org()), (em) => discoverForRun({ client: client(em) }, {}), faults).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiscoveryError);
    expect((e as Error).message).toMatch(/ListAccountsForParent failed: AccessDeniedException/);
  });

  test('issue 23 item 18: an account moved between OUs while the walk runs is still discovered, with the OU path it has when read again', async () => {
    const o = org();
    // an account deep in an OU the walk reads late moves to the root just after the root's accounts were listed
    const deep = o.members.find((m) => m.parentId !== o.rootId && o.units.find((u) => u.id === m.parentId)!.parentId !== o.rootId && m.state === 'ACTIVE')!;
    const old = deep.parentId;
    const faults: FaultPlan = { rules: [{ service: 'organizations', action: 'ListAccountsForParent', moveAccount: deep.accountId, toParent: o.rootId, count: 1 }] };
    const { d, stats } = await withEmulator(fleetOf(o), async (e) => ({ d: await discoverForRun({ client: client(e) }, {}), stats: { ...e.stats.byAction } }), faults);
    expect(o.members.find((m) => m.accountId === deep.accountId)!.parentId).toBe(o.rootId);
    expect(d.accounts).toHaveLength(300);
    expect(d.accounts.find((a) => a.accountId === deep.accountId)).toMatchObject({ ouPath: 'Root', state: 'ACTIVE', name: deep.name });
    expect(stats.ListAccounts).toBeGreaterThan(0);
    // --ou of its old OU: it is no longer there, and is not audited under it
    o.members.find((m) => m.accountId === deep.accountId)!.parentId = old;
    const narrowed = await withEmulator(fleetOf(o), (e) => discoverForRun({ client: client(e) }, { ous: [old] }), faults);
    expect(narrowed.accounts.some((a) => a.accountId === deep.accountId)).toBe(false);
  });

  test('no organisation: says so and points to --accounts', async () => {
    const f: Fleet = { fleetVersion: 1, caller: { accountId: IDS[0]! }, regions: [{ name: 'us-east-1' }], accounts: [] };
    const e = await withEmulator(f, (em) => discoverForRun({ client: client(em) }, {})).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/AWSOrganizationsNotInUseException.*not in an organisation; list the accounts with --accounts/);
  });
});
