/**
 * Date handling for rules. Every date goes through the one strict parser (src/model/time.ts):
 * an RFC 3339 date-time with a zone designator, or a date only (its start, UTC); anything else
 * is not a date, and unverifiable-ami reports it. Nothing here reads the clock.
 */
import { DateTime } from 'luxon';
import { DAY_MS, parseInstant } from '../model/time.js';
import type { ParsedDate } from './types.js';

export { DAY_MS };

export function parseDate(raw: string | undefined | null): ParsedDate | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const text = String(raw);
  const i = parseInstant(text);
  return i ? { raw: text, at: DateTime.fromMillis(i.ms, { zone: 'utc' }), ms: i.ms } : { raw: text, at: null, ms: null };
}

export function fmtDate(d: DateTime): string {
  return d.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
}

/**
 * A date for finding messages: the day (YYYY-MM-DD) when the instant is the start of a day, UTC,
 * else the instant to the second (ISO 8601 UTC), so no message rounds a time away.
 */
export function fmtDay(d: DateTime): string {
  const u = d.toUTC();
  return u.hour === 0 && u.minute === 0 && u.second === 0 && u.millisecond === 0 ? u.toFormat('yyyy-MM-dd') : fmtDate(u);
}

/** "N days ago" for a whole number of days before the as-of time; under a day says so. */
export function daysAgo(n: number): string {
  return n < 1 ? 'less than a day ago' : `${plural(n, 'day')} ago`;
}

/** Whole days from a to b, rounded down (b after a gives a positive number). */
export function daysBetween(a: DateTime, b: DateTime): number {
  return Math.floor(b.diff(a, 'days').days);
}

/** `1 region`, `3 regions` (or the plural given). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
