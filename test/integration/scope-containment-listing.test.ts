/**
 * Issue 23, item 1: an unexpected exception that escapes a scope's whole step (its module replaced
 * by one that throws for one region) is that scope's InternalError, never the run's: the other
 * scopes keep their outcomes and the run returns its inventory.
 */
import { describe, expect, jest, test } from '@jest/globals';
import * as realScope from '../../src/collect/scope.js';
import { generateFleet } from '../../src/emulator/generate.js';
import { withEmulator } from '../helpers/emulator.js';
import { collectOptions } from '../helpers/collect.js';

jest.unstable_mockModule('../../src/collect/scope.js', () => ({
  ...realScope,
  collectScope: async (req: Parameters<typeof realScope.collectScope>[0]) => {
    if (req.region === 'ap-southeast-2') throw new TypeError('allowed images: cannot read properties of undefined (reading \'x\')');
    return realScope.collectScope(req);
  },
}));
const { collect } = await import('../../src/collect/collector.js');

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];

describe('an unexpected exception that escapes a scope', () => {
  test('is that scope\'s error InternalError with the message (the stack only in the diagnostics); the run goes on', async () => {
    const fleet = generateFleet({ accounts: 2, regions: REGIONS, instances: 120, seed: 9 });
    const [a, b] = fleet.accounts.map((x) => x.accountId) as [string, string];
    const debug: string[] = [];
    const inv = await withEmulator(fleet, (e) => collect(collectOptions(e, { accounts: [a, b], regions: REGIONS, onDiagnostic: (line) => debug.push(line) })));
    expect(inv.coverage).toHaveLength(6);
    for (const acct of [a, b]) {
      const c = inv.coverage.find((x) => x.accountId === acct && x.region === 'ap-southeast-2')!;
      expect(c.status).toBe('error');
      expect(c.errorCode).toBe('InternalError');
      expect(c.errorMessage).toContain('allowed images: cannot read properties');
      expect(JSON.stringify(c)).not.toMatch(/\bat .*\.ts:\d+/);
      for (const r of ['us-east-1', 'eu-west-1']) expect(inv.coverage.find((x) => x.accountId === acct && x.region === r)!.status).toBe('ok');
    }
    expect(inv.instances.length).toBeGreaterThan(0);
    expect(debug.some((l) => l.includes('allowed images: cannot read properties') && /\n\s+at /.test(l))).toBe(true);
  }, 60_000);
});
