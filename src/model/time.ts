/**
 * The one parser for every date ami-audit reads: DeprecationTime, CreationDate, waiver expiry,
 * --as-of, and the HTML report's deprecation timeline. Pure: it never reads the clock, so a
 * value it accepts means the same instant on every machine, in every zone, on every day.
 *
 * Accepted, nothing else:
 * - an RFC 3339 date-time (the ISO 8601 profile AWS writes): `YYYY-MM-DDThh:mm:ss`, optional
 *   fractional seconds (`.s` to nine digits; kept to the millisecond, truncated), and a zone
 *   designator, `Z` or `±hh:mm` (`T` and `Z` may be lower case, as RFC 3339 allows);
 * - a date only, `YYYY-MM-DD`, which its caller reads as the start of that day, UTC (or, for a
 *   waiver's expiry, as "through that day").
 *
 * Refused: a date-time without a zone designator (`2026-11-26T12:00:00`: which zone would it
 * be? AWS always writes one, so a value without it did not come from AWS unaltered), a time alone
 * (`12:00`), a year alone (`2026`), a month (`2026-11`), week and ordinal dates (`2026-W01`,
 * `2026-330`), a space instead of `T`, a `±hhmm` offset without the colon, hour 24, leap second 60,
 * and any field out of range (`2026-02-30`, `2026-13-01`).
 */

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export const DAY_MS = 86_400_000;

export interface Instant {
  /** Epoch milliseconds (UTC). For a date only, the start of that day, UTC. */
  ms: number;
  /** The value was a date only (`YYYY-MM-DD`). */
  dateOnly: boolean;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parses one date or date-time strictly (see the module comment); null when it is anything else. */
export function parseInstant(raw: unknown): Instant | null {
  if (typeof raw !== 'string' || raw.length > 40) return null;
  const d = DATE_ONLY.exec(raw);
  if (d) {
    const ms = utcDay(+d[1]!, +d[2]!, +d[3]!);
    return ms === null ? null : { ms, dateOnly: true };
  }
  const t = DATE_TIME.exec(raw);
  if (!t) return null;
  const day = utcDay(+t[1]!, +t[2]!, +t[3]!);
  const h = +t[4]!, mi = +t[5]!, s = +t[6]!;
  if (day === null || h > 23 || mi > 59 || s > 59) return null;
  const frac = t[7] ? Math.floor(Number(`0.${t[7]}`) * 1000 + 1e-6) : 0;
  let offsetMin = 0;
  if (!t[8]) {
    const oh = +t[10]!, om = +t[11]!;
    if (oh > 23 || om > 59) return null;
    offsetMin = (t[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return { ms: day + ((h * 60 + mi - offsetMin) * 60 + s) * 1000 + frac, dateOnly: false };
}

/** Epoch ms of the start of a calendar day, UTC, or null when the day does not exist. */
function utcDay(y: number, mo: number, d: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  const at = new Date(0);
  at.setUTCFullYear(y, mo - 1, d);
  return at.getTime();
}

/** Epoch ms of a strict date or date-time (a date only: the start of that day, UTC); null otherwise. */
export function parseInstantMs(raw: unknown): number | null {
  return parseInstant(raw)?.ms ?? null;
}

/**
 * When a waiver stops applying, in epoch ms: a date only waives through the end of that day, UTC
 * (the next day's start); a date-time is the instant itself. Null when the value is not a strict
 * date or date-time: such a waiver waives nothing (and the config refuses it).
 */
export function expiryMs(raw: unknown): number | null {
  const i = parseInstant(raw);
  if (!i) return null;
  return i.dateOnly ? i.ms + DAY_MS : i.ms;
}

/** What the parser accepts, for error messages. */
export const INSTANT_FORMATS = 'YYYY-MM-DD, or an RFC 3339 date-time with a zone such as 2026-11-26T12:00:00Z or 2026-11-26T13:00:00+01:00';


/**
 * An instant as ISO 8601 UTC to the second, `YYYY-MM-DDThh:mm:ssZ` (milliseconds dropped, not
 * rounded). For the years the parser accepts (0000 to 9999).
 */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** An instant as ISO 8601 UTC, with milliseconds only when it has some: `2026-11-26T00:00:00Z`, `2026-11-26T00:00:00.250Z`. */
export function isoInstant(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** The day of an instant, UTC, `YYYY-MM-DD`. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
