/**
 * Sharding end to end: four `scan --shard K/4` processes run in parallel against the local
 * endpoint, `ami-audit merge` combines their JSON reports, and the result equals a single run over
 * the same estate field by field (run ids and times aside). Also: a missing shard is a coverage gap.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/server.js';
import { generateFleet } from '../../src/emulator/generate.js';
import { buildOrganization } from '../../src/emulator/organizations.js';
import type { Report } from '../../src/model/types.js';
import { spawnCli } from '../helpers/cli.js';
import { emulator } from '../helpers/emulator.js';

const AS_OF = '2026-11-26T03:00:00Z';
let e: Emulator;
let dir: string;

beforeAll(async () => {
  const fleet = generateFleet({ accounts: 13, regions: 3, instances: 1500, seed: 5, skewInstances: 0.5, skewScopes: 0.1 });
  const ids = fleet.accounts.map((a) => a.accountId);
  fleet.organization = buildOrganization({ accountIds: [fleet.caller.accountId, ...ids.filter((id) => id !== fleet.caller.accountId)], managementAccountId: fleet.caller.accountId, units: 5, depth: 3, seed: 2, suspended: [ids[4]!] });
  e = await emulator({ fleet });
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-shards-'));
});
afterAll(async () => {
  await e.close();
  rmSync(dir, { recursive: true, force: true });
});

const SCAN = () => ['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--all-regions', '--as-of', AS_OF, '--format', 'json', '--quiet'];
const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print', AWS_REGION: 'us-east-1' };

function reportIn(folder: string): { file: string; report: Report } {
  const f = readdirSync(folder).find((x) => /^ami-audit-\d{8}T\d{6}Z(-\d+)?\.json$/.test(x))!;
  return { file: join(folder, f), report: JSON.parse(readFileSync(join(folder, f), 'utf8')) as Report };
}

/** The report without what differs between any two runs: ids, times, the run's own options. */
function comparable(r: Report) {
  const { id: _i, startedAt: _s, finishedAt: _f, options: _o, shard: _sh, warnings: _w, source: _src, ...run } = r.run;
  return { ...r, run, tool: null };
}

