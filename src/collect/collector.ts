/**
 * The collection stage of `ami-audit scan`: caller identity, accounts, regions, then every
 * account x region in parallel under bounded concurrency. Every scope ends with a coverage entry;
 * nothing that failed is dropped.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { CoverageEntry, ImageReference, InstanceRecord, Inventory, OwnedImage, RunOptions, ScopeFailure } from '../model/types.js';
import { collectReferences, DEFAULT_VERSION_DEPTH } from './references.js';
import { SuccessorFinder, successorWarning } from './successors.js';
import { UserError } from '../model/errors.js';
import { ClientFactory, isLoopback, sdk, type ClientOptions } from './clients.js';
import { redact } from './secrets.js';
import { deadlineReason, formatDeadline, isDeadline } from './deadline.js';
import { AssumedCredentials } from './credentials.js';
import { abortError, describeError } from './errors.js';
import type { Filter } from './filters.js';
import { collectScope, type ScopeResult } from './scope.js';
import { collectOwnedImages, type UsageSettings } from './owned-images.js';
import { Interner } from '../model/intern.js';
import { CoverageLedger } from './ledger.js';
import { partitionOf } from './regions.js';
import { DEFAULT_ENABLED_REGIONS, discoverRegions, planAccount, type AccountPlan } from './plan.js';
import { ACCOUNT_ID_RE, accountOfArn } from '../model/ids.js';
import { termSafe } from '../model/text.js';
import { addFailure, listedCompletely } from '../model/coverage.js';

export interface CollectOptions {
  client: Omit<ClientOptions, 'maxSockets' | 'onCall'>;
  /** Accounts to audit; empty: the caller's own account (unless accountsFixed). */
  accounts: string[];
  /** The accounts are exactly `accounts`, even when empty (a shard of a sharded run). */
  accountsFixed?: boolean;
  /**
   * Every account to audit but the caller's own must have a role to assume (a --org run): one that
   * has none is refused before any account is audited, rather than recorded as NoRoleConfigured.
   */
  rolesRequired?: boolean;
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
  /** The run's own time limit in ms (--deadline): then unfinished scopes end with DeadlineExceeded. */
  deadlineMs?: number;
  /**
   * When that limit passes (epoch ms): the deadline counts from the start of the whole run, before
   * this collector started (organisation discovery included). Absent: deadlineMs from now.
   */
  deadlineAt?: number;
  /** Receives what --debug shows beyond the calls: the stack of an unexpected exception a scope contained. */
  onDiagnostic?: (text: string) => void;
  onProgress?: (p: Progress) => void;
  /**
   * Receives each scope's instances as it completes; they are then not kept in the returned
   * inventory (the worker threads stream them to the main thread this way).
   */
  onScope?: (coverage: CoverageEntry, instances: InstanceRecord[], references: ImageReference[]) => void;
  /** Called after every API call (for --debug): no payloads, no credentials. */
  onCall?: (e: CallEvent) => void;
  /** The clock, read at the start and the end of the run only. */
  now?: () => Date;
  /**
   * --references: look up what references each scope's flagged AMIs (flagged as of `asOfMs`, the
   * run's start when absent), with `versionDepth` launch template versions.
   */
  references?: { versionDepth?: number; asOfMs?: number };
  /** --successors: look up a successor for each flagged AMI (flagged as of `asOfMs`, the run's start when absent). */
  /**
   * soonDays / staleDays: the deprecation-soon window and stale-ami age (null: that rule is off), so
   * that every AMI a lifecycle rule flags gets a successor, not only those deprecated already.
   */
  successors?: { asOfMs?: number; soonDays?: number | null; staleDays?: number | null };
  /**
   * `ami-audit images`: each scope lists the AMIs the account owns (src/collect/owned-images.ts)
   * instead of its instances; usage reports as `usage` says (null: none), deprecation judged as of
   * `asOfMs` (the run's start when absent).
   */
  images?: { usage: UsageSettings | null; ancestry: boolean; asOfMs?: number; sleep?: (ms: number, signal: AbortSignal) => Promise<void> };
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

