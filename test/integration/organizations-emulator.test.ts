/** AWS Organizations on the local endpoint, driven by the real AWS SDK over loopback. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import {
  DescribeOrganizationCommand, DescribeOrganizationalUnitCommand, ListAccountsCommand, ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand,
  ListParentsCommand, ListRootsCommand, paginateListAccounts, type Account,
} from '@aws-sdk/client-organizations';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { Emulator } from '../../src/emulator/server.js';
import { validateFleet, type Fleet, type FleetOrganization } from '../../src/emulator/fleet.js';
import { buildOrganization } from '../../src/emulator/organizations.js';
import { demoFleet, DEMO_ACCOUNTS, DEMO_ORGANIZATION } from '../../src/emulator/demo.js';
import { validateFaults } from '../../src/emulator/faults.js';
import { ec2, emulator, NOW, organizations, rejection, sts, withEmulator } from '../helpers/emulator.js';

const MGMT = '111111111111';
const ORG: FleetOrganization = {
  id: 'o-a1b2c3d4e5',
  managementAccountId: MGMT,
  rootId: 'r-ab12',
  units: [
    { id: 'ou-ab12-wrkloads1', name: 'Workloads', parentId: 'r-ab12' },
    { id: 'ou-ab12-prod0001', name: 'Prod', parentId: 'ou-ab12-wrkloads1' },
    { id: 'ou-ab12-payments', name: 'Payments', parentId: 'ou-ab12-prod0001' },
    { id: 'ou-ab12-sandbox1', name: 'Sandbox', parentId: 'r-ab12' },
  ],
  members: [
    { accountId: MGMT, name: 'org-management', email: 'aws-management@example.com', state: 'ACTIVE', parentId: 'r-ab12', joinedTimestamp: '2019-04-01T10:00:00Z', joinedMethod: 'INVITED' },
    { accountId: '222222222222', name: 'payments-prod', email: 'aws-payments-prod@example.com', state: 'ACTIVE', parentId: 'ou-ab12-payments', joinedTimestamp: '2021-06-15T08:30:00.000Z' },
    { accountId: '333333333333', name: 'sandbox-alice', email: 'aws-sandbox-alice@example.com', state: 'SUSPENDED', parentId: 'ou-ab12-sandbox1', joinedTimestamp: '2022-01-01T00:00:00Z' },
    { accountId: '444444444444', name: 'sandbox-bob', email: 'aws-sandbox-bob@example.com', state: 'CLOSED', parentId: 'ou-ab12-sandbox1', joinedTimestamp: '2022-02-01T00:00:00Z' },
    { accountId: '555555555555', name: 'audit-delegated', email: 'aws-audit@example.com', state: 'ACTIVE', parentId: 'ou-ab12-wrkloads1' },
  ],
  delegatedAdministrators: ['555555555555'],
};

const fleet: Fleet = {
  fleetVersion: 1,
  caller: { accountId: MGMT, arn: `arn:aws:iam::${MGMT}:user/auditor` },
  regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
  accounts: [{ accountId: MGMT }, { accountId: '222222222222' }, { accountId: '555555555555' }, { accountId: '666666666666' }],
  organization: ORG,
};

/** 300 accounts in 12 OUs nested 3 deep; the first is the management account. */
const BIG_IDS = Array.from({ length: 300 }, (_, i) => String(100000000000 + i * 7919));
const bigOrg = (over: Partial<FleetOrganization> = {}): FleetOrganization => ({
  ...buildOrganization({ accountIds: BIG_IDS, managementAccountId: BIG_IDS[0]!, units: 12, depth: 3, seed: 7, suspended: [BIG_IDS[10]!], closed: [BIG_IDS[20]!] }),
  ...over,
});
const bigFleet = (org: FleetOrganization): Fleet => ({ fleetVersion: 1, caller: { accountId: org.managementAccountId }, regions: [{ name: 'us-east-1' }], accounts: [], organization: org });


let e: Emulator;
beforeAll(async () => {
  e = await emulator({ fleet });
});
afterAll(async () => e.close());

