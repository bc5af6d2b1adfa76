/**
 * The as-of decides, not the wall clock: a saved report written with a run history, re-rendered
 * with `report --input ... --as-of LATER` and no --history, carries its findings' first sight,
 * escalation and lifecycle, and gives the ages, due dates and overdue of that later day under the
 * SLA of the config. Two scheduled runs of the demo fleet against the local endpoint, recorded in
 * one history; then the second run's JSON re-rendered 30 days later.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/server.js';
import { demoFleet } from '../../src/emulator/demo.js';
import type { Finding, Report } from '../../src/model/types.js';
import { reportValidator } from '../../src/schema/validate.js';
import { cli } from '../helpers/cli.js';
import { NOW } from '../helpers/emulator.js';
import { readJsonReport } from '../helpers/report-file.js';

const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print', AWS_REGION: 'us-east-1' };

let dir: string;
let scanned: Report;
let savedFile: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-history-carry-'));
  const out = join(dir, 'weekly');
  const emu = await startEmulator({ fleet: demoFleet(NOW) });
  try {
    for (const asOf of ['2026-11-26T00:00:00Z', '2026-12-03T00:00:00Z']) {
      const r = await cli(['scan', '--endpoint-url', emu.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--as-of', asOf, '--format', 'json', '--out', out, '--quiet'], { env: ENV, now: new Date(asOf) });
      expect(r.stderr).toBe('');
    }
  } finally {
    await emu.close();
  }
  savedFile = latest(out);
  scanned = readJsonReport(savedFile);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function latest(out: string): string {
  const names = readdirSync(out).filter((x) => /^ami-audit-\d{8}T\d{6}Z(-\d+)?\.json$/.test(x)).sort();
  return join(out, names.at(-1)!);
}
const read = (out: string): Report => readJsonReport(latest(out));
const byName = (r: Report, name: string, ruleId: string): Finding => {
  const f = r.findings.find((x) => x.instanceName === name && x.ruleId === ruleId);
  if (!f) throw new Error(`no finding on ${name} ${ruleId}`);
  return f;
};

describe('report --input of a saved report with a history, --as-of 30 days later, no --history', () => {
  test('the premise: the second recorded run, nothing overdue yet', () => {
    expect(scanned.history).toMatchObject({ runsBefore: 1, overdue: 0 });
    expect(byName(scanned, 'payments-api-1', 'deregistered-ami')).toMatchObject({ lifecycle: 'open', firstSeenAt: '2026-11-26T00:00:00Z', ageDays: 7, dueAt: '2026-12-26T00:00:00Z', overdue: false });
    expect(byName(scanned, 'api-gateway-proxy', 'deprecation-soon')).toMatchObject({ lifecycle: 'open', firstSeenAt: '2026-11-26T00:00:00Z' });
  });

  test('ages +30 days, first sight and lifecycle carried, newly overdue findings; the run history section carried', async () => {
    const out = join(dir, 'later');
    const r = await cli(['report', '--input', savedFile, '--as-of', '2027-01-02T00:00:00Z', '--out', out, '--format', 'json', '--quiet']);
    expect(r.stderr).toBe('');
    const rep = read(out);
    expect(reportValidator()(JSON.parse(JSON.stringify(rep)))).toBe(true);
    const before = new Map(scanned.findings.map((f) => [f.id, f]));
    let carried = 0;
    for (const f of rep.findings) {
      const b = before.get(f.id);
      if (!b) continue;
      carried += 1;
      expect({ id: f.id, firstSeenAt: f.firstSeenAt, lifecycle: f.lifecycle, ageDays: f.ageDays }).toEqual({ id: b.id, firstSeenAt: b.firstSeenAt, lifecycle: b.lifecycle, ageDays: b.ageDays! + 30 });
    }
    expect(carried).toBeGreaterThan(5);
    // payments-api-1 was due on 2026-12-26: overdue at the later as-of
    expect(byName(rep, 'payments-api-1', 'deregistered-ami')).toMatchObject({ firstSeenAt: '2026-11-26T00:00:00Z', ageDays: 37, dueAt: '2026-12-26T00:00:00Z', overdue: true, lifecycle: 'open' });
    expect(rep.history!.overdue).toBeGreaterThan(0);
    expect(rep.history!.oldestOverdue).toMatchObject({ ageDays: 37 });
    // the deprecation (2026-12-08) passed meanwhile: escalated at this as-of, aged from the earlier first sight
    const soon = byName(scanned, 'api-gateway-proxy', 'deprecation-soon');
    expect(byName(rep, 'api-gateway-proxy', 'deprecated-ami')).toMatchObject({
      lifecycle: 'escalated', firstSeenAt: '2026-11-26T00:00:00Z', ageDays: 37, escalatedAt: '2027-01-02T00:00:00Z', dueAt: '2027-02-01T00:00:00Z', overdue: false,
      escalatedFrom: { id: soon.id, ruleId: 'deprecation-soon', firstSeenAt: '2026-11-26T00:00:00Z' },
    });
    expect(rep.history).toMatchObject({ runsBefore: 1, trend: scanned.history!.trend, previousRun: scanned.history!.previousRun, resolved: scanned.history!.resolved });
    expect(rep.images.find((i) => i.imageId === byName(rep, 'payments-api-1', 'deregistered-ami').imageId)!.overdue).toBeGreaterThan(0);
    const warnings = (rep.run.warnings ?? []).join('\n');
    expect(warnings).toMatch(/carried from the run history/);
    expect(warnings).not.toMatch(/not carried/);
  }, 60_000);

  test('the SLA of the config decides the deadlines; the same input and as-of give the same report', async () => {
    const cfg = join(dir, 'sla.json');
    writeFileSync(cfg, JSON.stringify({ sla: { high: 60 } }));
    const a = join(dir, 'sla-a'), b = join(dir, 'sla-b');
    for (const out of [a, b]) {
      const r = await cli(['report', '--input', savedFile, '--as-of', '2027-01-02T00:00:00Z', '--config', cfg, '--out', out, '--format', 'json', '--quiet'], { now: new Date('2027-03-01T00:00:00Z') });
      expect(r.stderr).toBe('');
    }
    const rep = read(a);
    expect(byName(rep, 'payments-api-1', 'deregistered-ami')).toMatchObject({ dueAt: '2027-01-25T00:00:00Z', overdue: false, ageDays: 37 });
    expect(rep.history!.sla.high).toBe(60);
    expect(readFileSync(latest(a), 'utf8')).toBe(readFileSync(latest(b), 'utf8'));
  }, 60_000);
});
