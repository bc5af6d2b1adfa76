/** The CLI's files end to end: re-rendering keeps what a report was evaluated with, inputs are checked, writes are whole or absent. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir, hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Report } from '../../src/model/types.js';
import { renderJsonChunks } from '../../src/render/json.js';
import { cli } from '../helpers/cli.js';
import { fixtureReport } from '../helpers/fixture.js';

const tmp = (): string => fs.mkdtempSync(join(tmpdir(), 'ami-audit-files-'));
const files = (dir: string): string[] => fs.readdirSync(dir).sort();
const jsonIn = (dir: string): Report => JSON.parse(fs.readFileSync(join(dir, files(dir).find((f) => f.endsWith('.json'))!), 'utf8'));
const counts = (r: Report) => ({ bySeverity: r.summary.bySeverity, unwaived: r.summary.findingsUnwaived, waived: r.summary.findingsWaived, findings: r.findings.map((f) => `${f.id}:${f.severity}:${f.waiver?.id ?? '-'}`) });

let demoDir: string;
let demoJson: string;
beforeAll(async () => {
  demoDir = tmp();
  const r = await cli(['demo', '--out', demoDir, '--format', 'json']);
  expect(r.code).toBe(3);
  demoJson = join(demoDir, files(demoDir)[0]!);
}, 60_000);

describe('report --input keeps what a saved report was evaluated with (case 10)', () => {
  test('the same as-of, waivers and rule settings: the same findings, and the output says so', async () => {
    const saved: Report = JSON.parse(fs.readFileSync(demoJson, 'utf8'));
    expect(saved.summary.findingsWaived).toBeGreaterThan(0);
    const out = tmp();
    // a year later: the default would have been "now"
    const r = await cli(['report', '--input', demoJson, '--out', out, '--format', 'json'], { now: new Date('2027-11-26T00:00:00Z') });
    expect(r.code).toBe(3);
    const again = jsonIn(out);
    expect(again.run.asOf).toBe(saved.run.asOf);
    expect(again.run.id).toBe(saved.run.id);
    expect(counts(again)).toEqual(counts(saved));
    expect(again.waivers.map((w) => [w.id, w.status, w.matchedFindings])).toEqual(saved.waivers.map((w) => [w.id, w.status, w.matchedFindings]));
    expect(r.stdout).toContain(`  warning  Evaluated as of ${saved.run.asOf}, the as-of stored in ${demoJson}; --as-of changes it.`);
    expect(r.stdout).toContain(`  warning  Waivers (${saved.waivers.length}) and rule settings are the ones stored in ${demoJson}; --config replaces them.`);
    expect(again.run.warnings).toEqual(expect.arrayContaining([expect.stringContaining('the as-of stored in'), expect.stringContaining('Waivers (3) and rule settings are the ones stored in')]));
    // the re-rendered report re-renders to the same findings again
    const out2 = tmp();
    await cli(['report', '--input', join(out, files(out)[0]!), '--out', out2, '--format', 'json']);
    expect(counts(jsonIn(out2))).toEqual(counts(saved));
  });

  test('--as-of and --config replace them, and the output says so', async () => {
    const cfg = join(tmp(), 'cfg.json');
    fs.writeFileSync(cfg, '{"rules": {"stale-ami": "off"}}');
    const out = tmp();
    const r = await cli(['report', '--input', demoJson, '--out', out, '--format', 'json', '--as-of', '2028-01-01', '--config', cfg]);
    const again = jsonIn(out);
    expect(again.run.asOf).toBe('2028-01-01T00:00:00Z');
    expect(again.waivers).toEqual([]);
    expect(again.findings.some((f) => f.ruleId === 'stale-ami')).toBe(false);
    expect(r.stdout).toMatch(/warning {2}Evaluated as of 2028-01-01T00:00:00Z \(--as-of\), not as of \S+ stored in/);
    expect(r.stdout).toContain(`warning  Waivers and rule settings from --config ${cfg}, not the ones stored in the input report(s).`);
  });

  test('several inputs give the same report in any order', async () => {
    const saved: Report = JSON.parse(fs.readFileSync(demoJson, 'utf8'));
    const k = saved.coverage.findIndex((c) => c.status === 'ok');
    const other = { ...saved, run: { ...saved.run, id: 'another-run', finishedAt: '2026-11-26T00:00:09Z' }, coverage: saved.coverage.map((c, i) => (i === k ? { ...c, status: 'error' as const, errorCode: 'UnauthorizedOperation', errorMessage: 'denied' } : c)) };
    const dir = tmp();
    fs.writeFileSync(join(dir, 'b.json'), JSON.stringify(other));
    fs.copyFileSync(demoJson, join(dir, 'a.json'));
    const [x, y] = [tmp(), tmp()];
    const r1 = await cli(['report', '--input', join(dir, 'a.json'), join(dir, 'b.json'), '--out', x, '--format', 'json']);
    const r2 = await cli(['report', '--input', join(dir, 'b.json'), join(dir, 'a.json'), '--out', y, '--format', 'json']);
    expect(fs.readFileSync(join(x, files(x)[0]!), 'utf8')).toBe(fs.readFileSync(join(y, files(y)[0]!), 'utf8'));
    expect(r1.stdout).toBe(r2.stdout.replaceAll(y, x));
    const scope = saved.coverage[k]!;
    expect(r1.stdout).toContain(`warning  Coverage of ${scope.accountId} ${scope.region} differs between inputs (ok in ${join(dir, 'a.json')}, error in ${join(dir, 'b.json')}): the worse status, error, is kept.`);
    expect(jsonIn(x).coverage.find((c) => c.accountId === scope.accountId && c.region === scope.region)!.status).toBe('error');
    expect(jsonIn(x).run.id).toMatch(/^merged-/);
  });
});

describe('bad inputs are clear errors, exit 2, nothing written (cases 21, 23, 2, 26)', () => {
  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  test('a dump nested 50,000 deep', async () => {
    const dir = tmp();
    const f = join(dir, 'deep.json');
    fs.writeFileSync(f, `{"InstanceImageMetadata":[{"InstanceId":"i-0123456789abcdef0","OwnerId":"123412341234","AvailabilityZone":"us-east-1a","Extra":${deep(50_000)}}]}`);
    const out = join(dir, 'out');
    const r = await cli(['report', '--input', f, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^ami-audit: ${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: InstanceImageMetadata\\[0\\]\\.Extra.*: nested deeper than 64 levels; .*\\n$`));
    expect(fs.existsSync(out) ? files(out) : []).toEqual([]);
  });
  test('a config nested 50,000 deep', async () => {
    const dir = tmp();
    const cfg = join(dir, 'cfg.json');
    fs.writeFileSync(cfg, `{"waivers":${deep(50_000).slice(0, -1)}}`);
    const r = await cli(['report', '--input', demoJson, '--config', cfg, '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ami-audit: ${cfg}: JSON nested deeper than 64 levels at line 1, column 75; no ami-audit input nests this deep\n`);
    expect(fs.existsSync(join(dir, 'out'))).toBe(false);
  });
  test('a dump whose OwnerId is __proto__', async () => {
    const f = join(tmp(), 'd.json');
    fs.writeFileSync(f, JSON.stringify({ InstanceImageMetadata: [{ InstanceId: 'i-0123456789abcdef0', OwnerId: '__proto__', AvailabilityZone: 'us-east-1a' }] }));
    const r = await cli(['report', '--input', f, '--out', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ami-audit: ${f}: InstanceImageMetadata[0].OwnerId: "__proto__" is not a 12-digit account id; give the output of aws ec2 describe-instance-image-metadata as it was written\n`);
  });
  test('a config role ARN of another account', async () => {
    const cfg = join(tmp(), 'cfg.json');
    fs.writeFileSync(cfg, JSON.stringify({ accounts: [{ accountId: '222222222222', roleArn: 'arn:aws:iam::333333333333:role/R' }], regions: ['us-east-1'] }));
    const r = await cli(['scan', '--config', cfg, '--endpoint-url', 'http://127.0.0.1:9', '--out', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ami-audit: ${cfg}: accounts[0].roleArn: the role belongs to account 333333333333, not to 222222222222 it is listed for`);
  });
  test.each(['concurrency', 'account-concurrency', 'max-attempts', 'page-size', 'duration-seconds', 'workers'])('--%s abc says a whole number is expected', async (flag) => {
    const r = await cli(['scan', '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9', `--${flag}`, 'abc', '--out', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^ami-audit: --${flag}: "abc" is not a whole number; expected a whole number from \\d+ to \\d+\n$`));
    expect(r.stderr).not.toContain('NaN');
  });
  test.each(['cli-connect-timeout', 'cli-read-timeout', 'call-timeout'])('--%s abc says seconds are expected', async (flag) => {
    const r = await cli(['scan', '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9', `--${flag}`, 'abc', '--out', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ami-audit: --${flag}: "abc" is not a number of seconds; expected seconds, 0 or more\n`);
    expect(r.stderr).not.toContain('NaN');
  });
  test.each(['AWS_REGION', 'AWS_DEFAULT_REGION'])('%s with a trailing space is named, not --region', async (name) => {
    const r = await cli(['scan', '--endpoint-url', 'http://127.0.0.1:9', '--out', tmp()], { env: { [name]: 'us-east-1 ' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`ami-audit: ${name}: "us-east-1 " is not a region name (it has leading or trailing spaces); set ${name} to a region such as us-east-1, or give --region\n`);
  });
});

describe('inputs are regular files', () => {
  test.each([
    ['--input', (f: string) => ['report', '--input', f]],
    ['--config', (f: string) => ['report', '--input', demoJson, '--config', f]],
    ['--baseline', (f: string) => ['report', '--input', demoJson, '--baseline', f]],
  ])('%s: a device, a FIFO with no writer and a folder are refused at once', async (what, args) => {
    const dir = tmp();
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    for (const [f, kind] of [['/dev/zero', 'a character device'], [fifo, 'a FIFO (named pipe)'], [dir, 'a directory']] as const) {
      const t = Date.now();
      const r = await cli([...args(f), '--out', join(dir, 'out')]);
      expect(Date.now() - t).toBeLessThan(5000);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`ami-audit: ${what} ${f}: ${kind}, not a regular file; give a JSON file\n`);
    }
    expect(fs.existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('writing (cases 15, 16, same second)', () => {
  const bigReport = (): string => {
    const report = fixtureReport();
    const many = { ...report, instances: Array.from({ length: 40 }, () => report.instances).flat().map((i, n) => ({ ...i, InstanceId: `i-${n.toString(16).padStart(17, '0')}` })) };
    const f = join(tmp(), 'big.json');
    fs.writeFileSync(f, [...renderJsonChunks(many as Report)].join(''));
    return f;
  };

  let mnt: string | null = null;
  beforeAll(() => {
    const dir = tmp();
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'ignore' });
    if (r.status === 0) mnt = dir;
    else console.warn('files-cli: cannot mount a tmpfs here (needs root); the disk-full case is covered by the injected file layer in test/unit/io.test.ts only');
  });
  afterAll(() => {
    if (mnt) spawnSync('umount', [mnt], { stdio: 'ignore' });
  });

  test('a full disk (a real 256 KiB tmpfs, when this machine lets us mount one): exit 4, one line, no file at all', async () => {
    if (!mnt) {
      console.warn('files-cli: SKIPPED the real-filesystem disk-full case: no tmpfs could be mounted');
      return;
    }
    const input = bigReport();
    expect(fs.statSync(input).size).toBeGreaterThan(256 << 10);
    const r = await cli(['report', '--input', input, '--out', mnt, '--format', 'csv,json,md,html']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^ami-audit: cannot write \S+ami-audit-20261126T000000Z\S*: no space left on the device \(ENOSPC\); no report file of this run was kept: free space or choose another --out, and run again\n$/);
    expect(r.stdout).toBe('');
    expect(files(mnt)).toEqual([]);
    // and when it fits, it is written
    const ok = await cli(['report', '--input', demoJson, '--out', mnt, '--format', 'json']);
    expect(ok.code).toBe(3);
    expect(files(mnt)).toEqual(['ami-audit-20261126T000000Z.json']);
  });

  test('temporary files of killed runs are removed at the start of a run; a live run\'s are not', async () => {
    const out = tmp();
    const host = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = [`.ami-audit-20261125T030000Z.json.${host}.${dead}.0123abcd.tmp`, `.ami-audit-20261125T030000Z.json.${dead}.0123abcd.tmp`];
    const live = `.ami-audit-20261125T030000Z.html.${host}.${process.ppid}.0123abcd.tmp`;
    for (const n of [...stale, live, 'keep.txt']) fs.writeFileSync(join(out, n), '{"partial');
    const r = await cli(['report', '--input', demoJson, '--out', out, '--format', 'json']);
    expect(r.code).toBe(3);
    expect(files(out)).toEqual([live, 'ami-audit-20261126T000000Z.json', 'keep.txt'].sort());
  });

  test('two runs in the same second into one folder: neither overwrites the other', async () => {
    const out = tmp();
    const cfg = join(tmp(), 'cfg.json');
    fs.writeFileSync(cfg, '{"rules": {"stale-ami": "off"}}');
    const [a, b] = await Promise.all([
      cli(['report', '--input', demoJson, '--out', out, '--format', 'json,csv']),
      cli(['report', '--input', demoJson, '--out', out, '--format', 'csv,json', '--config', cfg]),
    ]);
    expect([a.code, b.code]).toEqual([3, 3]);
    expect(files(out)).toEqual(['ami-audit-20261126T000000Z-2-coverage.csv', 'ami-audit-20261126T000000Z-2-images.csv', 'ami-audit-20261126T000000Z-2-whatif.csv', 'ami-audit-20261126T000000Z-2.csv', 'ami-audit-20261126T000000Z-2.json', 'ami-audit-20261126T000000Z-coverage.csv', 'ami-audit-20261126T000000Z-images.csv', 'ami-audit-20261126T000000Z-whatif.csv', 'ami-audit-20261126T000000Z.csv', 'ami-audit-20261126T000000Z.json']);
    const written = (o: string): string[] => [...o.matchAll(/wrote {2}(\S+)/g)].map((m) => m[1]!);
    const [wa, wb] = [written(a.stdout), written(b.stdout)];
    expect(new Set([...wa, ...wb]).size).toBe(10);
    const jsonOf = (w: string[]): Report => JSON.parse(fs.readFileSync(w.find((f) => f.endsWith('.json'))!, 'utf8'));
    expect(jsonOf(wa).findings.some((f) => f.ruleId === 'stale-ami')).toBe(true);
    expect(jsonOf(wb).findings.some((f) => f.ruleId === 'stale-ami')).toBe(false);
  });

  test('a report larger than a few MB is read back by report --input and --baseline (streamed)', async () => {
    const input = bigReport();
    const out = tmp();
    const r = await cli(['report', '--input', input, '--baseline', input, '--out', out, '--format', 'json']);
    expect(r.code).toBe(3);
    const rep = jsonIn(out);
    expect(rep.instances.length).toBe(fixtureReport().instances.length * 40);
    expect(rep.diff).not.toBeNull();
  });
});
