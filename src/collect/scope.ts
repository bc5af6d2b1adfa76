/**
 * Collection of one account x region: every page of DescribeInstanceImageMetadata (each page read
 * into records as it arrives, see parseItemSet), instance ids narrowed to the region, the
 * Availability Zone fallback when the region's unfiltered call fails, and the Allowed AMIs state,
 * asked for only once an instance is listed whose AMI is not allowed or does not say (the only
 * instances whose findings depend on it; elsewhere the state is `not-needed`).
 * The scope's outcome names every part that failed: a scope whose instances were all listed but
 * whose Allowed AMIs state was needed and could not be read is partial, not ok.
 */
import type { EC2Client, InstanceImageMetadata } from '@aws-sdk/client-ec2';
import { onFirstUse, sdk, type LazyClient } from './clients.js';
import type { AllowedImagesState, CoverageEntry, ImageCriterion, InstanceRecord, ScopeFailure } from '../model/types.js';
import { describeError, errorCode, EXPIRED_CODES, isServerFailure } from './errors.js';
import type { Filter } from './filters.js';
import { ALLOWED_IMAGES_ACTION, error, ok, partial, type ScopeDetails } from '../model/coverage.js';
import { flat, Interner } from '../model/intern.js';
import { itemSetOf, parseItemSet } from './wire.js';
import { paginate, type PaginateResult } from './paginate.js';
import { byZone } from './zones.js';
import { childSignal } from './transport.js';
import { plural } from '../rules/dates.js';
import { regionOfZone } from '../model/ids.js';
import { termSafe } from '../model/text.js';

/** One criterion as the SDK parses GetAllowedImagesSettings. */
export interface RawCriterion {
  ImageProviders?: string[];
  MarketplaceProductCodes?: string[];
  ImageNames?: string[];
  DeprecationTimeCondition?: { MaximumDaysSinceDeprecated?: number };
  CreationDateCondition?: { MaximumDaysSinceCreated?: number };
  /** Watermark filters (the EC2 model's ImageWatermarkFilterResponse): WatermarkKey, SourceImageRegion, MaximumDaysSinceSourceImageCreated, MaximumDaysSinceWatermarkCreated. */
  ImageWatermarks?: Record<string, unknown>[];
}

/** The fields of one watermark filter, and whether each is a text (with * and ?) or a day count. */
const WATERMARK_FILTER: Record<string, 'text' | 'days'> = { WatermarkKey: 'text', SourceImageRegion: 'text', MaximumDaysSinceSourceImageCreated: 'days', MaximumDaysSinceWatermarkCreated: 'days' };

/** The criteria in the model's shape: strings only, bounded (they come from the service and reach reports). */
export function criteriaOf(raw: RawCriterion[] | undefined): ImageCriterion[] {
  const texts = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, 200).map((x) => x.slice(0, 256)) : []);
  const days = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);
  return (Array.isArray(raw) ? raw.slice(0, 10) : []).map((c) => ({
    imageProviders: texts(c?.ImageProviders), marketplaceProductCodes: texts(c?.MarketplaceProductCodes), imageNames: texts(c?.ImageNames),
    maximumDaysSinceDeprecated: days(c?.DeprecationTimeCondition?.MaximumDaysSinceDeprecated), maximumDaysSinceCreated: days(c?.CreationDateCondition?.MaximumDaysSinceCreated),
    ...watermarkFilters(c?.ImageWatermarks),
  }));

  /**
   * A criterion's watermark filters, kept (bounded: 50 filters, known fields, texts of 256
   * characters, whole day counts) so that the criterion is judged undecided rather than met on its
   * other parameters; absent when it has none.
   */
  function watermarkFilters(v: unknown): { imageWatermarks?: Record<string, string | number>[] } {
    if (!Array.isArray(v) || !v.length) return {};
    const list = v.slice(0, 50).map((f: unknown) => {
      const out: Record<string, string | number> = {};
      if (f && typeof f === 'object') {
        for (const [k, kind] of Object.entries(WATERMARK_FILTER)) {
          const x = (f as Record<string, unknown>)[k];
          if (kind === 'text' && typeof x === 'string') out[k] = x.slice(0, 256);
          else if (kind === 'days' && days(x) !== null) out[k] = x as number;
        }
      }
      return out;
    });
    return { imageWatermarks: list };
  }
}

