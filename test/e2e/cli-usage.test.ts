/**
 * Usage errors: one line saying what is wrong, a hint when there is a close valid flag or command,
 * and where the options are listed; exit 2, never "unexpected error", never a stack.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ami-audit-usage-'));
const scanHelp = 'Run "ami-audit scan --help" for the options.';

/** The lines of stderr, after checking what every usage error shares. */
async function usage(args: string[]): Promise<string[]> {
  const r = await cli(args);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/unexpected error|--debug|\n\s+at /);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length).toBeLessThanOrEqual(3);
  expect(lines[0]).toMatch(/^ami-audit: /);
  return lines;
}

describe('unknown flags', () => {
  test.each([
    [['scan', '--regoins', 'us-east-1'], '--regoins', '--regions'],
    [['scan', '--rolename', 'R'], '--rolename', '--role-name'],
    [['scan', '--fail-on', 'high', '--Regions', 'us-east-1'], '--Regions', '--regions'],
    [['scan', '--endpoint', 'http://127.0.0.1:9'], '--endpoint', '--endpoint-url'],
    [['scan', '--no-verfy-ssl'], '--no-verfy-ssl', '--no-verify-ssl'],
    [['report', '--inptu', 'x.json'], '--inptu', '--input'],
    [['rules', '--fromat', 'json'], '--fromat', '--format'],
    [['iam-policy', '--prat', 'caller'], '--prat', '--part'],
  ])('%j names the flag and suggests the closest one', async (args, given, suggested) => {
    const cmd = args[0]!;
    expect(await usage(args)).toEqual([`ami-audit: unknown option ${given}`, `Did you mean ${suggested}?`, `Run "ami-audit ${cmd} --help" for the options.`]);
  });
  test('yargs\' camelCase forms are flags too: not reported as unknown when another error is', async () => {
    expect(await usage(['scan', '--roleName', 'R', '--fail-on', 'severe'])).toEqual(['ami-audit: --fail-on: "severe" is not one of info, low, medium, high, critical', scanHelp]);
  });
  test('nothing close: no guess', async () => {
    expect(await usage(['scan', '--zzzzzzzz'])).toEqual(['ami-audit: unknown option --zzzzzzzz', scanHelp]);
  });
  test('a flag of another command says which command has it', async () => {
    expect(await usage(['report', '--regions', 'us-east-1'])).toEqual(['ami-audit: unknown option --regions', '--regions is an option of scan and images, not of report.', 'Run "ami-audit report --help" for the options.']);
  });
  test('several unknown flags are named together', async () => {
    const lines = await usage(['scan', '--colour', '--regoins=us-east-1']);
    expect(lines[0]).toBe('ami-audit: unknown options --colour, --regoins');
    expect(lines).toContain('Did you mean --regions?');
  });
});

describe('bad values yargs checks', () => {
  test('a value not among the choices', async () => {
    expect(await usage(['scan', '--fail-on', 'severe'])).toEqual(['ami-audit: --fail-on: "severe" is not one of info, low, medium, high, critical', scanHelp]);
    expect(await usage(['scan', '--fail-on', 'hihg'])).toEqual(['ami-audit: --fail-on: "hihg" is not one of info, low, medium, high, critical', 'Did you mean high?', scanHelp]);
    expect((await usage(['schema', 'confg']))).toEqual(['ami-audit: <which>: "confg" is not one of config, report', 'Did you mean config?', 'Run "ami-audit schema --help" for the options.']);
  });
  test.each([
    [['scan', '--region'], 'ami-audit: --region needs a value'],
    [['scan', '--regions', '--all-regions'], 'ami-audit: --regions needs a value'],
    [['scan', '--page-size'], 'ami-audit: --page-size needs a value'],
    [['scan', '--config'], 'ami-audit: --config needs a value'],
    [['scan', '--format'], 'ami-audit: --format needs a value'],
    [['scan', '--fail-on'], 'ami-audit: --fail-on needs a value: one of info, low, medium, high, critical'],
    [['rules', '--format'], 'ami-audit: --format needs a value: one of text, json'],
  ])('%j: a missing value', async (args, first) => {
    const lines = await usage(args);
    expect(lines[0]).toBe(first);
    expect(lines.at(-1)).toBe(`Run "ami-audit ${args[0]} --help" for the options.`);
  });
  test.each([
    [['scan', '--out', 'a', '--out', 'b'], 'ami-audit: --out is given twice ("a", "b"); give it once'],
    [['scan', '--region', 'us-east-1', '--region', 'eu-west-1'], 'ami-audit: --region is given twice ("us-east-1", "eu-west-1"); give it once'],
    [['scan', '--as-of', '2026-01-01', '--as-of=2026-02-01'], 'ami-audit: --as-of is given twice ("2026-01-01", "2026-02-01"); give it once'],
  ])('%j: a one-value flag given twice', async (args, first) => {
    expect(await usage(args)).toEqual([first, scanHelp]);
  });
  test('--no- turns off on/off flags only', async () => {
    expect(await usage(['scan', '--no-out'])).toEqual(['ami-audit: --no-out: --out takes a value and cannot be turned off; leave it out', scanHelp]);
    expect(await usage(['scan', '--no-fail-on', '--colour'])).toEqual(['ami-audit: unknown options --no-fail-on, --colour', '--fail-on takes a value and cannot be turned off.', scanHelp]);
  });
  test('the same value twice is fine', async () => {
    const r = await cli(['scan', '--region', 'us-east-1', '--region', 'us-east-1', '--page-size', '0']);
    expect(r.stderr).toBe('ami-audit: --page-size: 0 is out of range; expected a whole number from 1 to 1000\n');
  });
  test('a required flag left out', async () => {
    expect(await usage(['report', '--out', tmp()])).toEqual(['ami-audit: missing --input', 'Run "ami-audit report --help" for the options.']);
  });
  test('arguments a command does not take, or too few', async () => {
    expect(await usage(['scan', 'extra'])).toEqual(['ami-audit: unexpected argument "extra"', scanHelp]);
    expect(await usage(['diff', 'a.json'])).toEqual(['ami-audit: missing <new> (ami-audit diff <old> <new>)', 'Run "ami-audit diff --help" for the options.']);
    expect(await usage(['diff', 'a.json', 'b.json', 'c.json'])).toEqual(['ami-audit: unexpected argument "c.json"', 'Run "ami-audit diff --help" for the options.']);
    expect(await usage(['schema'])).toEqual(['ami-audit: missing <which> (ami-audit schema <which>)', 'Run "ami-audit schema --help" for the options.']);
  });
});

