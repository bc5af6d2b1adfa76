/**
 * AWS Organizations (2016-11-28) on the local endpoint: the read-only calls an organisation's
 * accounts are discovered with, over the AWS JSON 1.1 protocol, and a deterministic builder of
 * organisations for tests and benchmarks (see docs/emulator.md).
 */
import { createHmac } from 'node:crypto';
import type { Fleet, FleetOrganization, FleetOrgMember, FleetOrgUnit, OrgAccountState } from './fleet-types.js';
import { prng } from './prng.js';

/** `X-Amz-Target: AWSOrganizationsV20161128.<Action>` */
export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';
export const ORGANIZATIONS_CONTENT_TYPE = 'application/x-amz-json-1.1';
export const ORGANIZATIONS_ACTIONS: ReadonlySet<string> = new Set([
  'DescribeOrganization', 'DescribeOrganizationalUnit', 'ListAccounts', 'ListAccountsForParent', 'ListOrganizationalUnitsForParent', 'ListParents', 'ListRoots',
]);

export const ORG_ID_RE = /^o-[a-z0-9]{10,32}$/;
export const ROOT_ID_RE = /^r-[0-9a-z]{4,32}$/;
export const OU_ID_RE = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const ACCOUNT_ID_RE = /^\d{12}$/;
/** Members that join without a joinedTimestamp joined then. */
export const DEFAULT_JOINED = '2020-01-01T00:00:00Z';
/** The most items a List* page may hold (MaxResults 1..20). */
export const MAX_PAGE = 20;

/**
 * An Organizations error: its code, message and extra members of the JSON error body (e.g.
 * `Reason`). Not an ApiError of ec2.ts, so that fleet.ts (which validates organisations with this
 * module) and ec2.ts (which imports fleet.ts) form no import cycle.
 */
export class OrganizationsError extends Error {
  constructor(readonly code: string, message: string, readonly extra: Record<string, string> = {}, readonly status?: number) {
    super(message);
  }
}

const invalid = (reason: string, message: string): OrganizationsError => new OrganizationsError('InvalidInputException', message, { Reason: reason });

/** The usual message of each Organizations error code (also for fault rules without `message`). */
export function organizationsMessage(code: string): string | undefined {
  switch (code) {
    case 'AccessDeniedException': return "You don't have permissions to access this resource.";
    case 'AWSOrganizationsNotInUseException': return 'Your account is not a member of an organization.';
    case 'TooManyRequestsException': return 'You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.';
    case 'ServiceException': return "AWS Organizations can't complete your request because of an internal service error. Try again later.";
    case 'ParentNotFoundException': return "We can't find a root or OU with the ParentId that you specified.";
    case 'ChildNotFoundException': return "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.";
    case 'OrganizationalUnitNotFoundException': return "We can't find an organizational unit (OU) with the OrganizationalUnitId that you specified.";
    default: return undefined;
  }
}

export interface OrganizationsCall {
  fleet: Fleet;
  action: string;
  input: Record<string, unknown>;
  /** The account the request acts as (base credentials: the fleet's caller; a session: its account). */
  callerAccountId: string;
  /** Key that signs the NextTokens this endpoint issues. */
  tokenKey: Buffer;
}