export interface ScopeRequest {
  accountId: string;
  region: string;
  /**
   * The scope's EC2 client, or how to make it: then it is made inside the first call's slot under
   * the run's concurrency limit, so that a scope waiting for a slot holds no client.
   */
  client: LazyClient<EC2Client>;
  filters: Filter[];
  pageSize?: number;
  /** When set, only these ids are asked for (narrowed to the ones that live here). */
  instanceIds?: string[];
  /** Runs one API call under the run's concurrency limit. */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
  /** After the service refused the credentials as expired: get fresh ones into this client. */
  renew?: (client: EC2Client) => Promise<void>;
  /** Why the run is stopping, once its signal is aborted (Interrupted or DeadlineExceeded). */
  stopCause: () => ScopeFailure;
  /** Shares repeated strings across the run's instances. */
  interner?: Interner;
}

export interface ScopeResult {
  coverage: CoverageEntry;
  instances: InstanceRecord[];
  /** Instance ids (of those asked for with instanceIds) that live in this scope. */
  foundIds: string[];
}

const IDS_PER_CALL = 200;
const DEFAULT_PAGE_SIZE = 1000;
const DIIM = 'DescribeInstanceImageMetadata';

type Out<T> = T & { $metadata: { attempts?: number } };

export class ScopeRun {
  calls = 0;
  retries = 0;
  pages = 0;
  /** Every NextToken this scope was handed, across all its paged calls: one seen again is a loop. */
  private readonly tokens = new Set<string>();

  readonly interner: Interner;
  /** The scope's own signal, aborted with the run's (see childSignal); released when the scope ends. */
  private readonly signal: AbortSignal | undefined;
  readonly release: () => void;
  /** The scope's client, made on its first call. */
  readonly client: () => EC2Client;

  constructor(private readonly req: ScopeRequest) {
    this.client = onFirstUse(req.client);
    this.interner = req.interner ?? new Interner();
    const link = req.signal ? childSignal(req.signal) : null;
    this.signal = link?.signal;
    this.release = link?.release ?? (() => {});
  }