describe('commands', () => {
  test('an unknown command suggests the closest', async () => {
    expect(await usage(['scna'])).toEqual(['ami-audit: unknown command "scna"', 'Did you mean scan?', 'Run "ami-audit --help" for the commands.']);
    expect(await usage(['iam-polcy', '--part', 'caller'])).toEqual(['ami-audit: unknown command "iam-polcy"', 'Did you mean iam-policy?', 'Run "ami-audit --help" for the commands.']);
    expect(await usage(['frobnicate'])).toEqual(['ami-audit: unknown command "frobnicate"', 'Run "ami-audit --help" for the commands.']);
  });
  test('options before any command: the command is missing, and the hint says which command has them', async () => {
    expect(await usage(['--regions', 'us-east-1'])).toEqual(['ami-audit: give a command: scan, report, merge, diff, history, rules, demo, emulator, generate-fleet, iam-policy, schema or images', '--regions is an option of scan and images.', 'Run "ami-audit --help" for the commands.']);
  });
  // git prints its usage on stdout and exits 1 when run without a command, the AWS CLI prints its
  // usage with an error and exits 2 (252 in v2): both treat it as a usage error. ami-audit prints
  // the help on stdout, where it can be paged, and exits 2 (usage error), so that a script that
  // lost its command does not pass as a clean run.
  test('no command at all prints the help on stdout and exits 2', async () => {
    const r = await cli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe((await cli(['--help'])).stdout);
    expect(r.stdout).toContain('Commands:');
    for (const c of ['scan', 'report', 'merge', 'diff', 'rules', 'demo', 'emulator', 'generate-fleet', 'iam-policy', 'schema']) expect(r.stdout).toContain(`ami-audit ${c}`);
  });
});

describe('usage errors write nothing', () => {
  test('no report files, no folder', async () => {
    const out = join(tmp(), 'out');
    await usage(['scan', '--out', out, '--regoins', 'us-east-1']);
    await usage(['scan', '--out', out, '--fail-on', 'severe']);
    expect(() => readdirSync(out)).toThrow();
  });
});

describe('a bad config lists every problem', () => {
  test('each on its own line, <file>: <path>: <what>; exit 2; nothing written', async () => {
    const dir = tmp();
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ regions: ['US-EAST-1'], pageSize: 5000, colour: 'red', waivers: [{ ruleId: 'stale-ami', reason: 'x' }, { ruleId: 'stale-ami', reason: 'y', expires: '2026-02-30' }] }));
    const out = join(dir, 'out');
    const r = await cli(['scan', '--config', cfg, '--endpoint-url', 'http://127.0.0.1:9', '--out', out]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l.startsWith(`ami-audit: ${cfg}: `)).toBe(true);
    const paths = lines.map((l) => l.slice(`ami-audit: ${cfg}: `.length).split(': ')[0]).sort();
    expect(paths).toEqual(['colour', 'pageSize', 'regions[0]', 'waivers[0].expires', 'waivers[1].expires']);
    expect(r.stderr).not.toMatch(/more problem/);
    expect(() => readdirSync(out)).toThrow();
  });
  test('at most 20, then how many more', async () => {
    const cfg = join(tmp(), 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ regions: Array.from({ length: 25 }, (_, i) => `bad-${i}`) }));
    const r = await cli(['scan', '--config', cfg, '--endpoint-url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toMatch(new RegExp(`^ami-audit: ${cfg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: regions\\[0\\]: `));
    expect(lines[19]).toContain('regions[19]');
    expect(lines[20]).toBe(`ami-audit: ${cfg}: and 5 more problems`);
  });
});

describe('values that start with "-"', () => {
  test('taken for an option: the hint says how to give it', async () => {
    expect(await usage(['scan', '--role-session-name', '-x1234'])).toEqual(['ami-audit: --role-session-name needs a value', 'If -x1234 is its value, write --role-session-name=-x1234.', scanHelp]);
    // an external id is a secret: not quoted back
    const lines = await usage(['scan', '--external-id', '-secret-xid']);
    expect(lines.join('\n')).not.toContain('secret-xid');
    expect(lines).toEqual(['ami-audit: --external-id needs a value', 'If its value starts with "-", write --external-id=<value>.', scanHelp]);
  });
  test('no guess for a one-letter option', async () => {
    expect(await usage(['scan', '-x'])).toEqual(['ami-audit: unknown option -x', scanHelp]);
  });
});
