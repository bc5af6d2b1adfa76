/**
 * The one pagination loop of the collector. Every paged call goes through it, so that every one
 * has the same guards. A NextToken never seen before is progress, even on an empty page (a
 * selective filter on a large account legitimately returns many empty pages first). The paging
 * ends, as a loop, on a token seen before in the scope (an immediate repeat or a longer cycle,
 * remembered across all the scope's paged calls when the caller shares its set), on more pages
 * than the scope could fill at its page size (MAX_ITEMS_PER_SCOPE items), or on a run of pages
 * that only repeat items already received (a server repeating itself under fresh tokens: every
 * caller counts the new items of each page). The run's --deadline bounds the rest. Paging that
 * did not end cleanly is reported, never taken for the end of the data: the caller keeps what it
 * got and records the scope as partial.
 */
import type { ScopeFailure } from '../model/types.js';
import { flat } from '../model/intern.js';

/** More instances than this in one account x region is not an answer but a runaway paginator. */
export const MAX_ITEMS_PER_SCOPE = 500_000;
/**
 * Pages in a row that hold items but none that is new (each with a fresh NextToken) before the
 * paging is given up as a server repeating itself. Empty pages neither count nor break the run.
 */
export const MAX_REPEATED_PAGES_IN_A_ROW = 100;

export interface PageOf<T> {
  items: readonly T[] | undefined;
  nextToken: string | undefined;
}

export interface PaginateOptions<T> {
  /** The API action, for the failure it records. */
  action: string;
  /** MaxResults sent with each call (the bound on pages follows from it). */
  pageSize: number;
  /** Fetches one page; `token` is undefined for the first. */
  fetch: (token: string | undefined) => Promise<PageOf<T>>;
  /** Receives each page's items as it arrives; returns how many of them were new (not received before). */
  onItems: (items: readonly T[]) => number;
  /** The most items the listing could hold (MAX_ITEMS_PER_SCOPE when absent): bounds the pages. */
  maxItems?: number;
  /** Tokens already handed out in this scope (shared by its paged calls); a new set when absent. */
  seen?: Set<string>;
}

export interface PaginateResult {
  pages: number;
  /** Set when the paging did not end cleanly; the items received so far were delivered. */
  failure: ScopeFailure | null;
}

/** The most pages one listing may take at this page size before paging is called endless. */
export function maxPagesFor(pageSize: number, maxItems = MAX_ITEMS_PER_SCOPE): number {
  return Math.ceil(maxItems / Math.max(1, pageSize)) + 10;
}

function shown(token: string): string {
  return token.length > 24 ? `${token.slice(0, 24)}…` : token;
}

export async function paginate<T>(o: PaginateOptions<T>): Promise<PaginateResult> {
  const seen = o.seen ?? new Set<string>();
  const maxItems = o.maxItems ?? MAX_ITEMS_PER_SCOPE;
  const maxPages = maxPagesFor(o.pageSize, maxItems);
  let token: string | undefined;
  let pages = 0;
  let repeats = 0;
  const loop = (message: string): PaginateResult => ({ pages, failure: { action: o.action, code: 'PaginationLoop', message: `${o.action}: ${message}; the ${pages} page${pages === 1 ? '' : 's'} received were kept, the rest could not be listed` } });
  for (;;) {
    const page = await o.fetch(token);
    pages += 1;
    const items = page.items ?? [];
    // an empty page neither counts nor breaks a run of repeated ones
    if (items.length) repeats = o.onItems(items) > 0 ? 0 : repeats + 1;
    const next = page.nextToken || undefined;
    if (next === undefined) return { pages, failure: null };
    if (seen.has(next)) return loop(`NextToken ${JSON.stringify(shown(next))} came back after ${pages} pages, a token already used in this scope (the paging would repeat forever)`);
    if (pages >= maxPages) return loop(`still handing out NextToken after ${pages} pages of at most ${o.pageSize} (room for more than ${maxItems} items)`);
    if (repeats >= MAX_REPEATED_PAGES_IN_A_ROW) return loop(`${repeats} pages in a row brought nothing new (only items already received), each with a new NextToken`);
    // a flat copy: the token the parser handed over is a slice of the whole page's text, which
    // would otherwise stay in memory as long as the scope's set of tokens does
    seen.add(flat(next));
    token = next;
  }
}
