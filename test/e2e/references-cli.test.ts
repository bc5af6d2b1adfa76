/** `scan --references` end to end, in one thread and across worker threads: the same references and findings. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-refs-'));
});
afterAll(async () => {
  await e.close();
  rmSync(dir, { recursive: true, force: true });
});

const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print', AWS_REGION: 'us-east-1' };

async function scan(name: string, extra: string[]): Promise<{ code: number; report: Report }> {
  const out = join(dir, name);
  const r = await spawnCli(['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--references', '--as-of', '2026-11-26T00:00:00Z', '--format', 'json', '--quiet', '--out', out, ...extra], { env: ENV });
  expect(r.stderr).toBe('');
  const f = readdirSync(out).find((x) => x.endsWith('.json'))!;
  return { code: r.code, report: JSON.parse(readFileSync(join(out, f), 'utf8')) as Report };
}

test('worker threads carry the references: --workers 2 finds what one thread finds', async () => {
  const one = await scan('one', []);
  const two = await scan('two', ['--workers', '2']);
  const launchable = (r: Report) => r.findings.filter((f) => f.ruleId === 'launchable-bad-ami').map((f) => `${f.id} ${f.severity} ${f.resource!.arn}`).sort();
  expect(launchable(one.report).length).toBeGreaterThanOrEqual(3);
  expect(launchable(two.report)).toEqual(launchable(one.report));
  const refs = (r: Report) => r.images.flatMap((i) => i.references ?? []).map((x) => `${x.arn} ${x.usedBy.join(',')}`).sort();
  expect(refs(two.report)).toEqual(refs(one.report));
  expect(two.code).toBe(one.code);
}, 60_000);