/** Answers one Organizations call with the JSON response object; throws an OrganizationsError. */
export function organizationsCall(call: OrganizationsCall): Record<string, unknown> {
  const { fleet, action, input, callerAccountId } = call;
  const org = fleet.organization;
  const notInUse = new OrganizationsError('AWSOrganizationsNotInUseException', organizationsMessage('AWSOrganizationsNotInUseException')!);
  if (!org) throw notInUse;
  if (!org.members.some((m) => m.accountId === callerAccountId)) throw notInUse;
  // Any member may describe its organisation; everything else is for the management account and delegated administrators.
  if (action !== 'DescribeOrganization' && callerAccountId !== org.managementAccountId && !(org.delegatedAdministrators ?? []).includes(callerAccountId)) {
    throw new OrganizationsError('AccessDeniedException', organizationsMessage('AccessDeniedException')!);
  }
  const arns = arnsOf(org);
  const page = <T>(items: T[], bindTo: string): { items: T[]; NextToken?: string } => paginate(items, input, org, action, bindTo, call.tokenKey);
  switch (action) {
    case 'DescribeOrganization': {
      const mgmt = org.members.find((m) => m.accountId === org.managementAccountId);
      return {
        Organization: {
          Id: org.id, Arn: arns.organization, FeatureSet: 'ALL', MasterAccountArn: arns.account(org.managementAccountId), MasterAccountId: org.managementAccountId,
          MasterAccountEmail: mgmt?.email, AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
        },
      };
    }
    case 'ListRoots': {
      const p = page([{ Id: org.rootId, Arn: arns.root, Name: 'Root', PolicyTypes: [] }], '');
      return { Roots: p.items, NextToken: p.NextToken };
    }
    case 'ListOrganizationalUnitsForParent': {
      const parentId = parentOf(org, input);
      const p = page(org.units.filter((u) => u.parentId === parentId).map((u) => ouShape(u, arns)), parentId);
      return { OrganizationalUnits: p.items, NextToken: p.NextToken };
    }
    case 'ListAccountsForParent': {
      const parentId = parentOf(org, input);
      const p = page(org.members.filter((m) => m.parentId === parentId).map((m) => accountShape(m, arns)), parentId);
      return { Accounts: p.items, NextToken: p.NextToken };
    }
    case 'ListAccounts': {
      const p = page(org.members.map((m) => accountShape(m, arns)), '');
      return { Accounts: p.items, NextToken: p.NextToken };
    }
    case 'DescribeOrganizationalUnit': {
      const id = required(input, 'OrganizationalUnitId');
      if (!OU_ID_RE.test(id)) throw invalid('INVALID_PATTERN', `OrganizationalUnitId ${id} does not match the pattern ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}.`);
      const unit = org.units.find((u) => u.id === id);
      if (!unit) throw new OrganizationsError('OrganizationalUnitNotFoundException', organizationsMessage('OrganizationalUnitNotFoundException')!);
      return { OrganizationalUnit: ouShape(unit, arns) };
    }
    case 'ListParents': {
      const id = required(input, 'ChildId');
      if (!ACCOUNT_ID_RE.test(id) && !OU_ID_RE.test(id)) throw invalid('INVALID_PATTERN', `ChildId ${id} is neither an account id (12 digits) nor an OU id.`);
      const parentId = org.members.find((m) => m.accountId === id)?.parentId ?? org.units.find((u) => u.id === id)?.parentId;
      if (!parentId) throw new OrganizationsError('ChildNotFoundException', organizationsMessage('ChildNotFoundException')!);
      const p = page([{ Id: parentId, Type: parentId === org.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }], id);
      return { Parents: p.items, NextToken: p.NextToken };
    }
    default:
      throw new OrganizationsError('UnknownOperationException', `The operation ${action} is not supported by this endpoint.`);
  }
}

/**
 * Moves a member account to another parent (a `moveAccount` fault: an account moved between OUs
 * while a walk runs). A member or parent the organisation does not have is a fault plan error.
 */
export function moveMember(fleet: Fleet, accountId: string, toParent: string): void {
  const org = fleet.organization;
  const m = org?.members.find((x) => x.accountId === accountId);
  if (!org || !m) throw new OrganizationsError('ServiceException', `fault plan: moveAccount ${accountId} is not a member of the organisation`, {}, 500);
  if (toParent !== org.rootId && !org.units.some((u) => u.id === toParent)) throw new OrganizationsError('ServiceException', `fault plan: toParent ${toParent} is neither the root nor an OU`, {}, 500);
  m.parentId = toParent;
}

interface Arns { organization: string; root: string; account: (id: string) => string; ou: (id: string) => string }

function arnsOf(org: FleetOrganization): Arns {
  const base = `arn:aws:organizations::${org.managementAccountId}`;
  return {
    organization: `${base}:organization/${org.id}`,
    root: `${base}:root/${org.id}/${org.rootId}`,
    account: (id) => `${base}:account/${org.id}/${id}`,
    ou: (id) => `${base}:ou/${org.id}/${id}`,
  };
}

/**
 * The retiring `Status` field beside `State`: CLOSED accounts showed as SUSPENDED before `State`
 * existed; PENDING_ACTIVATION has no Status of its own (ACTIVE here, an UNVERIFIED choice).
 */