describe('shapes round-trip through the SDK', () => {
  test('DescribeOrganization', async () => {
    const out = await organizations(e).send(new DescribeOrganizationCommand({}));
    expect(out.Organization).toEqual({
      Id: 'o-a1b2c3d4e5',
      Arn: `arn:aws:organizations::${MGMT}:organization/o-a1b2c3d4e5`,
      FeatureSet: 'ALL',
      MasterAccountId: MGMT,
      MasterAccountArn: `arn:aws:organizations::${MGMT}:account/o-a1b2c3d4e5/${MGMT}`,
      MasterAccountEmail: 'aws-management@example.com',
      AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
    });
  });
  test('ListRoots', async () => {
    const out = await organizations(e).send(new ListRootsCommand({}));
    expect(out.Roots).toEqual([{ Id: 'r-ab12', Arn: `arn:aws:organizations::${MGMT}:root/o-a1b2c3d4e5/r-ab12`, Name: 'Root', PolicyTypes: [] }]);
    expect(out.NextToken).toBeUndefined();
  });
  test('ListOrganizationalUnitsForParent and DescribeOrganizationalUnit', async () => {
    const top = await organizations(e).send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'r-ab12' }));
    expect(top.OrganizationalUnits).toEqual([
      { Id: 'ou-ab12-wrkloads1', Arn: `arn:aws:organizations::${MGMT}:ou/o-a1b2c3d4e5/ou-ab12-wrkloads1`, Name: 'Workloads' },
      { Id: 'ou-ab12-sandbox1', Arn: `arn:aws:organizations::${MGMT}:ou/o-a1b2c3d4e5/ou-ab12-sandbox1`, Name: 'Sandbox' },
    ]);
    const leaf = await organizations(e).send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'ou-ab12-payments' }));
    expect(leaf.OrganizationalUnits).toEqual([]);
    const one = await organizations(e).send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: 'ou-ab12-prod0001' }));
    expect(one.OrganizationalUnit).toEqual({ Id: 'ou-ab12-prod0001', Arn: `arn:aws:organizations::${MGMT}:ou/o-a1b2c3d4e5/ou-ab12-prod0001`, Name: 'Prod' });
    const missing = await rejection(() => organizations(e).send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: 'ou-ab12-zzzzzzzz' })));
    expect(missing.name).toBe('OrganizationalUnitNotFoundException');
  });
  test('ListAccounts: every field, JoinedTimestamp as a Date, Status beside State', async () => {
    const out = await organizations(e).send(new ListAccountsCommand({}));
    expect(out.NextToken).toBeUndefined();
    const byId = new Map((out.Accounts ?? []).map((a) => [a.Id, a]));
    expect([...byId.keys()]).toEqual(ORG.members.map((m) => m.accountId));
    expect(byId.get('222222222222')).toEqual({
      Id: '222222222222', Arn: `arn:aws:organizations::${MGMT}:account/o-a1b2c3d4e5/222222222222`, Email: 'aws-payments-prod@example.com', Name: 'payments-prod',
      State: 'ACTIVE', Status: 'ACTIVE', JoinedMethod: 'CREATED', JoinedTimestamp: new Date('2021-06-15T08:30:00Z'),
    });
    const mgmt = byId.get(MGMT)!;
    expect(mgmt.JoinedTimestamp).toBeInstanceOf(Date);
    expect(mgmt.JoinedTimestamp!.toISOString()).toBe('2019-04-01T10:00:00.000Z');
    expect(mgmt.JoinedMethod).toBe('INVITED');
    expect(byId.get('333333333333')).toMatchObject({ State: 'SUSPENDED', Status: 'SUSPENDED', Name: 'sandbox-alice' });
    // a closed account stays listed (for 90 days); the retiring Status field shows it SUSPENDED
    expect(byId.get('444444444444')).toMatchObject({ State: 'CLOSED', Status: 'SUSPENDED', Email: 'aws-sandbox-bob@example.com' });
    expect(byId.get('555555555555')!.JoinedTimestamp!.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  });
  test('ListAccountsForParent lists only the direct children', async () => {
    const root = await organizations(e).send(new ListAccountsForParentCommand({ ParentId: 'r-ab12' }));
    expect(root.Accounts!.map((a) => a.Id)).toEqual([MGMT]);
    const sandbox = await organizations(e).send(new ListAccountsForParentCommand({ ParentId: 'ou-ab12-sandbox1' }));
    expect(sandbox.Accounts!.map((a) => [a.Name, a.State])).toEqual([['sandbox-alice', 'SUSPENDED'], ['sandbox-bob', 'CLOSED']]);
    const prod = await organizations(e).send(new ListAccountsForParentCommand({ ParentId: 'ou-ab12-prod0001' }));
    expect(prod.Accounts).toEqual([]);
  });
  test('ListParents of an account and of an OU', async () => {
    const acct = await organizations(e).send(new ListParentsCommand({ ChildId: '222222222222' }));
    expect(acct.Parents).toEqual([{ Id: 'ou-ab12-payments', Type: 'ORGANIZATIONAL_UNIT' }]);
    const ou = await organizations(e).send(new ListParentsCommand({ ChildId: 'ou-ab12-wrkloads1' }));
    expect(ou.Parents).toEqual([{ Id: 'r-ab12', Type: 'ROOT' }]);
    expect((await rejection(() => organizations(e).send(new ListParentsCommand({ ChildId: '999999999999' })))).name).toBe('ChildNotFoundException');
  });
  test('any region in the credential scope is accepted (Organizations is global)', async () => {
    const out = await organizations(e, 'eu-west-1').send(new ListRootsCommand({}));
    expect(out.Roots![0]!.Id).toBe('r-ab12');
  });
});

