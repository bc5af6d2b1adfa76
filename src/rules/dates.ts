/**
 * Date handling for rules. Every date goes through the one strict parser (src/model/time.ts):
 * an RFC 3339 date-time with a zone designator, or a date only (its start, UTC); anything else
 * is not a date, and unverifiable-ami reports it. Dates are epoch milliseconds, UTC: parsed once
 * when read, compared and counted as numbers, formatted only for a message. Nothing here reads
 * the clock.
 */
import { DAY_MS, isoDay, isoSeconds, parseInstant } from '../model/time.js';
import type { ParsedDate } from './types.js';

export { DAY_MS };

export function parseDate(raw: string | undefined | null): ParsedDate | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const text = String(raw);
  return { raw: text, ms: parseInstant(text)?.ms ?? null };
}

/**
 * A date for finding messages: the day (YYYY-MM-DD) when the instant is the start of a day, UTC,
 * else the instant to the second (ISO 8601 UTC), so no message rounds a time away.
 */
export function fmtDay(ms: number): string {
  return ms % DAY_MS === 0 ? isoDay(ms) : isoSeconds(ms);
}

/** "N days ago" for a whole number of days before the as-of time; under a day says so. */
export function daysAgo(n: number): string {
  return n < 1 ? 'less than a day ago' : `${plural(n, 'day')} ago`;
}

/**
 * Whole days from a to b (epoch ms), rounded down (b after a gives a positive number): days of
 * 24 hours, as every day is in UTC.
 */
export function daysBetween(a: number, b: number): number {
  return Math.floor((b - a) / DAY_MS);
}

/** Whole days from a to b (epoch ms), rounded up. */
export function daysUntil(a: number, b: number): number {
  return Math.ceil((b - a) / DAY_MS);
}

/** `1 region`, `3 regions` (or the plural given). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
