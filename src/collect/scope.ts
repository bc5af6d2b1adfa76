/**
 * Collection of one account x region: the Allowed AMIs state, every page of
 * DescribeInstanceImageMetadata, instance ids narrowed to the region, and the Availability Zone
 * fallback when the region's unfiltered call fails.
 */
import {
  DescribeInstanceImageMetadataCommand,
  DescribeInstancesCommand,
  GetAllowedImagesSettingsCommand,
  type EC2Client,
  type InstanceImageMetadata,
} from '@aws-sdk/client-ec2';
import type { AllowedImagesState, CoverageEntry, InstanceRecord } from '../model/types.js';
import { describeError, EXPIRED_CODES, isServerFailure, type ScopeError } from './errors.js';
import type { Filter } from './filters.js';
import { emptyCoverage } from '../report/coverage.js';
import { flat, Interner } from './intern.js';

export interface ScopeRequest {
  accountId: string;
  region: string;
  client: EC2Client;
  filters: Filter[];
  pageSize?: number;
  /** When set, only these ids are asked for (narrowed to the ones that live here). */
  instanceIds?: string[];
  /** Runs one API call under the run's concurrency limit. */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
  /** Called after credentials were refused as expired; the next call re-assumes. */
  onExpired?: () => void;
  /** Shares repeated strings across the run's instances. */
  interner?: Interner;
}

export interface ScopeResult {
  coverage: CoverageEntry;
  instances: InstanceRecord[];
  /** Instance ids (of those asked for) that live in this scope. */
  foundIds: string[];
}

const IDS_PER_CALL = 200;

export class ScopeRun {
  calls = 0;
  retries = 0;
  pages = 0;

  constructor(private readonly req: ScopeRequest) {}

  /** Sends one command, counting calls and retries; retries once after expired credentials. */
  async send<T extends { $metadata: { attempts?: number } }>(make: () => object): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.calls += 1;
      try {
        const out = (await this.req.limit(() => this.req.client.send(make() as never, { abortSignal: this.req.signal }))) as unknown as T;
        this.retries += Math.max(0, (out.$metadata.attempts ?? 1) - 1);
        return out;
      } catch (e) {
        const d = describeError(e);
        this.retries += d.retries;
        if (attempt === 0 && EXPIRED_CODES.has(d.code) && this.req.onExpired) {
          this.req.onExpired();
          continue;
        }
        throw e;
      }
    }
  }

  async allowedImagesState(): Promise<AllowedImagesState> {
    try {
      const out = await this.send<{ State?: string; $metadata: { attempts?: number } }>(() => new GetAllowedImagesSettingsCommand({}));
      const s = out.State;
      return s === 'enabled' || s === 'audit-mode' || s === 'disabled' ? s : 'unknown';
    } catch (e) {
      if (this.req.signal?.aborted) throw e;
      return 'unknown';
    }
  }

  /** Every page for the given ids (or all instances), in order. */
  async pagesFor(ids: string[] | undefined): Promise<InstanceImageMetadata[]> {
    const out: InstanceImageMetadata[] = [];
    let token: string | undefined;
    do {
      const page = await this.send<{ InstanceImageMetadata?: InstanceImageMetadata[]; NextToken?: string; $metadata: { attempts?: number } }>(
        () => new DescribeInstanceImageMetadataCommand({
          ...(this.req.filters.length ? { Filters: this.req.filters } : {}),
          // The API does not document MaxResults together with InstanceIds; send ids alone.
          ...(ids ? { InstanceIds: ids } : { MaxResults: this.req.pageSize ?? 1000 }),
          ...(token ? { NextToken: token } : {}),
        }),
      );
      this.pages += 1;
      for (const item of page.InstanceImageMetadata ?? []) out.push(item);
      const next = page.NextToken || undefined;
      if (next && next === token) break; // a token that does not advance would loop forever
      token = next;
    } while (token);
    return out;
  }

  /**
   * Asks for ids that may live in other regions. The API refuses the whole call with
   * InvalidInstanceID.NotFound when any id is not here, so ids it names are dropped and the
   * rest asked again; a message that names none splits the list in halves.
   */
  async byIds(ids: string[]): Promise<InstanceImageMetadata[]> {
    const out: InstanceImageMetadata[] = [];
    const queue: string[][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) queue.push(ids.slice(i, i + IDS_PER_CALL));
    while (queue.length) {
      const batch = queue.shift()!;
      if (batch.length === 0) continue;
      try {
        out.push(...(await this.pagesFor(batch)));
      } catch (e) {
        const d = describeError(e);
        if (d.code !== 'InvalidInstanceID.NotFound') throw e;
        const named = new Set(d.message.match(/i-[0-9a-f]{8,17}/g) ?? []);
        const rest = batch.filter((id) => !named.has(id));
        if (named.size > 0 && rest.length < batch.length) queue.unshift(rest);
        else if (batch.length > 1) queue.unshift(batch.slice(0, batch.length >> 1), batch.slice(batch.length >> 1));
        // a single id the service does not know here: it lives elsewhere (or nowhere)
      }
    }
    return out;
  }

  /**
   * The fallback for a region whose unfiltered call fails (an Availability Zone disruption):
   * list the instances with DescribeInstances, then ask by instance id one zone at a time.
   */
  async byZone(): Promise<{ items: InstanceImageMetadata[]; disrupted: Map<string, { count: number; error: ScopeError }> }> {
    const zones = new Map<string, string[]>();
    let token: string | undefined;
    do {
      const page = await this.send<{ Reservations?: { Instances?: { InstanceId?: string; Placement?: { AvailabilityZone?: string } }[] }[]; NextToken?: string; $metadata: { attempts?: number } }>(
        () => new DescribeInstancesCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) }),
      );
      for (const r of page.Reservations ?? []) {
        for (const i of r.Instances ?? []) {
          if (!i.InstanceId) continue;
          const z = i.Placement?.AvailabilityZone ?? 'unknown';
          zones.set(z, [...(zones.get(z) ?? []), i.InstanceId]);
        }
      }
      token = page.NextToken || undefined;
    } while (token);
    // Zones are asked at once (each under the run's concurrency limit), and merged in zone order.
    const sorted = [...zones].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const results = await Promise.all(sorted.map(async ([zone, ids]) => {
      try {
        return { zone, ids, items: await this.byIds(ids), error: null };
      } catch (e) {
        if (this.req.signal?.aborted) throw e;
        return { zone, ids, items: [], error: describeError(e) };
      }
    }));
    const items: InstanceImageMetadata[] = [];
    const disrupted = new Map<string, { count: number; error: ScopeError }>();
    for (const r of results) {
      if (r.error) disrupted.set(r.zone, { count: r.ids.length, error: r.error });
      else items.push(...r.items);
    }
    return { items, disrupted };
  }
}


