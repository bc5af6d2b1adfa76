/**
 * `ami-audit images` end to end: the demo organisation through the CLI, the golden AMI's blast
 * radius first in JSON, the "Your AMIs" section in the HTML, the -owned-images.csv file, and the
 * new findings in Markdown, OCSF and ASFF; the coverage stays honest (the undeployed role is a gap,
 * exit 3); scan's instance options are refused.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/server.js';
import type { Report } from '../../src/model/types.js';
import { DEMO_ACCOUNTS, DEMO_PUBLISHER } from '../../src/emulator/demo.js';
import { spawnCli } from '../helpers/cli.js';
import { emulator } from '../helpers/emulator.js';

let e: Emulator;
let dir: string;
beforeAll(async () => {
  e = await emulator();
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-images-'));
});
afterAll(async () => {
  await e.close();
  rmSync(dir, { recursive: true, force: true });
});

const ENV = { AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print', AWS_REGION: 'us-east-1' };

test('images --org: the blast radius first, in every format; the gap named; exit 3', async () => {
  const out = join(dir, 'org');
  const r = await spawnCli(['images', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--as-of', '2026-11-26T00:00:00Z',
    '--format', 'json', 'csv', 'html', 'md', 'ocsf', 'asff', '--quiet', '--out', out, '--usage-wait', '60'], { env: ENV });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(3);
  const files = readdirSync(out);
  const read = (suffix: string): string => readFileSync(join(out, files.find((f) => f.endsWith(suffix))!), 'utf8');
  const report = JSON.parse(read('Z.json')) as Report;
  const first = report.ownedImages![0]!;
  expect(first.imageId).toBe(DEMO_PUBLISHER.goldenImageId);
  expect(first.usage!.status).toBe('known');
  // the endpoint serves the demo fleet as of 2026-11-26: its usage report is of that day, not of the wall clock's
  expect(first.usage!.reportCreationTime).toMatch(/^2026-11-26T00:0/);
  const outside = first.usage!.consumers.find((c) => c.accountId === DEMO_PUBLISHER.outsideAccount)!;
  expect(outside).toMatchObject({ inOrganization: false, name: null });
  expect(first.usage!.consumers.find((c) => c.accountId === DEMO_ACCOUNTS.prod)).toMatchObject({ inOrganization: true, name: 'payments-prod' });
  // the outside account is shared with by name: shared-outside-org; the org-shared successor is not
  const rule = (id: string) => report.findings.filter((f) => f.ruleId === id).map((f) => f.imageId).sort();
  expect(rule('shared-outside-org')).toEqual([DEMO_PUBLISHER.goldenImageId]);
  expect(rule('deprecated-ami-in-use')).toEqual([DEMO_PUBLISHER.goldenImageId]);
  expect(rule('flagged-root-ami')).toEqual([DEMO_PUBLISHER.goldenImageId]);
  expect(rule('public-ami')).toEqual([DEMO_PUBLISHER.publicImageId]);
  // honest coverage: the account without the role is a named gap, never an account without AMIs
  expect(report.coverage.find((c) => c.accountId === DEMO_ACCOUNTS.legacy)).toMatchObject({ status: 'error', errorCode: 'AccessDenied' });
  expect(report.run.options.images).toMatchObject({ usageReports: true, ancestry: true, horizonDays: 30 });
  expect(report.instances).toEqual([]);

  const html = read('.html');
  expect(html).toContain('id="owned-images"');
  expect(html.indexOf('id="t-blast"')).toBeLessThan(html.indexOf('id="t-owned"'));
  const csv = read('-owned-images.csv');
  expect(csv.split('\r\n')[1]).toContain(DEMO_PUBLISHER.goldenImageId);
  const md = read('.md');
  expect(md).toContain('deprecated-ami-in-use');
  // the plan says who uses the golden AMI (7 instances and a launch template in 3 accounts), never "0 instances"
  const plan = md.slice(md.indexOf('## AMIs to fix first'), md.indexOf('\n## ', md.indexOf('## AMIs to fix first') + 3));
  expect(plan.split('\n').find((l) => l.includes(DEMO_PUBLISHER.goldenImageId))).toMatch(/\| 7 instances and 1 launch template in 3 accounts, by the usage report of 2026-11-26 \|/);
  expect(plan).not.toContain('0 instances (0 running)');
  const ocsf = read('.ocsf.json');
  expect(ocsf).toContain('deprecated-ami-in-use');
  expect(ocsf).toContain(`image/${DEMO_PUBLISHER.goldenImageId}`);
  expect(files.filter((f) => f.includes('asff')).map((f) => readFileSync(join(out, f), 'utf8')).join('')).toContain('shared-outside-org');
});

test('scan\'s instance options are refused, one line, exit 2', async () => {
  const r = await spawnCli(['images', '--endpoint-url', e.url, '--regions', 'us-east-1', '--instance-ids', 'i-0123456789abcdef0', '--quiet', '--out', join(dir, 'x')], { env: ENV });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--instance-ids is a scan option: ami-audit images lists the AMIs the accounts own, not instances/);
});

test('report --input re-evaluates a saved images report: the same owned-image findings', async () => {
  const out = join(dir, 'org');
  const json = readdirSync(out).find((f) => f.endsWith('Z.json'))!;
  const again = join(dir, 'again');
  const r = await spawnCli(['report', '--input', join(out, json), '--format', 'json', '--quiet', '--out', again], { env: ENV });
  expect([0, 1, 3]).toContain(r.code);
  const before = JSON.parse(readFileSync(join(out, json), 'utf8')) as Report;
  const after = JSON.parse(readFileSync(join(again, readdirSync(again).find((f) => f.endsWith('.json'))!), 'utf8')) as Report;
  const owned = (x: Report) => x.findings.filter((f) => f.resource?.type === 'ec2:Image').map((f) => `${f.id} ${f.severity}`).sort();
  expect(owned(after)).toEqual(owned(before));
  expect(owned(after).length).toBeGreaterThan(0);
  expect(after.ownedImages!.map((i) => i.imageId)).toEqual(before.ownedImages!.map((i) => i.imageId));
});
