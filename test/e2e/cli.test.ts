/** The command line end to end: the real CLI, the real SDK, the local endpoint on loopback. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/server.js';
import type { Report } from '../../src/model/types.js';
import { emulator, NOW } from '../helpers/emulator.js';
import { BIN, cli, spawnCli } from '../helpers/cli.js';
import { reportValidator } from '../../src/schema/validate.js';
import { demoFleet } from '../../src/emulator/demo.js';
import { reachable } from '../helpers/collect.js';
import { AUDITED_ROLE_ACTIONS, CALLER_ACTIONS } from '../../src/cli/iam.js';
import { RULES } from '../../src/rules/registry.js';

const COMMANDS = ['scan', 'report', 'merge', 'diff', 'rules', 'demo', 'emulator', 'generate-fleet', 'iam-policy', 'schema'];
const ALL = ['111111111111', '222222222222', '333333333333', '444444444444'];
let e: Emulator;
beforeAll(async () => {
  e = await emulator();
});
afterAll(async () => e.close());

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ami-audit-e2e-'));
const files = (dir: string): string[] => readdirSync(dir).sort();
const jsonReport = (dir: string): Report => JSON.parse(readFileSync(join(dir, files(dir).find((f) => f.endsWith('.json'))!), 'utf8'));

describe('help and version', () => {
  test.each(COMMANDS)('%s --help and --version', async (cmd) => {
    const h = await cli([cmd, '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain(`ami-audit ${cmd}`);
    const v = await cli([cmd, '--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
  test('the built binary is executable, so npx ami-audit runs it', () => {
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
  });
  test('the binary answers --version', async () => {
    const r = await spawnCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('scan', () => {
  test('an organisation with a role name and --all-regions: every reachable instance once, every gap recorded', async () => {
    const out = tmp();
    const r = await cli(['scan', '--endpoint-url', e.url, '--accounts', ALL[0]!, ALL[1]!, `${ALL[2]},${ALL[3]}`, '--role-name', 'AmiAuditReadOnly', '--all-regions', '--format', 'json', '--out', out]);
    // stderr is not a terminal here: plain progress lines only
    for (const line of r.stderr.trim().split('\n')) expect(line).toMatch(/^ami-audit: \d+\/\d+ scopes \(\d+\/4 accounts\), \d+ instances, \d+ scope errors$/);
    expect(r.code).toBe(3);
    const rep = jsonReport(out);
    expect(reportValidator()(rep)).toBe(true);
    const fleet = demoFleet(NOW);
    expect(rep.instances.map((i) => `${i.accountId}|${i.region}|${i.InstanceId}`).sort()).toEqual(reachable(fleet, ALL, 'all'));
    expect(rep.coverage.filter((c) => c.status === 'skipped').map((c) => `${c.accountId}|${c.region}|${c.reason}`)).toEqual(
      ['111111111111', '222222222222', '333333333333'].map((a) => `${a}|ap-east-1|not-enabled`),
    );
    expect(rep.coverage.filter((c) => c.status === 'error').map((c) => `${c.accountId}|${c.region}|${c.errorCode}`)).toEqual(
      ['ap-southeast-2', 'eu-west-1', 'us-east-1'].map((r) => `444444444444|${r}|AccessDenied`),
    );
    expect(rep.run.status).toBe('partial');
    expect(r.stdout).toContain('PARTIAL');
    expect(r.stdout).toContain('444444444444');
  });

  test('file names, modes and formats; no temporary files left', async () => {
    const out = tmp();
    const r = await cli(['scan', '--endpoint-url', e.url, '--accounts', '222222222222', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--out', out]);
    expect(r.code).toBe(0);
    const names = files(out);
    expect(names).toEqual(['ami-audit-20261126T000000Z-coverage.csv', 'ami-audit-20261126T000000Z-images.csv', 'ami-audit-20261126T000000Z.csv', 'ami-audit-20261126T000000Z.html', 'ami-audit-20261126T000000Z.json', 'ami-audit-20261126T000000Z.md', 'ami-audit-20261126T000000Z-whatif.csv', 'ami-audit-history.sqlite'].sort());
    for (const n of names) {
      expect(statSync(join(out, n)).mode & 0o777).toBe(0o600);
      if (n.endsWith('.sqlite')) continue; // the run history, beside the reports
      expect(r.stdout).toContain(join(out, n));
    }
    const r2 = await cli(['scan', '--endpoint-url', e.url, '--accounts', '222222222222', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--out', out, '--format', 'json', '--file-mode', '640'], { now: new Date('2026-11-27T00:00:00Z') });
    expect(r2.code).toBe(0);
    expect(statSync(join(out, 'ami-audit-20261127T000000Z.json')).mode & 0o777).toBe(0o640);
  });

  test('partial coverage exits 3 even with findings at or above --fail-on; waived findings do not count', async () => {
    const out = tmp();
    const base = ['scan', '--endpoint-url', e.url, '--accounts', '222222222222', '444444444444', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--out', out, '--format', 'json'];
    const high = await cli([...base, '--fail-on', 'high']);
    expect(high.code).toBe(3);
    expect(high.stdout).toMatch(/run PARTIAL .*; [1-9]\d* unwaived findings at or above high/);
    expect((await cli([...base, '--fail-on', 'critical'])).code).toBe(3);
    // complete coverage with findings at or above --fail-on: 1
    expect((await cli([...base.filter((a) => a !== '444444444444'), '--fail-on', 'high'])).code).toBe(1);
    const cfg = join(out, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ waivers: [{ accountId: '222222222222', reason: 'accepted for the test', expires: '2027-01-01' }] }));
    const waived = await cli([...base.filter((a) => a !== '444444444444'), '--fail-on', 'low', '--config', cfg]);
    expect(waived.code).toBe(0);
  });

  test('the caller\'s own account when no accounts are given; a clean run exits 0', async () => {
    const out = tmp();
    const r = await cli(['scan', '--endpoint-url', e.url, '--region', 'us-east-1', '--out', out, '--format', 'json,md', '--fail-on', 'low']);
    expect(r.code).toBe(0);
    const rep = jsonReport(out);
    expect(rep.run.accounts).toEqual(['111111111111']);
    expect(rep.coverage.map((c) => `${c.accountId}|${c.region}|${c.status}`)).toEqual(['111111111111|us-east-1|ok']);
    expect(rep.instances).toHaveLength(3);
    expect(rep.summary.findings).toBe(0);
    expect(rep.run.status).toBe('complete');
  });

  test('filters and instance ids pass through as the AWS CLI spells them', async () => {
    const out = tmp();
    const fleet = demoFleet(NOW);
    const prod = fleet.accounts.find((a) => a.accountId === '222222222222')!;
    const ids = [prod.instances!['us-east-1']![0]!.InstanceId!, prod.instances!['eu-west-1']![0]!.InstanceId!, 'i-00000000000000bad'];
    const r = await cli(['scan', '--endpoint-url', e.url, '--accounts', '222222222222', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', 'ap-southeast-2', '--instance-ids', ...ids, '--out', out, '--format', 'json']);
    expect(r.code).toBe(0);
    const rep = jsonReport(out);
    expect(rep.instances.map((i) => i.InstanceId).sort()).toEqual(ids.slice(0, 2).sort());
    expect(rep.notFoundInstanceIds).toEqual(['i-00000000000000bad']);
    expect(r.stdout).toContain('i-00000000000000bad');
    const out2 = tmp();
    const f = await cli(['scan', '--endpoint-url', e.url, '--accounts', '222222222222', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--filters', 'Name=instance-type,Values=t3.micro,m7i.large', 'Name=instance-state-name,Values=running', '--out', out2, '--format', 'json']);
    expect(f.code).toBe(0);
    const rep2 = jsonReport(out2);
    expect(rep2.instances.length).toBeGreaterThan(0);
    expect(rep2.instances.every((i) => ['t3.micro', 'm7i.large'].includes(i.InstanceType!) && i.State!.Name === 'running')).toBe(true);
  });

  test('--baseline and diff: new, resolved and unchanged by stable id', async () => {
    const out = tmp();
    const base = ['scan', '--endpoint-url', e.url, '--accounts', '222222222222', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--format', 'json', '--out'];
    await cli([...base, join(out, 'a')]);
    const first = join(out, 'a', files(join(out, 'a'))[0]!);
    const r = await cli([...base, join(out, 'b'), '--baseline', first, '--as-of', '2027-06-01']);
    const second = jsonReport(join(out, 'b'));
    expect(second.diff).not.toBeNull();
    expect(second.diff!.counts.new).toBeGreaterThan(0);
    expect(second.diff!.counts.unchanged).toBeGreaterThan(0);
    expect(r.stdout).toContain('vs baseline');
    const d = await cli(['diff', first, join(out, 'b', files(join(out, 'b'))[0]!), '--format', 'json']);
    expect(d.code).toBe(0);
    expect(JSON.parse(d.stdout).counts).toEqual(second.diff!.counts);
  });
});

describe('report --input', () => {
  test('re-renders a saved report offline with another as-of', async () => {
    const out = tmp();
    await cli(['scan', '--endpoint-url', e.url, '--accounts', '333333333333', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--format', 'json', '--out', out]);
    const saved = join(out, files(out)[0]!);
    const out2 = tmp();
    const r = await cli(['report', '--input', saved, '--as-of', '2028-01-01T00:00:00Z', '--format', 'json,html,csv,md', '--out', out2]);
    expect(r.code).toBe(0);
    const again = jsonReport(out2);
    expect(again.run.asOf).toBe('2028-01-01T00:00:00Z');
    expect(again.summary.findings).toBeGreaterThan(jsonReport(out).summary.findings);
  });
  test('audits the AWS CLI example outputs', async () => {
    const out = tmp();
    const ex = (n: number) => new URL(`../fixtures/cli-example-${n}.json`, import.meta.url).pathname;
    const r = await cli(['report', '--input', ex(1), ex(2), ex(3), '--as-of', '2026-11-26', '--out', out, '--format', 'json']);
    expect(r.code).toBe(3);
    const rep = jsonReport(out);
    expect(rep.findings.map((f) => f.ruleId).sort()).toEqual(['deprecated-ami', 'deprecated-ami', 'stale-ami', 'stale-ami']);
    expect(rep.coverage[0]!.errorCode).toBe('IncompleteDump');
    const only2 = await cli(['report', '--input', ex(2), '--as-of', '2026-11-26', '--out', tmp(), '--format', 'json', '--fail-on', 'high']);
    expect(only2.code).toBe(1);
  });
});

describe('bad input: one clear line, exit 2, no stack trace, no files', () => {
  const dir = tmp();
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const badCfg = write('bad.json', '{\n  "waivers": [\n    { "ruleId": "stale-ami", "reason": "x" }\n  ]\n}');
  const badJson = write('broken.json', '{\n  "roleName": "x",\n}');
  const unknownRule = write('unknown-rule.json', '{"rules": {"ancient-ami": {"severity": "low"}}}');
  const impossible = write('impossible.json', '{"waivers": [{"ruleId": "stale-ami", "reason": "r", "expires": "2026-02-30"}]}');
  const badArn = write('bad-arn.json', '{"accounts": [{"accountId": "123456789012", "roleArn": "arn:aws:iam::123456789012:user/bob"}]}');
  const newer = write('newer.json', JSON.stringify({ schemaVersion: 9 }));
  const notReport = write('not-report.json', JSON.stringify({ hello: 'world' }));
  const fileNotDir = write('a-file', 'x');
  const readOnly = join(dir, 'ro');
  mkdirSync(readOnly);
  chmodSync(readOnly, 0o500);
  const scan = ['scan', '--endpoint-url', 'http://127.0.0.1:9', '--regions', 'us-east-1'];
  const cases: [string, string[], RegExp][] = [
    ['unknown option', ['scan', '--colour'], /^ami-audit: unknown option --colour\n/],
    ['unknown command', ['scna'], /^ami-audit: unknown command "scna"\nDid you mean scan\?\n/],
    ['malformed account id', [...scan, '--accounts', '12345'], /--accounts: "12345" is not a 12-digit account id/],
    ['malformed region', ['scan', '--regions', 'mars-north-1a'], /--regions: "mars-north-1a" is not a region name/],
    ['role ARN given as role name', [...scan, '--role-name', 'arn:aws:iam::1:role/x'], /--role-name: .* give a name, not an ARN/],
    ['malformed role ARN in config', [...scan, '--config', badArn], /bad-arn\.json: accounts\[0\]/],
    ['malformed instance id', [...scan, '--instance-ids', 'i-xyz'], /--instance-ids: "i-xyz" is not an instance id/],
    ['bad filter shorthand', [...scan, '--filters', 'Name=instance-type'], /--filters: cannot read/],
    ['unknown filter', [...scan, '--filters', 'Name=size,Values=big'], /--filters: unknown filter name "size"/],
    ['page size 0', [...scan, '--page-size', '0'], /--page-size: 0 is out of range; expected a whole number from 1 to 1000/],
    ['page size 1001', [...scan, '--page-size', '1001'], /--page-size: 1001 is out of range/],
    ['unwritable --out (a file)', [...scan, '--out', join(fileNotDir, 'x')], /--out .*: not a writable folder/],
    ['no regions at all', ['scan'], /no regions to audit/],
    ['waiver without expiry', [...scan, '--config', badCfg], /bad\.json: waivers\[0\]\.expires: required field is missing/],
    ['invalid JSON with line and column', [...scan, '--config', badJson], /broken\.json: invalid JSON at line 3, column 1/],
    ['unknown rule id', [...scan, '--config', unknownRule], /unknown-rule\.json: rules\.ancient-ami: unknown rule id/],
    ['impossible date', [...scan, '--config', impossible], /impossible\.json: waivers\[0\]\.expires: "2026-02-30" is not a real date/],
    ['missing config file', [...scan, '--config', join(dir, 'nope.json')], /--config .*nope\.json: cannot read \(ENOENT\)/],
    ['input neither report nor CLI output', ['report', '--input', notReport, '--out', dir], /not-report\.json: neither an ami-audit report/],
    ['newer schemaVersion', ['report', '--input', newer, '--out', dir], /newer\.json: schemaVersion 9 is newer than this ami-audit reads/],
    ['bad --as-of', ['report', '--input', notReport, '--as-of', 'tomorrow'], /neither an ami-audit report|--as-of: "tomorrow"/],
    ['bad --fail-on', [...scan, '--fail-on', 'severe'], /^ami-audit: --fail-on: "severe" is not one of info, low, medium, high, critical\n/],
    ['bad --format', [...scan, '--format', 'pdf'], /--format: "pdf" is not one of html, csv, json, md/],
    ['bad --file-mode', [...scan, '--file-mode', '999'], /--file-mode: "999" is not an octal mode/],
  ];
  if (process.getuid?.() !== 0) cases.push(['read-only --out', [...scan, '--out', readOnly], /not a writable folder/]);
  test.each(cases)('%s', async (_name, args, pattern) => {
    const before = files(dir);
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
    expect(files(dir)).toEqual(before);
  });
});

describe('rules and iam-policy', () => {
  test('rules lists every rule id', async () => {
    const r = await cli(['rules', '--format', 'json']);
    expect(JSON.parse(r.stdout).map((m: { id: string }) => m.id)).toEqual(RULES.map((x) => x.meta.id));
  });
  test('every API the collector calls is in the IAM policy', async () => {
    const e2 = await emulator({ faults: { rules: [{ account: '222222222222', region: 'us-east-1', disruptedZone: 'us-east-1a' }] } });
    try {
      await cli(['scan', '--endpoint-url', e2.url, '--accounts', ...ALL, '--role-name', 'AmiAuditReadOnly', '--all-regions', '--format', 'json', '--out', tmp(), '--max-attempts', '1']);
      const member = JSON.parse((await cli(['iam-policy', '--part', 'member'])).stdout);
      const caller = JSON.parse((await cli(['iam-policy', '--part', 'caller'])).stdout);
      // sts:GetCallerIdentity needs no permission: the caller's policy leaves it out
      const allowed = [...member.Statement, ...caller.Statement].flatMap((s: { Action: string[] }) => s.Action).concat('sts:GetCallerIdentity');
      const called = Object.keys(e2.stats.byAction);
      expect(called.sort()).toEqual(['AssumeRole', 'DescribeInstanceImageMetadata', 'DescribeInstances', 'DescribeRegions', 'GetAllowedImagesSettings', 'GetCallerIdentity']);
      for (const a of called) expect(allowed.some((x: string) => x.endsWith(`:${a}`))).toBe(true);
      expect([...AUDITED_ROLE_ACTIONS, ...CALLER_ACTIONS].map((x) => x.split(':')[1]).sort()).toEqual(called.sort());
    } finally {
      await e2.close();
    }
  });
});
