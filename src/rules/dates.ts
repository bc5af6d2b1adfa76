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

/** Whole days from a to b, rounded down (b after a gives a positive number). */
export function daysBetween(a: DateTime, b: DateTime): number {
  return Math.floor(b.diff(a, 'days').days);
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
