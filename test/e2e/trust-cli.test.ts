/**
 * The command line's side of "no failure reads as success": region names no partition knows,
 * a failed Allowed AMIs read, the run deadline and the exit code of a partial run with findings.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/server.js';
import type { FaultPlan } from '../../src/emulator/faults.js';
import type { Report } from '../../src/model/types.js';
import { emulator } from '../helpers/emulator.js';
import { cli } from '../helpers/cli.js';
import { readJsonReport } from '../helpers/report-file.js';

let e: Emulator | null = null;
afterEach(async () => {
  await e?.close();
  e = null;
});
const tmp = (): string => mkdtempSync(join(tmpdir(), 'ami-audit-trust-'));
const jsonReport = (dir: string): Report => readJsonReport(join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!));
const scan = (faults: FaultPlan | undefined, args: string[]) => async () => {
  e = await emulator(faults ? { faults } : {});
  const out = tmp();
  const r = await cli(['scan', '--endpoint-url', e.url, '--accounts', '111111111111', '222222222222', '--role-name', 'AmiAuditReadOnly', '--out', out, '--format', 'json', ...args]);
  return { ...r, out };
};

describe('regions (case 4)', () => {
  test('a well-formed region name that no partition knows is a usage error naming the closest real region; nothing is written', async () => {
    const r = await scan(undefined, ['--regions', 'us-east-1', 'us-east-7'])();
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('us-east-7');
    expect(r.stderr).toContain('did you mean us-east-1');
    expect(readdirSync(r.out)).toEqual([]);
  });

  test('a requested region DescribeRegions does not return ends with a coverage entry and the run is not complete-and-silent', async () => {
    const r = await scan(undefined, ['--regions', 'us-east-1', 'me-south-1', '--all-regions'])();
    const rep = jsonReport(r.out);
    expect(rep.coverage.filter((c) => c.region === 'me-south-1').map((c) => `${c.accountId}:${c.status}:${c.reason}`)).toEqual(['111111111111:skipped:not-offered', '222222222222:skipped:not-offered']);
    expect(r.stdout).toMatch(/skipped/);
  });
});

describe('a failed GetAllowedImagesSettings (cases 3, 11)', () => {
  test('makes the run partial: exit 3 even with findings at or above --fail-on, and the summary says both', async () => {
    const r = await scan({ rules: [{ account: '222222222222', action: 'GetAllowedImagesSettings', error: 'UnauthorizedOperation' }] }, ['--regions', 'us-east-1', 'eu-west-1', '--fail-on', 'high'])();
    const rep = jsonReport(r.out);
    expect(rep.run.status).toBe('partial');
    const bad = rep.coverage.filter((c) => c.accountId === '222222222222');
    expect(bad.map((c) => c.status)).toEqual(['partial', 'partial']);
    expect(bad[0]!.failures[0]!.action).toBe('GetAllowedImagesSettings');
    expect(rep.findings.some((f) => ['high', 'critical'].includes(f.severity) && !f.waiver)).toBe(true);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/PARTIAL/);
    expect(r.stdout).toMatch(/GetAllowedImagesSettings/);
  });
});

describe('the run deadline (case 6)', () => {
  test('--deadline: unfinished scopes end DeadlineExceeded, the report is written, exit 3', async () => {
    const t = Date.now();
    const r = await scan({ rules: [{ account: '222222222222', action: 'DescribeInstanceImageMetadata', latencyMs: 30_000 }] }, ['--regions', 'us-east-1', '--deadline', '2s'])();
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(r.code).toBe(3);
    const rep = jsonReport(r.out);
    expect(rep.coverage.map((c) => `${c.accountId}:${c.status}:${c.errorCode}`)).toEqual(['111111111111:ok:null', '222222222222:error:DeadlineExceeded']);
    expect(rep.run.warnings?.join(' ')).toContain('deadline');
  }, 20_000);

  test.each(['abc', '0s', '-5m'])('--deadline %s is a usage error', async (v) => {
    const r = await cli(['scan', '--regions', 'us-east-1', `--deadline=${v}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--deadline');
  });
});
