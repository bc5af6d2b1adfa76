/**
 * A first run as a newcomer makes it (issue 25): every mistake answered in one line with its fix,
 * defaults that fit, and a quiet run that says only what a cron log needs.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT } from '../helpers/cli.js';
import { emulator, NOW } from '../helpers/emulator.js';
import { demoFleet } from '../../src/emulator/demo.js';
import { generateFleet, GOLDEN_IMAGE_ACCOUNT } from '../../src/emulator/generate.js';
import { parseGenerateSpec } from '../../src/cli/main.js';
import type { Emulator } from '../../src/emulator/server.js';
import type { Report } from '../../src/model/types.js';
import { readJsonReport } from '../helpers/report-file.js';

/** The config schema shipped with the package (package.json "files" has docs/). */
const CONFIG_SCHEMA_PATH = join(ROOT, 'docs', 'schema', 'config.schema.json');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ami-audit-first-run-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** stderr's lines of a run that must be a usage or config error (exit 2, nothing on stdout). */
async function refused(args: string[]): Promise<string[]> {
  const r = await cli(args);
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  return r.stderr.trimEnd().split('\n');
}

describe('mistakes answered with their fix', () => {
  test('--deadline without a unit is refused, with the units to choose from', async () => {
    const lines = await refused(['scan', '--region', 'us-east-1', '--deadline', '5', '--out', join(dir, 'deadline')]);
    expect(lines[0]).toBe('ami-audit: --deadline: "5" has no unit');
    expect(lines[1]).toBe('Give one: --deadline 5s (seconds), 5m (minutes) or 5h (hours).');
  });

  test('an empty item in --instance-ids, --regions, --ou or --filters (an unset variable) is refused, never "everything"', async () => {
    for (const [flag, what] of [['--instance-ids', 'instance id'], ['--regions', 'region name'], ['--ou', 'OU id']] as const) {
      const lines = await refused(['scan', flag, '', '--out', join(dir, 'empty')]);
      expect(lines[0]).toBe(`ami-audit: ${flag}: an empty ${what} in the list (an unset variable?); give the ${what}s, or leave ${flag} out`);
    }
    expect((await refused(['scan', '--filters', '', '--out', join(dir, 'empty')]))[0]).toMatch(/^ami-audit: --filters: an empty filter \(an unset variable\?\)/);
  });
  test('--format pdf says to print the HTML', async () => {
    const lines = await refused(['scan', '--region', 'us-east-1', '--format', 'html,pdf', '--out', join(dir, 'pdf')]);
    expect(lines[0]).toBe('ami-audit: --format: "pdf" is not one of html, csv, json, md, rollout, ocsf, asff');
    expect(lines[1]).toMatch(/--format html, open the \.html file in a browser and print it to PDF/);
  });

  test('merge with no parts prints its usage line', async () => {
    expect(await refused(['merge', '--out', join(dir, 'merge')])).toEqual(['ami-audit: missing <parts..> (ami-audit merge <parts..>)', 'Run "ami-audit merge --help" for the options.']);
  });

  test('report --input of bad JSON names the line and column', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{\n  "schemaVersion": 2,\n  "run": {,}\n}\n');
    expect(await refused(['report', '--input', file, '--out', join(dir, 'bad')])).toEqual([`ami-audit: ${file}: invalid JSON at line 3, column 11: value expected`]);
  });

  test('an unknown config field gets "did you mean", and the schema shipped with the package', async () => {
    const file = join(dir, 'typo.json');
    writeFileSync(file, JSON.stringify({ trustedAcounts: ['123456789012'], organization: { excludeAccount: [] }, rules: { 'deprecated-amis': 'high' } }));
    const lines = await refused(['scan', '--config', file, '--region', 'us-east-1']);
    expect(lines).toEqual([
      `ami-audit: ${file}: trustedAcounts: unknown field; did you mean "trustedAccounts"? every field is described in the JSON Schema ${CONFIG_SCHEMA_PATH}`,
      `ami-audit: ${file}: organization.excludeAccount: unknown field; did you mean "excludeAccounts"? every field is described in the JSON Schema ${CONFIG_SCHEMA_PATH}`,
      `ami-audit: ${file}: rules.deprecated-amis: unknown rule id "deprecated-amis"; did you mean "deprecated-ami"? rule ids are listed by \`ami-audit rules\``,
    ]);
    expect(readdirSync(join(ROOT, 'docs', 'schema'))).toContain('config.schema.json');
  });

  test('scan --org without --role-name is refused before anything is called', async () => {
    // no endpoint runs here: a run that called anything would fail otherwise
    const lines = await refused(['scan', '--org', '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9', '--out', join(dir, 'org')]);
    expect(lines[0]).toBe('ami-audit: --org audits every account of the organisation by assuming a role in each: give --role-name (or roleName in the config)');
    expect(lines[1]).toMatch(/--role-name AmiAuditReadOnly/);
    const cfg = join(dir, 'org.json');
    writeFileSync(cfg, JSON.stringify({ organization: { ous: ['ou-ab12-cd34ef56'] } }));
    expect((await refused(['scan', '--config', cfg, '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9']))[0]).toMatch(/^ami-audit: --org audits every account/);
  });
});