  /** Sends one command, counting calls and retries; once after expired credentials, with fresh ones. */
  async send<T extends { $metadata: { attempts?: number } }>(make: () => object): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.calls += 1;
      try {
        const out = (await this.req.limit(() => this.client().send(make() as never, { abortSignal: this.signal }))) as unknown as T;
        this.retries += Math.max(0, (out.$metadata.attempts ?? 1) - 1);
        return out;
      } catch (e) {
        this.retries += Math.max(0, ((e as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) - 1);
        if (attempt === 0 && this.req.renew && !this.req.signal?.aborted && EXPIRED_CODES.has(errorCode(e))) {
          await this.req.renew(this.client());
          continue;
        }
        throw e;
      }
    }
  }

  /** The region's Allowed AMIs state, or the failure that kept it unknown. */
  async allowedImagesState(): Promise<{ state: AllowedImagesState; failure: ScopeFailure | null; criteria?: ImageCriterion[]; managedBy?: string | null }> {
    const action = ALLOWED_IMAGES_ACTION;
    try {
      const out = await this.send<Out<{ State?: string; ImageCriteria?: RawCriterion[]; ManagedBy?: string }>>(() => new sdk.ec2.GetAllowedImagesSettingsCommand({}));
      // AWS leaves the state out where Allowed AMIs was never enabled: that is disabled.
      const s = out.State ?? 'disabled';
      if (s === 'enabled' || s === 'audit-mode' || s === 'disabled') return { state: s, failure: null, criteria: criteriaOf(out.ImageCriteria), managedBy: typeof out.ManagedBy === 'string' ? out.ManagedBy.slice(0, 64) : null };
      return { state: 'unknown', failure: { action, code: 'UnexpectedResponse', message: `${action} answered with state ${JSON.stringify(String(s ?? '(none)').slice(0, 40))}, not enabled, audit-mode or disabled` } };
    } catch (e) {
      if (this.req.signal?.aborted) return { state: 'unknown', failure: this.stopped() };
      const d = describeError(e);
      return { state: 'unknown', failure: { action, code: d.code, message: `${action}: ${d.message}` } };
    }
  }

  stopped(): ScopeFailure {
    return this.req.stopCause();
  }

  /** Every page for the given ids (or all instances), through the one pagination loop, as records. */
  async pagesFor(ids: string[] | undefined, onItems: (items: readonly InstanceRecord[]) => number): Promise<PaginateResult> {
    const pageSize = ids ? IDS_PER_CALL : this.req.pageSize ?? DEFAULT_PAGE_SIZE;
    const ctx = { accountId: this.req.accountId, region: this.req.region, interner: this.interner };
    const res = await paginate<InstanceRecord>({
      action: DIIM,
      pageSize,
      seen: this.tokens,
      onItems,
      fetch: async (token) => {
        const page = await this.send<Out<{ InstanceImageMetadata?: InstanceImageMetadata[]; NextToken?: string }>>(() => new sdk.ec2.DescribeInstanceImageMetadataCommand({
          ...(this.req.filters.length ? { Filters: this.req.filters } : {}),
          // The API does not document MaxResults together with InstanceIds; send ids alone.
          ...(ids ? { InstanceIds: ids } : { MaxResults: pageSize }),
          ...(token ? { NextToken: token } : {}),
        }));
        this.pages += 1; // counted as it comes: a failure part-way keeps the count
        // the item set as the answer check took it from the SDK; the SDK's items otherwise
        const set = itemSetOf(page);
        const items = set !== undefined ? parseItemSet(set, ctx) : page.InstanceImageMetadata?.map((it) => toRecord(ctx.accountId, ctx.region, it, ctx.interner));
        return { items, nextToken: page.NextToken };
      },
    });
    return res;
  }

  /**
   * Asks for ids that may live in other regions. The API refuses the whole call with
   * InvalidInstanceID.NotFound when any id is not here, so ids it names are dropped and the
   * rest asked again; a message that names none splits the list in halves.
   * Returns the first paging failure, if any batch's paging did not end cleanly.
   */
  async byIds(ids: string[], onItems: (items: readonly InstanceRecord[]) => void): Promise<ScopeFailure | null> {
    let failure: ScopeFailure | null = null;
    const queue: string[][] = [];
    for (let i = ids.length; i > 0; i -= IDS_PER_CALL) queue.push(ids.slice(Math.max(0, i - IDS_PER_CALL), i));
    // a stack: the last batch pushed is asked next, so splitting never shifts a long array
    while (queue.length) {
      const batch = queue.pop()!;
      if (batch.length === 0) continue;
      const got: (readonly InstanceRecord[])[] = [];
      // the pages are handed over once the batch is complete; each page's new items are counted
      // here, so that a server repeating its items under fresh tokens is stopped
      const received = new Set<string>();
      try {
        const res = await this.pagesFor(batch, (items) => {
          got.push(items);
          let fresh = 0;
          for (const it of items) {
            const id = it.InstanceId ?? `#${received.size}`;
            if (!received.has(id)) fresh += 1;
            received.add(id);
          }
          return fresh;
        });
        for (const g of got) onItems(g);
        failure ??= res.failure;
      } catch (e) {
        const d = describeError(e);
        if (d.code !== 'InvalidInstanceID.NotFound') throw e;
        const named = new Set(d.message.match(/i-[0-9a-f]{8,17}/g) ?? []);
        const rest = batch.filter((id) => !named.has(id));
        if (named.size > 0 && rest.length < batch.length) queue.push(rest);
        else if (batch.length > 1) queue.push(batch.slice(batch.length >> 1), batch.slice(0, batch.length >> 1));
        // a single id the service does not know here: it lives elsewhere (or nowhere)
      }
    }
    return failure;
  }

  listInstances(onInstances: (list: readonly { InstanceId?: string; Placement?: { AvailabilityZone?: string } }[]) => number): Promise<PaginateResult> {
    type Res = Out<{ Reservations?: { Instances?: { InstanceId?: string; Placement?: { AvailabilityZone?: string } }[] }[]; NextToken?: string }>;
    return paginate<{ InstanceId?: string; Placement?: { AvailabilityZone?: string } }>({
      action: 'DescribeInstances',
      pageSize: DEFAULT_PAGE_SIZE,
      seen: this.tokens,
      onItems: onInstances,
      fetch: async (token) => {
        const page = await this.send<Res>(() => new sdk.ec2.DescribeInstancesCommand({ MaxResults: DEFAULT_PAGE_SIZE, ...(token ? { NextToken: token } : {}) }));
        this.pages += 1;
        return { items: (page.Reservations ?? []).flatMap((r) => r.Instances ?? []), nextToken: page.NextToken };
      },
    });
  }
}

