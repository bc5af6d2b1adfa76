/**
 * `scan --successors --references` end to end against the demo endpoint, in one thread and across
 * worker threads: the same successors; the rollout file beside the reports (mode 600, accepted by
 * bash -n); `iam-policy --successors`.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/server.js';
import type { Report } from '../../src/model/types.js';
import { spawnCli } from '../helpers/cli.js';
import { emulator } from '../helpers/emulator.js';

let e: Emulator;
let dir: string;
beforeAll(async () => {
  e = await emulator();
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-succ-'));
});
afterAll(async () => {
  await e.close();
  rmSync(dir, { recursive: true, force: true });
});

const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print', AWS_REGION: 'us-east-1' };

async function scan(name: string, extra: string[]): Promise<{ code: number; report: Report; files: string[]; out: string }> {
  const out = join(dir, name);
  const r = await spawnCli(['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--references', '--successors', '--format', 'json,rollout', '--file-mode', '644', '--quiet', '--out', out, ...extra], { env: ENV });
  expect(r.stderr).toBe('');
  const files = readdirSync(out).sort();
  const f = files.find((x) => x.endsWith('.json'))!;
  return { code: r.code, report: JSON.parse(readFileSync(join(out, f), 'utf8')) as Report, files, out };
}

test('successors in the report, and the rollout file beside it: mode 600 whatever --file-mode, valid for bash, the same across worker threads', async () => {
  const one = await scan('one', []);
  expect(one.report.run.options.successors).toBe(true);
  const amzn2 = one.report.images.find((i) => i.imageId === 'ami-0d1e2f3a4b5c60010')!;
  expect(amzn2.successor!['us-east-1']).toMatchObject({ status: 'found', method: 'ssm-parameter' });
  const rollout = one.files.find((f) => f.endsWith('-rollout.sh'))!;
  expect(rollout).toMatch(/^ami-audit-\d{8}T\d{6}Z-rollout\.sh$/);
  expect(statSync(join(one.out, rollout)).mode & 0o777).toBe(0o600);
  expect(statSync(join(one.out, one.files.find((f) => f.endsWith('.json'))!)).mode & 0o777).toBe(0o644);
  execFileSync('bash', ['-n', join(one.out, rollout)]);
  expect(readFileSync(join(one.out, rollout), 'utf8')).toContain("aws 'autoscaling' 'start-instance-refresh' '--region' 'us-east-1' '--auto-scaling-group-name' 'web-prod'");
  const two = await scan('two', ['--workers', '2']);
  const successors = (r: Report) => r.images.map((i) => [i.imageId, i.successor]);
  expect(successors(two.report)).toEqual(successors(one.report));
}, 120_000);

test('"successors": true in the config turns the lookups on without the flag', async () => {
  const cfg = join(dir, 'succ-config.json');
  writeFileSync(cfg, JSON.stringify({ successors: true }));
  const out = join(dir, 'by-config');
  const r = await spawnCli(['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--config', cfg, '--format', 'json', '--quiet', '--out', out], { env: ENV });
  expect(r.stderr).toBe('');
  const report = JSON.parse(readFileSync(join(out, readdirSync(out).find((x) => x.endsWith('.json'))!), 'utf8')) as Report;
  expect(report.run.options.successors).toBe(true);
  expect(report.images.some((i) => i.successor !== undefined)).toBe(true);
});

test('iam-policy --successors adds DescribeImages and the public parameters', async () => {
  const r = await spawnCli(['iam-policy', '--successors']);
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as { Statement: { Action: string[]; Resource: string }[] };
  expect(doc.Statement.flatMap((s) => s.Action)).toEqual(expect.arrayContaining(['ec2:DescribeImages', 'ssm:GetParameters', 'ssm:GetParametersByPath']));
  expect(doc.Statement.find((s) => s.Action.includes('ssm:GetParameters'))!.Resource).toBe('arn:aws:ssm:*::parameter/aws/service/*');
});
