/**
 * The Availability Zone fallback of a region whose unfiltered DescribeInstanceImageMetadata call
 * fails with a server error (a zone disruption): list the region's instances with
 * DescribeInstances, group them by zone, then ask for each zone's instance ids. A zone that still
 * fails is recorded as disrupted with the number of instances it holds. Linear in instances.
 */
import type { InstanceImageMetadata } from '@aws-sdk/client-ec2';
import { describeError, type ScopeError } from './errors.js';
import type { PaginateResult } from './paginate.js';
import type { ScopeFailure } from '../model/types.js';

interface ListedInstance { InstanceId?: string; Placement?: { AvailabilityZone?: string } }

export interface ZoneSource {
  /** Pages through DescribeInstances, handing over each page's instances (the callback counts the new ones). */
  listInstances(onInstances: (list: readonly ListedInstance[]) => number): Promise<PaginateResult>;
  /** Asks for these ids (in batches), handing over what comes back. */
  byIds(ids: string[], onItems: (items: readonly InstanceImageMetadata[]) => void): Promise<ScopeFailure | null>;
  signal?: AbortSignal;
}

export interface ZoneFallback {
  /** Zones that could not be described, with how many instances each holds. */
  disrupted: Map<string, { count: number; error: ScopeError }>;
  /** DescribeInstances (or a zone's paging) did not end cleanly: the listing is incomplete. */
  pagingFailure: ScopeFailure | null;
}

export async function byZone(src: ZoneSource, onItems: (items: readonly InstanceImageMetadata[]) => void): Promise<ZoneFallback> {
  const zones = new Map<string, string[]>();
  const listedIds = new Set<string>();
  const listed = await src.listInstances((list) => {
    let fresh = 0;
    for (const r of list) {
      // an instance listed again (a server repeating itself) is counted once and is not new
      if (!r.InstanceId || listedIds.has(r.InstanceId)) continue;
      listedIds.add(r.InstanceId);
      fresh += 1;
      const z = r.Placement?.AvailabilityZone ?? 'unknown';
      let ids = zones.get(z);
      if (!ids) zones.set(z, (ids = []));
      ids.push(r.InstanceId);
    }
    return fresh;
  });
  // Zones are asked at once (each call under the run's concurrency limit); each zone's items are
  // buffered and handed over in zone order, so the result does not depend on timing.
  const sorted = [...zones].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const results = await Promise.all(sorted.map(async ([zone, ids]) => {
    const items: (readonly InstanceImageMetadata[])[] = [];
    try {
      const failure = await src.byIds(ids, (page) => items.push(page));
      return { zone, ids, items, error: null, failure };
    } catch (e) {
      if (src.signal?.aborted) throw e;
      return { zone, ids, items: [], error: describeError(e), failure: null };
    }
  }));
  const disrupted = new Map<string, { count: number; error: ScopeError }>();
  let pagingFailure = listed.failure;
  for (const r of results) {
    if (r.error) disrupted.set(r.zone, { count: r.ids.length, error: r.error });
    else for (const page of r.items) onItems(page);
    pagingFailure ??= r.failure;
  }
  return { disrupted, pagingFailure };
}
