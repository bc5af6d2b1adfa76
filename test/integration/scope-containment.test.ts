/**
 * Issue 23, item 1: an unexpected exception in one scope's step (the listing, the zone fallback,
 * the Allowed AMIs read, the references lookup) is that scope's InternalError, never the run's:
 * every other scope keeps its outcome and the run goes on to its report. The steps are made to
 * throw by replacing their modules (the listing itself: scope-containment-listing.test.ts); everything else is the real collector against the endpoint.
 */
import { describe, expect, jest, test } from '@jest/globals';
import * as realReferences from '../../src/collect/references.js';
import { generateFleet } from '../../src/emulator/generate.js';
import { withEmulator } from '../helpers/emulator.js';
import { collectOptions } from '../helpers/collect.js';

const boom = (what: string): TypeError => new TypeError(`${what}: cannot read properties of undefined (reading 'x')`);

jest.unstable_mockModule('../../src/collect/references.js', () => ({
  ...realReferences,
  collectReferences: (req: Parameters<typeof realReferences.collectReferences>[0]) => {
    if (req.region === 'eu-west-1') throw boom('references');
    return realReferences.collectReferences(req);
  },
}));
jest.unstable_mockModule('../../src/collect/zones.js', () => ({
  byZone: async () => {
    throw boom('zones');
  },
}));
const { collect } = await import('../../src/collect/collector.js');

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'];

describe('an unexpected exception in a scope\'s step', () => {
  test('is that scope\'s InternalError (message kept, no stack); the other scopes keep their outcomes and the run returns its inventory', async () => {
    const fleet = generateFleet({ accounts: 2, regions: REGIONS, instances: 200, seed: 7, unhealthy: 0.5 });
    const [a, b] = fleet.accounts.map((x) => x.accountId) as [string, string];
    const debug: string[] = [];
    const inv = await withEmulator(fleet, (e) => collect(collectOptions(e, {
      accounts: [a, b], regions: REGIONS, references: {},
      onDiagnostic: (line: string) => debug.push(line),
    })), { throttle: null, rules: [
      // us-west-2 of account a: the region's call fails, so the zone fallback (which throws) runs
      { account: a, region: 'us-west-2', action: 'DescribeInstanceImageMetadata', error: 'Unavailable', count: 100 },
    ] });
    const cov = (acct: string, region: string) => inv.coverage.find((c) => c.accountId === acct && c.region === region)!;
    expect(inv.coverage).toHaveLength(8);
    // the references step threw after the listing: the instances stand, the lookup is an InternalError, the scope partial
    for (const acct of [a, b]) {
      const c = cov(acct, 'eu-west-1');
      expect(c.status).toBe('partial');
      expect(c.references).toMatchObject({ status: 'error', code: 'InternalError' });
      expect(c.failures.map((f) => `${f.action}:${f.code}`)).toContain('DescribeImageReferences:InternalError');
      expect(c.failures.find((f) => f.code === 'InternalError')!.message).toContain('references: cannot read properties');
      expect(c.instanceCount).toBeGreaterThan(0);
      expect(inv.instances.filter((i) => i.accountId === acct && i.region === 'eu-west-1')).toHaveLength(c.instanceCount);
    }
    // the zone fallback threw: the scope says InternalError, never a code made of the exception's class name
    const z = cov(a, 'us-west-2');
    expect(z.status).toBe('error');
    expect(z.failures.map((f) => f.code)).toContain('InternalError');
    expect(z.failures.map((f) => f.code)).not.toContain('TypeError');
    // every other scope is as it would have been
    for (const acct of [a, b]) expect(cov(acct, 'us-east-1').status).toBe('ok');
    for (const acct of [a, b]) expect(cov(acct, 'ap-southeast-2').status).toBe('ok');
    expect(cov(b, 'us-west-2').status).toBe('ok');
    // the stack goes to the diagnostics (--debug), once per contained failure
    expect(debug.some((l) => l.includes('references: cannot read properties') && /\n\s+at /.test(l))).toBe(true);
  }, 60_000);
});
