/**
 * The options table: every flag and config key comes from one row, and the flag's check and the
 * config schema's fragment agree.
 */
import { describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import { COMMANDS, OPTIONS, flagsOf, readFlags, type OptionRow, setting } from '../../src/config/options.js';
import { configSchema } from '../../src/schema/config.js';
import { cli } from '../helpers/cli.js';
import { UserError } from '../../src/model/errors.js';

const rows = Object.entries(OPTIONS) as [string, OptionRow<unknown>][];
/** The schema fragment at a dotted config path (organization.ous: inside the object branch). */
function schemaAt(path: string): Record<string, unknown> | undefined {
  let node: Record<string, unknown> | undefined = configSchema as unknown as Record<string, unknown>;
  for (const key of path.split('.')) {
    const props: Record<string, unknown> | undefined = (node?.properties as Record<string, unknown> | undefined)
      ?? ((node?.oneOf as Record<string, unknown>[] | undefined)?.find((b) => b.type === 'object')?.properties as Record<string, unknown> | undefined);
    node = props?.[key] as Record<string, unknown> | undefined;
  }
  return node;
}

describe('the options table', () => {
  test('every flag of every command\'s help is a row of the table, and every row of a command is in its help', async () => {
    for (const c of COMMANDS) {
      const help = (await cli([c, '--help'])).stdout;
      const shown = new Set([...help.matchAll(/^ +(?:-\w, )?--([a-z][a-z-]*)/gm)].map((m) => m[1]!));
      shown.delete('help');
      shown.delete('version');
      expect([...shown].sort()).toEqual(flagsOf(c).map((r) => r.flag).sort());
    }
  });
  test('a flag is one row per command', () => {
    for (const c of COMMANDS) {
      const flags = flagsOf(c).map((r) => r.flag);
      expect(new Set(flags).size).toBe(flags.length);
    }
  });
  test('every config key of the schema is a row, or one of the structured parts; every row\'s key is in the schema', () => {
    const structured = ['$schema', 'accounts', 'organization', 'rules', 'waivers', 'report'];
    const fromTable = rows.map(([, r]) => r.config).filter((k): k is string => k !== undefined);
    for (const key of Object.keys(configSchema.properties)) {
      if (!structured.includes(key)) expect(fromTable).toContain(key);
    }
    for (const key of fromTable) expect(schemaAt(key)).toBeDefined();
    // the leaves inside the structured parts come from the table too
    for (const key of ['organization.ous', 'organization.includeAccounts', 'organization.excludeAccounts', 'report.tagColumns']) expect(fromTable).toContain(key);
  });
  test('every row has help; every config key a description', () => {
    for (const [id, r] of rows) {
      expect(`${id}: ${r.help.length > 10}`).toBe(`${id}: true`);
      if (r.config) expect(typeof schemaAt(r.config)!.description).toBe('string');
    }
  });
  test('for a whole-number option, the flag and the config accept the same range', () => {
    const ajv = new Ajv({ strict: false });
    let checked = 0;
    for (const [id, r] of rows) {
      const s = r.config ? schemaAt(r.config) : undefined;
      if (!r.flag || !s || s.type !== 'integer') continue;
      const validate = ajv.compile(s);
      const c = r.commands[0]!;
      const key = r.flag.replace(/-([a-z])/g, (_, x: string) => x.toUpperCase());
      for (const n of [s.minimum as number, (s.minimum as number) - 1, (s.maximum as number | undefined) ?? 10 ** 6, ((s.maximum as number | undefined) ?? 10 ** 6) + 1]) {
        let flagOk = true;
        try {
          readFlags(c, { [key]: String(n) });
        } catch (e) {
          expect(e).toBeInstanceOf(UserError);
          flagOk = false;
        }
        expect(`${id} ${n} ${flagOk}`).toBe(`${id} ${n} ${validate(n)}`);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });
  test('for a pattern option, the flag and the config accept the same values', () => {
    const ajv = new Ajv({ strict: false });
    const samples: Record<string, string[]> = {
      roleName: ['AmiAuditReadOnly', 'arn:aws:iam::1:role/x', 'a'.repeat(65)],
      roleSessionName: ['ami-audit', 'x', 'a b'],
      regions: ['us-east-1', 'US-EAST-1', 'mars-north-1a'],
      accounts: ['123456789012', '12345'],
      ou: ['ou-ab12-cd34ef56', 'ou-x'],
    };
    for (const [id, values] of Object.entries(samples)) {
      const r = OPTIONS[id as keyof typeof OPTIONS] as OptionRow<unknown>;
      let s = schemaAt(r.config!)!;
      if (s.type === 'array') s = s.items as Record<string, unknown>;
      if (s.oneOf) s = (s.oneOf as Record<string, unknown>[])[0]!;
      const validate = ajv.compile(s);
      const key = r.flag!.replace(/-([a-z])/g, (_, x: string) => x.toUpperCase());
      for (const v of values) {
        let flagOk = true;
        try {
          readFlags(r.commands[0]!, { [key]: r.kind.yargs.array ? [v] : v });
        } catch {
          flagOk = false;
        }
        expect(`${id} ${v} ${flagOk}`).toBe(`${id} ${v} ${validate(v)}`);
      }
    }
  });
  test('the config schema\'s fragment of a row is the row\'s', () => {
    expect(configSchema.properties.maxAttempts).toEqual({ type: 'integer', minimum: 1, maximum: 30, description: expect.any(String) });
    expect(configSchema.properties.retryMode).toEqual({ enum: ['standard', 'adaptive'], description: expect.any(String) });
    expect(configSchema.properties.allRegions).toEqual({ type: 'boolean', description: expect.any(String) });
  });
});

describe('account lists (issue 23, item 16)', () => {
  test.each([
    ['--exclude-accounts', ''],
    ['--include-accounts', ' '],
    ['--accounts', '111111111111,,222222222222'],
    ['--accounts', '111111111111,'],
  ])('%s %j: an empty account id is a usage error (exit 2), never an empty list that narrows nothing', async (flag, value) => {
    const r = await cli(['scan', '--org', '--region', 'us-east-1', flag, value, '--endpoint-url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ami-audit: ${flag}: an empty account id`);
    expect(r.stderr.split('\n').filter(Boolean)[0]).not.toMatch(/unexpected/);
  });
  test('the same in the config: an empty id in organization.excludeAccounts is refused by the schema', () => {
    const s = schemaAt('organization.excludeAccounts')!;
    expect(new Ajv().compile(s)([''])).toBe(false);
  });
});

describe('one flag = one row: setting()', () => {
  test('the flag wins, then the config key the row names, then the row\'s fallback', () => {
    expect(setting('concurrency', { concurrency: 5 }, { concurrency: 9 })).toBe(5);
    expect(setting('concurrency', {}, { concurrency: 9 })).toBe(9);
    expect(setting('concurrency', {}, {})).toBe(64);
    expect(setting('retryMode', {}, {})).toBe('standard');
    expect(setting('roleName', {}, {})).toBeUndefined();
    expect(setting('roleName', {}, { roleName: 'Audit' })).toBe('Audit');
    // false given on the command line is a value, not "unset"
    expect(setting('allRegions', { allRegions: false }, { allRegions: true })).toBe(false);
  });
});
