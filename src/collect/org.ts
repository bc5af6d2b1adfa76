/**
 * Organisation discovery: the accounts of an AWS Organizations organisation, with their names,
 * states and OU paths, from the management account or a delegated administrator.
 *
 * The tree is walked from the roots (ListRoots, then ListOrganizationalUnitsForParent and
 * ListAccountsForParent for every parent), so that every account comes with the path of OUs it
 * sits in and an --ou filter selects whole subtrees. A walk that meets a root or an OU twice stops
 * (a cycle). The walk is then checked against ListAccounts: an account moved while the walk ran
 * is placed where ListParents says it is now, or named in the error. Every paged call keeps asking while a
 * NextToken comes back, empty pages included (Organizations documents them), through the
 * collector's one pagination loop. Discovery either lists the whole organisation or fails: a
 * partial list would read as accounts that do not exist, so any failure is a DiscoveryError
 * (exit 2) that names the permission or the account needed.
 */
import pLimit from 'p-limit';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { AccountInfo, CoverageEntry, OuRef } from '../model/types.js';
import { skipped as skippedEntry } from '../model/coverage.js';
import { UserError } from '../model/errors.js';
import { ACCOUNT_ID_RE, cmp } from '../model/ids.js';
import { termSafe } from '../model/text.js';
import { describeError } from './errors.js';
import { paginate } from './paginate.js';
import { sdk } from './clients.js';
import { baseCredentials, clientFactory, type CollectOptions } from './collector.js';

/** MaxResults of every Organizations list call: the API's largest page. */
export const ORG_PAGE_SIZE = 20;
/**
 * The most items one Organizations listing could hold (an organisation's account quota can be
 * raised to the thousands; this is far above it): bounds its pages at 20 a page.
 */
export const MAX_ORG_ITEMS = 100_000;
/** Organizations list calls in flight at once: its request rate is low (a few per second per account). */
export const ORG_CONCURRENCY = 4;

/** Discovery could not list the organisation: the run stops (exit 2) rather than audit part of it. */
export class DiscoveryError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'DiscoveryError';
  }
}

export interface OrgDiscovery {
  organizationId: string;
  managementAccountId: string;
  /** Every account of the organisation (or of the --ou subtrees), in any state, sorted by id. */
  accounts: DiscoveredAccount[];
  /** Every account of the organisation, whatever --ou says (names for accounts added with --accounts). */
  everyAccount: DiscoveredAccount[];
  /** OUs walked. */
  units: number;
  /** Organizations calls made. */
  calls: number;
}

export interface DiscoverOptions {
  /** Only accounts in these OUs (and the OUs below them). */
  ous?: string[];
  signal?: AbortSignal;
  /** The caller's account, for the messages. */
  callerAccount?: string | null;
}

interface Parent { id: string; path: string; ancestors: string[]; parts: OuRef[]; /** The parent it was listed under (null: a root). */ under: string | null }

/** An account as discovery found it: with the ids of the OUs above it (for --ou). */
export interface DiscoveredAccount extends AccountInfo { ouIds: string[] }

const CALLER_HINT = 'run ami-audit with credentials of the organisation\'s management account or of a delegated administrator for AWS Organizations, allowed the read actions of `ami-audit iam-policy --part caller --org`';

/** A one-line message for a failed Organizations call, with what to do about it. */
function failure(action: string, e: unknown, callerAccount: string | null | undefined): DiscoveryError {
  const d = describeError(e);
  const who = callerAccount ? `the caller's account ${callerAccount}` : 'the caller';
  // the service's message ends in a period of its own: the sentence after it gets one, not two
  const head = `--org: organizations:${action} failed: ${d.code}: ${termSafe(d.message, 300).replace(/[\s.]+$/, '')}`;
  switch (d.code) {
    case 'AWSOrganizationsNotInUseException':
      return new DiscoveryError(`${head}. ${who} is not in an organisation; list the accounts with --accounts instead, or ${CALLER_HINT}`);
    case 'AccessDeniedException':
    case 'AccessDenied':
      return new DiscoveryError(`${head}. ${who} may not read the organisation: ${CALLER_HINT}`);
    default:
      return new DiscoveryError(`${head}. The organisation could not be listed in full, so nothing was audited; try again, or list the accounts with --accounts`);
  }
}

/** A list answer must carry its list: a 200 without it is not "no accounts". */
function listOf<T>(action: string, out: Record<string, unknown>, key: string): T[] {
  const v = out[key];
  if (!Array.isArray(v)) throw new DiscoveryError(`--org: organizations:${action} answered without ${key}: not an Organizations answer; check --endpoint-url and any proxy`);
  return v as T[];
}

