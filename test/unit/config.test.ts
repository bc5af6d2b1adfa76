import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { checkConfig, parseJsonText, settingsFrom } from '../../src/config/config.js';
import { CONFIG_SCHEMA_PATH } from '../../src/paths.js';
import { configSchema } from '../../src/schema/config.js';
import { ConfigError } from '../../src/model/errors.js';
import { prng } from '../../src/emulator/generate.js';

const example = () => JSON.parse(readFileSync(new URL('../../config.example.json', import.meta.url), 'utf8'));
const err = (doc: unknown): string => {
  try {
    checkConfig('cfg.json', doc);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a config error');
};

describe('config', () => {
  test('a misspelt field in a rule\'s settings gets "did you mean", not the list of severities', () => {
    expect(err({ rules: { 'deprecated-ami': { severty: 'high' } } })).toContain('rules.deprecated-ami.severty: unknown field; did you mean "severity"?');
    expect(err({ rules: { 'deprecation-soon': { deprecationWindowDay: 10 } } })).toMatch(/rules\.deprecation-soon\.deprecationWindowDay: unknown field; did you mean "deprecationWindowDays"\?/);
    // a string that is no severity still lists the severities
    expect(err({ rules: { 'deprecated-ami': 'hihg' } })).toMatch(/rules\.deprecated-ami: expected one of "info"/);
  });
  test('config.example.json is valid and covers every field of the schema', () => {
    const doc = example();
    expect(() => checkConfig('config.example.json', doc)).not.toThrow();
    for (const key of Object.keys(configSchema.properties)) expect(Object.keys(doc)).toContain(key);
    const waiverFields = new Set(doc.waivers.flatMap((w: object) => Object.keys(w)));
    for (const key of Object.keys(configSchema.properties.waivers.items.properties)) if (key !== 'id' || waiverFields.has('id')) expect(waiverFields).toContain(key);
  });
  test('the published schema file is the one the code holds', () => {
    expect(JSON.parse(readFileSync(new URL('../../docs/schema/config.schema.json', import.meta.url), 'utf8'))).toEqual(JSON.parse(JSON.stringify(configSchema)));
  });
  test.each([
    [{ waivers: [{ ruleId: 'stale-ami', reason: 'x' }] }, 'cfg.json: waivers[0].expires: required field is missing'],
    [{ waivers: [{ ruleId: 'stale-ami', reason: 'x', expires: '2026-02-30' }] }, 'cfg.json: waivers[0].expires: "2026-02-30" is not a real date'],
    [{ waivers: [{ ruleId: 'stale-ami', reason: 'x', expires: 'soon' }] }, 'cfg.json: waivers[0].expires:'],
    [{ waivers: [{ reason: 'x', expires: '2027-01-01' }] }, 'waivers[0]: a waiver must match on at least one of'],
    [{ waivers: [{ ruleId: 'no-such-rule', reason: 'x', expires: '2027-01-01' }] }, 'waivers[0].ruleId: expected one of'],
    [{ rules: { 'no-such-rule': { severity: 'high' } } }, 'rules.no-such-rule: unknown rule id "no-such-rule"'],
    [{ rules: { 'stale-ami': { severity: 'urgent' } } }, 'rules.stale-ami.severity: expected one of'],
    [{ rules: { 'stale-ami': 'urgent' } }, 'rules.stale-ami: expected one of'],
    [{ rules: { 'stale-ami': { maxAmiAgeDays: 0 } } }, 'rules.stale-ami.maxAmiAgeDays: must be >= 1'],
    [{ trustedAccounts: ['12345'] }, 'trustedAccounts[0]: must match pattern'],
    [{ accounts: ['1234567890123'] }, 'accounts[0]'],
    [{ regions: ['US-EAST-1'] }, 'regions[0]: must match pattern'],
    [{ durationSeconds: 60 }, 'durationSeconds: must be >= 900'],
    [{ pageSize: 5000 }, 'pageSize: must be <= 1000'],
    [{ colour: 'red' }, 'colour: unknown field'],
    [[], '(root): must be object'],
  ])('%j -> %s', (doc, expected) => {
    expect(err(doc)).toContain(expected);
  });
  test('invalid JSON is reported with line and column', () => {
    expect(() => parseJsonText('cfg.json', '{\n  "a": 1,\n  "b": \n}')).toThrow(/cfg\.json: .*invalid JSON at line 4, column 1/);
    expect(() => parseJsonText('cfg.json', '{"a": ')).toThrow(/line 1, column \d+/);
  });
  test('a severity alone is shorthand for a rule\'s settings', () => {
    expect(settingsFrom(checkConfig('c.json', { rules: { 'stale-ami': 'off', 'deprecated-ami': 'critical' } })).rules).toEqual({ 'stale-ami': { severity: 'off' }, 'deprecated-ami': { severity: 'critical' } });
  });
  test('settings: defaults and overrides', () => {
    const s = settingsFrom({});
    expect(s.trustedOwnerAliases).toEqual(['amazon', 'aws-marketplace']);
    expect(settingsFrom({ deprecationWindowDays: 10 }).options.deprecationWindowDays).toBe(10);
    expect(settingsFrom({ waivers: [{ ruleId: 'stale-ami', reason: 'r', expires: '2027-01-01' }] }).waivers[0]!.id).toMatch(/^w-[0-9a-f]{10}$/);
  });
  test('garbage never crashes the loader: every input gives a ConfigError or a config', () => {
    const rand = prng(42);
    const pieces = ['{', '}', '[', ']', '"waivers"', '"rules"', ':', ',', '"x"', '1', 'null', 'true', '"2026-02-30"', '"expires"', '"ruleId"', '\u0000', '"\\u0000"', ' ', '\n'];
    let errors = 0;
    for (let n = 0; n < 500; n++) {
      const text = Array.from({ length: 1 + Math.floor(rand() * 30) }, () => pieces[Math.floor(rand() * pieces.length)]).join('');
      try {
        checkConfig('fuzz.json', parseJsonText('fuzz.json', text));
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        // one problem a line, each naming the file
        for (const line of (e as Error).message.split('\n')) expect(line).toMatch(/^fuzz\.json: \S/);
        errors += 1;
      }
    }
    expect(errors).toBeGreaterThan(400);
  });
});

describe('every problem of a config', () => {
  test('listed one a line as <file>: <path>: <what>, in the document\'s order', () => {
    const lines = err({ regions: ['US-EAST-1', 'us-east-1', 'eu-west'], pageSize: 5000, colour: 'red', waivers: [{ ruleId: 'stale-ami', reason: 'x' }] }).split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^cfg\.json: regions\[0\]: must match pattern "[^"]+" \(.*region/),
      expect.stringMatching(/^cfg\.json: regions\[2\]: must match pattern/),
      'cfg.json: pageSize: must be <= 1000',
      `cfg.json: colour: unknown field; every field is described in the JSON Schema ${CONFIG_SCHEMA_PATH}`,
      'cfg.json: waivers[0].expires: required field is missing',
    ]);
  });
  test('a value that fits no branch of a oneOf is one problem, the most specific', () => {
    expect(err({ accounts: ['1234567890123', { accountId: '123456789012', roleArn: 'x' }] }).split('\n')).toEqual([
      expect.stringMatching(/^cfg\.json: accounts\[0\]: must match pattern .*account id/),
      expect.stringMatching(/^cfg\.json: accounts\[1\]\.roleArn: must match pattern/),
    ]);
    expect(err({ rules: { 'stale-ami': { severity: 'urgent' }, 'deprecated-ami': 'urgent' } }).split('\n')).toEqual([
      expect.stringMatching(/^cfg\.json: rules\.(stale-ami\.severity|deprecated-ami): expected one of/),
      expect.stringMatching(/^cfg\.json: rules\.(stale-ami\.severity|deprecated-ami): expected one of/),
    ]);
  });
  test('the checks beyond the schema are listed with the schema\'s', () => {
    const lines = err({
      pageSize: 0,
      accounts: [{ accountId: '222222222222', roleArn: 'arn:aws:iam::333333333333:role/R' }],
      waivers: [{ id: 'a', ruleId: 'stale-ami', reason: 'x', expires: '2026-02-30' }, { id: 'a', ruleId: 'stale-ami', reason: 'y', expires: '2027-01-01' }],
    }).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines).toContain('cfg.json: pageSize: must be >= 1');
    expect(lines.some((l) => l.startsWith('cfg.json: accounts[0].roleArn: the role belongs to account 333333333333'))).toBe(true);
    expect(lines.some((l) => l.startsWith('cfg.json: waivers[0].expires: "2026-02-30" is not a real date'))).toBe(true);
    expect(lines).toContain('cfg.json: waivers[1].id: duplicate waiver id "a"');
  });
  test('at most 20 problems, then how many more', () => {
    const lines = err({ regions: Array.from({ length: 23 }, (_, i) => `bad-${i}`), pageSize: 0 }).split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe('cfg.json: and 4 more problems');
    const one = err({ regions: Array.from({ length: 21 }, (_, i) => `bad-${i}`) }).split('\n');
    expect(one).toHaveLength(21);
    expect(one[20]).toBe('cfg.json: and 1 more problem');
  });
  test('no "(and N more)" summaries any more', () => {
    expect(err({ regions: ['x', 'y'], pageSize: 0 })).not.toMatch(/and \d+ more/);
  });
});