export function legacyStatus(state: OrgAccountState): 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' {
  if (state === 'CLOSED' || state === 'SUSPENDED') return 'SUSPENDED';
  if (state === 'PENDING_CLOSURE') return 'PENDING_CLOSURE';
  return 'ACTIVE';
}

function accountShape(m: FleetOrgMember, arns: Arns): Record<string, unknown> {
  return {
    Id: m.accountId, Arn: arns.account(m.accountId), Email: m.email, Name: m.name, Status: legacyStatus(m.state), State: m.state,
    JoinedMethod: m.joinedMethod ?? 'CREATED', JoinedTimestamp: Date.parse(m.joinedTimestamp ?? DEFAULT_JOINED) / 1000,
  };
}

function ouShape(u: FleetOrgUnit, arns: Arns): Record<string, unknown> {
  return { Id: u.id, Arn: arns.ou(u.id), Name: u.name };
}

function required(input: Record<string, unknown>, name: string): string {
  const v = input[name];
  if (v === undefined || v === null) throw invalid('INPUT_REQUIRED', `You must specify ${name}.`);
  if (typeof v !== 'string') throw new OrganizationsError('SerializationException', `${name}: expected a string`);
  return v;
}

/** The ParentId of a List*ForParent call: well formed (else InvalidInputException) and existing (else ParentNotFoundException). */
function parentOf(org: FleetOrganization, input: Record<string, unknown>): string {
  const id = required(input, 'ParentId');
  if (!ROOT_ID_RE.test(id) && !OU_ID_RE.test(id)) throw invalid('INVALID_PATTERN', `ParentId ${id} is neither a root id (r-...) nor an OU id (ou-...-...).`);
  if (id !== org.rootId && !org.units.some((u) => u.id === id)) throw new OrganizationsError('ParentNotFoundException', organizationsMessage('ParentNotFoundException')!);
  return id;
}

interface TokenState { a: string; p: string; o: string; off: number; n: number }

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function signToken(s: TokenState, key: Buffer): string {
  const body = b64(JSON.stringify(s));
  return `${body}.${b64(createHmac('sha256', key).update(body).digest().subarray(0, 18))}`;
}

function readToken(token: string, key: Buffer): TokenState | null {
  const [body, mac, ...rest] = token.split('.');
  if (!body || !mac || rest.length) return null;
  // the signature is compared as text: base64 texts that decode to the same bytes are still different tokens
  if (b64(createHmac('sha256', key).update(body).digest().subarray(0, 18)) !== mac) return null;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenState;
  } catch {
    return null;
  }
}

/**
 * One page of `items`: at most min(MaxResults, pageSize) of them; with `emptyPageEvery` N, every
 * Nth page of a listing is empty but carries a NextToken. Tokens are signed and bound to the
 * organisation, the action and `bindTo` (the parent or child id).
 */
function paginate<T>(items: T[], input: Record<string, unknown>, org: FleetOrganization, action: string, bindTo: string, key: Buffer): { items: T[]; NextToken?: string } {
  const max = input.MaxResults;
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max)) throw new OrganizationsError('SerializationException', 'MaxResults: expected an integer');
    if (max < 1) throw invalid('MIN_VALUE_EXCEEDED', `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1`);
    if (max > MAX_PAGE) throw invalid('MAX_VALUE_EXCEEDED', `1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE}`);
  }
  const size = Math.min(typeof max === 'number' ? max : MAX_PAGE, org.pageSize ?? MAX_PAGE);
  let offset = 0;
  let n = 1;
  const token = input.NextToken;
  if (token !== undefined && token !== null) {
    if (typeof token !== 'string') throw new OrganizationsError('SerializationException', 'NextToken: expected a string');
    const s = readToken(token, key);
    if (!s || s.a !== action || s.p !== bindTo || s.o !== org.id || !(Number.isInteger(s.off) && s.off >= 0 && s.off <= items.length) || !Number.isInteger(s.n)) {
      throw invalid('INVALID_NEXT_TOKEN', 'The provided pagination token is not valid.');
    }
    offset = s.off;
    n = s.n;
  }
  const next = (off: number): string => signToken({ a: action, p: bindTo, o: org.id, off, n: n + 1 }, key);
  const every = org.emptyPageEvery ?? 0;
  if (every > 0 && n % every === 0 && offset < items.length) return { items: [], NextToken: next(offset) };
  const slice = items.slice(offset, offset + size);
  const end = offset + slice.length;
  return { items: slice, NextToken: end < items.length ? next(end) : undefined };
}

