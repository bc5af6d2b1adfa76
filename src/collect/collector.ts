/**
 * The collection stage of `ami-audit scan`: caller identity, accounts, regions, then every
 * account x region in parallel under bounded concurrency. Every scope ends with a coverage entry;
 * nothing that failed is dropped.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { CoverageEntry, InstanceRecord, Inventory, RunOptions } from '../model/types.js';
import { UserError } from '../model/errors.js';
import { ClientFactory, isLoopback, type ClientOptions } from './clients.js';
import { AssumedCredentials } from './credentials.js';
import { describeError } from './errors.js';
import type { Filter } from './filters.js';
import { collectScope } from './scope.js';
import { emptyCoverage } from '../report/coverage.js';
import { Interner } from './intern.js';

export interface CollectOptions {
  client: Omit<ClientOptions, 'maxSockets' | 'onCall'>;
  /** Accounts to audit; empty: the caller's own account. */
  accounts: string[];
  /** How to reach each account: a role name (ARN built per account) and/or full ARNs per account. */
  roleName?: string;
  roleArns?: Record<string, string>;
  externalId?: string;
  /** External ids per account (from the config), over externalId. */
  externalIds?: Record<string, string>;
  roleSessionName: string;
  durationSeconds?: number;
  regions: string[];
  allRegions: boolean;
  filters: Filter[];
  instanceIds?: string[];
  pageSize?: number;
  concurrency: number;
  accountConcurrency: number;
  assumeConcurrency: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /**
   * Receives each scope's instances as it completes; they are then not kept in the returned
   * inventory (the worker threads stream them to the main thread this way).
   */
  onScope?: (coverage: CoverageEntry, instances: InstanceRecord[]) => void;
  /** Called after every API call (for --debug): no payloads, no credentials. */
  onCall?: (e: CallEvent) => void;
  /** The clock, read at the start and the end of the run only. */
  now?: () => Date;
}

export interface CallEvent { action: string; accountId: string; region: string; status: number | string; attempts: number; ms: number; error?: string }

export interface Progress {
  scopesTotal: number;
  scopesDone: number;
  instances: number;
  errors: number;
  accountsResolved: number;
  accountsTotal: number;
}