describe('errors', () => {
  test('MaxResults outside 1..20 is InvalidInputException (400)', async () => {
    for (const MaxResults of [21, 0]) {
      const err = await rejection(() => organizations(e).send(new ListAccountsCommand({ MaxResults })));
      expect(err.name).toBe('InvalidInputException');
      expect(err.$metadata?.httpStatusCode).toBe(400);
      expect((err as unknown as { Reason?: string }).Reason).toBe(MaxResults > 20 ? 'MAX_VALUE_EXCEEDED' : 'MIN_VALUE_EXCEEDED');
    }
  });
  test('an unknown parent is ParentNotFoundException; a malformed one InvalidInputException', async () => {
    const err = await rejection(() => organizations(e).send(new ListAccountsForParentCommand({ ParentId: 'ou-ab12-nothere1' })));
    expect(err.name).toBe('ParentNotFoundException');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect((await rejection(() => organizations(e).send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'r-zz99' })))).name).toBe('ParentNotFoundException');
    expect((await rejection(() => organizations(e).send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'not-a-parent' })))).name).toBe('InvalidInputException');
  });
  test('a member account that is not a delegated administrator is AccessDeniedException (400)', async () => {
    const out = await sts(e).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/Audit', RoleSessionName: 'ami-audit' }));
    const c = out.Credentials!;
    const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const client = organizations(e, 'us-east-1', creds);
    for (const send of [() => client.send(new ListAccountsCommand({})), () => client.send(new ListRootsCommand({})), () => client.send(new ListAccountsForParentCommand({ ParentId: 'r-ab12' }))]) {
      const err = await rejection(send);
      expect(err.name).toBe('AccessDeniedException');
      expect(err.$metadata?.httpStatusCode).toBe(400);
      expect(err.$fault).toBe('client');
    }
    // any member may describe its organisation, as in AWS
    expect((await organizations(e, 'us-east-1', creds).send(new DescribeOrganizationCommand({}))).Organization!.Id).toBe('o-a1b2c3d4e5');
  });
  test('a delegated administrator may list; an account outside the organisation is AWSOrganizationsNotInUseException', async () => {
    const assume = async (account: string) => {
      const c = (await sts(e).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/Audit`, RoleSessionName: 'ami-audit' }))).Credentials!;
      return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    };
    const admin = await organizations(e, 'us-east-1', await assume('555555555555')).send(new ListAccountsCommand({}));
    expect(admin.Accounts).toHaveLength(5);
    const outsiderCreds = await assume('666666666666');
    const outsider = await rejection(() => organizations(e, 'us-east-1', outsiderCreds).send(new ListAccountsCommand({})));
    expect(outsider.name).toBe('AWSOrganizationsNotInUseException');
  });
  test('a fleet whose caller is a member but not the management account: AccessDeniedException', async () => {
    await withEmulator({ ...fleet, caller: { accountId: '222222222222' } }, async (e2) => {
      const err = await rejection(() => organizations(e2).send(new ListAccountsCommand({})));
      expect(err.name).toBe('AccessDeniedException');
      expect(err.$metadata?.httpStatusCode).toBe(400);
      expect(err.message).toMatch(/permissions/);
    });
  });
  test('no organization: AWSOrganizationsNotInUseException for every action', async () => {
    const { organization: _none, ...plain } = fleet;
    await withEmulator(plain, async (e2) => {
      const client = organizations(e2);
      for (const send of [() => client.send(new DescribeOrganizationCommand({})), () => client.send(new ListRootsCommand({})), () => client.send(new ListAccountsCommand({}))]) {
        const err = await rejection(send);
        expect(err.name).toBe('AWSOrganizationsNotInUseException');
        expect(err.$metadata?.httpStatusCode).toBe(400);
      }
    });
  });
  const post = (headers: Record<string, string>, body: string) => new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest(`${e.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', ...headers } }, (r) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString('utf8')));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
  const AUTH = 'AWS4-HMAC-SHA256 Credential=AKIDTESTTESTTEST0000/20261126/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0';
  test('errors are JSON with __type, Message and the x-amzn-ErrorType header', async () => {
    const res = await post({ 'x-amz-target': 'AWSOrganizationsV20161128.ListAccounts', authorization: AUTH }, JSON.stringify({ MaxResults: 99 }));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(res.headers['x-amzn-errortype']).toBe('InvalidInputException');
    expect(res.headers['x-amzn-requestid']).toBeTruthy();
    expect(JSON.parse(res.body)).toMatchObject({ __type: 'InvalidInputException', Message: expect.any(String), Reason: 'MAX_VALUE_EXCEEDED' });
  });
  test('no SigV4 scope, an unknown action, a body that is not JSON', async () => {
    const anonymous = await post({ 'x-amz-target': 'AWSOrganizationsV20161128.ListAccounts' }, '{}');
    expect([anonymous.status, JSON.parse(anonymous.body).__type]).toEqual([403, 'MissingAuthenticationTokenException']);
    const unknown = await post({ 'x-amz-target': 'AWSOrganizationsV20161128.CreateAccount', authorization: AUTH }, '{}');
    expect([unknown.status, JSON.parse(unknown.body).__type]).toEqual([400, 'UnknownOperationException']);
    const garbage = await post({ 'x-amz-target': 'AWSOrganizationsV20161128.ListAccounts', authorization: AUTH }, '{"MaxResults":');
    expect([garbage.status, JSON.parse(garbage.body).__type]).toEqual([400, 'SerializationException']);
    const ok = await post({ 'x-amz-target': 'AWSOrganizationsV20161128.ListAccounts', authorization: AUTH }, '');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).Accounts[0].JoinedTimestamp).toBe(Date.parse('2019-04-01T10:00:00Z') / 1000);
    expect(e.stats.byAction.ListAccounts).toBeGreaterThan(0);
  });
  test('expired session credentials: ExpiredTokenException', async () => {
    await withEmulator(fleet, async (e2) => {
      const c = (await sts(e2).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MGMT}:role/Audit`, RoleSessionName: 's1' }))).Credentials!;
      await new Promise((r) => setTimeout(r, 300));
      const err = await rejection(() => organizations(e2, 'us-east-1', { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }).send(new ListRootsCommand({})));
      expect(err.name).toBe('ExpiredTokenException');
      expect(err.$metadata?.httpStatusCode).toBe(400);
    }, { credentialLifetimeSeconds: 0.2 });
  });
});

describe('paging', () => {
  test('buildOrganization: 300 accounts in 12 OUs nested 3 deep, deterministic and valid', () => {
    const org = bigOrg();
    expect(JSON.stringify(org)).toBe(JSON.stringify(bigOrg()));
    expect(JSON.stringify(buildOrganization({ accountIds: BIG_IDS, managementAccountId: BIG_IDS[0]!, units: 12, depth: 3, seed: 8 }))).not.toBe(JSON.stringify(org));
    expect(() => validateFleet(JSON.parse(JSON.stringify(bigFleet(org))))).not.toThrow();
    expect(org.members).toHaveLength(300);
    expect(new Set(org.members.map((m) => m.accountId)).size).toBe(300);
    expect(new Set(org.members.map((m) => m.email)).size).toBe(300);
    expect(org.units).toHaveLength(12);
    const depthOf = (id: string): number => (id === org.rootId ? 0 : 1 + depthOf(org.units.find((u) => u.id === id)!.parentId));
    expect(Math.max(...org.units.map((u) => depthOf(u.id)))).toBe(3);
    for (const u of org.units) {
      expect(u.id).toMatch(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/);
      expect(u.name).toMatch(/^[A-Z][A-Za-z -]+$/);
      const siblings = org.units.filter((x) => x.parentId === u.parentId);
      expect(new Set(siblings.map((x) => x.name)).size).toBe(siblings.length);
    }
    expect(org.units.map((u) => u.name)).toEqual(expect.arrayContaining(['Workloads', 'Prod']));
    // every OU holds accounts; the management account sits at the root
    for (const u of org.units) expect(org.members.some((m) => m.parentId === u.id)).toBe(true);
    expect(org.members.find((m) => m.accountId === BIG_IDS[0])).toMatchObject({ parentId: org.rootId, state: 'ACTIVE' });
    expect(org.members.find((m) => m.accountId === BIG_IDS[10])!.state).toBe('SUSPENDED');
    expect(org.members.find((m) => m.accountId === BIG_IDS[20])!.state).toBe('CLOSED');
    for (const m of org.members) expect(m.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
  });
  test('ListAccounts over 300 accounts, MaxResults 20, every third page empty: every account exactly once', async () => {
    await withEmulator(bigFleet(bigOrg({ emptyPageEvery: 3 })), async (e2) => {
      const seen: string[] = [];
      const sizes: number[] = [];
      let emptyWithToken = 0;
      let NextToken: string | undefined;
      do {
        const out = await organizations(e2).send(new ListAccountsCommand({ MaxResults: 20, NextToken }));
        const n = out.Accounts?.length ?? 0;
        sizes.push(n);
        if (n === 0 && out.NextToken) emptyWithToken += 1;
        seen.push(...(out.Accounts ?? []).map((a) => a.Id!));
        NextToken = out.NextToken;
      } while (NextToken);
      expect(seen).toHaveLength(300);
      expect(new Set(seen)).toEqual(new Set(BIG_IDS));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(20);
      expect(emptyWithToken).toBeGreaterThan(0);
      sizes.forEach((n, i) => expect(n === 0).toBe((i + 1) % 3 === 0));
      // the SDK's own paginator follows the empty pages too
      const viaPaginator: Account[] = [];
      for await (const page of paginateListAccounts({ client: organizations(e2), pageSize: 20 }, {})) viaPaginator.push(...(page.Accounts ?? []));
      expect(viaPaginator.map((a) => a.Id).sort()).toEqual([...BIG_IDS].sort());
    });
  });
  test('pages are never larger than the organisation pageSize nor the caller MaxResults', async () => {
    await withEmulator(bigFleet(bigOrg({ pageSize: 7 })), async (e2) => {
      const a = await organizations(e2).send(new ListAccountsCommand({ MaxResults: 20 }));
      expect(a.Accounts).toHaveLength(7);
      expect(a.NextToken).toBeTruthy();
      const b = await organizations(e2).send(new ListAccountsCommand({ MaxResults: 3, NextToken: a.NextToken }));
      expect(b.Accounts).toHaveLength(3);
      expect(b.Accounts![0]!.Id).toBe(BIG_IDS[7]);
      const c = await organizations(e2).send(new ListAccountsCommand({}));
      expect(c.Accounts).toHaveLength(7);
    });
  });
  test('walking the tree with ListOrganizationalUnitsForParent and ListAccountsForParent finds every OU and account once', async () => {
    const org = bigOrg({ emptyPageEvery: 2 });
    await withEmulator(bigFleet(org), async (e2) => {
      const client = organizations(e2);
      const listAll = async <T>(fetch: (token: string | undefined) => Promise<{ items?: T[]; token?: string }>): Promise<T[]> => {
        const out: T[] = [];
        let token: string | undefined;
        do {
          const p = await fetch(token);
          expect((p.items ?? []).length).toBeLessThanOrEqual(5);
          out.push(...(p.items ?? []));
          token = p.token;
        } while (token);
        return out;
      };
      const roots = await client.send(new ListRootsCommand({}));
      const accounts: string[] = [];
      const ous: { id: string; depth: number; path: string }[] = [];
      const walk = async (parentId: string, depth: number, path: string): Promise<void> => {
        accounts.push(...(await listAll(async (t) => {
          const r = await client.send(new ListAccountsForParentCommand({ ParentId: parentId, MaxResults: 5, NextToken: t }));
          return { items: r.Accounts?.map((a) => a.Id!), token: r.NextToken };
        })));
        const children = await listAll(async (t) => {
          const r = await client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId, MaxResults: 5, NextToken: t }));
          return { items: r.OrganizationalUnits, token: r.NextToken };
        });
        for (const c of children) {
          ous.push({ id: c.Id!, depth: depth + 1, path: `${path}/${c.Name}` });
          await walk(c.Id!, depth + 1, `${path}/${c.Name}`);
        }
      };
      await walk(roots.Roots![0]!.Id!, 0, 'Root');
      expect(accounts.sort()).toEqual([...BIG_IDS].sort());
      expect(ous.map((o) => o.id).sort()).toEqual(org.units.map((u) => u.id).sort());
      expect(Math.max(...ous.map((o) => o.depth))).toBe(3);
      expect(ous.map((o) => o.path)).toContain('Root/Workloads/Prod');
    });
  });
  test('a token is bound to its request: another parent or action, or a forged token, is InvalidInputException', async () => {
    const org = bigOrg();
    await withEmulator(bigFleet(org), async (e2) => {
      const client = organizations(e2);
      const busiest = [...org.units].sort((a, b) => org.members.filter((m) => m.parentId === b.id).length - org.members.filter((m) => m.parentId === a.id).length);
      const [first, second] = [busiest[0]!.id, busiest[1]!.id];
      const page = await client.send(new ListAccountsForParentCommand({ ParentId: first, MaxResults: 2 }));
      expect(page.NextToken).toBeTruthy();
      // the same request goes on
      expect((await client.send(new ListAccountsForParentCommand({ ParentId: first, MaxResults: 2, NextToken: page.NextToken }))).Accounts).toHaveLength(2);
      for (const send of [
        () => client.send(new ListAccountsForParentCommand({ ParentId: second, MaxResults: 2, NextToken: page.NextToken })),
        () => client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: first, NextToken: page.NextToken })),
        () => client.send(new ListAccountsCommand({ NextToken: page.NextToken })),
        () => client.send(new ListAccountsCommand({ NextToken: 'forged-token' })),
        () => client.send(new ListAccountsForParentCommand({ ParentId: first, MaxResults: 2, NextToken: page.NextToken!.slice(0, -1) + (page.NextToken!.endsWith('A') ? 'B' : 'A') })),
      ]) {
        const err = await rejection(send);
        expect(err.name).toBe('InvalidInputException');
        expect(err.$metadata?.httpStatusCode).toBe(400);
        // the model's INVALID_PAGINATION_TOKEN reason travels as INVALID_NEXT_TOKEN
        expect((err as unknown as { Reason?: string }).Reason).toBe('INVALID_NEXT_TOKEN');
      }
    });
  });
});

describe('faults', () => {
  test('an error rule denying ListRoots answers AccessDeniedException (400) to that action only', async () => {
    const faults = validateFaults({ rules: [{ action: 'ListRoots', error: 'AccessDeniedException' }] });
    await withEmulator(fleet, async (e2) => {
      const err = await rejection(() => organizations(e2).send(new ListRootsCommand({})));
      expect(err.name).toBe('AccessDeniedException');
      expect(err.$metadata?.httpStatusCode).toBe(400);
      expect((await organizations(e2).send(new ListAccountsCommand({}))).Accounts).toHaveLength(5);
    }, faults);
  });
  test('service: organizations rules, codes and statuses: ServiceException 500, TooManyRequestsException 400, count', async () => {
    const faults = validateFaults({
      rules: [
        { service: 'organizations', action: 'ListAccounts', error: 'ServiceException', count: 1 },
        { service: 'organizations', action: 'ListAccountsForParent', error: 'TooManyRequestsException' },
      ],
    });
    await withEmulator(fleet, async (e2) => {
      const boom = await rejection(() => organizations(e2).send(new ListAccountsCommand({})));
      expect(boom.name).toBe('ServiceException');
      expect(boom.$metadata?.httpStatusCode).toBe(500);
      expect(boom.$fault).toBe('server');
      expect((await organizations(e2).send(new ListAccountsCommand({}))).Accounts).toHaveLength(5);
      const slow = await rejection(() => organizations(e2).send(new ListAccountsForParentCommand({ ParentId: 'r-ab12' })));
      expect(slow.name).toBe('TooManyRequestsException');
      expect(slow.$metadata?.httpStatusCode).toBe(400);
    }, faults);
  });
  test('rules written for EC2 do not fire on Organizations, and Organizations rules not on EC2', async () => {
    const faults = validateFaults({
      rules: [
        { account: MGMT, error: 'InternalError' },
        { region: 'us-east-1', kind: 'malformed' },
        { service: 'ec2', error: 'Unavailable' },
        { action: 'DescribeRegions', region: 'eu-west-1', error: 'UnauthorizedOperation' },
        { service: 'organizations', region: 'eu-west-1', error: 'ServiceException' },
      ],
    });
    await withEmulator(fleet, async (e2) => {
      expect((await organizations(e2).send(new ListRootsCommand({}))).Roots).toHaveLength(1);
      expect((await rejection(() => organizations(e2, 'eu-west-1').send(new ListRootsCommand({})))).name).toBe('ServiceException');
      expect((await rejection(() => ec2(e2, 'eu-west-1').send(new DescribeRegionsCommand({})))).name).toBe('InternalError');
    }, faults);
  });
  test('latency rules and plan latency apply to Organizations calls', async () => {
    const faults = validateFaults({ latencyMs: { organizations: 150 }, rules: [{ action: 'ListRoots', latencyMs: 150 }] });
    await withEmulator(fleet, async (e2) => {
      let t = performance.now();
      await organizations(e2).send(new ListRootsCommand({}));
      expect(performance.now() - t).toBeGreaterThanOrEqual(290);
      t = performance.now();
      await organizations(e2).send(new ListAccountsCommand({}));
      const took = performance.now() - t;
      expect(took).toBeGreaterThanOrEqual(140);
      expect(took).toBeLessThan(290);
    }, faults);
  });
  test('throttle overrides naming an Organizations action answer TooManyRequestsException', async () => {
    const faults = validateFaults({ throttle: { capacity: 100, refillPerSecond: 20, overrides: [{ action: 'ListAccounts', capacity: 2, refillPerSecond: 0.01 }] } });
    await withEmulator(fleet, async (e2) => {
      await organizations(e2).send(new ListAccountsCommand({}));
      await organizations(e2).send(new ListAccountsCommand({}));
      const err = await rejection(() => organizations(e2).send(new ListAccountsCommand({})));
      expect(err.name).toBe('TooManyRequestsException');
      expect(err.$metadata?.httpStatusCode).toBe(400);
      expect((await organizations(e2).send(new ListRootsCommand({}))).Roots).toHaveLength(1);
      expect(e2.stats.throttled).toBe(1);
    }, faults);
  });
  test('broken answers are JSON-shaped for Organizations: error-200 and wrong-root succeed with nothing in them', async () => {
    const faults = validateFaults({ rules: [{ action: 'ListRoots', kind: 'error-200', error: 'ServiceException' }, { action: 'ListAccounts', kind: 'wrong-root' }, { action: 'DescribeOrganization', kind: 'malformed' }] });
    await withEmulator(fleet, async (e2) => {
      expect((await organizations(e2).send(new ListRootsCommand({}))).Roots).toBeUndefined();
      const wrong = await organizations(e2).send(new ListAccountsCommand({}));
      expect(wrong.Accounts).toBeUndefined();
      expect(wrong.NextToken).toBeUndefined();
      await expect(organizations(e2).send(new DescribeOrganizationCommand({}))).rejects.toThrow();
    }, faults);
  });
  test('validateFaults accepts service organizations and refuses others', () => {
    expect(() => validateFaults({ rules: [{ service: 'organizations', error: 'ServiceException' }] })).not.toThrow();
    expect(() => validateFaults({ rules: [{ service: 'iam', error: 'X' }] })).toThrow(/rules\[0\]\.service/);
  });
});

describe('fleet validation', () => {
  const bad = (mutate: (o: FleetOrganization) => void): () => Fleet => {
    const org: FleetOrganization = JSON.parse(JSON.stringify(ORG));
    mutate(org);
    return () => validateFleet({ ...fleet, organization: org });
  };
  test.each<[string, (o: FleetOrganization) => void, RegExp]>([
    ['a malformed organisation id', (o) => (o.id = 'org-1'), /organization\.id/],
    ['a malformed root id', (o) => (o.rootId = 'root'), /organization\.rootId/],
    ['a malformed OU id', (o) => (o.units[1]!.id = 'ou-x'), /organization\.units\[1\]\.id/],
    ['an OU under an unknown parent', (o) => (o.units[2]!.parentId = 'ou-ab12-nowhere1'), /organization\.units\[2\]\.parentId/],
    ['OUs in a cycle', (o) => (o.units[0]!.parentId = 'ou-ab12-payments'), /organization\.units\[\d\]\.parentId/],
    ['a member under an unknown parent', (o) => (o.members[1]!.parentId = 'ou-ab12-nowhere1'), /organization\.members\[1\]\.parentId/],
    ['a bad state', (o) => ((o.members[2] as { state: string }).state = 'GONE'), /organization\.members\[2\]\.state/],
    ['a duplicate member', (o) => (o.members[3]!.accountId = '222222222222'), /organization\.members\[3\]\.accountId/],
    ['a management account that is no member', (o) => (o.managementAccountId = '999999999999'), /organization\.managementAccountId/],
    ['a delegated administrator that is no member', (o) => (o.delegatedAdministrators = ['999999999999']), /organization\.delegatedAdministrators\[0\]/],
    ['a bad joinedTimestamp', (o) => (o.members[0]!.joinedTimestamp = 'yesterday'), /organization\.members\[0\]\.joinedTimestamp/],
    ['emptyPageEvery 1 (pagination never ends)', (o) => (o.emptyPageEvery = 1), /organization\.emptyPageEvery/],
    ['a pageSize of 0', (o) => (o.pageSize = 0), /organization\.pageSize/],
  ])('%s is refused, naming the path', (_n, mutate, path) => {
    expect(bad(mutate)).toThrow(path);
  });
  test('the documented organization example and fault rules are valid', () => {
    const doc = readFileSync(new URL('../../docs/emulator.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
    const example = blocks.find((b) => 'organization' in b)!;
    expect(() => validateFleet({ ...fleet, organization: example.organization })).not.toThrow();
    const plan = blocks.find((b) => 'rules' in b)!;
    expect(() => validateFaults(plan)).not.toThrow();
  });
  test('a valid organisation passes, and existing FleetAccount.name still does', () => {
    expect(() => validateFleet(JSON.parse(JSON.stringify({ ...fleet, accounts: [{ accountId: MGMT, name: 'security' }] })))).not.toThrow();
  });
});

describe('the demo organisation', () => {
  const demo = demoFleet(NOW);
  const org = demo.organization!;
  test('the caller is the management account; every demo account is a member, plus a SUSPENDED and a CLOSED one without EC2 data', () => {
    expect(() => validateFleet(JSON.parse(JSON.stringify(demo)))).not.toThrow();
    expect(org.managementAccountId).toBe(demo.caller.accountId);
    const members = new Map(org.members.map((m) => [m.accountId, m]));
    for (const a of demo.accounts) expect(members.get(a.accountId)?.state).toBe('ACTIVE');
    expect(members.has(demo.caller.accountId)).toBe(true);
    const fleetIds = new Set(demo.accounts.map((a) => a.accountId));
    const suspended = org.members.filter((m) => m.state === 'SUSPENDED');
    const closed = org.members.filter((m) => m.state === 'CLOSED');
    expect(suspended).toHaveLength(1);
    expect(closed).toHaveLength(1);
    for (const m of [...suspended, ...closed]) expect(fleetIds.has(m.accountId)).toBe(false);
  });
  test('served over the wire: OUs nested three deep under Root, the members listed with their states', async () => {
    await withEmulator(demo, async (e2) => {
      const client = organizations(e2);
      const accounts = (await client.send(new ListAccountsCommand({}))).Accounts!;
      expect(accounts.map((a) => a.State).sort()).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'CLOSED', 'SUSPENDED']);
      const paths: string[] = [];
      const where: Record<string, string> = {};
      const walk = async (parentId: string, path: string): Promise<void> => {
        for (const a of (await client.send(new ListAccountsForParentCommand({ ParentId: parentId }))).Accounts ?? []) where[`${a.Id} ${a.Name} ${a.State}`] = path;
        for (const ou of (await client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parentId }))).OrganizationalUnits ?? []) {
          paths.push(`${path}/${ou.Name}`);
          await walk(ou.Id!, `${path}/${ou.Name}`);
        }
      };
      await walk(org.rootId, 'Root');
      expect(paths).toEqual(expect.arrayContaining(['Root/Workloads', 'Root/Workloads/Prod', 'Root/Sandbox', 'Root/Security']));
      expect(Math.max(...paths.map((p) => p.split('/').length - 1))).toBe(3);
      expect(where).toEqual({
        [`${DEMO_ACCOUNTS.security} security-audit ACTIVE`]: 'Root/Security',
        [`${DEMO_ACCOUNTS.prod} payments-prod ACTIVE`]: 'Root/Workloads/Prod/Payments',
        [`${DEMO_ACCOUNTS.legacy} legacy ACTIVE`]: 'Root/Workloads/Prod/Legacy',
        [`${DEMO_ACCOUNTS.dev} data-dev ACTIVE`]: 'Root/Workloads/Dev/Data',
        [`${DEMO_ORGANIZATION.suspended} old-sandbox SUSPENDED`]: 'Root/Sandbox',
        [`${DEMO_ORGANIZATION.closed} sandbox-alice CLOSED`]: 'Root/Sandbox',
      });
      const described = (await client.send(new DescribeOrganizationCommand({}))).Organization!;
      expect(described).toMatchObject({ Id: DEMO_ORGANIZATION.id, MasterAccountId: demo.caller.accountId });
    });
  });
});