/** Collects one scope; never throws (but for interruption): failures become its coverage entry. */
export async function collectScope(req: ScopeRequest): Promise<ScopeResult> {
  const run = new ScopeRun(req);
  const cov = emptyCoverage(req.accountId, req.region);
  let items: InstanceImageMetadata[] = [];
  const allowed = run.allowedImagesState();
  try {
    if (req.instanceIds) items = await run.byIds(req.instanceIds);
    else {
      try {
        items = await run.pagesFor(undefined);
      } catch (e) {
        const first = describeError(e);
        if (!isServerFailure(e) || req.signal?.aborted) throw e;
        let fb: Awaited<ReturnType<ScopeRun['byZone']>>;
        try {
          fb = await run.byZone();
        } catch {
          throw e;
        }
        items = fb.items;
        if (fb.disrupted.size > 0) {
          const uncovered = [...fb.disrupted.values()].reduce((s, d) => s + d.count, 0);
          const firstErr = [...fb.disrupted.values()][0]!.error;
          const n = `${uncovered} instance${uncovered === 1 ? '' : 's'}`;
          if (items.length === 0) {
            // Every zone failed too: this is the region failing, not one zone.
            cov.status = 'error';
            cov.errorCode = first.code;
            cov.errorMessage = `${first.message} (asked zone by zone after that, every zone failed as well; ${n} not covered)`;
          } else {
            cov.status = 'partial';
            cov.errorCode = firstErr.code;
            cov.errorMessage = `Availability Zone${fb.disrupted.size > 1 ? 's' : ''} ${[...fb.disrupted.keys()].join(', ')} could not be described (${n} not covered): ${firstErr.message}`;
            cov.disruptedZones = [...fb.disrupted.keys()];
          }
          cov.uncoveredInstanceCount = uncovered;
        } else if (items.length === 0) {
          // Nothing listed to fall back on: the unfiltered failure stands.
          throw e;
        }
      }
    }
  } catch (e) {
    if (req.signal?.aborted) {
      cov.status = 'error';
      cov.errorCode = 'Interrupted';
      cov.errorMessage = 'The scan was interrupted before this scope finished.';
    } else {
      const d = describeError(e);
      cov.status = 'error';
      cov.errorCode = d.code;
      cov.errorMessage = d.message;
    }
    items = [];
  }
  cov.allowedImagesState = await allowed.catch(() => 'unknown' as const);
  const seen = new Set<string>();
  const instances: InstanceRecord[] = [];
  for (const it of items) {
    const key = it.InstanceId ?? JSON.stringify(it);
    if (seen.has(key)) continue;
    seen.add(key);
    instances.push(toRecord(req.accountId, req.region, it, req.interner));
  }
  cov.instanceCount = instances.length;
  cov.pageCount = run.pages;
  cov.apiCalls = run.calls;
  cov.retries = run.retries;
  return { coverage: cov, instances, foundIds: instances.map((i) => i.InstanceId!).filter(Boolean) };
}

/** The SDK's shape, made serialisable with a fixed key order (dates as ISO strings) and flat strings. */
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
    });
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
