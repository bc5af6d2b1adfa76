/**
 * A generated organisation's report, as the bench's realistic fleet makes it (unique ids and Name
 * tags, hundreds of AMIs, skewed scopes), every account named and in an OU: for the HTML at
 * organisation scale (findings grouped above a threshold) and the layout of 17 regions.
 */
import { DateTime } from 'luxon';
import { generateFleet, DEFAULT_REGIONS } from '../../src/emulator/generate.js';
import { ok as okScope } from '../../src/model/coverage.js';
import { buildReport } from '../../src/report/build.js';
import { DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import type { AccountInfo, Inventory, InstanceRecord, Report } from '../../src/model/types.js';
import { FIXED_NOW } from './fixture.js';

const OUS = [{ id: 'ou-ab12-11111111', name: 'Workloads' }, { id: 'ou-ab12-22222222', name: 'Sandbox' }, { id: 'ou-ab12-33333333', name: 'Shared' }];

/** `instances` instances over `accounts` accounts and all 17 regions, evaluated with the default settings. */
export function generatedOrgReport(instances: number, accounts: number, opts: { tagColumns?: string[] } = {}): Report {
  const fleet = generateFleet({ style: 'realistic', accounts, regions: DEFAULT_REGIONS, instances, seed: 7, skewInstances: 0.5, skewScopes: 0.05 });
  const records: InstanceRecord[] = [];
  const coverage = [];
  for (const a of fleet.accounts) {
    for (const region of DEFAULT_REGIONS) {
      const list = a.instances?.[region] ?? [];
      coverage.push(okScope(a.accountId, region, { instanceCount: list.length, pageCount: Math.max(1, Math.ceil(list.length / 1000)), apiCalls: 1, allowedImagesState: a.allowedImages?.[region] ?? 'disabled' }));
      for (const i of list) records.push({ accountId: a.accountId, region, ...i });
    }
  }
  const root = { id: 'r-ab12', name: 'Root' };
  const info: AccountInfo[] = fleet.accounts.map((a, i) => {
    const ou = OUS[i % OUS.length]!;
    return { accountId: a.accountId, name: `${['payments', 'search', 'platform', 'data'][i % 4]}-${ou.name.toLowerCase()}-${i}`, ouPath: `Root/${ou.name}`, ouPathParts: [root, ou], state: 'ACTIVE' };
  });
  const inventory: Inventory = {
    run: {
      id: 'run-org-0002', startedAt: FIXED_NOW, finishedAt: '2026-11-26T00:10:00Z', caller: { accountId: fleet.accounts[0]!.accountId, arn: null },
      accounts: fleet.accounts.map((a) => a.accountId), regions: [...DEFAULT_REGIONS], options: { roleName: 'AmiAuditReadOnly' }, interrupted: false, source: 'scan',
    },
    coverage, instances: records, notFoundInstanceIds: [], accounts: info,
  };
  const settings = opts.tagColumns ? { ...DEFAULT_SETTINGS, tagColumns: opts.tagColumns } : DEFAULT_SETTINGS;
  return buildReport({ inventory, settings, asOf: DateTime.fromISO(FIXED_NOW, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: '0.0.0-test' }, baseline: null });
}