describe('iam-policy --part caller --config', () => {
  test('covers every role ARN the config can produce, paths included', async () => {
    const r = await cli(['iam-policy', '--part', 'caller', '--config', join(ROOT, 'config.example.json')]);
    expect(r.code).toBe(0);
    const assume = (JSON.parse(r.stdout) as { Statement: { Sid: string; Resource: string | string[] }[] }).Statement.find((s) => s.Sid === 'AmiAuditAssumeRole')!;
    expect(assume.Resource).toEqual(['arn:aws:iam::*:role/AmiAuditReadOnly', 'arn:aws:iam::333333333333:role/security/AmiAuditReadOnly']);
  });
});

describe('a run of the demo organisation', () => {
  let e: Emulator;
  beforeAll(async () => {
    // the demo organisation, and in data-dev an instance of a private golden image of payments-prod
    const fleet = demoFleet(NOW);
    const dev = fleet.accounts.find((x) => x.accountId === '333333333333')!;
    const sample = Object.values(dev.instances ?? {}).flat()[0]!;
    dev.instances = { ...dev.instances, 'us-east-1': [...(dev.instances?.['us-east-1'] ?? []), {
      ...sample, InstanceId: 'i-0ffee0000000000a1', OwnerId: '333333333333', State: { Code: 16, Name: 'running' }, AvailabilityZone: 'us-east-1a', ZoneId: 'use1-az1',
      ImageMetadata: { ImageId: 'ami-0ffee0000000000a1', Name: 'golden-payments-2026-10', OwnerId: '222222222222', State: 'available', CreationDate: '2026-10-01T00:00:00.000Z', IsPublic: false, ImageAllowed: true },
    }] };
    e = await emulator({ fleet });
  });
  afterAll(async () => {
    await e.close();
  });
  const scan = (name: string, args: string[] = []) => cli(['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', '--out', join(dir, name), ...args]);

  test('--org trusts the organisation\'s own accounts, and the report says so', async () => {
    const r = await scan('trust', ['--format', 'json']);
    expect(r.code).toBe(3);
    const json = readdirSync(join(dir, 'trust')).find((f) => f.endsWith('.json'))!;
    const report = readJsonReport(join(dir, 'trust', json));
    const org = report.accounts!.map((x) => x.accountId);
    expect(report.run.warnings).toContain(`Trusted the AMIs of the organisation's ${org.length} accounts (--org): an AMI they own is neither untrusted-owner nor non-public-ami; set "trustOrganization": false in the config to judge them like any other owner.`);
    expect(report.run.options.trustedAccounts).toEqual(expect.arrayContaining(org));
    const ownedByOrg = (f: Report['findings'][number]) => f.imageOwnerId !== null && org.includes(f.imageOwnerId);
    expect(report.findings.filter((f) => ['untrusted-owner', 'non-public-ami'].includes(f.ruleId) && ownedByOrg(f))).toEqual([]);
    // the same run with "trustOrganization": false judges them like any owner
    const cfg = join(dir, 'no-org-trust.json');
    writeFileSync(cfg, JSON.stringify({ trustOrganization: false }));
    const again = await scan('no-trust', ['--format', 'json', '--config', cfg]);
    expect(again.code).toBe(3);
    const other = readJsonReport(join(dir, 'no-trust', readdirSync(join(dir, 'no-trust')).find((f) => f.endsWith('.json'))!));
    expect(other.run.warnings ?? []).not.toContainEqual(expect.stringMatching(/organisation's/));
    expect(other.findings.filter((f) => ['untrusted-owner', 'non-public-ami'].includes(f.ruleId) && ownedByOrg(f)).length).toBeGreaterThan(0);
  });

  test('--org without a role narrowed to one member that is not the caller: refused before any audit, nothing written', async () => {
    const out = join(dir, 'no-role-member');
    const r = await cli(['scan', '--endpoint-url', e.url, '--org', '--include-accounts', '222222222222', '--regions', 'us-east-1', '--out', out]);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toContain('ami-audit: --org without --role-name can audit only the caller\'s own account (111111111111); 222222222222 has no role to assume: give --role-name (or roleName in the config)');
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(readdirSync(out).filter((f) => f.startsWith('ami-audit-'))).toEqual([]);
    // the caller's own account alone needs no role
    const own = await cli(['scan', '--endpoint-url', e.url, '--org', '--include-accounts', '111111111111', '--regions', 'us-east-1', '--format', 'json', '--out', join(dir, 'no-role-own')]);
    expect(own.stderr).not.toMatch(/NoRoleConfigured|no role to assume/);
    expect([0, 1, 3]).toContain(own.code);
  });

  test('--quiet prints only the one-line verdict and the files written', async () => {
    const r = await scan('quiet', ['--quiet', '--format', 'json,md', '--fail-on', 'high']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ami-audit \S+: run PARTIAL as of \S+; \d+ unwaived findings at or above high$/);
    // the report files; the run history beside them is recorded into, not a file of this run
    expect(lines.slice(1)).toEqual(readdirSync(join(dir, 'quiet')).filter((f) => !f.endsWith('.sqlite')).sort().map((f) => `  wrote  ${join(dir, 'quiet', f)}`));
    expect(lines).toHaveLength(3);
  });
});

describe('the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  test('its scan examples name the regions to audit with --regions, the documented flag', () => {
    const scans = readme.split('\n').filter((l) => /ami-audit scan /.test(l));
    expect(scans.length).toBeGreaterThan(3);
    for (const l of scans) expect(l).not.toMatch(/--region\s/);
  });
  test('its figures at 150,000 instances state rendering time and memory, and the JSON\'s size with a word on compressing it', () => {
    const at = readme.indexOf('150,000 instances');
    expect(at).toBeGreaterThan(0);
    const para = readme.slice(at, readme.indexOf('\n\n', at));
    expect(para).not.toContain('well under a minute');
    expect(para).toMatch(/renders its reports in about \d+ s/);
    expect(para).toMatch(/peak of about [\d,]+ MB of memory/);
    expect(para).toMatch(/JSON report[^.]* is \d+ MB/);
    expect(para).toMatch(/gzip/);
  });
  test('the cron recipe says what --quiet prints', () => {
    const cron = readme.slice(readme.indexOf('## Run it on a schedule'), readme.indexOf('## Attach it to a ticket'));
    expect(cron).toContain('--quiet');
    expect(cron).toMatch(/one-line verdict and the files it\swrote/);
  });
});

