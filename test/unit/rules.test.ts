import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { readFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { evaluate, checkUniqueIds, DEFAULT_SETTINGS, type EvalSettings } from '../../src/rules/engine.js';
import type { Finding, WaiverSpec } from '../../src/model/types.js';
import { inventoryFromInputs } from '../../src/report/input.js';
import { buildReport } from '../../src/report/build.js';
import { RULES, RULE_IDS } from '../../src/rules/registry.js';
import type { AllowedImagesState, CoverageEntry, InstanceRecord } from '../../src/model/types.js';
import { ok as okScope } from '../../src/model/coverage.js';
import { record } from '../helpers/records.js';

const AS_OF = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });

function run(rec: InstanceRecord, opts: { settings?: Partial<EvalSettings>; allowed?: AllowedImagesState; asOf?: DateTime } = {}) {
  const cov: CoverageEntry[] = [{ ...okScope(rec.accountId, rec.region), allowedImagesState: opts.allowed ?? 'disabled' }];
  return evaluate([rec], cov, { ...DEFAULT_SETTINGS, ...opts.settings }, (opts.asOf ?? AS_OF).toMillis()).findings;
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
    expect(f!.message).toBe('Deprecated on 2025-01-25T17:20:40Z (669 days ago).');
    expect(f!.severity).toBe('high');
    // the start of a day (UTC) is said as the day; under a day is said so, never "0 days"
    expect(run(record({ DeprecationTime: '2026-09-17T00:00:00Z' }))[0]!.message).toBe('Deprecated on 2026-09-17 (70 days ago).');
    expect(run(record({ DeprecationTime: '2026-11-25T23:59:59Z' }))[0]!.message).toBe('Deprecated on 2026-11-25T23:59:59Z (less than a day ago).');
    expect(run(record({ DeprecationTime: '2026-12-08' }))[0]!.message).toBe('Will be deprecated on 2026-12-08 (in 12 days).');
    expect(run(record({ CreationDate: '2024-12-31T00:00:00Z', DeprecationTime: undefined }))[0]!.message).toBe('Created on 2024-12-31 (695 days ago).');
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
    const ev = evaluate([gone(name)], [], DEFAULT_SETTINGS, AS_OF.toMillis());
    expect(ev.findings).toEqual([]);
    expect(ev.instancesTerminatedSkipped).toBe(1);
  });
  test('includeTerminated evaluates them', () => {
    expect(evaluate([gone('terminated')], [], { ...DEFAULT_SETTINGS, includeTerminated: true }, AS_OF.toMillis()).findings.map((f) => f.ruleId)).toEqual(['deregistered-ami']);
  });
});

describe('severity overrides', () => {
  test('a rule can be switched off or re-graded', () => {
    const rec = record({ CreationDate: '2020-01-01T00:00:00Z' });
    expect(run(rec, { settings: { rules: { 'stale-ami': { severity: 'off' } } } })).toEqual([]);
    expect(run(rec, { settings: { rules: { 'stale-ami': { severity: 'high' } } } })[0]!.severity).toBe('high');
  });
  const notAllowed = record({ ImageAllowed: false });
  const sev = (allowed: AllowedImagesState, rules: EvalSettings['rules']) => run(notAllowed, { allowed, settings: { rules } })[0]!.severity;
  test('an override changes the base severity only: not-allowed-ami under audit-mode, disabled or unknown stays medium', () => {
    const rules = { 'not-allowed-ami': { severity: 'critical' as const } };
    expect(sev('enabled', rules)).toBe('critical');
    expect(sev('audit-mode', rules)).toBe('medium');
    expect(sev('disabled', rules)).toBe('medium');
    expect(sev('unknown', rules)).toBe('medium');
  });
  test('severityByState overrides a state-dependent severity by name', () => {
    const rules = { 'not-allowed-ami': { severity: 'critical' as const, severityByState: { 'audit-mode': 'high' as const, unknown: 'low' as const } } };
    expect(sev('enabled', rules)).toBe('critical');
    expect(sev('audit-mode', rules)).toBe('high');
    expect(sev('disabled', rules)).toBe('medium');
    expect(sev('unknown', rules)).toBe('low');
    expect(sev('enabled', { 'not-allowed-ami': { severityByState: { enabled: 'low' } } })).toBe('low');
    expect(run(notAllowed, { allowed: 'audit-mode', settings: { rules: { 'not-allowed-ami': { severity: 'off', severityByState: { 'audit-mode': 'high' } } } } })).toEqual([]);
  });
  test('the rule names its states for the config', () => {
    expect(RULES.find((r) => r.meta.id === 'not-allowed-ami')!.meta.severityStates).toEqual({ enabled: 'base', 'audit-mode': 'medium', disabled: 'medium', unknown: 'medium' });
  });
});