/**
 * Lists the organisation's accounts. Throws a DiscoveryError (exit 2) when any part of the
 * organisation cannot be listed, and a UserError when an --ou is not in it.
 */
export async function discoverOrganization(client: OrganizationsClient, o: DiscoverOptions = {}): Promise<OrgDiscovery> {
  let calls = 0;
  const opt = { abortSignal: o.signal };
  const send = async <T>(action: string, call: () => Promise<T>): Promise<T> => {
    calls += 1;
    try {
      return await call();
    } catch (e) {
      if (o.signal?.aborted) throw e;
      throw failure(action, e, o.callerAccount);
    }
  };
  /** Every item of a paged list call, empty pages with a token included; a loop is a failure. */
  const all = async <T>(action: string, key: string, page: (token: string | undefined) => Promise<object>): Promise<T[]> => {
    const items: T[] = [];
    const ids = new Set<unknown>();
    const res = await paginate<T>({
      action, pageSize: ORG_PAGE_SIZE, maxItems: MAX_ORG_ITEMS,
      fetch: async (token) => {
        const out = (await send(action, () => page(token))) as Record<string, unknown>;
        return { items: listOf<T>(action, out, key), nextToken: typeof out.NextToken === 'string' ? out.NextToken : undefined };
      },
      onItems: (page) => {
        items.push(...page);
        // new: an id not received before in this listing (an item without one is refused later)
        let fresh = 0;
        for (const it of page) {
          const id = (it as { Id?: unknown }).Id;
          if (id === undefined || !ids.has(id)) fresh += 1;
          ids.add(id);
        }
        return fresh;
      },
    });
    if (res.failure) throw new DiscoveryError(`--org: organizations:${action}: ${res.failure.message}`);
    return items;
  };

  const org = (await send('DescribeOrganization', () => client.send(new sdk.organizations.DescribeOrganizationCommand({}), opt))).Organization;
  if (!org?.Id || !org.MasterAccountId || !ACCOUNT_ID_RE.test(org.MasterAccountId)) {
    throw new DiscoveryError('--org: organizations:DescribeOrganization answered without an organisation id and management account: not an Organizations answer; check --endpoint-url and any proxy');
  }
  const roots = await all<{ Id?: string; Name?: string }>('ListRoots', 'Roots', (NextToken) => client.send(new sdk.organizations.ListRootsCommand({ NextToken, MaxResults: ORG_PAGE_SIZE }), opt));
  if (roots.length === 0) throw new DiscoveryError('--org: organizations:ListRoots answered no root: not an Organizations answer; check --endpoint-url and any proxy');

  const limit = pLimit(ORG_CONCURRENCY);
  const accounts = new Map<string, DiscoveredAccount>();
  const units = new Map<string, Parent>();
  const walk = async (parent: Parent): Promise<void> => {
    const [children, members] = await Promise.all([
      limit(() => all<{ Id?: string; Name?: string }>('ListOrganizationalUnitsForParent', 'OrganizationalUnits', (NextToken) => client.send(new sdk.organizations.ListOrganizationalUnitsForParentCommand({ ParentId: parent.id, NextToken, MaxResults: ORG_PAGE_SIZE }), opt))),
      limit(() => all<{ Id?: string; Name?: string; State?: string; Status?: string }>('ListAccountsForParent', 'Accounts', (NextToken) => client.send(new sdk.organizations.ListAccountsForParentCommand({ ParentId: parent.id, NextToken, MaxResults: ORG_PAGE_SIZE }), opt))),
    ]);
    for (const a of members) {
      if (!a.Id || !ACCOUNT_ID_RE.test(a.Id)) throw new DiscoveryError(`--org: organizations:ListAccountsForParent answered an account id ${JSON.stringify(termSafe(a.Id ?? '(none)', 40))} under ${parent.id}: not an account id; check --endpoint-url and any proxy`);
      // State is the current field; Status retires (it is read only when State is missing).
      const state = a.State ?? a.Status ?? 'UNKNOWN';
      accounts.set(a.Id, { accountId: a.Id, name: a.Name ?? null, ouPath: parent.path, ouPathParts: parent.parts, ouIds: parent.ancestors, state });
    }
    const next: Parent[] = [];
    for (const u of children) {
      // an OU without an id would hide its accounts: not an answer to trust
      if (!u.Id) throw new DiscoveryError(`--org: organizations:ListOrganizationalUnitsForParent answered an OU without an id under ${parent.id}: not an Organizations answer; check --endpoint-url and any proxy`);
      // The walk is of a tree: an OU met again under another parent, or a root met as an OU, is a
      // cycle (or an OU moved while the walk ran); walking on would widen or skew the run.
      const where = `${termSafe(parent.path, 200)} (${parent.id})`;
      if (rootIds.has(u.Id)) throw new DiscoveryError(`--org: organizations:ListOrganizationalUnitsForParent lists the root ${u.Id} as an OU under ${where}: the OU tree has a cycle through the root, so nothing was audited; check the organisation's OUs and run again`);
      const met = units.get(u.Id);
      if (met) {
        if (met.under === parent.id) continue; // the same OU repeated in its parent's listing: walked once
        throw new DiscoveryError(`--org: OU ${u.Id} is listed under ${where} and under ${termSafe(met.path.slice(0, met.path.lastIndexOf('/')) || met.path, 200)} (${met.under}): the OU tree has a cycle, or the OU moved while it was walked, so nothing was audited; run again, and check the organisation's OUs if it recurs`);
      }
      const p = { id: u.Id, path: `${parent.path}/${u.Name ?? u.Id}`, ancestors: [...parent.ancestors, u.Id], parts: [...parent.parts, { id: u.Id, name: u.Name ?? u.Id }], under: parent.id };
      units.set(u.Id, p);
      next.push(p);
    }
    await Promise.all(next.map(walk));
  };
  if (roots.some((r) => !r.Id)) throw new DiscoveryError('--org: organizations:ListRoots answered a root without an id: not an Organizations answer; check --endpoint-url and any proxy');
  const rootIds = new Set(roots.map((r) => r.Id!));
  await Promise.all(roots.map((r) => walk({ id: r.Id!, path: r.Name ?? 'Root', ancestors: [], parts: [{ id: r.Id!, name: r.Name ?? 'Root' }], under: null })));

  // The walk against the organisation's own list: an account ListAccounts returns that no parent
  // listed during the walk (moved between OUs while it ran, or joined) is placed where it is when
  // read again (ListParents: the root or an OU the walk read), or named in a DiscoveryError.
  // Never audited under no OU, never silently missing.
  type Listed = { Id?: string; Name?: string; State?: string; Status?: string };
  const listed = await all<Listed>('ListAccounts', 'Accounts', (NextToken) => client.send(new sdk.organizations.ListAccountsCommand({ NextToken, MaxResults: ORG_PAGE_SIZE }), opt));
  const places = new Map<string, Parent>([...units.values()].map((u) => [u.id, u]));
  for (const r of roots) places.set(r.Id!, { id: r.Id!, path: r.Name ?? 'Root', ancestors: [], parts: [{ id: r.Id!, name: r.Name ?? 'Root' }], under: null });
  await Promise.all(listed.map((a) => limit(async () => {
    if (!a.Id || !ACCOUNT_ID_RE.test(a.Id)) throw new DiscoveryError(`--org: organizations:ListAccounts answered an account id ${JSON.stringify(termSafe(a.Id ?? '(none)', 40))}: not an account id; check --endpoint-url and any proxy`);
    if (accounts.has(a.Id)) return;
    const parents = await all<{ Id?: string }>('ListParents', 'Parents', (NextToken) => client.send(new sdk.organizations.ListParentsCommand({ ChildId: a.Id, NextToken, MaxResults: ORG_PAGE_SIZE }), opt));
    const parent = parents.length === 1 ? places.get(parents[0]!.Id ?? '') : undefined;
    if (!parent) {
      const now = parents.map((p) => termSafe(p.Id ?? '(none)', 60)).join(', ') || 'none';
      throw new DiscoveryError(`--org: account ${a.Id}${a.Name ? ` (${termSafe(a.Name, 60)})` : ''} is in the organisation (organizations:ListAccounts) but under no OU the walk read (its parent now: ${now}): it moved, or its OU was made, while the OUs were walked, so nothing was audited; run again`);
    }
    accounts.set(a.Id, { accountId: a.Id, name: a.Name ?? null, ouPath: parent.path, ouPathParts: parent.parts, ouIds: parent.ancestors, state: a.State ?? a.Status ?? 'UNKNOWN' });
  })));

  const everyAccount = [...accounts.values()].sort((a, b) => cmp(a.accountId, b.accountId));
  let list = everyAccount;
  if (o.ous?.length) {
    const missing = o.ous.filter((id) => !units.has(id));
    if (missing.length) throw new UserError(`--ou: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not an OU of organisation ${org.Id}; list its OUs with "aws organizations list-organizational-units-for-parent --parent-id <root or OU id>"`);
    const wanted = new Set(o.ous);
    list = list.filter((a) => a.ouIds.some((id) => wanted.has(id)));
  }
  return { organizationId: org.Id, managementAccountId: org.MasterAccountId, accounts: list, everyAccount, units: units.size, calls };
}