/** Checks `fleet.organization`; throws `fail(path, what)` naming the first problem. */
export function checkOrganization(o: unknown, fail: (path: string, what: string) => never): void {
  const P = 'organization';
  if (typeof o !== 'object' || o === null || Array.isArray(o)) fail(P, 'expected an object');
  const org = o as FleetOrganization;
  if (typeof org.id !== 'string' || !ORG_ID_RE.test(org.id)) fail(`${P}.id`, 'expected an organization id such as o-a1b2c3d4e5 (o- and 10 to 32 lowercase letters or digits)');
  if (typeof org.rootId !== 'string' || !ROOT_ID_RE.test(org.rootId)) fail(`${P}.rootId`, 'expected a root id such as r-a1b2 (r- and 4 to 32 lowercase letters or digits)');
  if (!Array.isArray(org.units)) fail(`${P}.units`, 'expected an array of {id, name, parentId}');
  if (!Array.isArray(org.members)) fail(`${P}.members`, 'expected an array of {accountId, name, email, state, parentId}');
  const units = new Map<string, FleetOrgUnit>();
  org.units.forEach((u, i) => {
    if (typeof u !== 'object' || u === null) fail(`${P}.units[${i}]`, 'expected an object');
    if (typeof u.id !== 'string' || !OU_ID_RE.test(u.id)) fail(`${P}.units[${i}].id`, 'expected an OU id such as ou-a1b2-c3d4e5f6 (ou-, 4 to 32 and then 8 to 32 lowercase letters or digits)');
    if (units.has(u.id)) fail(`${P}.units[${i}].id`, `duplicate OU ${u.id}`);
    if (typeof u.name !== 'string' || u.name.length === 0 || u.name.length > 128) fail(`${P}.units[${i}].name`, 'expected a name of 1 to 128 characters');
    units.set(u.id, u);
  });
  org.units.forEach((u, i) => {
    if (u.parentId !== org.rootId && !units.has(u.parentId)) fail(`${P}.units[${i}].parentId`, `expected the root id (${org.rootId}) or another unit's id, got ${JSON.stringify(u.parentId)}`);
    // walking up must reach the root
    const seen = new Set<string>([u.id]);
    for (let p = u.parentId; p !== org.rootId; p = units.get(p)!.parentId) {
      if (seen.has(p)) fail(`${P}.units[${i}].parentId`, `OU ${u.id} is its own ancestor (a cycle through ${p})`);
      seen.add(p);
    }
  });
  const members = new Set<string>();
  org.members.forEach((m, i) => {
    const at = `${P}.members[${i}]`;
    if (typeof m !== 'object' || m === null) fail(at, 'expected an object');
    if (typeof m.accountId !== 'string' || !ACCOUNT_ID_RE.test(m.accountId)) fail(`${at}.accountId`, 'expected a 12-digit account id');
    if (members.has(m.accountId)) fail(`${at}.accountId`, `duplicate member ${m.accountId}`);
    members.add(m.accountId);
    if (typeof m.name !== 'string' || m.name.length === 0 || m.name.length > 50) fail(`${at}.name`, 'expected a name of 1 to 50 characters');
    if (typeof m.email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(m.email)) fail(`${at}.email`, 'expected an email address');
    if (!(['ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE', 'CLOSED', 'PENDING_ACTIVATION'] as unknown[]).includes(m.state)) fail(`${at}.state`, 'expected ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED or PENDING_ACTIVATION');
    if (m.parentId !== org.rootId && !units.has(m.parentId)) fail(`${at}.parentId`, `expected the root id (${org.rootId}) or a unit's id, got ${JSON.stringify(m.parentId)}`);
    if (m.joinedTimestamp !== undefined && (typeof m.joinedTimestamp !== 'string' || Number.isNaN(Date.parse(m.joinedTimestamp)))) fail(`${at}.joinedTimestamp`, 'expected an ISO 8601 date-time such as 2021-06-15T08:30:00Z');
    if (m.joinedMethod !== undefined && m.joinedMethod !== 'CREATED' && m.joinedMethod !== 'INVITED') fail(`${at}.joinedMethod`, 'expected CREATED or INVITED');
  });
  if (typeof org.managementAccountId !== 'string' || !ACCOUNT_ID_RE.test(org.managementAccountId)) fail(`${P}.managementAccountId`, 'expected a 12-digit account id');
  if (!members.has(org.managementAccountId)) fail(`${P}.managementAccountId`, `the management account ${org.managementAccountId} must be one of the members`);
  if (org.delegatedAdministrators !== undefined && !Array.isArray(org.delegatedAdministrators)) fail(`${P}.delegatedAdministrators`, 'expected an array of account ids');
  (org.delegatedAdministrators ?? []).forEach((a, i) => {
    if (!members.has(a)) fail(`${P}.delegatedAdministrators[${i}]`, `${a} is not a member of the organization`);
  });
  if (org.pageSize !== undefined && !(Number.isInteger(org.pageSize) && org.pageSize >= 1)) fail(`${P}.pageSize`, 'expected a whole number >= 1 (pages never exceed the caller\'s MaxResults either)');
  if (org.emptyPageEvery !== undefined && !(Number.isInteger(org.emptyPageEvery) && (org.emptyPageEvery === 0 || org.emptyPageEvery >= 2))) {
    fail(`${P}.emptyPageEvery`, 'expected 0 (never) or a whole number >= 2 (with 1 every page would be empty and the listing would never end)');
  }
}

