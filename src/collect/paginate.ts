/**
 * The one pagination loop of the collector. Every paged call goes through it, so that every one
 * has the same guards: a token seen before in the scope (an immediate repeat or a longer cycle,
 * remembered across all the scope's paged calls when the caller shares its set),
 * more pages than the page size allows for, or a long run of empty pages that keep handing out
 * tokens all end the loop. Paging that did not end cleanly is reported, never taken for the end
 * of the data: the caller keeps what it got and records the scope as partial.
 */
import type { ScopeFailure } from '../model/types.js';
import { flat } from './intern.js';

/** More instances than this in one account x region is not an answer but a runaway paginator. */
export const MAX_ITEMS_PER_SCOPE = 500_000;
/**
 * Pages in a row that bring nothing new (empty, or only items already received) while still
 * carrying a NextToken, before the paging is given up as endless.
 */
export const MAX_EMPTY_PAGES_IN_A_ROW = 100;

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
  /** Receives each page's items as it arrives; may return how many of them were new. */
  onItems: (items: readonly T[]) => number | void;
  /** Tokens already handed out in this scope (shared by its paged calls); a new set when absent. */
  seen?: Set<string>;
}

export interface PaginateResult {
  pages: number;
  /** Set when the paging did not end cleanly; the items received so far were delivered. */
  failure: ScopeFailure | null;
}

/** The most pages one scope may take at this page size before paging is called endless. */
export function maxPagesFor(pageSize: number): number {
  return Math.ceil(MAX_ITEMS_PER_SCOPE / Math.max(1, pageSize)) + 10;
}

function shown(token: string): string {
  return token.length > 24 ? `${token.slice(0, 24)}…` : token;
}

export async function paginate<T>(o: PaginateOptions<T>): Promise<PaginateResult> {
  const seen = o.seen ?? new Set<string>();
  const maxPages = maxPagesFor(o.pageSize);
  let token: string | undefined;
  let pages = 0;
  let empties = 0;
  const loop = (message: string): PaginateResult => ({ pages, failure: { action: o.action, code: 'PaginationLoop', message: `${o.action}: ${message}; the ${pages} page${pages === 1 ? '' : 's'} received were kept, the rest could not be listed` } });
  for (;;) {
    const page = await o.fetch(token);
    pages += 1;
    const items = page.items ?? [];
    const fresh = items.length ? o.onItems(items) : 0;
    empties = (typeof fresh === 'number' ? fresh > 0 : items.length > 0) ? 0 : empties + 1;
    const next = page.nextToken || undefined;
    if (next === undefined) return { pages, failure: null };
    if (seen.has(next)) return loop(`NextToken ${JSON.stringify(shown(next))} came back after ${pages} pages, a token already used in this scope (the paging would repeat forever)`);
    if (pages >= maxPages) return loop(`still handing out NextToken after ${pages} pages of at most ${o.pageSize} (more than ${MAX_ITEMS_PER_SCOPE} items)`);
    if (empties >= MAX_EMPTY_PAGES_IN_A_ROW) return loop(`${empties} pages in a row brought nothing new, each with a new NextToken`);
    // a flat copy: the token the parser handed over is a slice of the whole page's text, which
    // would otherwise stay in memory as long as the scope's set of tokens does
    seen.add(flat(next));
    token = next;
  }
}
