import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { readFileSync, existsSync } from 'node:fs';
import { evaluate, DEFAULT_SETTINGS, type EvalSettings } from '../../src/rules/engine.js';
import { RULES, RULE_IDS } from '../../src/rules/registry.js';
import type { AllowedImagesState, CoverageEntry, InstanceRecord } from '../../src/model/types.js';
import { emptyCoverage } from '../../src/report/coverage.js';
import { record } from '../helpers/records.js';

const AS_OF = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });

function run(rec: InstanceRecord, opts: { settings?: Partial<EvalSettings>; allowed?: AllowedImagesState; asOf?: DateTime } = {}) {
  const cov: CoverageEntry[] = [{ ...emptyCoverage(rec.accountId, rec.region), allowedImagesState: opts.allowed ?? 'disabled' }];
  return evaluate([rec], cov, { ...DEFAULT_SETTINGS, ...opts.settings }, opts.asOf ?? AS_OF).findings;
}
const ids = (rec: InstanceRecord, o?: Parameters<typeof run>[1]) => run(rec, o).map((f) => f.ruleId).sort();

describe('a healthy instance', () => {
  test('has no findings', () => {
    expect(run(record())).toEqual([]);
  });
});

describe('deprecated-ami and deprecation-soon boundaries', () => {
  const cases: [string, string, string[]][] = [
    ['exactly at as-of', '2026-11-26T00:00:00Z', ['deprecated-ami']],
    ['one second before as-of', '2026-11-25T23:59:59Z', ['deprecated-ami']],
    ['one second after as-of', '2026-11-26T00:00:01Z', ['deprecation-soon']],
    ['with milliseconds, before', '2026-11-25T23:59:59.999Z', ['deprecated-ami']],
    ['exactly at the window edge (30 days)', '2026-12-26T00:00:00Z', ['deprecation-soon']],
    ['one second past the window', '2026-12-26T00:00:01Z', []],
    ['far in the future', '2030-01-01T00:00:00Z', []],
    ['with an offset', '2026-11-26T01:00:00+02:00', ['deprecated-ami']],
  ];
  test.each(cases)('%s', (_name, when, expected) => {
    expect(ids(record({ DeprecationTime: when }))).toEqual(expected);
  });
  test('no DeprecationTime is not a deprecation', () => {
    expect(ids(record({ DeprecationTime: undefined }))).toEqual([]);
  });
  test('the window is configurable per rule and globally', () => {
    const rec = record({ DeprecationTime: '2027-01-20T00:00:00Z' });
    expect(ids(rec)).toEqual([]);
    expect(ids(rec, { settings: { rules: { 'deprecation-soon': { deprecationWindowDays: 60 } } } })).toEqual(['deprecation-soon']);
    expect(ids(rec, { settings: { options: { deprecationWindowDays: 60 } } })).toEqual(['deprecation-soon']);
  });
  test('messages carry the dates', () => {
    const [f] = run(record({ DeprecationTime: '2025-01-25T17:20:40Z' }));
    expect(f!.message).toContain('2025-01-25T17:20:40Z');
    expect(f!.message).toContain('669 days');
    expect(f!.severity).toBe('high');
  });
  test('a garbage date is reported as unverifiable, not a crash', () => {
    const f = run(record({ DeprecationTime: 'next tuesday' }));
    expect(f.map((x) => x.ruleId)).toEqual(['unverifiable-ami']);
    expect(f[0]!.message).toContain('next tuesday');
  });
});

describe('image state rules', () => {
  test.each([
    ['deregistered', ['deregistered-ami']],
    ['disabled', ['disabled-ami']],
    ['failed', ['unverifiable-ami']],
    ['error', ['unverifiable-ami']],
    ['invalid', ['unverifiable-ami']],
    ['available', []],
    ['pending', []],
  ])('State %s', (state, expected) => {
    expect(ids(record({ State: state }))).toEqual(expected);
  });
  test('an absent State is not healthy', () => {
    expect(ids(record({ State: undefined }))).toEqual(['unverifiable-ami']);
  });
});

