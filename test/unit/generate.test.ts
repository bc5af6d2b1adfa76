import { describe, expect, test } from '@jest/globals';
import { generateFleet, GOLDEN_IMAGE_ACCOUNT, instanceIdFor, REALISTIC_AMIS, zonePrefix, prng } from '../../src/emulator/generate.js';
import { fleetSize, validateFleet } from '../../src/emulator/fleet.js';
import { demoFleet, DEMO_REFERENCES } from '../../src/emulator/demo.js';
import { validateFaults, parseThrottle } from '../../src/emulator/faults.js';
import { UserError } from '../../src/model/errors.js';
import { RULES } from '../../src/rules/registry.js';
import { evaluate, DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import { ok as okScope } from '../../src/model/coverage.js';
import { DateTime } from 'luxon';

describe('fleet generator', () => {
  const opts = { accounts: 7, regions: 4, instances: 3000, seed: 5, skewInstances: 0.5, skewScopes: 0.1 };
  test('the same seed gives the same fleet, byte for byte', () => {
    expect(JSON.stringify(generateFleet(opts))).toBe(JSON.stringify(generateFleet(opts)));
  });
  test('another seed gives another fleet of the same size', () => {
    const a = generateFleet(opts);
    const b = generateFleet({ ...opts, seed: 6 });
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
    expect(fleetSize(b)).toBe(3000);
  });
  test('sizes, unique instance ids, valid documents', () => {
    const f = generateFleet(opts);
    expect(f.accounts).toHaveLength(7);
    expect(f.regions).toHaveLength(4);
    expect(fleetSize(f)).toBe(3000);
    const ids = f.accounts.flatMap((a) => Object.values(a.instances ?? {}).flat().map((i) => i.InstanceId));
    expect(new Set(ids).size).toBe(3000);
    for (const id of ids) expect(id).toMatch(/^i-[0-9a-f]{17}$/);
    expect(() => validateFleet(JSON.parse(JSON.stringify(f)))).not.toThrow();
  });
  test('skew puts the share of instances into the share of scopes', () => {
    const f = generateFleet({ accounts: 20, regions: 10, instances: 20000, seed: 1, skewInstances: 0.5, skewScopes: 0.05 });
    const counts = f.accounts.flatMap((a) => Object.values(a.instances ?? {}).map((l) => l.length)).sort((x, y) => y - x);
    const top = counts.slice(0, 10).reduce((s, n) => s + n, 0);
    expect(top).toBeGreaterThanOrEqual(10000);
    const single = generateFleet({ accounts: 3, regions: 2, instances: 500, singleScope: true });
    expect(single.accounts[0]!.instances!['us-east-1']).toHaveLength(500);
    expect(fleetSize(single)).toBe(500);
  });
  test('zone ids and the PRNG', () => {
    expect(zonePrefix('us-east-1')).toBe('use1');
    expect(zonePrefix('ap-southeast-2')).toBe('apse2');
    expect(zonePrefix('eu-central-1')).toBe('euc1');
    const r = prng(1);
    const xs = Array.from({ length: 1000 }, r);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(prng(1)()).toBe(prng(1)());
  });
});

describe('realistic fleets (the benchmark\'s)', () => {
  const opts = { accounts: 60, regions: 17, instances: 30000, seed: 7, skewInstances: 0.5, skewScopes: 0.05, style: 'realistic' as const };
  const f = generateFleet(opts);
  const all = f.accounts.flatMap((a) => Object.entries(a.instances ?? {}).flatMap(([region, l]) => l.map((i) => ({ accountId: a.accountId, region, ...i }))));
  test('deterministic, the size asked for, a valid document', () => {
    expect(JSON.stringify(generateFleet(opts))).toBe(JSON.stringify(f));
    expect(fleetSize(f)).toBe(30000);
    expect(() => validateFleet(JSON.parse(JSON.stringify(f)))).not.toThrow();
  });
  test('every instance id unique and random-looking; a unique Name tag and a team tag on every instance', () => {
    const ids = all.map((i) => i.InstanceId!);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^i-0[0-9a-f]{16}$/);
    // not a counter: neighbours share no long prefix
    const shared = ids.slice(1).filter((id, k) => id.slice(0, 10) === ids[k]!.slice(0, 10)).length;
    expect(shared).toBeLessThan(ids.length / 100);
    const names = all.map((i) => i.Tags!.find((t) => t.Key === 'Name')?.Value);
    expect(names.every((n) => typeof n === 'string' && n.length >= 15)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    const teams = all.map((i) => i.Tags!.find((t) => t.Key === 'team')?.Value);
    expect(teams.every((t) => typeof t === 'string')).toBe(true);
    expect(new Set(teams).size).toBeGreaterThan(30);
    expect(all.every((i) => i.Tags!.length === 2)).toBe(true);
    // tags come in either order, as the API gives them
    expect(new Set(all.map((i) => i.Tags![0]!.Key))).toEqual(new Set(['Name', 'team']));
  });
  test('400 AMIs of many owners, varied creation and deprecation dates, some not allowed or unreadable', () => {
    const images = new Map(all.map((i) => [i.ImageMetadata!.ImageId, i.ImageMetadata!]));
    expect(images.size).toBe(REALISTIC_AMIS);
    const meta = [...images.values()];
    expect(new Set(meta.map((m) => m.OwnerId)).size).toBeGreaterThanOrEqual(10);
    expect(new Set(meta.map((m) => m.DeprecationTime)).size).toBeGreaterThan(250);
    expect(new Set(meta.map((m) => m.CreationDate?.slice(0, 7))).size).toBeGreaterThan(30);
    expect(meta.some((m) => m.State === 'deregistered') && meta.some((m) => m.State === 'disabled')).toBe(true);
    expect(meta.some((m) => m.ImageAllowed === false) && meta.some((m) => m.Name === undefined)).toBe(true);
    // the problem AMIs are the rarely used ones: a small share of the instances needs the Allowed AMIs state
    const needy = all.filter((i) => i.ImageMetadata?.ImageAllowed !== true).length / all.length;
    expect(needy).toBeGreaterThan(0.005);
    expect(needy).toBeLessThan(0.04);
  });
  test('skew: half the instances in 5% of the scopes; Allowed AMIs on in some scopes', () => {
    const counts = f.accounts.flatMap((a) => Object.values(a.instances ?? {}).map((l) => l.length)).sort((x, y) => y - x);
    const heavy = Math.round(60 * 17 * 0.05);
    expect(counts.slice(0, heavy).reduce((s, n) => s + n, 0)).toBeGreaterThanOrEqual(15000);
    const states = f.accounts.flatMap((a) => Object.values(a.allowedImages ?? {}));
    expect(states).toContain('enabled');
    expect(states).toContain('audit-mode');
  });
  test('org=N: the golden images\' owner and the management account are members of the organisation and audited accounts, running nothing; without org the fleet has no such account', () => {
    const small = { accounts: 5, regions: 2, instances: 400, seed: 7, style: 'realistic' as const };
    const plain = generateFleet(small);
    const withOrg = generateFleet({ ...small, organization: 2 });
    const owners = new Set(plain.accounts.flatMap((a) => Object.values(a.instances ?? {}).flat()).filter((i) => i.ImageMetadata?.Name?.startsWith('golden-')).map((i) => i.ImageMetadata!.OwnerId));
    expect([...owners]).toEqual([GOLDEN_IMAGE_ACCOUNT]);
    expect(plain.accounts.map((a) => a.accountId)).not.toContain(GOLDEN_IMAGE_ACCOUNT);
    expect(plain.organization).toBeUndefined();
    // the generated accounts and their instances are those of the fleet without org; the golden images' account is added, empty
    expect(withOrg.accounts.slice(0, 5)).toEqual(plain.accounts);
    expect(withOrg.accounts.slice(5)).toEqual([
      { accountId: GOLDEN_IMAGE_ACCOUNT, name: 'platform-golden-images', instances: {} },
      // the management account (the caller) is audited as in a real estate: the role is there, running nothing
      { accountId: withOrg.caller.accountId, name: 'management', instances: {} },
    ]);
    expect(withOrg.organization!.members.map((m) => m.accountId).sort()).toEqual(withOrg.accounts.map((a) => a.accountId).sort());
    expect(() => validateFleet(JSON.parse(JSON.stringify(withOrg)))).not.toThrow();
    // a uniform fleet's organisation holds only the generated accounts
    const uniform = generateFleet({ accounts: 3, regions: 2, instances: 60, seed: 3, organization: 2 });
    expect(uniform.accounts.map((a) => a.accountId)).toEqual([...generateFleet({ accounts: 3, regions: 2, instances: 60, seed: 3 }).accounts.map((a) => a.accountId), uniform.caller.accountId]);
    expect(uniform.organization!.members).toHaveLength(4);
    expect(uniform.organization!.members.map((m) => m.accountId).sort()).toEqual(uniform.accounts.map((a) => a.accountId).sort());
  });
  test('a generated fleet and the demo fleet say the instant their dates are relative to (the endpoint\'s clock)', () => {
    expect(generateFleet({ accounts: 1, regions: 1, instances: 1 }).asOf).toBe('2026-11-26T00:00:00.000Z');
    expect(generateFleet({ accounts: 1, regions: 1, instances: 1, now: '2025-01-02T03:04:05Z', style: 'realistic' }).asOf).toBe('2025-01-02T03:04:05.000Z');
    expect(demoFleet('2026-11-26T00:00:00Z').asOf).toBe('2026-11-26T00:00:00Z');
    expect(() => validateFleet(JSON.parse(JSON.stringify(generateFleet({ accounts: 1, regions: 1, instances: 1 }))))).not.toThrow();
  });
  test('the default style is unchanged by the realistic one', () => {
    const uniform = generateFleet({ accounts: 2, regions: 2, instances: 50, seed: 3 });
    expect(uniform.accounts[0]!.instances!['us-east-1']![0]!.InstanceId).toBe(instanceIdFor(0, 3));
    expect(generateFleet({ accounts: 2, regions: 2, instances: 50, seed: 3, style: 'uniform' })).toEqual(uniform);
  });
});

describe('demo fleet', () => {
  test('exercises every rule and the required scenarios', () => {
    const now = '2026-11-26T00:00:00Z';
    const f = demoFleet(now);
    expect(f.accounts.length).toBeGreaterThanOrEqual(3);
    expect(f.accounts.some((a) => a.assumable === false)).toBe(true);
    expect(f.regions.filter((r) => !r.optIn).length).toBeGreaterThanOrEqual(3);
    expect(f.regions.some((r) => r.optIn && !f.accounts.some((a) => a.optedInRegions?.includes(r.name)))).toBe(true);
    const instances = f.accounts.filter((a) => a.assumable !== false).flatMap((a) => Object.entries(a.instances ?? {}).flatMap(([region, l]) => l.map((i) => ({ accountId: a.accountId, region, ...i }))));
    const coverage = f.accounts.flatMap((a) => Object.keys(a.instances ?? {}).map((r) => ({ ...okScope(a.accountId, r), allowedImagesState: a.allowedImages?.[r] ?? ('disabled' as const) })));
    const asOf = DateTime.fromISO(now, { zone: 'utc' });
    // what --references finds in the demo: the launch template an Auto Scaling group launches the deprecated AMI from
    const prod = f.accounts.find((a) => a.launchTemplates?.[DEMO_REFERENCES.region])!;
    const references = [{
      accountId: prod.accountId, region: DEMO_REFERENCES.region, imageId: DEMO_REFERENCES.deprecatedImageId, resourceType: 'ec2:LaunchTemplate',
      arn: `arn:aws:ec2:${DEMO_REFERENCES.region}:${prod.accountId}:launch-template/${DEMO_REFERENCES.launchTemplateId}`, name: DEMO_REFERENCES.launchTemplateName, version: '2', usedBy: [DEMO_REFERENCES.latestGroup],
    }];
    const ev = evaluate(instances, coverage, { ...settingsFrom(demoConfig(asOf)), waivers: [] }, asOf.toMillis(), references);
    // every rule of a scan (the publisher rules are ami-audit images', tested in publisher-*.test.ts)
    for (const r of RULES.filter((x) => !x.evaluateOwnedImage)) expect(`${r.meta.id}:${ev.findings.some((x) => x.ruleId === r.meta.id)}`).toBe(`${r.meta.id}:true`);
    // not-allowed under enabled and under audit-mode
    expect(ev.findings.filter((x) => x.ruleId === 'not-allowed-ami').map((x) => x.severity).sort()).toEqual(['high', 'medium']);
    expect(ev.instancesTerminatedSkipped).toBeGreaterThanOrEqual(2);
    // a healthy majority
    const flagged = new Set(ev.findings.filter((x) => !x.resource).map((x) => x.instanceId));
    expect(flagged.size).toBeLessThan(instances.length / 2);
    expect(evaluate(instances, coverage, DEFAULT_SETTINGS, asOf.toMillis()).findings.length).toBeGreaterThan(0);
  });
});

describe('fleet and fault documents', () => {
  test.each([
    [{}, 'fleetVersion'],
    [{ fleetVersion: 1, caller: { accountId: '1' }, regions: [{ name: 'us-east-1' }], accounts: [] }, 'caller.accountId'],
    [{ fleetVersion: 1, caller: { accountId: '111111111111' }, regions: [], accounts: [] }, 'regions'],
    [{ fleetVersion: 1, caller: { accountId: '111111111111' }, regions: [{ name: 'us-east-1' }], accounts: [{ accountId: '222222222222', instances: { 'eu-west-1': [] } }] }, 'accounts[0].instances.eu-west-1'],
    [{ fleetVersion: 1, caller: { accountId: '111111111111' }, regions: [{ name: 'us-east-1' }], accounts: [{ accountId: '222222222222' }, { accountId: '222222222222' }] }, 'duplicate account'],
    [{ fleetVersion: 1, asOf: '2026-11-26', caller: { accountId: '111111111111' }, regions: [{ name: 'us-east-1' }], accounts: [] }, 'f.json: asOf: expected an ISO 8601 date-time in UTC'],
    [{ fleetVersion: 1, asOf: '2026-13-40T00:00:00Z', caller: { accountId: '111111111111' }, regions: [{ name: 'us-east-1' }], accounts: [] }, 'asOf'],
  ])('bad fleet %j', (doc, msg) => {
    expect(() => validateFleet(doc, 'f.json')).toThrow(UserError);
    expect(() => validateFleet(doc, 'f.json')).toThrow(msg);
  });
  test('bad faults and throttle settings', () => {
    expect(() => validateFaults({ rules: [{ kind: 'explode' }] })).toThrow('rules[0].kind');
    expect(() => validateFaults({ rules: [{ account: '1' }] })).toThrow('rules[0]');
    expect(() => parseThrottle('ten')).toThrow(UserError);
    expect(parseThrottle('10,2')).toEqual({ capacity: 10, refillPerSecond: 2 });
    expect(parseThrottle('off')).toBeNull();
  });
});
