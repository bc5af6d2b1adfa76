/**
 * Issue 23, item 9: work in flight grows with --concurrency, not with the number of accounts.
 * Accounts are audited a bounded number at a time, and a scope's client is made only when its
 * first call has a slot.
 */
import { afterEach, expect, jest, test } from '@jest/globals';
import { accountsInFlight, collect } from '../../src/collect/collector.js';
import { ClientFactory } from '../../src/collect/clients.js';
import { generateFleet } from '../../src/emulator/generate.js';
import { withEmulator } from '../helpers/emulator.js';
import { collectOptions } from '../helpers/collect.js';

afterEach(() => {
  jest.restoreAllMocks();
});

test('80 accounts x 4 regions at --concurrency 2: open scopes and live scope clients stay bounded by the concurrency, every scope ends ok', async () => {
  const regions = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2'];
  const fleet = generateFleet({ accounts: 80, regions, instances: 400, seed: 3 });
  const accounts = fleet.accounts.map((a) => a.accountId);
  const made = jest.spyOn(ClientFactory.prototype, 'ec2Client');
  let open = 0;
  let live = 0;
  const opts = { accounts, regions, concurrency: 2, accountConcurrency: 4, assumeConcurrency: 2 };
  const inv = await withEmulator(fleet, (e) => collect(collectOptions(e, {
    ...opts,
    onProgress: (p) => {
      open = Math.max(open, p.scopesTotal - p.scopesDone);
      live = Math.max(live, made.mock.calls.length - p.scopesDone);
    },
  })), { throttle: null });
  expect(inv.coverage).toHaveLength(320);
  expect(inv.coverage.every((c) => c.status === 'ok')).toBe(true);
  const bound = accountsInFlight(opts) * opts.accountConcurrency;
  expect(bound).toBeLessThan(40);
  // before: every account planned at once, 320 scopes open and their clients made
  expect(open).toBeLessThanOrEqual(bound);
  expect(live).toBeLessThanOrEqual(bound);
}, 120_000);
