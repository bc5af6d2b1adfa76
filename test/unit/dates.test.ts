/** One strict time module for every date the tool reads: AMI dates, waiver expiry, --as-of, the HTML timeline. */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { expiryMs, parseInstant, parseInstantMs } from '../../src/model/time.js';
import { evaluate, DEFAULT_SETTINGS, waiverExpiry } from '../../src/rules/engine.js';
import { daysBetween, daysUntil, fmtDay, parseDate } from '../../src/rules/dates.js';
import { parseAsOf } from '../../src/cli/pipeline.js';
import { htmlView } from '../../src/render/html.js';
import { ok as okScope } from '../../src/model/coverage.js';
import { fixtureReport } from '../helpers/fixture.js';
import { record } from '../helpers/records.js';

const AS_OF = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });
const ms = (iso: string): number => new Date(iso).getTime();

/** Not dates: luxon and Date.parse accept several of these (a time alone as today by the wall clock). */
const REFUSED = [
  '12:00', '12:00:00', '2026', '2026-11', '2026-W01', '2026-W01-1', '2026-330', '20261126', '20261126T120000Z',
  '2026-11-26T12:00:00', '2026-11-26T12:00', '2026-11-26 12:00:00Z', '2026-11-26T12:00:00+0100', '2026-11-26T12:00:00+01',
  '2026-02-30', '2026-13-01', '2026-11-26T24:00:00Z', '2026-11-26T12:60:00Z', '2026-11-26T12:00:60Z', '2026-11-26T12:00:00+24:00',
  'Dec 3, 2026', 'Thu, 03 Dec 2026 00:00:00 GMT', 'next tuesday', '', ' 2026-11-26', '2026-11-26 ', '+002026-11-26', '2026-11-26T12:00:00.Z',
];

describe('parseInstant', () => {
  test.each([
    ['2026-11-26T12:00:00Z', '2026-11-26T12:00:00.000Z', false],
    ['2026-11-26t12:00:00z', '2026-11-26T12:00:00.000Z', false],
    ['2026-11-26T12:00:00.5Z', '2026-11-26T12:00:00.500Z', false],
    ['2026-11-26T12:00:00.123456789Z', '2026-11-26T12:00:00.123Z', false],
    ['2026-11-26T13:30:00+01:30', '2026-11-26T12:00:00.000Z', false],
    ['2026-11-26T00:00:00-05:00', '2026-11-26T05:00:00.000Z', false],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z', false],
    ['2026-11-26', '2026-11-26T00:00:00.000Z', true],
    ['0099-01-01', '0099-01-01T00:00:00.000Z', true],
  ])('accepts %s', (raw, iso, dateOnly) => {
    const i = parseInstant(raw);
    expect(i).not.toBeNull();
    expect(new Date(i!.ms).toISOString()).toBe(iso.startsWith('0099') ? '0099-01-01T00:00:00.000Z' : iso);
    expect(i!.dateOnly).toBe(dateOnly);
  });
  test.each(REFUSED)('refuses %j', (raw) => {
    expect(parseInstant(raw)).toBeNull();
    expect(parseInstantMs(raw)).toBeNull();
  });
  test('refuses what is not a string', () => {
    for (const v of [undefined, null, 1_700_000_000_000, {}, ['2026-11-26']]) expect(parseInstant(v)).toBeNull();
  });
});