/** Collects one scope; never throws: every failure, an interruption included, becomes its coverage entry. */
export async function collectScope(req: ScopeRequest): Promise<ScopeResult> {
  const run = new ScopeRun(req);
  try {
    return await collectWith(run, req);
  } finally {
    run.release();
  }
}

async function collectWith(run: ScopeRun, req: ScopeRequest): Promise<ScopeResult> {
  // what the scope measured; its status is settled once, at the end
  const cov: ScopeDetails = {};
  const failures: ScopeFailure[] = [];
  let failed = false; // nothing could be listed
  let uncovered = 0;
  const seen = new Set<string>();
  const instances: InstanceRecord[] = [];
  // The Allowed AMIs state, asked for once the first instance that needs it is kept.
  let allowed = null as ReturnType<ScopeRun['allowedImagesState']> | null;
  // An answer item that is not this scope's (another account's instance, another region's zone,
  // an id not asked for: a proxy's cache, a misrouted call) is left out, and the scope says so.
  const asked = req.instanceIds ? new Set(req.instanceIds) : null;
  const foreign = { count: 0, example: '' };
  const notHere = (it: InstanceRecord): string | null => {
    if (it.OwnerId !== undefined && it.OwnerId !== req.accountId) return `owned by account ${termSafe(it.OwnerId, 20)}`;
    const zoneRegion = it.AvailabilityZone === undefined ? null : regionOfZone(it.AvailabilityZone);
    if (zoneRegion !== null && zoneRegion !== req.region) return `in zone ${termSafe(it.AvailabilityZone, 30)}`;
    if (asked && it.InstanceId !== undefined && !asked.has(it.InstanceId)) return `${termSafe(it.InstanceId, 30)}, not asked for`;
    return null;
  };
  /** Keeps the page's instances of this scope; returns how many were new. */
  const keep = (items: readonly InstanceRecord[]): number => {
    let added = 0;
    for (const it of items) {
      const why = notHere(it);
      if (why !== null) {
        foreign.count += 1;
        foreign.example ||= why;
        continue;
      }
      const key = it.InstanceId ?? `#${instances.length}`;
      if (seen.has(key)) continue;
      seen.add(key);
      instances.push(it);
      if (allowed === null && it.ImageMetadata?.ImageAllowed !== true) allowed = run.allowedImagesState();
      added += 1;
    }
    return added;
  };
  try {
    if (req.instanceIds) {
      const f = await run.byIds(req.instanceIds, keep);
      if (f) failures.push(f);
    } else {
      // Each page becomes records as it arrives. A server failure part-way drops them and falls
      // back to asking zone by zone for every instance of the region.
      try {
        const res = await run.pagesFor(undefined, keep);
        if (res.failure) failures.push(res.failure);
      } catch (e) {
        if (!isServerFailure(e) || req.signal?.aborted) throw e;
        instances.length = 0;
        seen.clear();
        const first = describeError(e);
        let fb: Awaited<ReturnType<typeof byZone>>;
        try {
          // byZone hands pages over without reading them: records, here
          type ZonePage = Parameters<Parameters<typeof byZone>[1]>[0];
          const byIds = (ids: string[], cb: (items: ZonePage) => void): Promise<ScopeFailure | null> => run.byIds(ids, cb as unknown as (items: readonly InstanceRecord[]) => void);
          fb = await byZone({ listInstances: (cb) => run.listInstances(cb), byIds, signal: req.signal }, keep as unknown as (items: ZonePage) => void);
        } catch (fe) {
          // the fallback's own listing failed too: both failures are named
          if (!req.signal?.aborted) {
            const d = describeError(fe);
            failures.push({ action: 'DescribeInstances', code: d.code, message: `${d.message} (asked to list the region's instances zone by zone after the failure of ${DIIM})` });
          }
          throw e;
        }
        if (fb.pagingFailure) {
          if (fb.disrupted.size === 0) failures.push({ action: DIIM, code: first.code, message: `${first.message} (listed zone by zone instead)` });
          failures.push(fb.pagingFailure);
        }
        if (fb.disrupted.size > 0) {
          uncovered = [...fb.disrupted.values()].reduce((s, d) => s + d.count, 0);
          const firstErr = [...fb.disrupted.values()][0]!.error;
          const n = plural(uncovered, 'instance');
          if (instances.length === 0) {
            // Every zone failed too: this is the region failing, not one zone.
            failed = true;
            failures.unshift({ action: DIIM, code: first.code, message: `${first.message} (asked zone by zone after that, every zone failed as well; ${n} not covered)` });
          } else {
            failures.unshift({ action: DIIM, code: firstErr.code, message: `Availability Zone${fb.disrupted.size > 1 ? 's' : ''} ${[...fb.disrupted.keys()].join(', ')} could not be described (${n} not covered): ${firstErr.message}` });
            cov.disruptedZones = [...fb.disrupted.keys()];
          }
        } else if (instances.length === 0 && !fb.pagingFailure) {
          // Nothing listed to fall back on: the unfiltered failure stands.
          throw e;
        }
      }
    }
  } catch (e) {
    const kept = instances.length ? ` (after ${plural(run.pages, 'page')}: the ${plural(instances.length, 'instance')} listed before were kept)` : '';
    if (req.signal?.aborted) {
      const stop = run.stopped();
      failures.unshift({ ...stop, message: stop.message + kept });
    } else {
      const d = describeError(e);
      failures.unshift({ action: DIIM, code: d.code, message: d.message + kept });
    }
    failed = instances.length === 0;
  }
  if (foreign.count > 0) {
    failures.unshift({
      action: DIIM, code: 'MisattributedResponse',
      message: `${plural(foreign.count, 'instance')} in the answers for ${req.accountId} ${req.region} ${foreign.count === 1 ? 'is' : 'are'} not this scope's (e.g. ${foreign.example}): left out; the answers for this scope cannot be trusted`,
    });
    if (instances.length === 0) failed = true;
  }
  // (asked for as soon as a kept instance needed it; not at all when none did)
  const a = allowed === null ? { state: 'not-needed' as const, failure: null } : await allowed;
  cov.allowedImagesState = a.state;
  if ('criteria' in a && a.criteria) {
    cov.allowedImagesCriteria = a.criteria;
    cov.allowedImagesManagedBy = a.managedBy ?? null;
  }
  // an interruption is said once, however many parts it stopped
  if (a.failure && !failures.some((f) => f.action === a.failure!.action && f.code === a.failure!.code)) failures.push(a.failure);
  cov.uncoveredInstanceCount = uncovered;
  cov.instanceCount = instances.length;
  cov.pageCount = run.pages;
  cov.apiCalls = run.calls;
  cov.retries = run.retries;
  const coverage = failures.length === 0 ? ok(req.accountId, req.region, cov)
    : failed ? error(req.accountId, req.region, failures, cov)
      : partial(req.accountId, req.region, failures, cov);
  const foundIds: string[] = [];
  if (req.instanceIds) for (const i of instances) if (i.InstanceId) foundIds.push(i.InstanceId);
  return { coverage, instances, foundIds };
}