describe('accounts in the config (cases 2 and 26)', () => {
  test('a role ARN of another account than the one it is listed for is refused, naming the JSON path and the fix', () => {
    expect(err({ accounts: [{ accountId: '222222222222', roleArn: 'arn:aws:iam::333333333333:role/R' }] })).toBe(
      'cfg.json: accounts[0].roleArn: the role belongs to account 333333333333, not to 222222222222 it is listed for; give a role in 222222222222 (arn:aws:iam::222222222222:role/NAME), or list it under "accountId": "333333333333"',
    );
    expect(() => checkConfig('cfg.json', { accounts: [{ accountId: '222222222222', roleArn: 'arn:aws-us-gov:iam::222222222222:role/path/R' }] })).not.toThrow();
  });
  test('the same account twice with different settings is refused, naming both entries', () => {
    expect(err({ accounts: ['111111111111', { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/A' }, { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/B' }] }))
      .toBe('cfg.json: accounts[2]: account 222222222222 is listed twice with different settings (also at accounts[1]); keep one entry for it');
    expect(err({ accounts: ['222222222222', { accountId: '222222222222', externalId: 'xyz-secret' }] })).toContain('accounts[1]: account 222222222222 is listed twice');
    expect(err({ accounts: ['222222222222', { accountId: '222222222222', externalId: 'xyz-secret' }] })).not.toContain('xyz-secret');
  });
  test('the same account twice, identical, is listed once', () => {
    const cfg = checkConfig('cfg.json', { accounts: ['111111111111', { accountId: '111111111111' }, { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/A' }, { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/A' }] });
    expect(cfg.accounts).toEqual(['111111111111', { accountId: '222222222222', roleArn: 'arn:aws:iam::222222222222:role/A' }]);
  });
});

describe('severity per state', () => {
  test('severityByState reaches the engine; an unknown state is a config error naming the path', () => {
    const cfg = checkConfig('cfg.json', { rules: { 'not-allowed-ami': { severity: 'critical', severityByState: { 'audit-mode': 'high' } } } });
    expect(settingsFrom(cfg, {}).rules['not-allowed-ami']).toEqual({ severity: 'critical', severityByState: { 'audit-mode': 'high' } });
    expect(err({ rules: { 'not-allowed-ami': { severityByState: { enforcing: 'high' } } } })).toContain('rules.not-allowed-ami');
    expect(err({ rules: { 'deprecated-ami': { severityByState: { enabled: 'high' } } } })).toContain('rules.deprecated-ami');
  });
});
