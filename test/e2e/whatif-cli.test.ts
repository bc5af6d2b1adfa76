/** `scan --criteria` end to end against the local endpoint: the what-if in the JSON report and the -whatif.csv; a bad criteria file stops the run (exit 2) before any call. */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-whatif-'));
});
afterAll(async () => {
  await e.close();
  rmSync(dir, { recursive: true, force: true });
});

const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print', AWS_REGION: 'us-east-1' };
const args = (out: string, criteria: string) => ['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--references', '--as-of', '2026-11-26T00:00:00Z', '--format', 'json', 'csv', '--quiet', '--out', out, '--criteria', criteria];

test('scan --criteria judges the audit-mode and disabled regions against the proposed criteria', async () => {
  const file = join(dir, 'criteria.json');
  // only the account's own AMIs and Amazon's images named al2023-*: most of the demo fleet would be refused
  writeFileSync(file, JSON.stringify({ ImageCriteria: [{ ImageProviders: ['amazon'], ImageNames: ['al2023-*'] }] }));
  const out = join(dir, 'ok');
  const r = await spawnCli(args(out, file), { env: ENV });
  expect(r.stderr).toBe('');
  const json = readdirSync(out).find((x) => x.endsWith('.json'))!;
  const report = JSON.parse(readFileSync(join(out, json), 'utf8')) as Report;
  const w = report.whatIf!;
  expect(w.criteria).toBe('proposed');
  expect(w.proposed).toEqual([{ imageProviders: ['amazon'], marketplaceProductCodes: [], imageNames: ['al2023-*'], maximumDaysSinceDeprecated: null, maximumDaysSinceCreated: null }]);
  // every scope of the run is accounted for: evaluated, or named with why not
  expect(w.scopes.length).toBe(report.coverage.length);
  for (const s of w.scopes) expect(s.evaluated ? s.reason : typeof s.reason).toBe(s.evaluated ? null : 'string');
  for (const s of w.scopes.filter((x) => x.evaluated)) expect(['audit-mode', 'disabled']).toContain(s.allowedImagesState);
  expect(w.scopes.some((s) => s.evaluated)).toBe(true);
  // what it refuses is never an AMI of the instance's own account, and each entry names instances or templates
  for (const i of w.images) {
    expect(i.ownerId).not.toBe(i.accountId);
    expect(i.instances.length + i.launchTemplates.length).toBeGreaterThan(0);
    expect(i.source).toBe('metadata');
  }
  const csv = readdirSync(out).find((x) => x.endsWith('-whatif.csv'))!;
  const lines = readFileSync(join(out, csv), 'utf8').trim().split('\r\n');
  // a row per AMI, then a row per scope not evaluated (those not audited are the coverage CSV's)
  const notEvaluated = w.scopes.filter((s) => !s.evaluated && s.reason !== 'not-audited');
  expect(lines.length).toBe(w.images.length + notEvaluated.length + 1);
  expect(lines.filter((l) => l.includes(',not-evaluated,')).length).toBe(notEvaluated.length);
}, 60_000);

test('a bad criteria file: one line naming the file and the field, exit 2, no report', async () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ ImageCriteria: [{ ImageProviders: ['amazn'] }] }));
  const out = join(dir, 'bad');
  const r = await spawnCli(args(out, file), { env: ENV });
  expect(r.code).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(`${file}: ImageCriteria[0].ImageProviders[0]: must be amazon, aws-marketplace, aws-backup-vault, none or a 12-digit account id`);
  expect(existsSync(out) ? readdirSync(out).filter((x) => x.endsWith('.json')) : []).toEqual([]);
}, 60_000);
