import type { CollectOptions } from '../../src/collect/collector.js';
import type { Fleet } from '../../src/emulator/fleet.js';
import type { Inventory } from '../../src/model/types.js';
import type { Emulator } from '../../src/emulator/server.js';
import { optInStatus } from '../../src/emulator/fleet.js';
import { BASE_CREDS } from './emulator.js';

export function collectOptions(e: Emulator, over: Partial<Omit<CollectOptions, 'client'>> & { client?: Partial<CollectOptions['client']> } = {}): CollectOptions {
  return {
    accounts: [],
    roleName: 'AmiAuditReadOnly',
    roleSessionName: 'ami-audit',
    regions: [],
    allRegions: false,
    filters: [],
    concurrency: 16,
    accountConcurrency: 4,
    assumeConcurrency: 4,
    ...over,
    client: { endpointUrl: e.url, region: 'us-east-1', maxAttempts: 3, retryMode: 'standard', verifySsl: true, credentials: BASE_CREDS, ...(over.client ?? {}) },
  } as CollectOptions;
}

/** Instances the fleet holds in scopes that are reachable (assumable account, enabled region, listed). */
export function reachable(fleet: Fleet, accounts: string[], regions: string[] | 'all'): string[] {
  const out: string[] = [];
  for (const a of fleet.accounts) {
    if (!accounts.includes(a.accountId) || a.assumable === false) continue;
    for (const [region, list] of Object.entries(a.instances ?? {})) {
      if (regions !== 'all' && !regions.includes(region)) continue;
      const st = optInStatus(fleet, a, region);
      if (st === 'not-opted-in' || st === null) continue;
      for (const i of list) out.push(`${a.accountId}|${region}|${i.InstanceId}`);
    }
  }
  return out.sort();
}

export function keys(inv: Inventory): string[] {
  return inv.instances.map((i) => `${i.accountId}|${i.region}|${i.InstanceId}`).sort();
}

export function statusOf(inv: Inventory): Record<string, string> {
  return Object.fromEntries(inv.coverage.map((c) => [`${c.accountId}|${c.region}`, c.status === 'ok' || c.status === 'skipped' ? c.status : `${c.status}:${c.errorCode}`]));
}