export interface AccountSelection {
  /** Accounts to audit: ACTIVE discovered accounts narrowed by include/exclude, with the ones named by --accounts. */
  audit: string[];
  /** Discovered accounts in the selection that are not ACTIVE: recorded as skipped with their state, never audited. */
  skipped: { accountId: string; state: string }[];
  /** What is known of every account of the selection (discovered, or named in the config). */
  directory: AccountInfo[];
}

/**
 * The accounts of a run from discovery and the flags, in one pure step:
 * (discovered, narrowed to --include-accounts when given, less --exclude-accounts) united with
 * --accounts. Discovered accounts that are not ACTIVE are skipped, whoever named them: AWS
 * refuses access to suspended and closed accounts, and a skipped entry says why.
 * Throws a UserError for an --include-accounts / --exclude-accounts id that discovery did not find:
 * a mistyped id would otherwise narrow the audit without anyone noticing.
 */
export function selectAccounts(discovered: readonly AccountInfo[], o: { include?: string[]; exclude?: string[]; explicit?: string[]; names?: Record<string, string>; ous?: string[]; known?: readonly AccountInfo[] }): AccountSelection {
  const byId = new Map(discovered.map((a) => [a.accountId, a]));
  // what the organisation says of accounts outside the selection (added with --accounts)
  const elsewhere = new Map((o.known ?? []).map((a) => [a.accountId, a]));
  for (const [flag, list] of [['--include-accounts', o.include], ['--exclude-accounts', o.exclude]] as const) {
    const unknown = (list ?? []).filter((id) => !byId.has(id));
    if (unknown.length) throw new UserError(`${flag}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among the ${discovered.length} accounts discovered by --org${o.ous?.length ? ` under --ou ${o.ous.join(' ')}` : ''}; check the id${unknown.length === 1 ? '' : 's'}, or name ${unknown.length === 1 ? 'it' : 'them'} with --accounts`);
  }
  const include = o.include?.length ? new Set(o.include) : null;
  const exclude = new Set(o.exclude ?? []);
  const chosen = new Map<string, AccountInfo>();
  for (const a of discovered) if ((!include || include.has(a.accountId)) && !exclude.has(a.accountId)) chosen.set(a.accountId, a);
  for (const id of o.explicit ?? []) if (!chosen.has(id)) chosen.set(id, byId.get(id) ?? elsewhere.get(id) ?? { accountId: id, name: null, ouPath: null, state: null });
  const audit: string[] = [];
  const skipped: AccountSelection['skipped'] = [];
  const directory: AccountInfo[] = [];
  for (const a of [...chosen.values()].sort((x, y) => cmp(x.accountId, y.accountId))) {
    const info: AccountInfo = { accountId: a.accountId, name: a.name ?? o.names?.[a.accountId] ?? null, ouPath: a.ouPath, ...(a.ouPathParts ? { ouPathParts: a.ouPathParts.map((x) => ({ ...x })) } : {}), state: a.state };
    directory.push(info);
    if (a.state === null || a.state === 'ACTIVE') audit.push(a.accountId);
    else skipped.push({ accountId: a.accountId, state: a.state });
  }
  return { audit, skipped, directory };
}