/** Top-level OU names (AWS's recommended OU structure), then the names of each one's children. */
const TOP_NAMES = ['Workloads', 'Sandbox', 'Security', 'Infrastructure', 'Policy Staging', 'Deployments', 'Exceptions', 'Transitional', 'Business Continuity'];
const ENV_NAMES = ['Prod', 'NonProd', 'Staging', 'Dev', 'Test'];
const TEAM_NAMES = ['Payments', 'Data', 'Checkout', 'Search', 'Identity', 'Mobile', 'Analytics', 'Platform', 'Billing', 'Growth', 'Risk', 'Media'];
const CHILD_NAMES: Record<string, string[]> = {
  Workloads: ENV_NAMES,
  Sandbox: ['Teams', 'Individuals', 'Experiments'],
  Security: ['Log Archive', 'Audit', 'Tooling', 'Incident Response'],
  Infrastructure: ['Network', 'Shared Services', 'Identity', 'Backup'],
  Teams: TEAM_NAMES,
  Individuals: ['Engineering', 'Research', 'Design'],
  Experiments: ['Hackathon', 'Prototypes', 'Research'],
};
const ENV_SLUGS = new Set(['prod', 'nonprod', 'staging', 'dev', 'test']);
const TEAM_SLUGS = ['payments', 'data', 'checkout', 'search', 'identity', 'mobile', 'analytics', 'platform', 'billing', 'growth', 'risk', 'media', 'ledger', 'fraud', 'catalog', 'ml'];
const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'trent', 'victor', 'wendy'];

export interface BuildOrganizationOptions {
  accountIds: string[];
  /** Becomes a member at the root (added when not among accountIds). */
  managementAccountId: string;
  /** How many OUs. */
  units: number;
  /** How deep they nest at most (1: all directly under the root); the deepest reaches it when units >= depth. */
  depth: number;
  seed?: number;
  suspended?: string[];
  closed?: string[];
}

/**
 * A deterministic organisation: `units` OUs nested up to `depth` deep with realistic names
 * (Workloads > Prod > Payments, Sandbox, Security...), the accounts spread over them (every OU
 * gets some while there are enough), the management account at the root.
 */
