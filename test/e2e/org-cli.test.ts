/** `scan --org` end to end: discovery, names and OUs in the report, accounts not ACTIVE skipped with their state, failures as exit 2. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/server.js';
import { demoFleet } from '../../src/emulator/demo.js';
import type { Report } from '../../src/model/types.js';
import { cli } from '../helpers/cli.js';
import { emulator, NOW } from '../helpers/emulator.js';

const DEMO_ORGANIZATION = demoFleet(NOW).organization!;

let e: Emulator;
let dir: string;
beforeAll(async () => {
  e = await emulator();
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-org-'));
});
afterAll(async () => {
  await e.close();
  rmSync(dir, { recursive: true, force: true });
});

async function scan(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string; out: string; report: Report | null; files: string[] }> {
  const out = join(dir, name);
  const r = await cli(['scan', '--endpoint-url', e.url, '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--out', out, '--quiet', ...args]);
  let files: string[] = [];
  try {
    files = readdirSync(out);
  } catch {
    files = [];
  }
  const json = files.find((f) => /^ami-audit-\d{8}T\d{6}Z\.json$/.test(f));
  return { ...r, out, files, report: json ? JSON.parse(readFileSync(join(out, json), 'utf8')) as Report : null };
}

const member = (id: string) => DEMO_ORGANIZATION.members.find((m) => m.accountId === id)!;

describe('scan --org against the demo organisation', () => {
  test('discovers every member: names and OU paths in the model, suspended and closed accounts skipped with their state, never audited', async () => {
    const r = await scan('all', ['--org', '--format', 'json,csv,md']);
    expect(r.code).toBe(3); // the demo's account without the role
    const rep = r.report!;
    const ids = DEMO_ORGANIZATION.members.map((m) => m.accountId).sort();
    expect(rep.accounts.map((a) => a.accountId)).toEqual(ids);
    for (const a of rep.accounts) {
      expect(a.name).toBe(member(a.accountId).name);
      expect(a.state).toBe(member(a.accountId).state);
      expect(a.ouPath).toMatch(/^Root(\/|$)/);
    }
    expect(rep.accounts.find((a) => a.accountId === '222222222222')!.ouPath).toBe('Root/Workloads/Prod/Payments');
    const notActive = DEMO_ORGANIZATION.members.filter((m) => m.state !== 'ACTIVE');
    expect(notActive.length).toBeGreaterThanOrEqual(2);
    for (const m of notActive) {
      const cov = rep.coverage.filter((c) => c.accountId === m.accountId);
      expect(cov.map((c) => [c.region, c.status, c.reason])).toEqual([['eu-west-1', 'skipped', m.state], ['us-east-1', 'skipped', m.state]]);
      expect(rep.instances.some((i) => i.accountId === m.accountId)).toBe(false);
    }
    expect(rep.run.options.organization).toEqual({ id: DEMO_ORGANIZATION.id, managementAccountId: DEMO_ORGANIZATION.managementAccountId });
    // names in the CSV and the Markdown
    const csv = readFileSync(join(r.out, r.files.find((f) => /Z\.csv$/.test(f))!), 'utf8');
    expect(csv.split('\n')[0]).toMatch(/accountName,ouPath/);
    expect(csv).toContain('payments-prod');
    const md = readFileSync(join(r.out, r.files.find((f) => f.endsWith('.md'))!), 'utf8');
    expect(md).toMatch(/skipped \(SUSPENDED\)/);
  });

  test('--debug logs discovery\'s Organizations calls like the collector\'s EC2 calls (one client factory for both)', async () => {
    const r = await scan('debug', ['--org', '--format', 'json', '--debug']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/debug: ListRoots account=\S+ region=\S+ status=200/);
    expect(r.stderr).toContain('debug: ListAccountsForParent');
    expect(r.stderr).toContain('debug: DescribeInstanceImageMetadata');
  });

  test('--ou narrows to a subtree; --exclude-accounts leaves one out; --accounts adds one', async () => {
    const prod = DEMO_ORGANIZATION.units.find((u) => u.name === 'Prod')!;
    const r = await scan('ou', ['--org', '--ou', prod.id, '--exclude-accounts', '444444444444', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.report!.accounts.map((a) => a.accountId)).toEqual(['222222222222']);
    expect(r.report!.run.options.organization).toMatchObject({ ous: [prod.id], excludeAccounts: ['444444444444'] });
    const plus = await scan('ou-plus', ['--org', '--ou', prod.id, '--exclude-accounts', '444444444444', '--accounts', '333333333333', '--format', 'json']);
    expect(plus.report!.accounts.map((a) => [a.accountId, a.name])).toEqual([['222222222222', 'payments-prod'], ['333333333333', member('333333333333').name]]);
  });

  test('discovery that fails stops the run with exit 2 and no files; it never audits the caller alone', async () => {
    const denied = await emulator({ faults: { rules: [{ service: 'organizations', action: 'ListRoots', error: 'AccessDeniedException' }] } });
    try {
      const out = join(dir, 'denied');
      const r = await cli(['scan', '--endpoint-url', denied.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--out', out, '--quiet']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^ami-audit: --org: organizations:ListRoots failed: AccessDeniedException.*management account or of a delegated administrator/m);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      let files: string[] = [];
      try {
        files = readdirSync(out);
      } catch {
        files = [];
      }
      expect(files.filter((f) => f.startsWith('ami-audit-'))).toEqual([]);
      expect(denied.stats.byAction.DescribeInstanceImageMetadata ?? 0).toBe(0);
    } finally {
      await denied.close();
    }
  });

  test('usage errors: an --exclude-accounts id not in the organisation, a malformed --ou, --include-accounts without --org', async () => {
    const a = await scan('bad1', ['--org', '--exclude-accounts', '999999999999']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--exclude-accounts: 999999999999 is not among the \d+ accounts discovered by --org/);
    const b = await scan('bad2', ['--org', '--ou', 'ou-nope']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--ou: .*ou-nope/);
    const c = await scan('bad3', ['--include-accounts', '222222222222']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--include-accounts narrows the accounts --org discovers: give --org too/);
  });

  test('without --org, names come from the config', async () => {
    const cfgDir = join(dir, 'cfg');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(cfgDir, { recursive: true });
    const cfg = join(cfgDir, 'audit.json');
    writeFileSync(cfg, JSON.stringify({ accounts: [{ accountId: '222222222222', name: 'payments (from config)' }], roleName: 'AmiAuditReadOnly' }));
    const r = await scan('cfg', ['--config', cfg, '--format', 'json']);
    expect(r.report!.accounts).toEqual([{ accountId: '222222222222', name: 'payments (from config)', ouPath: null, state: null }]);
  });
});

describe('a stop during organisation discovery (issue 23 item 20, issue 25 item 10)', () => {
  /** A scan against an endpoint whose ListAccountsForParent never answers. */
  async function stalled<T>(fn: (url: string, out: string) => Promise<T>): Promise<T> {
    const s = await emulator({ faults: { rules: [{ action: 'ListAccountsForParent', kind: 'hang' }] } });
    try {
      return await fn(s.url, join(dir, `stalled-${Math.random().toString(36).slice(2)}`));
    } finally {
      await s.close();
    }
  }

  test('--deadline covers discovery: a stalled Organizations call ends at the deadline, exit 3, one line saying so, no report', async () => {
    const t = Date.now();
    const r = await stalled((url, out) => cli(['scan', '--endpoint-url', url, '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--out', out, '--org', '--deadline', '2s']).then((x) => ({ ...x, out })));
    expect(Date.now() - t).toBeLessThan(15_000);
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^ami-audit: --org: the run's deadline \(2s\) passed while the organisation's accounts were being listed: nothing was audited and no report was written/);
    expect(r.stderr).not.toMatch(/unexpected error/);
    let files: string[] = [];
    try {
      files = readdirSync(r.out);
    } catch {
      files = [];
    }
    expect(files).toEqual([]);
  }, 30_000);

  test('an interrupt during discovery: exit 3, one line saying discovery was interrupted, never "unexpected error"', async () => {
    let handler: ((sig: string) => void) | null = null;
    const r = await stalled(async (url, out) => {
      const p = cli(['scan', '--endpoint-url', url, '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--out', out, '--org'], {
        io: { onSignal: (h) => { handler = h; return () => { handler = null; }; } },
      });
      await new Promise((res) => setTimeout(res, 700));
      (handler as ((sig: string) => void) | null)?.('SIGINT');
      return p;
    });
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/unexpected error|finishing with a partial report/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^ami-audit: --org: interrupted while the organisation's accounts were being listed: nothing was audited and no report was written/);
  }, 30_000);
});