/** Resolves base credentials; against a loopback endpoint with none configured, uses placeholders. */
/**
 * The run's one way of making clients: the client options (endpoint, proxy, TLS, retries, the
 * per-call deadline, the base credentials) and the --debug observer of every call. The collector and
 * organisation discovery both take their clients from a factory made here.
 */
export function clientFactory(opts: Pick<CollectOptions, 'client' | 'onCall'>, maxSockets: number): ClientFactory {
  return new ClientFactory({ ...opts.client, maxSockets, onCall: opts.onCall });
}

export async function baseCredentials(factory: ClientFactory, opts: Pick<CollectOptions, 'client'>): Promise<void> {
  if (opts.client.credentials && typeof opts.client.credentials !== 'function') {
    // given as values: resolved already (and registered as secrets by the factory)
    return;
  }
  try {
    await factory.resolveBaseCredentials();
  } catch (e) {
    if (!opts.client.credentials && isLoopback(opts.client.endpointUrl)) {
      // A local endpoint does not check signatures; like awslocal, sign with placeholders.
      factory.opts.credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
      return;
    }
    throw e;
  }
}

/**
 * Accounts audited at once: enough to keep every call slot busy (each account runs up to
 * accountConcurrency scopes) and the next accounts' AssumeRole and region discovery under way,
 * never all of an organisation at once (each holds credentials, clients and open scopes).
 */
export function accountsInFlight(o: Pick<CollectOptions, 'concurrency' | 'accountConcurrency' | 'assumeConcurrency'>): number {
  return Math.ceil(o.concurrency / Math.max(1, o.accountConcurrency)) + Math.max(1, o.assumeConcurrency);
}

/** Why the run stopped early, as the coverage of every unfinished scope records it. */
function stopCause(signal: AbortSignal, deadlineMs: number | undefined): ScopeFailure {
  if (isDeadline(signal)) {
    return { action: 'Run', code: 'DeadlineExceeded', message: `The run's deadline (${formatDeadline(deadlineMs ?? 0)}) passed before this scope finished.` };
  }
  return { action: 'Run', code: 'Interrupted', message: 'The scan was interrupted before this scope finished.' };
}

/** Seconds as a person reads them: 40 s, 12 min, 5 h, 3 days. */
function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}