describe('the rules read dates strictly', () => {
  const run = (image: Parameters<typeof record>[0]) =>
    evaluate([record(image)], [{ ...okScope('123412341234', 'us-east-1'), allowedImagesState: 'disabled' }], DEFAULT_SETTINGS, AS_OF.toMillis()).findings;
  test.each(['12:00', '2026', '2026-W01', '2026-11-26T12:00:00'])('DeprecationTime %j is not a date: unverifiable-ami quotes it', (raw) => {
    const f = run({ DeprecationTime: raw });
    expect(f.map((x) => x.ruleId)).toEqual(['unverifiable-ami']);
    expect(f[0]!.message.startsWith(`DeprecationTime ${JSON.stringify(raw)} is not a date`)).toBe(true);
  });
  test.each(['12:00', '2026', '2026-W01'])('CreationDate %j is not a date: unverifiable-ami quotes it, no stale-ami guess', (raw) => {
    const f = run({ CreationDate: raw });
    expect(f.map((x) => x.ruleId)).toEqual(['unverifiable-ami']);
    expect(f[0]!.message.startsWith(`CreationDate ${JSON.stringify(raw)} is not a date`)).toBe(true);
  });
  test('a date only is the start of that day, UTC', () => {
    expect(run({ DeprecationTime: '2026-11-26' }).map((x) => x.ruleId)).toEqual(['deprecated-ami']);
    expect(run({ DeprecationTime: '2026-11-27' }).map((x) => x.ruleId)).toEqual(['deprecation-soon']);
    expect(parseDate('2026-11-26')!.ms).toBe(ms('2026-11-26T00:00:00Z'));
  });
  test('the same record gives the same findings whatever the wall clock says', () => {
    const a = JSON.stringify(run({ DeprecationTime: '12:00', CreationDate: '2026' }));
    const realNow = Date.now;
    try {
      Date.now = () => ms('2031-06-01T23:00:00Z');
      expect(JSON.stringify(run({ DeprecationTime: '12:00', CreationDate: '2026' }))).toBe(a);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('waiver expiry', () => {
  test('a date waives through that day, UTC; a date-time is the instant', () => {
    expect(waiverExpiry('2026-11-26')).toBe(ms('2026-11-27T00:00:00Z'));
    expect(waiverExpiry('2026-11-26T12:00:00+01:00')).toBe(ms('2026-11-26T11:00:00Z'));
    expect(expiryMs('2026-11-26')).toBe(ms('2026-11-27T00:00:00Z'));
  });
  test.each(['12:00', '2026', '2026-W01', '2026-11-26T12:00:00', '2026-11-26 12:00:00Z'])('%j is refused (the config reports it)', (raw) => {
    expect(waiverExpiry(raw)).toBeNull();
    expect(expiryMs(raw)).toBeNull();
  });
});

describe('--as-of', () => {
  const fallback = DateTime.fromISO('2030-01-01T00:00:00Z', { zone: 'utc' });
  test('a date is its start, UTC; a date-time with a zone is that instant', () => {
    expect(parseAsOf('2026-11-26', fallback).toMillis()).toBe(ms('2026-11-26T00:00:00Z'));
    expect(parseAsOf('2026-11-26T12:00:00+01:00', fallback).toMillis()).toBe(ms('2026-11-26T11:00:00Z'));
    expect(parseAsOf(undefined, fallback)).toBe(fallback);
  });
  test.each(['12:00', '2026', '2026-W01', '2026-11-26T12:00:00', 'tomorrow'])('%j is a usage error', (raw) => {
    expect(() => parseAsOf(raw, fallback)).toThrow(/--as-of: .* is not/);
  });
});

describe('the HTML deprecation timeline', () => {
  test('counts exactly the deprecations the rules accept, from the strict parser', () => {
    const base = fixtureReport();
    const inst = (n: number, when: string) => record({ DeprecationTime: when }, { InstanceId: `i-0000000000000${String(n).padStart(4, '0')}` });
    const report = {
      ...base,
      instances: [
        inst(1, '2026-12-03T00:00:00Z'),
        inst(2, '2026-12-03'),
        inst(3, 'Dec 3, 2026'),
        inst(4, '2026-12-03T10:00:00'),
        inst(5, '2026-12-03 10:00'),
        inst(6, '2026-W50'),
      ],
    };
    const t = htmlView(report).timeline;
    expect(t.total).toBe(2);
    expect(t.weeks[1]!.count).toBe(2);
  });
});

describe('dates as epoch milliseconds in the rules', () => {
  // the instants a message may show: a day's start, a second, a millisecond on either side of a day,
  // a leap day, an early year, before 1970; each against the as-of, before and after it
  const INSTANTS = ['2026-11-26', '2026-11-25T23:59:59.999Z', '2026-11-26T00:00:00.001Z', '2024-02-29T12:30:45Z', '2024-02-29T12:30:45.750Z',
    '0050-03-01T00:00:00Z', '1969-12-31T23:59:59Z', '1969-12-31', '2027-11-26T00:00:00Z', '2026-12-26T06:00:00+06:00'];
  const luxon = (raw: string): DateTime => DateTime.fromMillis(parseInstantMs(raw)!, { zone: 'utc' });
  test.each(INSTANTS)('%s: the message date and the day counts are the calendar ones of UTC', (raw) => {
    const at = parseInstantMs(raw)!;
    const d = luxon(raw);
    const day = d.hour === 0 && d.minute === 0 && d.second === 0 && d.millisecond === 0;
    expect(fmtDay(at)).toBe(day ? d.toFormat('yyyy-MM-dd') : d.toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'"));
    for (const asOf of [AS_OF, AS_OF.plus({ milliseconds: 1 }), AS_OF.minus({ hours: 36 })]) {
      expect(daysBetween(at, asOf.toMillis())).toBe(Math.floor(asOf.diff(d, 'days').days));
      expect(daysUntil(asOf.toMillis(), at)).toBe(Math.ceil(d.diff(asOf, 'days').days));
    }
  });
  test('a message shows the second, never a rounded one', () => {
    expect(fmtDay(ms('2026-11-25T23:59:59.999Z'))).toBe('2026-11-25T23:59:59Z');
    expect(fmtDay(ms('2026-11-26T00:00:00.001Z'))).toBe('2026-11-26T00:00:00Z');
    expect(fmtDay(ms('2026-11-26T00:00:00Z'))).toBe('2026-11-26');
  });
});
