/** Organisation discovery's logic: the walk, paging, errors, and the selection of accounts. */
import { describe, expect, test } from '@jest/globals';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { DiscoveryError, discoverOrganization, selectAccounts, skippedAccountCoverage } from '../../src/collect/org.js';
import type { AccountInfo } from '../../src/model/types.js';
import { UserError } from '../../src/model/errors.js';

interface FakeOrg {
  units: { id: string; name: string; parentId: string }[];
  accounts: { Id: string; Name: string; State?: string; Status?: string; parentId: string }[];
  /** Items per page; every page after an item page is empty but carries a token. */
  pageSize?: number;
  fail?: Record<string, { name: string; message: string }>;
  /** Answers that are not answers: the list key left out. */
  blank?: string;
  /** Accounts ListAccounts returns that no parent lists (moved while the walk ran), with the parent ListParents names. */
  listOnly?: { Id: string; Name: string; State?: string; parentId: string }[];
}

/** A stand-in for the SDK client: answers the commands the discovery sends, by class name, paged. */
function fakeClient(org: FakeOrg) {
  const calls: string[] = [];
  const send = async (cmd: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> => {
    const action = cmd.constructor.name.replace(/Command$/, '');
    calls.push(action);
    const f = org.fail?.[action];
    if (f) throw Object.assign(new Error(f.message), { name: f.name, $metadata: { httpStatusCode: 400 } });
    const page = <T>(key: string, all: T[]): Record<string, unknown> => {
      if (org.blank === action) return {};
      const size = org.pageSize ?? 20;
      // token "<n>e" is an empty page before item page n
      const t = String(cmd.input.NextToken ?? '0');
      const n = parseInt(t, 10);
      if (t.endsWith('e')) return { [key]: [], NextToken: String(n) };
      const items = all.slice(n * size, (n + 1) * size);
      const more = (n + 1) * size < all.length;
      return { [key]: items, ...(more ? { NextToken: `${n + 1}e` } : {}) };
    };
    switch (action) {
      case 'DescribeOrganization': return { Organization: { Id: 'o-abcdefghij', MasterAccountId: '111111111111' } };
      case 'ListRoots': return page('Roots', [{ Id: 'r-ab12', Name: 'Root' }]);
      case 'ListOrganizationalUnitsForParent': return page('OrganizationalUnits', org.units.filter((u) => u.parentId === cmd.input.ParentId).map((u) => ({ Id: u.id, Name: u.name })));
      case 'ListAccountsForParent': return page('Accounts', org.accounts.filter((a) => a.parentId === cmd.input.ParentId).map(({ parentId: _p, ...a }) => a));
      // the organisation's own list: every account, and those only it knows of (moved during the walk)
      case 'ListAccounts': return page('Accounts', [...org.accounts, ...(org.listOnly ?? [])].filter((a, i, all) => all.findIndex((b) => b.Id === a.Id) === i).map(({ parentId: _p, ...a }) => a));
      case 'ListParents': {
        const a = [...(org.listOnly ?? []), ...org.accounts].find((x) => x.Id === cmd.input.ChildId);
        return { Parents: a ? [{ Id: a.parentId, Type: a.parentId.startsWith('r-') ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] : [] };
      }
      default: throw new Error(`unexpected ${action}`);
    }
  };
  return { client: { send } as unknown as OrganizationsClient, calls };
}

const ou = (n: number): string => `ou-ab12-${String(n).padStart(8, '0')}`;
const acct = (n: number): string => String(200000000000 + n);

/** Three levels: Workloads > Prod > Payments, Workloads > Staging, Sandbox. */
function org(): FakeOrg {
  const units = [
    { id: ou(1), name: 'Workloads', parentId: 'r-ab12' },
    { id: ou(2), name: 'Prod', parentId: ou(1) },
    { id: ou(3), name: 'Payments', parentId: ou(2) },
    { id: ou(4), name: 'Staging', parentId: ou(1) },
    { id: ou(5), name: 'Sandbox', parentId: 'r-ab12' },
  ];
  const accounts = [
    { Id: acct(1), Name: 'management', State: 'ACTIVE', parentId: 'r-ab12' },
    ...Array.from({ length: 45 }, (_, i) => ({ Id: acct(10 + i), Name: `payments-${i}`, State: 'ACTIVE', parentId: ou(3) })),
    { Id: acct(2), Name: 'prod-shared', State: 'ACTIVE', parentId: ou(2) },
    { Id: acct(3), Name: 'staging', State: 'ACTIVE', parentId: ou(4) },
    { Id: acct(4), Name: 'old-sandbox', State: 'SUSPENDED', parentId: ou(5) },
    { Id: acct(5), Name: 'closed-sandbox', State: 'CLOSED', parentId: ou(5) },
    // only the retiring Status field
    { Id: acct(6), Name: 'legacy', Status: 'ACTIVE', parentId: ou(5) },
  ];
  return { units, accounts, pageSize: 20 };
}

describe('discoverOrganization', () => {
  test('walks three levels of OUs through empty pages with tokens: every account once, with its OU path and state', async () => {
    const f = fakeClient(org());
    const d = await discoverOrganization(f.client);
    expect(d.organizationId).toBe('o-abcdefghij');
    expect(d.managementAccountId).toBe('111111111111');
    expect(d.accounts).toHaveLength(51);
    expect(new Set(d.accounts.map((a) => a.accountId)).size).toBe(51);
    const by = new Map(d.accounts.map((a) => [a.accountId, a]));
    expect(by.get(acct(10))).toMatchObject({ name: 'payments-0', ouPath: 'Root/Workloads/Prod/Payments', state: 'ACTIVE' });
    expect(by.get(acct(1))).toMatchObject({ ouPath: 'Root', state: 'ACTIVE' });
    expect(by.get(acct(4))).toMatchObject({ name: 'old-sandbox', ouPath: 'Root/Sandbox', state: 'SUSPENDED' });
    expect(by.get(acct(6))!.state).toBe('ACTIVE');
    // 45 accounts under Payments at 20 a page: 3 item pages and 2 empty pages in between
    expect(f.calls.filter((c) => c === 'ListAccountsForParent').length).toBeGreaterThanOrEqual(6 + 4);
    expect(d.units).toBe(5);
    // sorted by id
    expect(d.accounts.map((a) => a.accountId)).toEqual([...d.accounts.map((a) => a.accountId)].sort());
  });

  test('each account keeps its OU path as a list of {id, name}: an OU named with "/" stays one OU', async () => {
    const o = org();
    o.units.push({ id: ou(6), name: 'Team A/B', parentId: ou(1) });
    o.accounts.push({ Id: acct(7), Name: 'slashed', State: 'ACTIVE', parentId: ou(6) });
    const by = new Map((await discoverOrganization(fakeClient(o).client)).accounts.map((a) => [a.accountId, a]));
    expect(by.get(acct(10))!.ouPathParts).toEqual([{ id: 'r-ab12', name: 'Root' }, { id: ou(1), name: 'Workloads' }, { id: ou(2), name: 'Prod' }, { id: ou(3), name: 'Payments' }]);
    expect(by.get(acct(1))!.ouPathParts).toEqual([{ id: 'r-ab12', name: 'Root' }]);
    expect(by.get(acct(7))).toMatchObject({ ouPath: 'Root/Workloads/Team A/B', ouPathParts: [{ id: 'r-ab12', name: 'Root' }, { id: ou(1), name: 'Workloads' }, { id: ou(6), name: 'Team A/B' }] });
    // the selection carries the list into the report's accounts
    const s = selectAccounts([...by.values()], {});
    expect(s.directory.find((a) => a.accountId === acct(7))!.ouPathParts).toEqual(by.get(acct(7))!.ouPathParts);
  });

  test('--ou keeps the accounts of that OU and every OU below it', async () => {
    const d = await discoverOrganization(fakeClient(org()).client, { ous: [ou(1)] });
    expect(d.accounts).toHaveLength(47);
    expect(d.accounts.every((a) => a.ouPath!.startsWith('Root/Workloads'))).toBe(true);
    const two = await discoverOrganization(fakeClient(org()).client, { ous: [ou(4), ou(5)] });
    expect(two.accounts.map((a) => a.name).sort()).toEqual(['closed-sandbox', 'legacy', 'old-sandbox', 'staging']);
  });

  test('an --ou the organisation does not have is a usage error naming it', async () => {
    const e = await discoverOrganization(fakeClient(org()).client, { ous: ['ou-zz99-99999999'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toMatch(/--ou: ou-zz99-99999999 is not an OU of organisation o-abcdefghij/);
  });

  test('a caller that may not read the organisation: exit 2 naming what is needed, never a fallback to its own account', async () => {
    const f = fakeClient({ ...org(), fail: { DescribeOrganization: { name: 'AccessDeniedException', message: 'You don\'t have permissions to access this resource.' } } });
    const e = await discoverOrganization(f.client, { callerAccount: '999999999999' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiscoveryError);
    expect((e as DiscoveryError).exitCode).toBe(2);
    expect((e as Error).message).toMatch(/organizations:DescribeOrganization failed: AccessDeniedException/);
    expect((e as Error).message).toMatch(/999999999999 may not read the organisation: run ami-audit with credentials of the organisation's management account or of a delegated administrator/);
    const notInOrg = await discoverOrganization(fakeClient({ ...org(), fail: { DescribeOrganization: { name: 'AWSOrganizationsNotInUseException', message: 'Your account is not a member of an organization.' } } }).client).catch((x: unknown) => x);
    expect((notInOrg as Error).message).toMatch(/is not in an organisation; list the accounts with --accounts/);
  });

  test('a failure half-way (one OU denied) fails the whole discovery: a partial list would hide accounts', async () => {
    const e = await discoverOrganization(fakeClient({ ...org(), fail: { ListAccountsForParent: { name: 'TooManyRequestsException', message: 'AWS Organizations can\'t complete your request because another request is already in progress.' } } }).client).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiscoveryError);
    expect((e as Error).message).toMatch(/ListAccountsForParent failed: TooManyRequestsException.*could not be listed in full, so nothing was audited/);
  });

  test('an OU without an id is not an answer (its accounts would vanish)', async () => {
    const o = org();
    o.units.push({ id: '', name: 'Ghost', parentId: 'r-ab12' });
    const e = await discoverOrganization(fakeClient(o).client).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiscoveryError);
    expect((e as Error).message).toMatch(/answered an OU without an id under r-ab12/);
  });

  test('a 200 answer without its list is not "no accounts"', async () => {
    const e = await discoverOrganization(fakeClient({ ...org(), blank: 'ListAccountsForParent' }).client).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiscoveryError);
    expect((e as Error).message).toMatch(/ListAccountsForParent answered without Accounts: not an Organizations answer/);
  });
});

describe('the trust of discovery (issue 23)', () => {
  test('item 22: a service message that ends in a period is followed by one period, never two', async () => {
    for (const [name, message] of [['AccessDeniedException', 'You don\'t have permissions to access this resource.'], ['ServiceException', 'Try again later. '], ['AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.']]) {
      const e = await discoverOrganization(fakeClient({ ...org(), fail: { DescribeOrganization: { name: name!, message: message! } } }).client).catch((x: unknown) => x);
      expect((e as Error).message).not.toMatch(/\.\s*\./);
      expect((e as Error).message).toContain(`${message!.trim()} `);
    }
  });

  test('item 21: an OU walk that meets the root again (a cycle through the root) stops with exit 2 naming the cycle, with or without --ou', async () => {
    const o = org();
    // Payments lists the root as one of its OUs
    o.units.push({ id: 'r-ab12', name: 'Root', parentId: ou(3) });
    for (const ous of [undefined, [ou(3)]]) {
      const e = await discoverOrganization(fakeClient(o).client, { ous }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DiscoveryError);
      expect((e as DiscoveryError).exitCode).toBe(2);
      expect((e as Error).message).toContain('r-ab12');
      expect((e as Error).message).toMatch(/cycle/);
      expect((e as Error).message).toContain(`Root/Workloads/Prod/Payments`);
    }
  });

  test('item 21: an OU met twice (listed under two parents) stops with exit 2 naming both places', async () => {
    const o = org();
    // Sandbox (under the root) is listed under Staging as well
    o.units.push({ id: ou(5), name: 'Sandbox', parentId: ou(4) });
    const e = await discoverOrganization(fakeClient(o).client).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiscoveryError);
    expect((e as Error).message).toContain(ou(5));
    expect((e as Error).message).toMatch(/Root\/Workloads\/Staging/);
  });

  test('item 18: an account only ListAccounts knows of is placed where ListParents says it is now (then --ou sees it there)', async () => {
    const o = { ...org(), listOnly: [{ Id: acct(90), Name: 'moved', State: 'ACTIVE', parentId: ou(4) }] };
    const d = await discoverOrganization(fakeClient(o).client);
    expect(d.accounts).toHaveLength(52);
    expect(d.accounts.find((a) => a.accountId === acct(90))).toMatchObject({ ouPath: 'Root/Workloads/Staging', ouIds: [ou(1), ou(4)], state: 'ACTIVE' });
    expect((await discoverOrganization(fakeClient(o).client, { ous: [ou(4)] })).accounts.map((a) => a.accountId)).toContain(acct(90));
  });

  test('item 18: an account only ListAccounts knows of, under a parent the walk did not read: exit 2 naming it, never missing from an exit-0 run', async () => {
    const o = { ...org(), listOnly: [{ Id: acct(91), Name: 'elsewhere', State: 'ACTIVE', parentId: 'ou-ab12-99999999' }] };
    const e = await discoverOrganization(fakeClient(o).client).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DiscoveryError);
    expect((e as Error).message).toContain(`account ${acct(91)} (elsewhere) is in the organisation`);
    expect((e as Error).message).toContain('ou-ab12-99999999');
  });

  test('item 21: an OU repeated within one parent\'s listing (a page served twice) is not a cycle', async () => {
    const o = org();
    o.units.push({ ...o.units[3]! });
    const d = await discoverOrganization(fakeClient(o).client);
    expect(d.accounts).toHaveLength(51);
  });
});

describe('selectAccounts', () => {
  const found: AccountInfo[] = [
    { accountId: acct(1), name: 'a', ouPath: 'Root', state: 'ACTIVE' },
    { accountId: acct(2), name: 'b', ouPath: 'Root/X', state: 'ACTIVE' },
    { accountId: acct(3), name: 'c', ouPath: 'Root/X', state: 'SUSPENDED' },
    { accountId: acct(4), name: 'd', ouPath: 'Root/Y', state: 'PENDING_CLOSURE' },
  ];

  test('not ACTIVE accounts are skipped with their state, never audited, never dropped', () => {
    const s = selectAccounts(found, {});
    expect(s.audit).toEqual([acct(1), acct(2)]);
    expect(s.skipped).toEqual([{ accountId: acct(3), state: 'SUSPENDED' }, { accountId: acct(4), state: 'PENDING_CLOSURE' }]);
    expect(s.directory.map((a) => a.accountId)).toEqual([acct(1), acct(2), acct(3), acct(4)]);
  });

  test('include narrows, exclude removes, --accounts adds (the union); config names fill in where the organisation has none', () => {
    const s = selectAccounts(found, { include: [acct(1), acct(3)], exclude: [acct(1)], explicit: ['300000000000'], names: { '300000000000': 'outside' } });
    expect(s.audit).toEqual(['300000000000']);
    expect(s.skipped).toEqual([{ accountId: acct(3), state: 'SUSPENDED' }]);
    expect(s.directory.find((a) => a.accountId === '300000000000')).toEqual({ accountId: '300000000000', name: 'outside', ouPath: null, state: null });
  });

  test('an include or exclude id discovery did not find is a usage error', () => {
    expect(() => selectAccounts(found, { exclude: ['123456789012'], ous: ['ou-ab12-00000001'] })).toThrow(/--exclude-accounts: 123456789012 is not among the 4 accounts discovered by --org under --ou ou-ab12-00000001/);
    expect(() => selectAccounts(found, { include: ['123456789012'] })).toThrow(UserError);
  });
});

test('skipped accounts get one skipped entry per region of the run, the state as the reason', () => {
  const c = skippedAccountCoverage([{ accountId: acct(3), state: 'SUSPENDED' }], ['eu-west-1', 'us-east-1']);
  expect(c.map((e) => [e.accountId, e.region, e.status, e.reason])).toEqual([[acct(3), 'eu-west-1', 'skipped', 'SUSPENDED'], [acct(3), 'us-east-1', 'skipped', 'SUSPENDED']]);
  expect(skippedAccountCoverage([{ accountId: acct(3), state: 'CLOSED' }], []).map((e) => e.region)).toEqual(['*']);
});