describe('shard and merge', () => {
  test('4 shards in parallel processes, merged, equal one run over the same estate', async () => {
    const shards = await Promise.all([1, 2, 3, 4].map((k) => spawnCli([...SCAN(), '--shard', `${k}/4`, '--out', join(dir, `shard-${k}`)], { env: ENV })));
    for (const s of shards) expect({ code: s.code, stderr: s.stderr }).toEqual({ code: expect.any(Number), stderr: '' });
    const parts = [1, 2, 3, 4].map((k) => reportIn(join(dir, `shard-${k}`)));
    // every account in exactly one shard
    const per = parts.map((p) => p.report.accounts.map((a) => a.accountId));
    expect(per.flat().length).toBe(new Set(per.flat()).size);
    expect(Math.max(...per.map((x) => x.length)) - Math.min(...per.map((x) => x.length))).toBeLessThanOrEqual(1);
    expect(new Set(parts.map((p) => p.report.run.shard!.fingerprint)).size).toBe(1);

    const merged = await spawnCli(['merge', ...parts.map((p) => p.file), '--out', join(dir, 'merged'), '--format', 'json', '--quiet'], { env: ENV });
    const single = await spawnCli([...SCAN(), '--out', join(dir, 'single')], { env: ENV });
    expect(merged.code).toBe(single.code);
    const m = reportIn(join(dir, 'merged')).report;
    const s = reportIn(join(dir, 'single')).report;
    expect(m.run.shard).toBeUndefined();
    const a = comparable(m);
    const b = comparable(s);
    for (const k of ['findings', 'coverage', 'images', 'owners', 'coverageGaps', 'accounts', 'summary', 'instances', 'waivers', 'rules', 'notFoundInstanceIds', 'tagColumns', 'diff'] as const) {
      expect({ [k]: a[k] }).toEqual({ [k]: b[k] });
    }
    expect(a.run).toEqual(b.run);
    expect(s.coverage.some((c) => c.reason === 'SUSPENDED')).toBe(true);
    expect(s.instances.length).toBeGreaterThan(1000);
    expect(s.findings.length).toBeGreaterThan(100);
  }, 120_000);

  test('a missing shard is a coverage gap of its accounts (exit 3), a part of another run is refused (exit 2)', async () => {
    const parts = [1, 2, 3, 4].map((k) => reportIn(join(dir, `shard-${k}`)).file);
    const r = await spawnCli(['merge', parts[0]!, parts[1]!, parts[3]!, '--out', join(dir, 'merged-3'), '--format', 'json', '--quiet'], { env: ENV });
    expect(r.code).toBe(3);
    const m = reportIn(join(dir, 'merged-3')).report;
    const lost = reportIn(join(dir, 'shard-3')).report.accounts.map((x) => x.accountId);
    expect([...new Set(m.coverage.filter((c) => c.errorCode === 'ShardMissing').map((c) => c.accountId))].sort()).toEqual(lost);
    expect(m.coverageGaps.some((g) => g.cause === 'ShardMissing' && /run that shard again/.test(g.hint))).toBe(true);

    const other = await spawnCli(['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--as-of', AS_OF, '--format', 'json', '--quiet', '--shard', '2/4', '--out', join(dir, 'other')], { env: ENV });
    expect(other.stderr).toBe('');
    const refused = await spawnCli(['merge', parts[0]!, reportIn(join(dir, 'other')).file, '--out', join(dir, 'merged-bad'), '--quiet'], { env: ENV });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/are shards of different runs/);
  }, 120_000);

  test('a part edited by hand is refused, naming it (exit 2); with AMI_AUDIT_SHARD_KEY, parts signed with another key are refused, and the key is never printed', async () => {
    const parts = [1, 2, 3, 4].map((k) => reportIn(join(dir, `shard-${k}`)));
    const edited = parts[2]!.report;
    const gone = edited.findings[0]!;
    edited.findings = edited.findings.filter((f) => f.instanceId !== gone.instanceId);
    edited.instances = edited.instances.filter((i) => i.InstanceId !== gone.instanceId);
    const editedFile = join(dir, 'shard-3-edited.json');
    writeFileSync(editedFile, JSON.stringify(edited));
    const refused = await spawnCli(['merge', parts[0]!.file, parts[1]!.file, editedFile, parts[3]!.file, '--out', join(dir, 'merged-edited'), '--quiet'], { env: ENV });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`ami-audit: merge: ${editedFile} (shard 3/4) refused: its content does not match the digest it records: it was changed after it was written (a finding, an instance or a scope edited or deleted); run that shard again\n`);

    const KEY = 'shard-KEY-9d2f7e41c0';
    const signed = await Promise.all([1, 2].map((k) => spawnCli([...SCAN(), '--regions', 'us-east-1', '--shard', `${k}/2`, '--out', join(dir, `signed-${k}`)], { env: { ...ENV, AMI_AUDIT_SHARD_KEY: KEY } })));
    for (const s of signed) expect(s.stderr).toBe('');
    const files = [1, 2].map((k) => reportIn(join(dir, `signed-${k}`)).file);
    const ok = await spawnCli(['merge', ...files, '--out', join(dir, 'merged-signed'), '--format', 'json', '--quiet'], { env: { ...ENV, AMI_AUDIT_SHARD_KEY: KEY } });
    expect(ok.stderr).toBe('');
    expect(ok.code).not.toBe(2);
    const bad = await spawnCli(['merge', ...files, '--out', join(dir, 'merged-badkey'), '--quiet'], { env: { ...ENV, AMI_AUDIT_SHARD_KEY: 'another-key-7c1b' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/signed-1\/ami-audit-\S+\.json \(shard 1\/2\) refused: its signature does not match/);
    const empty = await spawnCli(['merge', ...files, '--out', join(dir, 'merged-empty')], { env: { ...ENV, AMI_AUDIT_SHARD_KEY: '' } });
    expect(empty).toMatchObject({ code: 2, stderr: 'ami-audit: AMI_AUDIT_SHARD_KEY is set but empty: set it to the key every shard and merge share, or unset it\n' });
    const everything = [...signed, ok, bad].map((r) => r.stdout + r.stderr).join('\n') + [1, 2].map((k) => readFileSync(reportIn(join(dir, `signed-${k}`)).file, 'utf8')).join('');
    expect(everything).not.toContain(KEY);
  }, 120_000);
});