describe('unverifiable-ami', () => {
  test('no ImageMetadata at all', () => {
    expect(ids(record(null))).toEqual(['unverifiable-ami']);
  });
  test('only ImageId present: one finding, the other rules defer', () => {
    const rec = record();
    rec.ImageMetadata = { ImageId: 'ami-0123456789abcdef0' };
    const f = run(rec);
    expect(f.map((x) => x.ruleId)).toEqual(['unverifiable-ami']);
    expect(f[0]!.imageId).toBe('ami-0123456789abcdef0');
  });
  test('garbage CreationDate', () => {
    expect(ids(record({ CreationDate: '2026-13-45' }))).toEqual(['unverifiable-ami']);
  });
});

describe('non-public-ami', () => {
  test('private AMI of a foreign, untrusted account', () => {
    expect(ids(record({ OwnerId: '999988887777', ImageOwnerAlias: undefined, IsPublic: false }))).toEqual(['non-public-ami', 'untrusted-owner']);
  });
  test('private AMI of a trusted account', () => {
    expect(ids(record({ OwnerId: '999988887777', ImageOwnerAlias: undefined, IsPublic: false }), { settings: { trustedAccounts: ['999988887777'] } })).toEqual([]);
  });
  test('private AMI of the instance\'s own account', () => {
    expect(ids(record({ OwnerId: '123412341234', ImageOwnerAlias: undefined, IsPublic: false }))).toEqual([]);
  });
  test('IsPublic absent on a foreign AMI counts as not public', () => {
    const f = run(record({ OwnerId: '999988887777', ImageOwnerAlias: undefined, IsPublic: undefined }), { settings: { trustedAccounts: [] } });
    expect(f.map((x) => x.ruleId)).toContain('non-public-ami');
  });
  test('public AMI is not flagged', () => {
    expect(ids(record({ IsPublic: true }))).toEqual([]);
  });
});

describe('not-allowed-ami', () => {
  const rec = record({ ImageAllowed: false });
  test.each([
    ['enabled', 'high', 'enabled'],
    ['audit-mode', 'medium', 'audit-mode'],
    ['unknown', 'medium', 'could not be read'],
    ['disabled', 'medium', 'disabled'],
  ] as const)('under %s', (state, severity, words) => {
    const [f] = run(rec, { allowed: state });
    expect(f!.ruleId).toBe('not-allowed-ami');
    expect(f!.severity).toBe(severity);
    expect(f!.message).toContain(words);
  });
  test('ImageAllowed true or absent is not flagged', () => {
    expect(ids(record({ ImageAllowed: true }), { allowed: 'enabled' })).toEqual([]);
    expect(ids(record({ ImageAllowed: undefined }), { allowed: 'enabled' })).toEqual([]);
  });
});

describe('untrusted-owner', () => {
  test('community AMI from an unknown account', () => {
    const [f] = run(record({ OwnerId: '987654321098', ImageOwnerAlias: undefined }));
    expect(f!.ruleId).toBe('untrusted-owner');
    expect(f!.message).toContain('987654321098');
  });
  test('trusted aliases by default: amazon and aws-marketplace', () => {
    expect(ids(record({ OwnerId: '111122223333', ImageOwnerAlias: 'aws-marketplace' }))).toEqual([]);
    expect(ids(record({ OwnerId: '111122223333', ImageOwnerAlias: 'aws-backup-vault' }))).toEqual(['untrusted-owner']);
  });
  test('trustedOwnerAliases replaces the default', () => {
    expect(ids(record({ OwnerId: '111122223333', ImageOwnerAlias: 'amazon' }), { settings: { trustedOwnerAliases: [] } })).toEqual(['untrusted-owner']);
  });
  test('a 12-digit ImageOwnerAlias is an owner id, not an alias', () => {
    expect(ids(record({ OwnerId: undefined, ImageOwnerAlias: '987654321098' }))).toEqual(['untrusted-owner']);
    expect(ids(record({ OwnerId: undefined, ImageOwnerAlias: '987654321098' }), { settings: { trustedAccounts: ['987654321098'] } })).toEqual([]);
    expect(ids(record({ OwnerId: undefined, ImageOwnerAlias: '123412341234' }))).toEqual([]);
  });
  test('owner not reported at all is not trusted', () => {
    expect(ids(record({ OwnerId: undefined, ImageOwnerAlias: undefined }))).toEqual(['untrusted-owner']);
  });
  test('own account is trusted', () => {
    expect(ids(record({ OwnerId: '123412341234', ImageOwnerAlias: undefined }))).toEqual([]);
  });
});