/** An endpoint URL as it may be written down: without a user name or password in it. */
function withoutUserinfo(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

const PARTITION_OF_REGION = (region: string): string => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

/** Resolves base credentials; against a loopback endpoint with none configured, uses placeholders. */
async function baseCredentials(factory: ClientFactory, opts: CollectOptions): Promise<void> {
  if (opts.client.credentials) return;
  const probe = factory.stsClient(undefined, undefined, false);
  try {
    await probe.config.credentials();
  } catch (e) {
    if (isLoopback(opts.client.endpointUrl)) {
      // A local endpoint does not check signatures; like awslocal, sign with placeholders.
      factory.opts.credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
      return;
    }
    throw new UserError(`no AWS credentials found (${(e as Error).message.split('\n')[0]}); set AWS_PROFILE or --profile, environment keys, SSO or an instance role`);
  }
}

export async function collect(opts: CollectOptions): Promise<Inventory> {
  const now = opts.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const factory = new ClientFactory({ ...opts.client, maxSockets: Math.max(opts.concurrency, 8), onCall: opts.onCall });
  const callLimit = pLimit(opts.concurrency);
  const interner = new Interner();
  const assumeLimit = pLimit(opts.assumeConcurrency);
  const progress: Progress = { scopesTotal: 0, scopesDone: 0, instances: 0, errors: 0, accountsResolved: 0, accountsTotal: 0 };
  const tick = (): void => opts.onProgress?.({ ...progress });
  // Every in-flight call listens on the run's abort signal.
  if (opts.signal) setMaxListeners(0, opts.signal);
  try {
    // Home region for STS and region discovery: as given, else the first audited region, else us-east-1.
    factory.opts.region = opts.client.region ?? opts.regions[0] ?? 'us-east-1';
    await factory.resolveShared();
    await baseCredentials(factory, opts);
    const sts = factory.stsClient();
    let caller: { Account?: string; Arn?: string };
    try {
      caller = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: opts.signal });
    } catch (e) {
      const d = describeError(e);
      throw new UserError(`cannot establish the caller's identity with sts:GetCallerIdentity: ${d.code}: ${d.message}`);
    }
    const callerAccount = caller.Account ?? null;
    const accounts = opts.accounts.length ? opts.accounts : callerAccount ? [callerAccount] : [];
    if (!accounts.length) throw new UserError('no account to audit: GetCallerIdentity named none and --accounts is empty');
    progress.accountsTotal = accounts.length;
    const homeRegion = factory.opts.region;
    const partition = PARTITION_OF_REGION(homeRegion);

    const coverage: CoverageEntry[] = [];
    const instances: InstanceRecord[] = [];
    const found = new Set<string>();
    const regionsSeen = new Set<string>(opts.regions);

    // Where an account's own regions cannot be learned (its role cannot be assumed, or it may not
    // call DescribeRegions), its failure is recorded against every region the caller's account
    // has enabled, so that each account x region still has its entry; '*' only if that fails too.
    let callerRegionList: Promise<string[]> | null = null;
    const regionsForFailure = async (): Promise<string[]> => {
      if (!opts.allRegions) return opts.regions;
      callerRegionList ??= (async () => {
        try {
          const { enabled } = await discoverRegions(factory.ec2Client(`${callerAccount ?? 'caller'}|base`, homeRegion, undefined));
          return enabled.length ? enabled : ['*'];
        } catch {
          return ['*'];
        }
      })();
      return callerRegionList;
    };

    /** An account's enabled regions by DescribeRegions (among --regions, if given), and the others with their opt-in status. */
    const discoverRegions = async (client: ReturnType<ClientFactory['ec2Client']>): Promise<{ enabled: string[]; other: { region: string; status: string }[] }> => {
      const out = await callLimit(() => client.send(new DescribeRegionsCommand({ AllRegions: true }), { abortSignal: opts.signal }));
      const only = opts.regions.length ? new Set(opts.regions) : null;
      const enabled: string[] = [];
      const other: { region: string; status: string }[] = [];
      for (const r of out.Regions ?? []) {
        if (!r.RegionName || (only && !only.has(r.RegionName))) continue;
        if (r.OptInStatus === 'opt-in-not-required' || r.OptInStatus === 'opted-in' || r.OptInStatus === undefined) enabled.push(r.RegionName);
        else other.push({ region: r.RegionName, status: r.OptInStatus });
      }
      return { enabled: enabled.sort(), other };
    };

    const accountWork = accounts.map(async (accountId) => {
      const record = (c: CoverageEntry): void => {
        coverage.push(c);
        progress.scopesDone += 1;
        if (c.status === 'error' || c.status === 'partial') progress.errors += 1;
        tick();
      };
      const scopeError = (region: string, code: string, message: string): CoverageEntry => ({ ...emptyCoverage(accountId, region), status: 'error', errorCode: code, errorMessage: message });
      /** The account cannot be audited at all: one error entry for each region it would have had. */
      const failAccount = async (code: string, message: string): Promise<void> => {
        const regions = await regionsForFailure();
        progress.scopesTotal += regions.length;
        progress.accountsResolved += 1;
        for (const r of regions) record(scopeError(r, code, message));
      };

      // Credentials: the base ones for the caller's own account when no role is given for it.
      const roleArn = opts.roleArns?.[accountId] ?? (opts.roleName ? `arn:${partition}:iam::${accountId}:role/${opts.roleName}` : undefined);
      let creds: AssumedCredentials | null = null;
      if (roleArn) {
        creds = new AssumedCredentials(sts, {
          roleArn, sessionName: opts.roleSessionName, externalId: opts.externalIds?.[accountId] ?? opts.externalId, durationSeconds: opts.durationSeconds,
          limit: (fn) => assumeLimit(fn),
        });
      } else if (accountId !== callerAccount) {
        await failAccount('NoRoleConfigured', `No role to assume in ${accountId}: give --role-name or a roleArn for it in the config.`);
        return;
      }
      const provider = creds?.provider;
      const accountKey = `${accountId}|${roleArn ?? 'base'}`;

      // Reaching the account first: an AssumeRole that fails fails every region of the account.
      if (creds) {
        try {
          await creds.provider();
        } catch (e) {
          const d = describeError(e);
          await failAccount(d.code, `AssumeRole ${roleArn}: ${d.message}`);
          return;
        }
      }

      let regions = opts.regions;
      const skipped: CoverageEntry[] = [];
      if (opts.allRegions) {
        try {
          const found = await discoverRegions(factory.ec2Client(accountKey, homeRegion, provider));
          regions = found.enabled;
          for (const o of found.other) skipped.push({ ...emptyCoverage(accountId, o.region), status: 'skipped', reason: o.status });
        } catch (e) {
          const d = describeError(e);
          await failAccount(d.code, `DescribeRegions in ${homeRegion}: ${d.message}`);
          return;
        }
      }
      progress.scopesTotal += regions.length + skipped.length;
      progress.accountsResolved += 1;
      for (const s of skipped) {
        regionsSeen.add(s.region);
        record(s);
      }
      const accountLimit = pLimit(opts.accountConcurrency);
      await Promise.all(regions.map((region) => accountLimit(async () => {
        regionsSeen.add(region);
        if (opts.signal?.aborted) {
          record(scopeError(region, 'Interrupted', 'The scan was interrupted before this scope started.'));
          return;
        }
        const res = await collectScope({
          accountId, region, client: factory.ec2Client(accountKey, region, provider), filters: opts.filters, pageSize: opts.pageSize,
          instanceIds: opts.instanceIds, limit: (fn) => callLimit(fn), signal: opts.signal, onExpired: () => creds?.invalidate(), interner,
        });
        if (opts.onScope) opts.onScope(res.coverage, res.instances);
        else for (const i of res.instances) instances.push(i);
        for (const id of res.foundIds) found.add(id);
        progress.instances += res.instances.length;
        record(res.coverage);
      })));
    });
    await Promise.all(accountWork);

    const regionsList = [...regionsSeen].filter((r) => r !== '*').sort();
    const options: RunOptions = {
      roleName: opts.roleName, roleArns: opts.roleArns, externalIdSet: opts.externalId || opts.externalIds ? true : undefined, roleSessionName: opts.roleSessionName,
      durationSeconds: opts.durationSeconds, allRegions: opts.allRegions, filters: opts.filters.length ? opts.filters : undefined,
      instanceIds: opts.instanceIds, pageSize: opts.pageSize, concurrency: opts.concurrency, accountConcurrency: opts.accountConcurrency,
      maxAttempts: opts.client.maxAttempts, retryMode: opts.client.retryMode, endpointUrl: withoutUserinfo(opts.client.endpointUrl), profile: opts.client.profile,
    };
    for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
    return {
      run: {
        id: randomUUID(), startedAt, finishedAt: now().toISOString(), caller: { accountId: callerAccount, arn: caller.Arn ?? null },
        accounts: [...accounts].sort(), regions: regionsList, options, interrupted: opts.signal?.aborted ?? false, source: 'scan',
      },
      coverage,
      instances,
      notFoundInstanceIds: (opts.instanceIds ?? []).filter((id) => !found.has(id)).sort(),
    };
  } finally {
    factory.destroy();
  }
}
