/**
 * The run history end to end, run after run against the local endpoint with the demo fleet: a
 * finding seen; not looked at because the account's role failed (unverified, not resolved); then
 * resolved; an escalation as the as-of passes a deprecation; a waiver that holds past the due date
 * and then expires (overdue again); a reopened finding; a narrower --ou run that neither resolves
 * nor sees the others; shards merged and recorded by merge (and never by a shard), and a merge
 * with a shard missing that neither resolves nor sees that shard's findings; the history
 * command's list, import and prune; --fail-on-overdue.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/server.js';
import { demoFleet, DEMO_ACCOUNTS } from '../../src/emulator/demo.js';
import type { Fleet } from '../../src/emulator/fleet.js';
import type { Finding, Report } from '../../src/model/types.js';
import { reportValidator } from '../../src/schema/validate.js';
import { HistoryStore } from '../../src/history/store.js';
import { shardAccounts } from '../../src/report/shard.js';
import type { FindingState } from '../../src/history/semantics.js';
import { cli } from '../helpers/cli.js';
import { NOW } from '../helpers/emulator.js';
import { readJsonReport } from '../helpers/report-file.js';

const { prod, dev } = DEMO_ACCOUNTS;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-history-e2e-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Edit = (f: Fleet) => void;
const dropInstance = (name: string): Edit => (f) => {
  for (const a of f.accounts) for (const [r, list] of Object.entries(a.instances ?? {})) a.instances![r] = list.filter((i) => !(i.Tags ?? []).some((t) => t.Key === 'Name' && t.Value === name));
};
const roleFails = (accountId: string): Edit => (f) => {
  for (const a of f.accounts) if (a.accountId === accountId) a.assumable = false;
};

const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print', AWS_REGION: 'us-east-1' };

/** One scheduled run: the demo fleet (as of NOW) with edits, evaluated as of `asOf`, into one history. */
async function scan(out: string, asOf: string, edits: Edit[] = [], extra: string[] = []): Promise<{ code: number; stderr: string; report: Report }> {
  const fleet = demoFleet(NOW);
  for (const e of edits) e(fleet);
  const emu = await startEmulator({ fleet });
  try {
    const r = await cli(['scan', '--endpoint-url', emu.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--as-of', asOf, '--format', 'json', '--out', out, '--quiet', ...extra], { env: ENV, now: new Date(asOf) });
    return { code: r.code, stderr: r.stderr, report: latest(out) };
  } finally {
    await emu.close();
  }
}

/** Each finding's state as the history holds it after the last recorded run. */
function readState(file: string): ReadonlyMap<string, FindingState> {
  const store = HistoryStore.open(file, 1, { create: false, readonly: true });
  try {
    return store.load().findings;
  } finally {
    store.close();
  }
}

function latest(out: string): Report {
  const names = readdirSync(out).filter((x) => /^ami-audit-\d{8}T\d{6}Z(-\d+)?\.json$/.test(x)).sort();
  return readJsonReport(join(out, names.at(-1)!));
}

const byName = (r: Report, name: string, ruleId?: string): Finding => {
  const f = r.findings.find((x) => x.instanceName === name && (!ruleId || x.ruleId === ruleId));
  if (!f) throw new Error(`no finding on ${name} ${ruleId ?? ''}`);
  return f;
};

describe('a history built by scheduled runs', () => {
  test('seen, not looked at (role failed), resolved, escalated, waived then overdue, reopened, narrower --ou', async () => {
    const out = join(dir, 'weekly');
    // 1. first run: everything is new
    const r1 = await scan(out, '2026-11-26T00:00:00Z');
    expect(r1.stderr).toBe('');
    const payments = byName(r1.report, 'payments-api-1', 'deregistered-ami');
    expect(payments).toMatchObject({ lifecycle: 'new', firstSeenAt: '2026-11-26T00:00:00Z', ageDays: 0, dueAt: '2026-12-26T00:00:00Z', overdue: false });
    expect(r1.report.history).toMatchObject({ runsBefore: 0, previousRun: null, unverified: 0, resolved: [] });
    expect(reportValidator()(r1.report)).toBe(true);
    expect(readdirSync(out)).toContain('ami-audit-history.sqlite');

    // 2. prod's role fails: its findings are not looked at: unverified, not resolved, not seen
    const r2 = await scan(out, '2026-12-03T00:00:00Z', [roleFails(prod), dropInstance('payments-api-1')]);
    expect(r2.code).toBe(3);
    expect(r2.report.findings.some((f) => f.accountId === prod)).toBe(false);
    expect(r2.report.history!.resolved).toEqual([]);
    expect(r2.report.history!.unverified).toBe(r1.report.findings.filter((f) => f.accountId === prod).length);

    // 3. prod can be read again and payments-api-1 is gone: resolved, 14 days to fix; the soon AMI has
    //    been deprecated meanwhile (2026-12-08): deprecation-soon escalated to deprecated-ami
    const r3 = await scan(out, '2026-12-10T00:00:00Z', [dropInstance('payments-api-1')]);
    expect(r3.report.history!.resolved).toEqual([expect.objectContaining({ id: payments.id, firstSeenAt: '2026-11-26T00:00:00Z', resolvedAt: '2026-12-10T00:00:00Z', daysToFix: 14 })]);
    expect(r3.report.history!.medianDaysToFix.high).toBe(14);
    const soon = byName(r1.report, 'api-gateway-proxy', 'deprecation-soon');
    const escalated = byName(r3.report, 'api-gateway-proxy', 'deprecated-ami');
    expect(escalated).toMatchObject({ lifecycle: 'escalated', firstSeenAt: '2026-11-26T00:00:00Z', ageDays: 14, dueAt: '2027-01-09T00:00:00Z', escalatedFrom: { id: soon.id, ruleId: 'deprecation-soon' } });
    expect(r3.report.history!.resolved.map((f) => f.id)).not.toContain(soon.id);
    const billing = byName(r3.report, 'billing-worker-1', 'deprecated-ami');
    expect(billing).toMatchObject({ lifecycle: 'open', firstSeenAt: '2026-11-26T00:00:00Z', ageDays: 14 });

    // 4. a waiver on billing-worker-1 until 2027-01-05: past its due date (2026-12-26) it is not overdue while the waiver holds
    const cfg = join(dir, 'waiver.json');
    writeFileSync(cfg, JSON.stringify({ waivers: [{ id: 'billing-rebuild', instanceId: billing.instanceId, reason: 'rebuild scheduled', expires: '2027-01-05' }] }));
    const r4 = await scan(out, '2026-12-28T00:00:00Z', [dropInstance('payments-api-1')], ['--config', cfg]);
    expect(byName(r4.report, 'billing-worker-1', 'deprecated-ami')).toMatchObject({ overdue: false, ageDays: 32 });
    expect(byName(r4.report, 'billing-worker-1', 'deprecated-ami').waiver).not.toBeNull();
    // 5. the day after it expires: overdue again; payments-api-1 is back: reopened, first sight unchanged
    const r5 = await scan(out, '2027-01-06T00:00:00Z', [], ['--config', cfg]);
    expect(byName(r5.report, 'billing-worker-1', 'deprecated-ami')).toMatchObject({ overdue: true, waiver: null });
    expect(byName(r5.report, 'payments-api-1', 'deregistered-ami')).toMatchObject({ lifecycle: 'reopened', firstSeenAt: '2026-11-26T00:00:00Z', reopenedCount: 1, ageDays: 41, overdue: true });
    expect(r5.report.history!.overdue).toBeGreaterThanOrEqual(2);
    expect(r5.report.history!.trend.map((t) => t.asOf)).toEqual(['2026-11-26T00:00:00Z', '2026-12-03T00:00:00Z', '2026-12-10T00:00:00Z', '2026-12-28T00:00:00Z', '2027-01-06T00:00:00Z']);
    expect(r5.report.images.find((i) => i.imageId === billing.imageId)).toMatchObject({ oldestFirstSeenAt: '2026-11-26T00:00:00Z' });

    // 6. a narrower run (--ou: the data OU, dev only) neither resolves nor sees prod's findings
    const r6 = await scan(out, '2027-01-07T00:00:00Z', [dropInstance('billing-worker-1')], ['--ou', 'ou-dm7q-data0001']);
    expect(new Set(r6.report.findings.map((f) => f.accountId))).toEqual(new Set([dev]));
    expect(r6.report.history!.resolved).toEqual([]);
    expect(r6.report.history!.unverified).toBeGreaterThan(0);
    // and the history says prod's billing finding was last seen by run 5
    const listed = await cli(['history', '--out', out, '--format', 'json']);
    const runs = JSON.parse(listed.stdout).runs as { id: string; asOf: string; overdue: number }[];
    expect(runs.map((r) => r.asOf)).toEqual(['2026-11-26T00:00:00Z', '2026-12-03T00:00:00Z', '2026-12-10T00:00:00Z', '2026-12-28T00:00:00Z', '2027-01-06T00:00:00Z', '2027-01-07T00:00:00Z']);
    const r7 = await scan(out, '2027-01-08T00:00:00Z', [dropInstance('billing-worker-1')]);
    expect(r7.report.history!.resolved.map((f) => f.id)).toContain(billing.id);

    // a run older than the newest recorded one is refused: exit 2, no report written
    const before = readdirSync(out).length;
    const old = await scan(out, '2026-12-01T00:00:00Z');
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/as-of 2026-12-01T00:00:00Z is before the newest recorded run's \(2027-01-08T00:00:00Z/);
    expect(readdirSync(out).length).toBe(before);
  }, 120_000);

  test('--fail-on-overdue: exit 1 on a complete run with an overdue finding; --no-history records nothing', async () => {
    const out = join(dir, 'overdue');
    const fleet = demoFleet(NOW);
    const emu = await startEmulator({ fleet });
    try {
      const args = (asOf: string, more: string[] = []) => ['scan', '--endpoint-url', emu.url, '--accounts', prod, '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--as-of', asOf, '--format', 'json', '--out', out, '--quiet', ...more];
      expect((await cli(args('2026-11-26T00:00:00Z', ['--fail-on-overdue']), { env: ENV })).code).toBe(0);
      const later = await cli(args('2027-02-01T00:00:00Z', ['--fail-on-overdue']), { env: ENV, now: new Date('2027-02-01T00:00:00Z') });
      expect(later.code).toBe(1);
      expect(latest(out).history!.overdue).toBeGreaterThan(0);
      const none = join(dir, 'none');
      const r = await cli(args('2027-02-01T00:00:00Z', ['--no-history']).map((a) => (a === out ? none : a)), { env: ENV });
      expect(r.code).toBe(0);
      expect(readdirSync(none).some((f) => f.endsWith('.sqlite'))).toBe(false);
      expect(latest(none).history).toBeNull();
    } finally {
      await emu.close();
    }
  }, 60_000);

  test('shards are not recorded; merge records the whole run; history import backfills and prune forgets', async () => {
    const fleet = demoFleet(NOW);
    const emu = await startEmulator({ fleet });
    try {
      const shard = (k: number) => cli(['scan', '--endpoint-url', emu.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--as-of', '2026-11-26T00:00:00Z', '--format', 'json', '--quiet', '--shard', `${k}/2`, '--out', join(dir, `shard-${k}`)], { env: ENV });
      await shard(1);
      await shard(2);
      for (const k of [1, 2]) expect(readdirSync(join(dir, `shard-${k}`)).some((f) => f.endsWith('.sqlite'))).toBe(false);
      const parts = [1, 2].map((k) => join(dir, `shard-${k}`, readdirSync(join(dir, `shard-${k}`)).find((f) => f.endsWith('.json'))!));
      const merged = join(dir, 'merged');
      const m = await cli(['merge', ...parts, '--out', merged, '--format', 'json', '--quiet'], { env: ENV });
      expect(m.stderr).toBe('');
      expect(latest(merged).history).toMatchObject({ runsBefore: 0 });
      const list = await cli(['history', '--out', merged]);
      expect(list.stdout).toMatch(/1 run recorded/);

      // import: the saved reports of the weekly runs, into a new history, oldest first whatever the order given
      const weekly = join(dir, 'weekly');
      const reports = readdirSync(weekly).filter((f) => f.endsWith('.json')).map((f) => join(weekly, f));
      const h = join(dir, 'imported.sqlite');
      const imp = await cli(['history', 'import', ...[...reports].reverse(), '--history', h]);
      expect(imp.stderr).toBe('');
      expect(imp.code).toBe(0);
      const runs = JSON.parse((await cli(['history', '--history', h, '--format', 'json'])).stdout).runs as { asOf: string; resolved: number }[];
      expect(runs.map((r) => r.asOf)).toEqual([...runs.map((r) => r.asOf)].sort());
      expect(runs.length).toBe(reports.length);
      expect(runs[2]!.resolved).toBe(1);
      // an older report is refused unless --rebuild
      const again = await cli(['history', 'import', reports.sort()[0]!, '--history', h]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/is older than the newest recorded run .*--rebuild/);
      expect((await cli(['history', 'import', reports[0]!, '--history', h, '--rebuild'])).code).toBe(0);
      expect(JSON.parse((await cli(['history', '--history', h, '--format', 'json'])).stdout).runs).toHaveLength(1);
      // prune
      const pruned = await cli(['history', 'prune', '--keep', '10d', '--history', join(weekly, 'ami-audit-history.sqlite')]);
      expect(pruned.code).toBe(0);
      expect(pruned.stdout).toMatch(/pruned \d+ runs? before 2026-12-29T00:00:00Z/);
    } finally {
      await emu.close();
    }
  }, 60_000);

  test('a merge with a shard missing, into the history of a full merge: the missing shard\'s findings are neither resolved nor seen', async () => {
    const base = join(dir, 'missing-shard');
    const h = join(base, 'history.sqlite');
    const fleet = demoFleet(NOW);
    const emu = await startEmulator({ fleet });
    try {
      const shard = async (k: number, asOf: string): Promise<string> => {
        const out = join(base, `${asOf.slice(0, 10)}-shard-${k}`);
        const r = await cli(['scan', '--endpoint-url', emu.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--as-of', asOf, '--format', 'json', '--quiet', '--shard', `${k}/2`, '--out', out], { env: ENV, now: new Date(asOf) });
        expect(r.stderr).toBe('');
        return join(out, readdirSync(out).find((f) => f.endsWith('.json'))!);
      };
      const merge = async (parts: string[], asOf: string): Promise<{ code: number; report: Report }> => {
        const out = join(base, `${asOf.slice(0, 10)}-merged`);
        const r = await cli(['merge', ...parts, '--out', out, '--history', h, '--format', 'json', '--quiet'], { env: ENV, now: new Date(asOf) });
        return { code: r.code, report: latest(out) };
      };
      // week 1: every shard merged and recorded
      const full = await merge([await shard(1, '2026-11-26T00:00:00Z'), await shard(2, '2026-11-26T00:00:00Z')], '2026-11-26T00:00:00Z');
      // exit 3: the demo's legacy account refuses the role, in every run alike
      expect(full.code).toBe(3);
      expect(full.report.history).toMatchObject({ runsBefore: 0 });
      // shard 2 of 2: every second account of the sorted list, prod among them
      const missingAccounts = new Set(shardAccounts(full.report.run.accounts, 2, 2));
      expect(missingAccounts.has(prod)).toBe(true);
      const lost = full.report.findings.filter((f) => missingAccounts.has(f.accountId));
      const kept = full.report.findings.filter((f) => !missingAccounts.has(f.accountId));
      expect(lost.length).toBeGreaterThan(0);
      expect(kept.length).toBeGreaterThan(0);
      const before = readState(h);

      // week 2: shard 2's report is lost; merge the one part there is into the same history
      const partial = await merge([await shard(1, '2026-12-03T00:00:00Z')], '2026-12-03T00:00:00Z');
      expect(partial.code).toBe(3);
      expect(partial.report.coverage.filter((c) => missingAccounts.has(c.accountId)).every((c) => c.status === 'error' && c.errorCode === 'ShardMissing')).toBe(true);
      expect(partial.report.findings.some((f) => missingAccounts.has(f.accountId))).toBe(false);
      // not resolved: the merge did not look at the missing shard's accounts
      const resolved = new Set(partial.report.history!.resolved.map((f) => f.id));
      expect(lost.filter((f) => resolved.has(f.id))).toEqual([]);
      expect(partial.report.history!.resolved).toEqual([]);
      // not seen: unverified, their last sight and runs seen those of week 1
      expect(partial.report.history!.unverified).toBe(lost.length);
      const after = readState(h);
      for (const f of lost) {
        expect(after.get(f.id)).toMatchObject({ status: 'open', firstSeenAt: '2026-11-26T00:00:00Z', lastSeenAt: '2026-11-26T00:00:00Z', lastRunId: full.report.run.id, runsSeen: 1 });
        expect(after.get(f.id)!.runsSeen).toBe(before.get(f.id)!.runsSeen);
      }
      // the present shard's findings: seen again, open
      expect(partial.report.findings.map((f) => f.id).sort()).toEqual(kept.map((f) => f.id).sort());
      for (const f of partial.report.findings) expect(f).toMatchObject({ lifecycle: 'open', firstSeenAt: '2026-11-26T00:00:00Z', ageDays: 7 });
      for (const f of kept) expect(after.get(f.id)).toMatchObject({ status: 'open', lastSeenAt: '2026-12-03T00:00:00Z', lastRunId: partial.report.run.id, runsSeen: 2 });
    } finally {
      await emu.close();
    }
  }, 60_000);

  test('a history that is not ours stops the run before anything is written: one line, exit 2', async () => {
    const out = join(dir, 'notours');
    const h = join(dir, 'notes.sqlite');
    writeFileSync(h, 'these are my notes, not a database'.repeat(20));
    const r = await cli(['scan', '--endpoint-url', 'http://127.0.0.1:9', '--accounts', prod, '--regions', 'us-east-1', '--format', 'json', '--out', out, '--history', h, '--quiet'], { env: ENV });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`ami-audit: ${h}: not an ami-audit history (not an SQLite database); give another --history file, or move this one away`]);
    expect(readdirSync(out)).toEqual([]);
  });
});
