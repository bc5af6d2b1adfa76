// The bench's org fleet as an inventory in-process, without the network: 300 accounts x 17
// regions, 150,000 instances (times --scale), the realistic style of bench/run.js, seed 7. Every
// scope listed completely. The scripts that measure a stage past collection (the run history, the
// rules, the HTML) start from it; they pass in the build's own generator and coverage constructor
// (a script may measure another build: bench/rules.js --dist).

export const REGIONS17 = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'sa-east-1'];

/** The org fleet's records (one per instance, with its account and region) and coverage. */
export function orgFleet({ generateFleet, okScope }, scale = 1) {
  const fleet = generateFleet({ accounts: Math.round(300 * scale), regions: REGIONS17, instances: Math.round(150000 * scale), seed: 7, skewInstances: 0.5, skewScopes: 0.05, style: 'realistic' });
  const records = [];
  const coverage = [];
  for (const a of fleet.accounts) {
    for (const region of REGIONS17) {
      const list = a.instances?.[region] ?? [];
      coverage.push(okScope(a.accountId, region, { instanceCount: list.length, allowedImagesState: a.allowedImages?.[region] ?? 'disabled' }));
      for (const i of list) records.push({ ...i, accountId: a.accountId, region });
    }
  }
  return { fleet, records, coverage, accounts: fleet.accounts.map((a) => a.accountId) };
}