/**
 * Discovery as a run does it: clients from the collector's factory (the run's client options, the
 * base credentials, and --debug's observer, so Organizations calls are logged like EC2's).
 */
export async function discoverForRun(run: Pick<CollectOptions, 'client' | 'onCall'>, o: DiscoverOptions): Promise<OrgDiscovery> {
  const factory = clientFactory(run, ORG_CONCURRENCY * 2);
  try {
    factory.opts.region = run.client.region ?? 'us-east-1';
    await factory.resolveShared();
    await baseCredentials(factory, run);
    return await discoverOrganization(factory.organizationsClient(), o);
  } finally {
    factory.destroy();
  }
}

/**
 * The coverage of accounts skipped for their Organizations state: one `skipped` entry per region of
 * the run, the state as the reason, so that a suspended account is a named gap in every format and
 * never a silent omission.
 */
export function skippedAccountCoverage(skipped: readonly { accountId: string; state: string }[], regions: readonly string[]): CoverageEntry[] {
  const list = regions.length ? regions : ['*'];
  return skipped.flatMap(({ accountId, state }) => list.map((region) => skippedEntry(accountId, region, state,
    `AWS Organizations lists account ${accountId} as ${state}: it was not audited (AWS refuses access to accounts that are not ACTIVE).`)));
}
