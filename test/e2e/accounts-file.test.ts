/**
 * Discovery once for a sharded run: `scan --org --discover-only` writes accounts.json, every shard
 * takes its accounts from it (`--accounts-file`), so an account joining the organisation between
 * the shards' starts cannot make their account lists differ; the fingerprint covers the file.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/server.js';
import { demoFleet } from '../../src/emulator/demo.js';
import type { Report } from '../../src/model/types.js';
import type { AccountsFile } from '../../src/report/accounts-file.js';
import { cli } from '../helpers/cli.js';
import { emulator, NOW } from '../helpers/emulator.js';

const DEMO = demoFleet(NOW).organization!;
let before: Emulator;
let after: Emulator;
let dir: string;

beforeAll(async () => {
  before = await emulator();
  // the same organisation once an account has joined it
  const joined = demoFleet(NOW);
  joined.organization!.members.push({ ...joined.organization!.members.find((m) => m.accountId === '333333333333')!, accountId: '999988887777', name: 'joined-late', email: 'late@example.com' });
  after = await emulator({ fleet: joined });
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-accounts-file-'));
});
afterAll(async () => {
  await before.close();
  await after.close();
  rmSync(dir, { recursive: true, force: true });
});

const BASE = (e: Emulator, out: string) => ['scan', '--endpoint-url', e.url, '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--as-of', NOW, '--format', 'json', '--quiet', '--out', join(dir, out)];
const reportIn = (out: string): { file: string; report: Report } => {
  const f = readdirSync(join(dir, out)).find((x) => /^ami-audit-.*Z\.json$/.test(x))!;
  return { file: join(dir, out, f), report: JSON.parse(readFileSync(join(dir, out, f), 'utf8')) as Report };
};

describe('scan --org --discover-only, then scan --accounts-file --shard K/N', () => {
  test('discovery writes the accounts once, with names, OU paths and states', async () => {
    const r = await cli([...BASE(before, 'plan'), '--org', '--discover-only']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const path = join(dir, 'plan', 'accounts.json');
    expect(r.stdout).toContain(`written to ${path}`);
    expect(readdirSync(join(dir, 'plan'))).toEqual(['accounts.json']);
    const doc = JSON.parse(readFileSync(path, 'utf8')) as AccountsFile;
    expect(doc).toMatchObject({ kind: 'ami-audit-accounts', version: 1, organizationId: DEMO.id, managementAccountId: DEMO.managementAccountId, ous: [] });
    expect(doc.accounts.map((a) => [a.accountId, a.name, a.state])).toEqual(DEMO.members.map((m) => [m.accountId, m.name, m.state]).sort());
    expect(doc.accounts.find((a) => a.accountId === '222222222222')!.ouPath).toBe('Root/Workloads/Prod/Payments');
  });

  test('shards that start before and after an account joined still agree, and merge', async () => {
    const file = join(dir, 'plan', 'accounts.json');
    // without the file each shard discovers for itself: the merge refuses parts of "different runs"
    await cli([...BASE(before, 'own-1'), '--org', '--shard', '1/2']);
    await cli([...BASE(after, 'own-2'), '--org', '--shard', '2/2']);
    const own = await cli(['merge', reportIn('own-1').file, reportIn('own-2').file, '--out', join(dir, 'own-merged'), '--quiet']);
    expect(own.code).toBe(2);
    expect(own.stderr).toMatch(/are shards of different runs/);
    // with it, both shards hold the same accounts, whenever they start
    const s1 = await cli([...BASE(before, 'file-1'), '--accounts-file', file, '--shard', '1/2']);
    const s2 = await cli([...BASE(after, 'file-2'), '--accounts-file', file, '--shard', '2/2']);
    expect([s1.stderr, s2.stderr]).toEqual(['', '']);
    const [p1, p2] = [reportIn('file-1'), reportIn('file-2')];
    expect(p1.report.run.shard!.fingerprint).toBe(p2.report.run.shard!.fingerprint);
    expect(p1.report.run.shard!.allAccounts).not.toContain('999988887777');
    expect([...p1.report.accounts, ...p2.report.accounts].find((a) => a.accountId === '222222222222')!).toMatchObject({ name: 'payments-prod', ouPath: 'Root/Workloads/Prod/Payments' });
    const merged = await cli(['merge', p1.file, p2.file, '--out', join(dir, 'file-merged'), '--format', 'json', '--quiet']);
    expect(merged.stderr).toBe('');
    expect(merged.code).not.toBe(2);
    const m = reportIn('file-merged').report;
    expect(m.accounts.map((a) => a.accountId)).toEqual(DEMO.members.map((x) => x.accountId).sort());
    expect(p1.report.run.options.organization).toMatchObject({ id: DEMO.id, accountsFile: { digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) } });
  }, 60_000);

  test('the fingerprint covers the file\'s content: a shard given another file is part of another run', async () => {
    const doc = JSON.parse(readFileSync(join(dir, 'plan', 'accounts.json'), 'utf8')) as AccountsFile;
    const other = join(dir, 'accounts-renamed.json');
    writeFileSync(other, JSON.stringify({ ...doc, accounts: doc.accounts.map((a) => (a.accountId === '222222222222' ? { ...a, name: 'renamed' } : a)) }));
    await cli([...BASE(before, 'other-2'), '--accounts-file', other, '--shard', '2/2']);
    expect(reportIn('other-2').report.run.shard!.fingerprint).not.toBe(reportIn('file-1').report.run.shard!.fingerprint);
  }, 30_000);

  test('a bad accounts file is one line naming the file, the field and the fix, exit 2', async () => {
    const good = JSON.parse(readFileSync(join(dir, 'plan', 'accounts.json'), 'utf8')) as AccountsFile;
    const cases: [string, unknown, RegExp][] = [
      ['not-json.json', '{"kind": ', /: not JSON \(/],
      ['kind.json', { ...good, kind: 'report' }, /: kind: expected "ami-audit-accounts"/],
      ['empty.json', { ...good, accounts: [] }, /: accounts: expected a list of at least one account/],
      ['id.json', { ...good, accounts: [{ ...good.accounts[0]!, accountId: '12345' }] }, /: accounts\[0\]\.accountId: expected a 12-digit account id/],
      ['twice.json', { ...good, accounts: [good.accounts[0]!, good.accounts[0]!] }, /: accounts\[1\]\.accountId: \d{12} is listed twice/],
      ['state.json', { ...good, accounts: [{ ...good.accounts[0]!, state: 42 }] }, /: accounts\[0\]\.state: expected an AWS Organizations state/],
    ];
    for (const [name, content, message] of cases) {
      const f = join(dir, name);
      writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
      const r = await cli([...BASE(before, `bad-${name}`), '--accounts-file', f, '--shard', '1/2']);
      expect({ name, code: r.code, lines: r.stderr.trimEnd().split('\n').length }).toEqual({ name, code: 2, lines: 1 });
      expect(r.stderr).toMatch(new RegExp(`^ami-audit: --accounts-file ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}${message.source}.*; write it again with ami-audit scan --org --discover-only\\n$`));
    }
    const missing = await cli([...BASE(before, 'bad-missing'), '--accounts-file', join(dir, 'nope.json'), '--shard', '1/2']);
    expect(missing.code).toBe(2);
    const both = await cli([...BASE(before, 'bad-both'), '--accounts-file', join(dir, 'plan', 'accounts.json'), '--org', '--shard', '1/2']);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringMatching(/^ami-audit: --accounts-file replaces discovery: give --org to the scan --discover-only/) });
    const noOrg = await cli([...BASE(before, 'bad-noorg'), '--discover-only']);
    expect(noOrg).toMatchObject({ code: 2, stderr: expect.stringMatching(/^ami-audit: --discover-only writes what --org discovers: give --org/) });
  }, 30_000);
});
