/**
 * Re-rendering a report that carries a run history (first sight, due dates, overdue) with
 * `report --input`: without --history its ages are carried and recomputed at the as-of given; a
 * --history given wins, and an empty one says the ages were not carried rather than read as
 * "overdue 0"; and `history` pointed at a folder that holds only the demo's history names that file.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/model/types.js';
import { cli } from '../helpers/cli.js';

let dir: string;
let demoJson: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-reinput-'));
  const r = await cli(['demo', '--out', join(dir, 'demo'), '--format', 'json', '--quiet']);
  expect(r.code).toBe(3);
  demoJson = join(dir, 'demo', readdirSync(join(dir, 'demo')).find((x) => x.endsWith('.json'))!);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function latest(out: string): Report {
  const names = readdirSync(out).filter((x) => x.endsWith('.json')).sort();
  return JSON.parse(readFileSync(join(out, names.at(-1)!), 'utf8')) as Report;
}

describe('report --input of a report with a history', () => {
  test('the demo report carries overdue findings (the premise)', () => {
    const saved = JSON.parse(readFileSync(demoJson, 'utf8')) as Report;
    expect(saved.history?.overdue).toBeGreaterThan(0);
  });

  test('without --history: the ages of the input are carried and recomputed at the new as-of, and the report says so', async () => {
    const saved = JSON.parse(readFileSync(demoJson, 'utf8')) as Report;
    const out = join(dir, 'nohist');
    const r = await cli(['report', '--input', demoJson, '--as-of', '2027-01-05T00:00:00Z', '--out', out, '--format', 'json']);
    expect(r.code).toBe(3);
    const rep = latest(out);
    expect(rep.history).not.toBeNull();
    expect(rep.history!.overdue).toBeGreaterThanOrEqual(saved.history!.overdue);
    const days = Math.floor((Date.parse('2027-01-05T00:00:00Z') - Date.parse(saved.run.asOf)) / 86_400_000);
    const before = new Map(saved.findings.map((f) => [f.id, f]));
    const kept = rep.findings.filter((f) => before.has(f.id));
    expect(kept.length).toBeGreaterThan(0);
    for (const f of kept) expect([f.firstSeenAt, f.ageDays]).toEqual([before.get(f.id)!.firstSeenAt, before.get(f.id)!.ageDays! + days]);
    const warnings = (rep.run.warnings ?? []).join('\n');
    expect(warnings).toMatch(/carried from the run history/);
    expect(warnings).not.toMatch(/not carried/);
  }, 60_000);

  test('a report written with --no-history has nothing to carry: no history, no note about ages', async () => {
    const bare = join(dir, 'bare.json');
    const saved = JSON.parse(readFileSync(demoJson, 'utf8')) as Report;
    writeFileSync(bare, JSON.stringify({ ...saved, history: null, findings: saved.findings.map(({ firstSeenAt: _f, lastSeenAt: _l, ageDays: _a, dueAt: _d, overdue: _o, lifecycle: _c, reopenedCount: _r, escalatedFrom: _e, escalatedAt: _t, ...f }) => f) }));
    const out = join(dir, 'bare');
    const r = await cli(['report', '--input', bare, '--as-of', '2027-01-05T00:00:00Z', '--out', out, '--format', 'json']);
    expect(r.code).toBe(3);
    const rep = latest(out);
    expect(rep.history).toBeNull();
    expect(rep.findings.every((f) => f.ageDays === undefined)).toBe(true);
    expect((rep.run.warnings ?? []).join('\n')).not.toMatch(/run history/);
  }, 60_000);

  test('with a new, empty --history: every finding is new, and the report says why', async () => {
    const out = join(dir, 'fresh');
    const r = await cli(['report', '--input', demoJson, '--as-of', '2027-01-05T00:00:00Z', '--history', join(dir, 'fresh-history.sqlite'), '--out', out, '--format', 'json']);
    expect(r.code).toBe(3);
    const rep = latest(out);
    expect(rep.history?.runsBefore).toBe(0);
    expect((rep.run.warnings ?? []).join('\n')).toMatch(/first sight.*not carried.*history import/s);
  }, 60_000);

  test('with the history the report was recorded in: refused in one line (a run is recorded once), nothing written', async () => {
    const out = join(dir, 'withhist');
    const r = await cli(['report', '--input', demoJson, '--as-of', '2027-01-05T00:00:00Z', '--history', join(dir, 'demo', 'ami-audit-demo-history.sqlite'), '--out', out, '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already recorded/);
    expect(readdirSync(out).filter((x) => x.endsWith('.json'))).toEqual([]);
  }, 60_000);
});

describe('history in a folder the demo wrote', () => {
  test('names the demo\'s history file when the default one is not there', async () => {
    const r = await cli(['history', '--out', join(dir, 'demo')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(dir, 'demo', 'ami-audit-demo-history.sqlite'));
    expect(r.stderr).toContain('--history');
  });
});
