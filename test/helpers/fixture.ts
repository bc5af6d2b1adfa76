/** A fixed report model for renderer tests: the demo fleet as an inventory, with coverage gaps and hostile strings. */
import { DateTime } from 'luxon';
import { demoFleet } from '../../src/emulator/demo.js';
import type { Inventory, InstanceRecord, Report } from '../../src/model/types.js';
import { emptyCoverage } from '../../src/report/coverage.js';
import { buildReport } from '../../src/report/build.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';

export const FIXED_NOW = '2026-11-26T00:00:00Z';

export const HOSTILE = [
  '</script><script>alert("tag")</script>',
  '"><img src=x onerror=alert(1)>',
  '=HYPERLINK("http://evil.example","x")',
  '+SUM(1,2)',
  '-2+3',
  '@cmd',
  '\tleading tab',
  '\rleading CR',
  '\u001b[31mred\u001b[0m and \u001b]0;title\u0007',
  '{{constructor.constructor("alert(1)")()}}',
  'non-BMP \u{1D54F} \u{1F680} caf\u00e9',
  'x'.repeat(5000),
  'line1\nline2|pipe`tick`*star*',
];

export function inventoryFromFleet(now = FIXED_NOW): Inventory {
  const fleet = demoFleet(now);
  const instances: InstanceRecord[] = [];
  const coverage = [];
  for (const a of fleet.accounts) {
    for (const r of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) {
      if (a.assumable === false) {
        coverage.push({ ...emptyCoverage(a.accountId, r, 'ok'), status: 'error' as const, errorCode: 'AccessDenied', errorMessage: 'AssumeRole refused' });
        continue;
      }
      const list = a.instances?.[r] ?? [];
      coverage.push({ ...emptyCoverage(a.accountId, r, 'ok'), instanceCount: list.length, pageCount: 1, apiCalls: 2, allowedImagesState: a.allowedImages?.[r] ?? 'disabled' });
      for (const i of list) instances.push({ accountId: a.accountId, region: r, ...i });
    }
    if (a.assumable !== false) coverage.push({ ...emptyCoverage(a.accountId, 'ap-east-1', 'ok'), status: 'error' as const, errorCode: 'AuthFailure', errorMessage: 'AWS was not able to validate the provided access credentials' });
  }
  // hostile strings in tags and AMI names
  const target = instances.find((i) => i.ImageMetadata?.ImageId === 'ami-0d1e2f3a4b5c60018')!;
  target.Tags = HOSTILE.map((v, n) => ({ Key: n === 0 ? 'Name' : `k${n}`, Value: v }));
  target.ImageMetadata = { ...target.ImageMetadata, Name: HOSTILE.slice(0, 4).join(' ') };
  return {
    run: {
      id: 'run-fixture-0001', startedAt: FIXED_NOW, finishedAt: '2026-11-26T00:00:05Z', caller: { accountId: fleet.caller.accountId, arn: fleet.caller.arn! },
      accounts: fleet.accounts.map((a) => a.accountId), regions: ['ap-east-1', 'ap-southeast-2', 'eu-west-1', 'us-east-1'],
      options: { roleName: 'AmiAuditReadOnly', allRegions: false, concurrency: 48 }, interrupted: false, source: 'scan',
    },
    coverage,
    instances,
    notFoundInstanceIds: [],
  };
}

export function fixtureReport(baseline: Report | null = null): Report {
  const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
  return buildReport({ inventory: inventoryFromFleet(), settings: settingsFrom(demoConfig(asOf)), asOf, tool: { name: 'ami-audit', version: '0.0.0-test' }, baseline });
}
