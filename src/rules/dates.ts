/** Date handling for rules: ISO 8601 with or without milliseconds, always UTC. */
import { DateTime } from 'luxon';
import type { ParsedDate } from './types.js';

export function parseDate(raw: string | undefined | null): ParsedDate | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const at = DateTime.fromISO(String(raw), { zone: 'utc', setZone: false });
  return at.isValid ? { raw: String(raw), at: at.toUTC(), ms: at.toMillis() } : { raw: String(raw), at: null, ms: null };
}

export function fmtDate(d: DateTime): string {
  return d.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
}

/** Whole days from a to b, rounded down (b after a gives a positive number). */
export function daysBetween(a: DateTime, b: DateTime): number {
  return Math.floor(b.diff(a, 'days').days);
}

export const DAY_MS = 86_400_000;

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