export function buildOrganization(opts: BuildOrganizationOptions): FleetOrganization {
  const rand = prng(opts.seed ?? 1);
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const word = (n: number): string => Array.from({ length: n }, () => chars[Math.floor(rand() * chars.length)]!).join('');
  const id = `o-${word(10)}`;
  const rootSuffix = word(4);
  const rootId = `r-${rootSuffix}`;
  const depth = Math.max(1, opts.depth);
  const units: (FleetOrgUnit & { level: number })[] = [];
  const ouIds = new Set<string>();
  const newId = (): string => {
    let ou: string;
    do ou = `ou-${rootSuffix}-${word(8)}`;
    while (ouIds.has(ou));
    ouIds.add(ou);
    return ou;
  };
  const add = (parentId: string, level: number, preferred?: string): void => {
    const taken = new Set(units.filter((u) => u.parentId === parentId).map((u) => u.name));
    const parentName = units.find((u) => u.id === parentId)?.name;
    const pool = level === 1 ? TOP_NAMES : (parentName && CHILD_NAMES[parentName]) || (ENV_NAMES.includes(parentName ?? '') ? TEAM_NAMES : ENV_NAMES);
    let name = preferred && !taken.has(preferred) ? preferred : pool.find((x) => !taken.has(x));
    for (let k = 2; !name; k += 1) name = pool.map((x) => `${x} ${k}`).find((x) => !taken.has(x));
    units.push({ id: newId(), name, parentId, level });
  };
  // the spine first (Workloads > Prod > Payments ...), so that the deepest level is reached
  for (let level = 1; level <= Math.min(depth, opts.units); level += 1) add(level === 1 ? rootId : units[level - 2]!.id, level, level === 1 ? 'Workloads' : level === 2 ? 'Prod' : undefined);
  while (units.length < opts.units) {
    const parents = [{ id: rootId, level: 0 }, ...units.filter((u) => u.level < depth)];
    const parent = parents[Math.floor(rand() * parents.length)]!;
    add(parent.id, parent.level + 1);
  }

  const suspended = new Set(opts.suspended ?? []);
  const closed = new Set(opts.closed ?? []);
  const ids = [opts.managementAccountId, ...opts.accountIds.filter((a) => a !== opts.managementAccountId)];
  const usedNames = new Set<string>();
  const unique = (base: string): string => {
    let name = base;
    for (let k = 2; usedNames.has(name); k += 1) name = `${base}-${k}`;
    usedNames.add(name);
    return name;
  };
  const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const pathOf = (unitId: string): FleetOrgUnit[] => {
    const path: FleetOrgUnit[] = [];
    for (let u = units.find((x) => x.id === unitId); u; u = units.find((x) => x.id === u!.parentId)) path.unshift(u);
    return path;
  };
  // every OU gets one account before any gets a second; the rest go to OUs at random
  const order = units.map((u) => u.id);
  const joinedBase = Date.parse('2018-03-01T00:00:00Z');
  const members: FleetOrgMember[] = ids.map((accountId, i) => {
    const state: OrgAccountState = closed.has(accountId) ? 'CLOSED' : suspended.has(accountId) ? 'SUSPENDED' : 'ACTIVE';
    const joinedTimestamp = new Date(joinedBase + Math.floor(rand() * 2500) * 86_400_000 + (i === 0 ? 0 : 86_400_000)).toISOString().replace('.000Z', 'Z');
    if (i === 0) {
      const name = unique('org-management');
      return { accountId, name, email: `aws+${name}@example.com`, state, parentId: rootId, joinedTimestamp: new Date(joinedBase).toISOString().replace('.000Z', 'Z'), joinedMethod: 'INVITED' };
    }
    const parentId = order.length === 0 ? rootId : i - 1 < order.length ? order[i - 1]! : order[Math.floor(rand() * order.length)]!;
    const words = pathOf(parentId).map((u) => slug(u.name));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const env = words.find((w) => ENV_SLUGS.has(w));
    const team = [...words].reverse().find((w) => !ENV_SLUGS.has(w) && w !== words[0]);
    let name: string;
    if (words[0] === 'sandbox') name = `sandbox-${pick(PEOPLE)}`;
    else if (env) name = `${team ?? pick(TEAM_SLUGS)}-${env}`;
    else if (words.length > 0) name = `${words.join('-')}${words.length === 1 ? `-${pick(TEAM_SLUGS)}` : ''}`;
    else name = `${pick(TEAM_SLUGS)}-shared`;
    name = unique(name.slice(0, 44).replace(/-$/, ''));
    return { accountId, name, email: `aws+${name}@example.com`, state, parentId, joinedTimestamp, joinedMethod: rand() < 0.2 ? 'INVITED' : 'CREATED' };
  });
  return { id, managementAccountId: opts.managementAccountId, rootId, units: units.map(({ id: uid, name, parentId }) => ({ id: uid, name, parentId })), members };
}