export async function collect(opts: CollectOptions): Promise<Inventory> {
  const now = opts.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const startMs = Date.parse(startedAt);
  // The run's own signal: the caller's (an interrupt) or the deadline, whichever comes first.
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every in-flight call listens on it
  const onOuterAbort = (): void => stop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const until = opts.deadlineAt ?? (opts.deadlineMs !== undefined ? Date.now() + opts.deadlineMs : undefined);
  const deadline = until !== undefined ? setTimeout(() => stop.abort(deadlineReason()), Math.max(0, until - Date.now())) : null;
  deadline?.unref();
  const signal = stop.signal;
  const cause = (): ScopeFailure => stopCause(signal, opts.deadlineMs);

  const factory = clientFactory(opts, Math.max(opts.concurrency, 8));
  // Queued work is dropped at once when the run stops: a queued call starts, sees the signal and fails.
  const guard = <T>(fn: () => Promise<T>) => () => (signal.aborted ? Promise.reject(abortError()) : fn());
  const callQueue = pLimit(opts.concurrency);
  const callLimit = <T>(fn: () => Promise<T>): Promise<T> => callQueue(guard(fn));
  const assumeQueue = pLimit(opts.assumeConcurrency);
  const assumeLimit = <T>(fn: () => Promise<T>): Promise<T> => assumeQueue(guard(fn));
  const interner = new Interner();
  const progress: Progress = { scopesTotal: 0, scopesDone: 0, instances: 0, errors: 0, accountsResolved: 0, accountsTotal: 0 };
  const tick = (): void => opts.onProgress?.({ ...progress });
  const ledger = new CoverageLedger((c) => {
    progress.scopesTotal = c.total;
    progress.scopesDone = c.settled;
    progress.errors = c.failed;
    tick();
  });
  try {
    // Home region for STS and region discovery: as given, else the first audited region, else us-east-1.
    factory.opts.region = opts.client.region ?? opts.regions[0] ?? 'us-east-1';
    await factory.resolveShared();
    await baseCredentials(factory, opts);
    const sts = factory.stsClient();
    let caller: { Account?: string; Arn?: string };
    try {
      caller = await sts.send(new sdk.sts.GetCallerIdentityCommand({}), { abortSignal: signal });
    } catch (e) {
      const d = describeError(e);
      throw new UserError(`cannot establish the caller's identity with sts:GetCallerIdentity: ${d.code}: ${d.message}`);
    }
    // The caller's identity names the account audited when none is given: it must be an account id,
    // and the one its ARN names.
    const callerAccount = caller.Account ?? null;
    if (callerAccount !== null && (!ACCOUNT_ID_RE.test(callerAccount) || (caller.Arn !== undefined && accountOfArn(caller.Arn) !== callerAccount))) {
      throw new UserError(`sts:GetCallerIdentity answered account ${JSON.stringify(termSafe(callerAccount, 40))} with ARN ${JSON.stringify(termSafe(caller.Arn ?? '(none)', 120))}: not a consistent identity; check --endpoint-url and the credentials`);
    }
    // A shard's list may be empty (more shards than accounts): then nothing is audited here.
    const accounts = opts.accounts.length || opts.accountsFixed ? opts.accounts : callerAccount ? [callerAccount] : [];
    if (!accounts.length && !opts.accountsFixed) throw new UserError('no account to audit: GetCallerIdentity named none and --accounts is empty');
    if (opts.rolesRequired && !opts.roleName) {
      const without = accounts.filter((id) => id !== callerAccount && !opts.roleArns?.[id]);
      if (without.length) {
        const some = without.slice(0, 3).join(', ') + (without.length > 3 ? ` and ${without.length - 3} more` : '');
        throw new UserError(`--org without --role-name can audit only the caller's own account (${callerAccount ?? 'unknown'}); ${some} ${without.length === 1 ? 'has' : 'have'} no role to assume: give --role-name (or roleName in the config)`);
      }
    }
    progress.accountsTotal = accounts.length;
    const homeRegion = factory.opts.region;
    const partition = partitionOf(homeRegion);
    const defaultEnabled = partition === 'aws' ? DEFAULT_ENABLED_REGIONS : new Set<string>();

    const instances: InstanceRecord[] = [];
    const references: ImageReference[] = [];
    const ownedImages: OwnedImage[] = [];
    const found = new Set<string>();
    const credentials: AssumedCredentials[] = [];
    const successors = opts.successors ? new SuccessorFinder({ asOfMs: opts.successors.asOfMs ?? startMs, soonDays: opts.successors.soonDays ?? null, staleDays: opts.successors.staleDays ?? null, limit: callLimit, signal, onDiagnostic: (l) => opts.onDiagnostic?.(redact(l)) }) : null;

    // Where an account cannot be planned (its role cannot be assumed, or it may not call
    // DescribeRegions), its failure is recorded against every region it would have had: the
    // regions named, else every region the caller's account has enabled; '*' only if that fails too.
    let callerRegionList: Promise<string[]> | null = null;
    const regionsForFailure = (): Promise<string[]> => {
      if (!opts.allRegions || opts.regions.length) return Promise.resolve(opts.regions);
      callerRegionList ??= discoverRegions(factory.ec2Client(`${callerAccount ?? 'caller'}|base`, homeRegion, undefined), [], callLimit, signal, defaultEnabled)
        .then((p) => (p.scan.length ? p.scan : ['*']), () => ['*']);
      return callerRegionList;
    };

    const auditAccount = async (accountId: string): Promise<void> => {
      const failAccount = async (failure: ScopeFailure): Promise<void> => {
        progress.accountsResolved += 1;
        for (const r of await regionsForFailure()) if (ledger.open(accountId, r)) ledger.fail(accountId, r, failure);
      };
      // Credentials: the base ones for the caller's own account when no role is given for it.
      const roleArn = opts.roleArns?.[accountId] ?? (opts.roleName ? `arn:${partition}:iam::${accountId}:role/${opts.roleName}` : undefined);
      let creds: AssumedCredentials | null = null;
      if (roleArn) {
        creds = new AssumedCredentials(sts, {
          roleArn, sessionName: opts.roleSessionName, externalId: opts.externalIds?.[accountId] ?? opts.externalId, durationSeconds: opts.durationSeconds,
          limit: assumeLimit, signal,
        });
        credentials.push(creds);
      } else if (accountId !== callerAccount) {
        await failAccount({ action: 'AssumeRole', code: 'NoRoleConfigured', message: `No role to assume in ${accountId}: give --role-name or a roleArn for it in the config.` });
        return;
      }
      const plan = await planAccount({
        accountId, homeRegion, defaultEnabled, allRegions: opts.allRegions, named: opts.regions, limit: callLimit, signal, stopCause: cause,
        creds: creds && roleArn ? { provider: creds.provider, roleArn, assumedArn: () => creds.assumedRoleArn } : null,
        discoveryClient: (provider) => factory.ec2Client(`${accountId}|${roleArn ?? 'base'}`, homeRegion, provider),
      });
      if (!plan.ok) {
        await failAccount(plan.failure);
        return;
      }
      progress.accountsResolved += 1;
      const scan = plan.regions.scan.filter((r) => ledger.open(accountId, r));
      for (const s of plan.regions.skipped) if (ledger.open(accountId, s.region)) ledger.skip(accountId, s.region, s.reason, s.message);
      for (const f of plan.regions.failed) if (ledger.open(accountId, f.region)) ledger.fail(accountId, f.region, f.failure);
      const accountLimit = pLimit(opts.accountConcurrency);
      await Promise.all(scan.map((region) => accountLimit(() => auditScope(accountId, region, plan, creds))));
    };

    /**
     * One scope, settled exactly once whatever happens in it: an unexpected exception in any of its
     * steps (the listing, the zone fallback, the Allowed AMIs read, the references lookup) becomes
     * this scope's InternalError (its message kept; the stack only for --debug), never the run's.
     */
    const auditScope = async (accountId: string, region: string, plan: Extract<AccountPlan, { ok: true }>, creds: AssumedCredentials | null): Promise<void> => {
      if (signal.aborted) return; // settled by the ledger's close
      // The scope's clients are made when its first call has a slot (see ScopeRequest.client), so
      // that scopes waiting for one hold no client.
      const ec2 = (): EC2Client => factory.ec2Client(plan.accountKey, region, plan.provider);
      if (opts.images) {
        // the publisher's view: the scope is the AMIs the account owns, settled like any scope
        try {
          const r = await collectOwnedImages({
            accountId, region, ec2, asOfMs: opts.images.asOfMs ?? startMs, usage: opts.images.usage, ancestry: opts.images.ancestry,
            limit: callLimit, signal, sleep: opts.images.sleep, stopCause: cause, pageSize: opts.pageSize,
          });
          for (const i of r.images) ownedImages.push(i);
          ledger.settle(r.coverage);
        } catch (e) {
          if (!ledger.isSettled(accountId, region)) ledger.fail(accountId, region, signal.aborted ? cause() : internalFailure('Run', accountId, region, e));
        }
        return;
      }
      let res: ScopeResult;
      try {
        res = await collectScope({
          accountId, region, client: ec2, filters: opts.filters, pageSize: opts.pageSize, instanceIds: opts.instanceIds,
          limit: callLimit, signal, stopCause: cause, interner, renew: creds ? (c) => creds.renew(c) : undefined,
        });
      } catch (e) {
        if (!ledger.isSettled(accountId, region)) ledger.fail(accountId, region, signal.aborted ? cause() : internalFailure('Run', accountId, region, e));
        return;
      }
      try {
        let refs: ImageReference[] = [];
        if (opts.references && res.coverage.status !== 'error') {
          // The lookup is part of the scope's settlement: once the run has stopped it is not made,
          // and says so (Interrupted or DeadlineExceeded), never a scope ok without it.
          const action = 'DescribeImageReferences';
          const r = await Promise.resolve().then(() => collectReferences({
            accountId, region, ec2, autoscaling: () => factory.autoScalingClient(plan.accountKey, region, plan.provider), instances: res.instances,
            asOfMs: opts.references!.asOfMs ?? startMs, versionDepth: opts.references!.versionDepth, limit: callLimit, signal,
          })).catch((e: unknown) => {
            // stopped part-way (an interrupt, the deadline): the instances stand, the lookups are unfinished;
            // anything else that escaped the lookup is a fault of this program, recorded for this scope
            const failure = signal.aborted ? { ...cause(), action } : internalFailure(action, accountId, region, e);
            return { references: [], coverage: { status: 'error' as const, code: failure.code, message: failure.message, images: 0, apiCalls: 0 }, failure, retries: 0 };
          });
          refs = r.references;
          const c = res.coverage;
          c.references = r.coverage;
          c.apiCalls += r.coverage.apiCalls;
          c.retries += r.retries;
          // the instances were all listed, but what relaunches their AMIs is not known: partial
          // (an interruption already recorded by the listing is said once)
          if (r.failure && !(signal.aborted && (c.failures ?? []).some((f) => f.code === r.failure!.code))) addFailure(c, r.failure);
        }
        if (successors && res.coverage.status !== 'error' && !signal.aborted) {
          // never partial for it: a failed lookup is said on the AMI and counted in the warnings
          let ssm: ReturnType<typeof factory.ssmClient> | undefined; // made on first use, one per scope
          await successors.scope({ accountId, region, ec2: ec2(), ssm: () => (ssm ??= factory.ssmClient(plan.accountKey, region, plan.provider)), instances: res.instances, coverage: res.coverage })
            .catch((e: unknown) => { if (!signal.aborted) throw e; });
        }
        if (opts.onScope) opts.onScope(res.coverage, res.instances, refs);
        else {
          for (const i of res.instances) instances.push(i);
          for (const r of refs) references.push(r);
        }
        for (const id of res.foundIds) found.add(id);
        progress.instances += res.instances.length;
        ledger.settle(res.coverage);
      } catch (e) {
        if (!ledger.isSettled(accountId, region)) ledger.fail(accountId, region, internalFailure('Run', accountId, region, e));
        else throw e;
      }
    };

    /** An unexpected exception as a scope failure: code InternalError, its message; its stack to the diagnostics. */
    const internalFailure = (action: string, accountId: string, region: string, e: unknown): ScopeFailure => {
      const d = describeError(e);
      const stack = e instanceof Error && e.stack ? `\n${redact(e.stack)}` : '';
      opts.onDiagnostic?.(`${accountId} ${region}: ${action}: unexpected ${(e as Error)?.name ?? 'error'}: ${d.message}${stack}`);
      return { action, code: 'InternalError', message: `ami-audit failed on this scope (${(e as Error)?.name ?? 'error'}: ${d.message}); the other scopes are not affected. Run again, and report it if it recurs (--debug shows where)` };
    };

    // Accounts in flight are bounded too: each holds its credentials and up to accountConcurrency
    // scopes, and only so many can have calls running anyway.
    const accountQueue = pLimit(accountsInFlight(opts));
    await Promise.all(accounts.map((id) => accountQueue(() => auditAccount(id))));

    const coverage = ledger.close(signal.aborted ? cause() : { action: 'Run', code: 'NotSettled', message: 'The run ended without an outcome for this scope.' });
    // Instance ids are "not found" only where every scope was listed completely.
    const listingIncomplete = coverage.some((c) => c.status !== 'skipped' && !listedCompletely(c));
    const regionsList = [...new Set(coverage.map((c) => c.region))].filter((r) => r !== '*').sort();
    const options: RunOptions = {
      roleName: opts.roleName, roleArns: opts.roleArns, externalIdSet: opts.externalId || opts.externalIds ? true : undefined, roleSessionName: opts.roleSessionName,
      durationSeconds: opts.durationSeconds, allRegions: opts.allRegions, filters: opts.filters.length ? opts.filters : undefined,
      instanceIds: opts.instanceIds, pageSize: opts.pageSize, concurrency: opts.concurrency, accountConcurrency: opts.accountConcurrency,
      maxAttempts: opts.client.maxAttempts, retryMode: opts.client.retryMode, endpointUrl: withoutUserinfo(opts.client.endpointUrl), profile: opts.client.profile,
      callTimeoutSeconds: opts.client.callTimeoutSeconds, deadlineSeconds: opts.deadlineMs === undefined ? undefined : opts.deadlineMs / 1000,
      references: opts.references ? { versionDepth: opts.references.versionDepth ?? DEFAULT_VERSION_DEPTH } : undefined,
      successors: opts.successors ? true : undefined,
      images: opts.images ? { usageReports: opts.images.usage !== null, ancestry: opts.images.ancestry, ...(opts.images.usage ? { horizonDays: opts.images.usage.horizonDays, usageWaitSeconds: opts.images.usage.waitMs / 1000, usageMaxAgeHours: opts.images.usage.maxAgeMs / 3_600_000, ...(opts.images.usage.imageIds.length ? { imageIds: [...opts.images.usage.imageIds] } : {}) } : {}) } : undefined,
    };
    for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
    const warnings: string[] = [];
    const skews = credentials.map((c) => c.clockSkewSeconds).filter((s): s is number => s !== null);
    if (skews.length) {
      warnings.push(`Credentials from AssumeRole arrived already expired, or about to expire, by this machine's clock (${skews.length} account${skews.length === 1 ? '' : 's'}; off by about ${duration(Math.max(...skews))}): either this clock is ahead (set it right with NTP) or the endpoint's is wrong. They were used for their requested lifetime instead.`);
    }
    if (isDeadline(signal)) warnings.push(`The run's deadline (${formatDeadline(opts.deadlineMs ?? 0)}) passed: scopes not finished by then are recorded with DeadlineExceeded.`);
    const successorRecords = successors?.records();
    const successorsWarning = successorRecords ? successorWarning(successorRecords) : null;
    if (successorsWarning) warnings.push(successorsWarning);
    const missing = (opts.instanceIds ?? []).filter((id) => !found.has(id)).sort();
    return {
      run: {
        id: randomUUID(), startedAt, finishedAt: now().toISOString(), caller: { accountId: callerAccount, arn: caller.Arn ?? null },
        accounts: [...accounts].sort(), regions: regionsList, options, interrupted: signal.aborted, source: 'scan',
        ...(warnings.length ? { warnings } : {}),
      },
      coverage,
      instances,
      ...(opts.references ? { references } : {}),
      ...(successorRecords ? { successors: successorRecords } : {}),
      ...(opts.images ? { ownedImages: ownedImages.sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.region < b.region ? -1 : a.region > b.region ? 1 : a.imageId < b.imageId ? -1 : 1)) } : {}),
      // An id that was not found is only "not found" when every scope was listed completely.
      notFoundInstanceIds: listingIncomplete ? [] : missing,
      ...(opts.instanceIds ? { uncheckedInstanceIds: listingIncomplete ? missing : [] } : {}),
    };
  } finally {
    if (deadline) clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    factory.destroy();
  }
}