describe('emulator --generate', () => {
  test('style=realistic,org=N: the benchmark\'s realistic fleet, in an organisation scan --org discovers', async () => {
    const spec = parseGenerateSpec('accounts=3,regions=2,instances=60,seed=5,style=realistic,org=2');
    expect(spec).toMatchObject({ accounts: 3, style: 'realistic', organization: 2 });
    const fleet = generateFleet(spec);
    expect(fleet.organization!.units).toHaveLength(2);
    // every member, the management account included, is an audited account of the fleet
    expect(fleet.organization!.members.map((m) => m.accountId).sort()).toEqual(fleet.accounts.map((a) => a.accountId).sort());
    // realistic: random instance ids and a Name and team tag on every instance
    const first = Object.values(fleet.accounts[0]!.instances!).flat()[0]!;
    expect(first.InstanceId).toMatch(/^i-0[0-9a-f]{16}$/);
    expect(first.Tags!.map((t) => t.Key).sort()).toEqual(['Name', 'team']);
    const e = await emulator({ fleet });
    try {
      const out = join(dir, 'generated-org');
      const r = await cli(['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--format', 'json', '--out', out, '--quiet']);
      expect(r.stderr).toBe('');
      const report = readJsonReport(join(out, readdirSync(out).find((f) => f.endsWith('.json'))!));
      // the three generated accounts and the golden images' account, dealt into the two OUs
      expect(report.accounts!.map((a) => a.ouPath).filter(Boolean).sort()).toEqual(['Root', 'Root/Unit 1', 'Root/Unit 1', 'Root/Unit 2', 'Root/Unit 2']);
      expect(report.accounts!.find((a) => a.accountId === GOLDEN_IMAGE_ACCOUNT)).toMatchObject({ name: 'platform-golden-images' });
      // the management account is audited too, with the role: a clean generated organisation's scan is complete
      expect(report.coverage.filter((c) => c.status !== 'ok').map((c) => `${c.accountId}/${c.region}: ${c.status} ${c.errorCode ?? ''}`)).toEqual([]);
      expect(report.coverage.map((c) => c.accountId)).toContain(fleet.caller.accountId);
      expect([0, 1]).toContain(r.code);
    } finally {
      await e.close();
    }
  });
  test('style=realistic,org=N: the golden images\' account is in the organisation, so scan --org trusts it and a lifecycle finding leads the plan', async () => {
    const fleet = generateFleet(parseGenerateSpec('accounts=12,regions=3,instances=6000,seed=7,style=realistic,org=4'));
    const golden = new Set(Object.values(fleet.accounts.flatMap((a) => Object.values(a.instances ?? {}).flat())).flatMap((i) => (i.ImageMetadata?.Name?.startsWith('golden-') ? [i.ImageMetadata.OwnerId!] : [])));
    expect(golden.size).toBe(1);
    expect(fleet.organization!.members.map((m) => m.accountId)).toContain([...golden][0]);
    const e = await emulator({ fleet });
    try {
      const out = join(dir, 'generated-org-golden');
      const r = await cli(['scan', '--endpoint-url', e.url, '--org', '--role-name', 'AmiAuditReadOnly', '--all-regions', '--format', 'json', '--out', out, '--quiet', '--no-history']);
      expect(r.stderr).toBe('');
      const report = readJsonReport(join(out, readdirSync(out).find((f) => f.endsWith('.json'))!));
      const onGolden = report.findings.filter((f) => f.imageName?.startsWith('golden-'));
      expect(onGolden.length).toBeGreaterThan(0);
      expect([...new Set(onGolden.filter((f) => f.ruleId === 'untrusted-owner' || f.ruleId === 'non-public-ami').map((f) => `${f.ruleId} on ${f.imageName}`))].slice(0, 5)).toEqual([]);
      const lifecycle = ['deprecated-ami', 'deregistered-ami', 'disabled-ami'];
      expect(report.images.slice(0, 3).flatMap((i) => i.rules.map((x) => x.ruleId)).filter((id) => lifecycle.includes(id))).not.toEqual([]);
    } finally {
      await e.close();
    }
  }, 60_000);
  test('an unknown key is refused with the keys there are', async () => {
    expect(() => parseGenerateSpec('accounts=3,stile=realistic')).toThrow(/unknown key "stile"; the keys are accounts=N,.*style=uniform\|realistic,org=N/);
    const r = await cli(['emulator', '--generate', 'accounts=3,orgs=2', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Did you mean org?');
  });
});