describe('a deregistered or disabled image: its state explains missing metadata', () => {
  const gone = { CreationDate: undefined, OwnerId: undefined, ImageOwnerAlias: undefined, IsPublic: undefined, Name: undefined, DeprecationTime: undefined };
  test.each(['deregistered', 'disabled'])('%s reports that, not also an unverifiable age or owner', (state) => {
    expect(ids(record({ ...gone, State: state }))).toEqual([`${state}-ami`]);
  });
  test('what the image does report still counts', () => {
    expect(ids(record({ ...gone, State: 'deregistered', OwnerId: '987654321098', IsPublic: false }))).toEqual(['deregistered-ami', 'non-public-ami', 'untrusted-owner']);
    expect(ids(record({ State: 'deregistered', CreationDate: '2020-01-01T00:00:00Z' }))).toEqual(['deregistered-ami', 'stale-ami']);
    expect(ids(record({ State: 'disabled', CreationDate: 'garbage' }))).toEqual(['disabled-ami', 'unverifiable-ami']);
  });
  test('an available image with the same gaps is still reported for each', () => {
    expect(ids(record({ ...gone, State: 'available' }))).toEqual(['stale-ami', 'untrusted-owner']);
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

describe('finding ids: one per (instance or record, rule, reason), stable, never shared', () => {
  const legacyId = (rule: string, acct: string, region: string, inst: string, image: string | null) =>
    createHash('sha256').update([rule, acct, region, inst, image ?? ''].join('\u0000')).digest('hex').slice(0, 20);
  test('a hit without a reason key keeps the id of earlier versions, so old baselines still match', () => {
    const [f] = run(record({ State: 'deregistered' }));
    expect(f!.id).toBe(legacyId('deregistered-ami', '123412341234', 'us-east-1', 'i-1234567890abcdef0', 'ami-0b752bf1df193a6c4'));
  });
  test('unverifiable-ami with three reasons gives three findings with three ids', () => {
    const f = run(record({ State: undefined, DeprecationTime: 'soon', CreationDate: '2026-13-45' }));
    expect(f.map((x) => x.ruleId)).toEqual(['unverifiable-ami', 'unverifiable-ami', 'unverifiable-ami']);
    expect(new Set(f.map((x) => x.id)).size).toBe(3);
    const text = f.map((x) => x.message).join(' ');
    for (const words of ['State not reported', 'DeprecationTime "soon"', 'CreationDate "2026-13-45"']) expect(text).toContain(words);
    // stable: the same record gives the same ids again, in any order of evaluation
    expect(run(record({ State: undefined, DeprecationTime: 'soon', CreationDate: '2026-13-45' })).map((x) => x.id)).toEqual(f.map((x) => x.id));
  });
  test('records without an InstanceId do not collapse into one', () => {
    const a = record({ State: 'deregistered' }, { InstanceId: undefined, InstanceType: 't3.micro' });
    const b = record({ State: 'deregistered' }, { InstanceId: undefined, InstanceType: 'm7i.large' });
    const one = evaluate([a, b], [], DEFAULT_SETTINGS, AS_OF.toMillis()).findings;
    expect(one).toHaveLength(2);
    expect(new Set(one.map((f) => f.id)).size).toBe(2);
    const two = evaluate([b, a], [], DEFAULT_SETTINGS, AS_OF.toMillis()).findings;
    expect(two.map((f) => f.id).sort()).toEqual(one.map((f) => f.id).sort());
    // two identical id-less records of one scope are two instances (an occurrence index tells them apart)
    const same = evaluate([a, { ...a }], [], DEFAULT_SETTINGS, AS_OF.toMillis()).findings;
    expect(same).toHaveLength(2);
    expect(new Set(same.map((f) => f.id)).size).toBe(2);
    expect(same.map((f) => f.instanceId).every((i) => i.startsWith('(unknown'))).toBe(true);
  });
  test('an AWS CLI dump of two instances without InstanceId gives two findings', () => {
    const item = (type: string) => ({ InstanceType: type, OwnerId: '123412341234', AvailabilityZone: 'us-east-1a', State: { Name: 'running' }, ImageMetadata: { ImageId: 'ami-1', State: 'deregistered', OwnerId: '123412341234', CreationDate: '2026-11-01T00:00:00Z', IsPublic: false } });
    const inv = inventoryFromInputs([{ file: 'dump.json', doc: { InstanceImageMetadata: [item('t3.micro'), item('t3.nano')] } }], '2026-11-26T00:00:00Z');
    const r = buildReport({ inventory: inv, settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 't' } });
    expect(r.findings.map((f) => f.ruleId)).toEqual(['deregistered-ami', 'deregistered-ami']);
    expect(new Set(r.findings.map((f) => f.id)).size).toBe(2);
  });
  test('an exact duplicate record (same account, region, InstanceId) is evaluated once, the first kept', () => {
    const first = record({ State: 'deregistered' });
    const again = record({ State: 'disabled' });
    const ev = evaluate([first, again], [], DEFAULT_SETTINGS, AS_OF.toMillis());
    expect(ev.findings.map((f) => f.ruleId)).toEqual(['deregistered-ami']);
    expect(ev.instancesEvaluated).toBe(1);
  });
  test('the engine refuses two findings with one id', () => {
    const [f] = run(record({ State: 'deregistered' }));
    expect(() => checkUniqueIds([f!, { ...f!, message: 'other' } as Finding])).toThrow(/share the id/);
    expect(() => checkUniqueIds(run(record({ State: undefined, DeprecationTime: 'x', CreationDate: 'y' })))).not.toThrow();
  });
});

describe('waivers at scale', () => {
  /** The plain reading of the waiver semantics: every waiver checked in order against every finding. */
  function reference(findings: Finding[], recs: Map<string, InstanceRecord>, waivers: WaiverSpec[], activeIds: Set<string>) {
    // one shape for every waiver, so the 80 million checks below stay cheap
    const ws = waivers.map((w) => {
      const eq = w.tag?.indexOf('=') ?? -1;
      return {
        id: w.id, rule: w.ruleId ?? null, acct: w.accountId ?? null, region: w.region ?? null, inst: w.instanceId ?? null, image: w.imageId ?? null,
        tagKey: w.tag === undefined ? null : eq < 0 ? w.tag : w.tag.slice(0, eq), tagValue: w.tag === undefined || eq < 0 ? null : w.tag.slice(eq + 1),
        active: activeIds.has(w.id), matched: 0,
      };
    });
    const out = new Map<string, { waiver: string | null; expired: string | null }>();
    for (const f of findings) {
      const tags = recs.get(f.instanceId)!.Tags ?? [];
      let waiver: string | null = null, expired: string | null = null;
      for (const w of ws) {
        if (w.rule !== null && w.rule !== f.ruleId) continue;
        if (w.acct !== null && w.acct !== f.accountId) continue;
        if (w.region !== null && w.region !== f.region) continue;
        if (w.inst !== null && w.inst !== f.instanceId) continue;
        if (w.image !== null && w.image !== f.imageId) continue;
        if (w.tagKey !== null && !tags.some((x) => x.Key === w.tagKey && (w.tagValue === null || x.Value === w.tagValue))) continue;
        w.matched += 1;
        if (w.active) waiver ??= w.id;
        else expired ??= w.id;
      }
      out.set(f.id, { waiver, expired: waiver ? null : expired });
    }
    return { matched: new Map(ws.map((w) => [w.id, w.matched])), out };
  }

  test('2,000 waivers over 40,000 findings: the same waivers, expired waivers and counts as checking each waiver in turn', () => {
    const accounts = ['111111111111', '222222222222', '333333333333', '444444444444'];
    const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
    const recs: InstanceRecord[] = [];
    for (let n = 0; n < 40_000; n++) {
      recs.push(record({ ImageId: `ami-${String(n % 500).padStart(17, '0')}`, State: 'deregistered' }, {
        accountId: accounts[n % 4]!, region: regions[n % 3]!, OwnerId: accounts[n % 4]!, InstanceId: `i-${String(n).padStart(17, '0')}`,
        Tags: [{ Key: 'Name', Value: `web-${n}` }, { Key: 'team', Value: `t${n % 40}` }, { Key: 'env', Value: n % 2 ? 'prod' : 'dev' }],
      }));
    }
    const waivers: WaiverSpec[] = [];
    for (let i = 0; i < 2_000; i++) {
      const base = { id: `w-${String(i).padStart(4, '0')}`, reason: 'test', expires: i % 7 === 0 ? '2026-01-01' : '2027-01-01' };
      switch (i % 10) {
        case 0: waivers.push({ ...base, instanceId: `i-${String(i * 19).padStart(17, '0')}` }); break;
        case 1: waivers.push({ ...base, imageId: `ami-${String(i % 600).padStart(17, '0')}`, accountId: accounts[i % 4] }); break;
        case 2: waivers.push({ ...base, tag: `team=t${i % 50}`, region: regions[i % 3] }); break;
        case 3: waivers.push({ ...base, tag: i % 3 ? 'env=prod' : 'env', ruleId: 'deregistered-ami', instanceId: `i-${String(i * 7).padStart(17, '0')}` }); break;
        case 4: waivers.push({ ...base, accountId: accounts[i % 4], region: regions[i % 3], imageId: `ami-${String(i).padStart(17, '0')}` }); break;
        case 5: waivers.push({ ...base, ruleId: i % 20 === 5 ? 'stale-ami' : 'deregistered-ami', tag: `Name=web-${i * 13}` }); break;
        case 6: waivers.push({ ...base, instanceId: `i-${String(i * 3).padStart(17, '0')}`, region: regions[(i + 1) % 3] }); break;
        case 7: waivers.push({ ...base, tag: `nokey${i}` }); break;
        case 8: waivers.push({ ...base, imageId: `ami-${String(i % 500).padStart(17, '0')}` }); break;
        default: waivers.push({ ...base, accountId: '999999999999' });
      }
    }
    waivers.push({ id: 'w-all', reason: 'matches every finding', expires: '2026-01-01' }, { id: 'w-account', reason: 'one account', expires: '2027-01-01', accountId: accounts[3] });
    const ev = evaluate(recs, [], { ...DEFAULT_SETTINGS, waivers }, AS_OF.toMillis());
    expect(ev.findings).toHaveLength(40_000);
    const active = new Set(ev.waivers.filter((w) => w.status === 'active').map((w) => w.id));
    expect(active.size).toBeGreaterThan(1_000);
    const ref = reference(ev.findings, new Map(recs.map((r) => [r.InstanceId!, r])), waivers, active);
    const got = new Map(ev.findings.map((f) => [f.id, { waiver: f.waiver?.id ?? null, expired: f.expiredWaiver?.id ?? null }]));
    expect(got).toEqual(ref.out);
    expect(new Map(ev.waivers.map((w) => [w.id, w.matchedFindings]))).toEqual(ref.matched);
    // the run exercises every path: waived, waived by a later waiver after an expired one, expired only, unmatched
    expect(ev.findings.filter((f) => f.waiver).length).toBeGreaterThan(10_000);
    expect(ev.findings.filter((f) => !f.waiver && f.expiredWaiver).length).toBeGreaterThan(100);
    expect(ev.waivers.filter((w) => w.matchedFindings === 0).length).toBeGreaterThan(100);
  });
});

describe('determinism', () => {
  test('the same input gives byte-identical findings', () => {
    const recs = [record({ State: 'disabled' }), record({ DeprecationTime: '2020-01-01T00:00:00Z' }, { InstanceId: 'i-00000000000000001' })];
    const one = JSON.stringify(evaluate(recs, [], DEFAULT_SETTINGS, AS_OF.toMillis()));
    const two = JSON.stringify(evaluate([...recs].reverse(), [], DEFAULT_SETTINGS, AS_OF.toMillis()));
    expect(two).toBe(one);
  });
});

describe('messages say what is specific to the finding', () => {
  const ID = 'ami-0b752bf1df193a6c4';
  const only = (rec: InstanceRecord, o?: Parameters<typeof run>[1]) => run(rec, o).map((f) => `${f.ruleId}: ${f.message}`).sort();
  test('one message per case, none repeating the image id or the as-of time (they are columns)', () => {
    const foreign = { OwnerId: '999988887777', ImageOwnerAlias: undefined };
    const cases: [string[], string[]][] = [
      [only(record({ DeprecationTime: '2026-09-17T00:00:00Z' })), ['deprecated-ami: Deprecated on 2026-09-17 (70 days ago).']],
      [only(record({ State: 'deregistered' })), ['deregistered-ami: Deregistered.']],
      [only(record({ State: 'disabled' })), ['disabled-ami: Disabled.']],
      [only(record({ ...foreign, IsPublic: false })), ['non-public-ami: Not public; owned by account 999988887777, which is not trusted.', 'untrusted-owner: Owner account 999988887777 is not trusted.']],
      [only(record({ ...foreign, IsPublic: undefined })), ['non-public-ami: Not reported as public; owned by account 999988887777, which is not trusted.', 'untrusted-owner: Owner account 999988887777 is not trusted.']],
      [only(record({ ImageAllowed: false }), { allowed: 'enabled' }), ['not-allowed-ami: Not allowed: Allowed AMIs is enabled in us-east-1, so it can no longer be launched.']],
      [only(record({ CreationDate: undefined })), ['stale-ami: CreationDate not reported; the age of the AMI cannot be verified.']],
      [only(record({ OwnerId: '111122223333', ImageOwnerAlias: 'aws-backup-vault' })), ['untrusted-owner: Owner account 111122223333 (alias aws-backup-vault) is not trusted.']],
      [only(record({ OwnerId: undefined, ImageOwnerAlias: 'someone' })), ['untrusted-owner: Owner alias someone is not trusted.']],
      [only(record({ OwnerId: undefined, ImageOwnerAlias: undefined })), ['untrusted-owner: Owner not reported; it cannot be shown to be trusted.']],
      [only(record(null)), ['unverifiable-ami: No ImageMetadata returned for this instance.']],
      [only(record({ State: 'failed' })), ['unverifiable-ami: State is failed.']],
      [only(record({ CreationDate: '2026-13-45' })), ['unverifiable-ami: CreationDate "2026-13-45" is not a date: expected an RFC 3339 date-time with a zone (e.g. 2026-11-26T12:00:00Z) or a date (YYYY-MM-DD).']],
    ];
    for (const [got, want] of cases) expect(got).toEqual(want);
    for (const [got] of cases) {
      for (const m of got) {
        expect(m).not.toContain(ID);
        expect(m).not.toContain('2026-11-26T00:00:00Z');
        expect(m).not.toContain('2026-11-26 ');
      }
    }
  });
  test('an expired waiver is still said after the message', () => {
    const waivers: WaiverSpec[] = [{ id: 'w-old', ruleId: 'deregistered-ami', reason: 'r', expires: '2026-01-01' }];
    const [f] = run(record({ State: 'deregistered' }), { settings: { waivers } });
    expect(f!.message).toBe('Deregistered. Waiver w-old expired 2026-01-01; it no longer applies.');
  });
});

describe('rule registry', () => {
  test('\'launchable-bad-ami\' judges references, never an instance record (its tests: test/unit/references.test.ts)', () => {
    const rule = RULES.find((r) => r.meta.id === 'launchable-bad-ami')!;
    expect(typeof rule.evaluateReference).toBe('function');
    const ev = evaluate([record({ ImageId: 'ami-0123456789abcdef0', State: 'deregistered', DeprecationTime: '2020-01-01T00:00:00Z', ImageAllowed: false })], [], DEFAULT_SETTINGS, DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' }).toMillis());
    expect(ev.findings.filter((f) => f.ruleId === 'launchable-bad-ami')).toEqual([]);
    expect(RULES.filter((r) => r.evaluateReference).map((r) => r.meta.id)).toEqual(['launchable-bad-ami']);
  });
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
    expect([...RULE_IDS].sort()).toEqual([
      'deprecated-ami', 'deprecated-ami-in-use', 'deprecation-soon', 'deregistered-ami', 'disabled-ami', 'flagged-root-ami', 'launchable-bad-ami', 'no-deprecation-time', 'non-public-ami',
      'not-allowed-ami', 'public-ami', 'shared-outside-org', 'stale-ami', 'unprotected-ami-in-use', 'untrusted-owner', 'unused-shared-ami', 'unverifiable-ami',
    ]);
  });
  test('the publisher\'s rules judge owned AMIs, never an instance record (their tests: test/unit/publisher-rules.test.ts)', () => {
    const owned = ['deprecated-ami-in-use', 'public-ami', 'shared-outside-org', 'unprotected-ami-in-use', 'flagged-root-ami', 'no-deprecation-time', 'unused-shared-ami'];
    expect(RULES.filter((r) => r.evaluateOwnedImage).map((r) => r.meta.id)).toEqual(owned);
    const ev = evaluate([record({ ImageId: 'ami-0123456789abcdef0', State: 'deregistered', DeprecationTime: '2020-01-01T00:00:00Z', IsPublic: true })], [], DEFAULT_SETTINGS, AS_OF.toMillis());
    expect(ev.findings.filter((f) => owned.includes(f.ruleId))).toEqual([]);
  });
});