describe('stale-ami', () => {
  test.each([
    ['366 days old', '2025-11-25T00:00:00Z', ['stale-ami']],
    ['exactly 365 days old', '2025-11-26T00:00:00Z', []],
    ['one second past 365 days', '2025-11-25T23:59:59Z', ['stale-ami']],
    ['new', '2026-11-01T00:00:00Z', []],
  ])('%s', (_n, created, expected) => {
    expect(ids(record({ CreationDate: created }))).toEqual(expected);
  });
  test('maxAmiAgeDays is configurable', () => {
    expect(ids(record({ CreationDate: '2026-01-01T00:00:00Z' }), { settings: { options: { maxAmiAgeDays: 100 } } })).toEqual(['stale-ami']);
  });
  test('missing CreationDate is not a pass', () => {
    expect(ids(record({ CreationDate: undefined }))).toEqual(['stale-ami']);
  });
});

describe('terminated and shutting-down instances', () => {
  const gone = (name: string) => record({ State: 'deregistered' }, { State: { Code: 48, Name: name } });
  test.each(['terminated', 'shutting-down'])('%s produce no findings but are counted', (name) => {
    const ev = evaluate([gone(name)], [], DEFAULT_SETTINGS, AS_OF);
    expect(ev.findings).toEqual([]);
    expect(ev.instancesTerminatedSkipped).toBe(1);
  });
  test('includeTerminated evaluates them', () => {
    expect(evaluate([gone('terminated')], [], { ...DEFAULT_SETTINGS, includeTerminated: true }, AS_OF).findings.map((f) => f.ruleId)).toEqual(['deregistered-ami']);
  });
});

describe('severity overrides', () => {
  test('a rule can be switched off or re-graded', () => {
    const rec = record({ CreationDate: '2020-01-01T00:00:00Z' });
    expect(run(rec, { settings: { rules: { 'stale-ami': { severity: 'off' } } } })).toEqual([]);
    expect(run(rec, { settings: { rules: { 'stale-ami': { severity: 'high' } } } })[0]!.severity).toBe('high');
  });
});

describe('finding ids', () => {
  test('are stable and depend on rule, account, region, instance and image', () => {
    const a = run(record({ State: 'deregistered' }))[0]!;
    const b = run(record({ State: 'deregistered' }, { Tags: [] }))[0]!;
    expect(a.id).toBe(b.id);
    expect(a.id).toMatch(/^[0-9a-f]{20}$/);
    const c = run(record({ State: 'deregistered' }, { region: 'eu-west-1' }))[0]!;
    expect(c.id).not.toBe(a.id);
  });
});

describe('determinism', () => {
  test('the same input gives byte-identical findings', () => {
    const recs = [record({ State: 'disabled' }), record({ DeprecationTime: '2020-01-01T00:00:00Z' }, { InstanceId: 'i-00000000000000001' })];
    const one = JSON.stringify(evaluate(recs, [], DEFAULT_SETTINGS, AS_OF));
    const two = JSON.stringify(evaluate([...recs].reverse(), [], DEFAULT_SETTINGS, AS_OF));
    expect(two).toBe(one);
  });
});

describe('rule registry', () => {
  test('ids are unique and every rule has docs and a test here', () => {
    expect(new Set(RULE_IDS).size).toBe(RULES.length);
    const thisFile = readFileSync(new URL(import.meta.url), 'utf8');
    for (const r of RULES) {
      expect(existsSync(new URL(`../../docs/rules/${r.meta.id}.md`, import.meta.url))).toBe(true);
      expect(thisFile).toContain(`'${r.meta.id}'`);
      expect(r.meta.remediation.length).toBeGreaterThan(20);
      const doc = readFileSync(new URL(`../../docs/rules/${r.meta.id}.md`, import.meta.url), 'utf8');
      expect(doc).toContain(r.meta.severity);
    }
  });
  test('the public rule ids', () => {
    expect([...RULE_IDS].sort()).toEqual(['deprecated-ami', 'deprecation-soon', 'deregistered-ami', 'disabled-ami', 'non-public-ami', 'not-allowed-ami', 'stale-ami', 'untrusted-owner', 'unverifiable-ami']);
  });
});