function byKey(a: { Key?: string }, b: { Key?: string }): number {
  const x = a.Key ?? '';
  const y = b.Key ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The SDK's shape, made serialisable with a fixed key order (dates as ISO strings, tags sorted by key) and flat strings. */
export function toRecord(accountId: string, region: string, it: InstanceImageMetadata, interner: Interner = new Interner()): InstanceRecord {
  const i = (v: string | undefined): string | undefined => (v === undefined ? undefined : interner.intern(v));
  const r: InstanceRecord = { accountId, region };
  if (it.InstanceId !== undefined) r.InstanceId = flat(it.InstanceId);
  if (it.InstanceType !== undefined) r.InstanceType = i(it.InstanceType);
  if (it.LaunchTime !== undefined) r.LaunchTime = it.LaunchTime instanceof Date ? it.LaunchTime.toISOString() : flat(String(it.LaunchTime));
  if (it.AvailabilityZone !== undefined) r.AvailabilityZone = i(it.AvailabilityZone);
  if (it.ZoneId !== undefined) r.ZoneId = i(it.ZoneId);
  if (it.State !== undefined) {
    const st: NonNullable<InstanceRecord['State']> = {};
    if (it.State.Code !== undefined) st.Code = it.State.Code;
    if (it.State.Name !== undefined) st.Name = i(it.State.Name);
    r.State = st;
  }
  if (it.OwnerId !== undefined) r.OwnerId = i(it.OwnerId);
  if (it.Tags !== undefined) {
    r.Tags = it.Tags.map((t) => {
      const tag: { Key?: string; Value?: string } = {};
      if (t.Key !== undefined) tag.Key = i(t.Key);
      if (t.Value !== undefined) tag.Value = i(t.Value);
      return tag;
    }).sort(byKey);
  }
  const m = it.ImageMetadata;
  if (m !== undefined) {
    const im: NonNullable<InstanceRecord['ImageMetadata']> = {};
    if (m.ImageId !== undefined) im.ImageId = i(m.ImageId);
    if (m.Name !== undefined) im.Name = i(m.Name);
    if (m.OwnerId !== undefined) im.OwnerId = i(m.OwnerId);
    if (m.State !== undefined) im.State = i(m.State);
    if (m.ImageOwnerAlias !== undefined) im.ImageOwnerAlias = i(m.ImageOwnerAlias);
    if (m.CreationDate !== undefined) im.CreationDate = i(m.CreationDate);
    if (m.DeprecationTime !== undefined) im.DeprecationTime = i(m.DeprecationTime);
    if (m.ImageAllowed !== undefined) im.ImageAllowed = m.ImageAllowed;
    if (m.IsPublic !== undefined) im.IsPublic = m.IsPublic;
    const wm = (m as { ImageWatermarks?: Record<string, unknown>[] }).ImageWatermarks;
    if (wm !== undefined) {
      im.ImageWatermarks = wm.map((w) => Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : typeof v === 'string' ? i(v) : v])));
    }
    r.ImageMetadata = im;
  }
  if (it.Operator !== undefined) {
    const o = it.Operator as { Managed?: boolean; Principal?: string; HiddenByDefault?: boolean };
    const op: NonNullable<InstanceRecord['Operator']> = {};
    if (o.Managed !== undefined) op.Managed = o.Managed;
    if (o.Principal !== undefined) op.Principal = i(o.Principal);
    if (o.HiddenByDefault !== undefined) op.HiddenByDefault = o.HiddenByDefault;
    r.Operator = op;
  }
  return r;
}
