/**
 * Fixed report models for renderer tests: the demo fleet as an inventory, with coverage gaps and
 * hostile strings; and a small generated fleet with skew, a failing account and tag columns.
 */
import { DateTime } from 'luxon';
import { demoFleet } from '../../src/emulator/demo.js';
import { generateFleet } from '../../src/emulator/generate.js';
import type { AccountInfo, AllowedImagesState, CoverageEntry, ImageCriterion, ImageReference, Inventory, InstanceRecord, Report } from '../../src/model/types.js';
import { ok as okScope, skipped as skippedScope } from '../../src/model/coverage.js';
import { flaggedImages } from '../../src/collect/references.js';
import { buildReport } from '../../src/report/build.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import { DEFAULT_SETTINGS, type EvalSettings } from '../../src/rules/engine.js';

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

/**
 * The fixture's accounts as `scan --org` names them, plus one named only in the config (no OU, no
 * state) and one the organisation has suspended (never audited: skipped with reason SUSPENDED).
 */
export const FIXTURE_ACCOUNTS: AccountInfo[] = [
  { accountId: '111111111111', name: 'security-audit', ouPath: 'Root/Security', state: 'ACTIVE' },
  { accountId: '222222222222', name: 'payments-prod', ouPath: 'Root/Workloads/Prod', state: 'ACTIVE' },
  { accountId: '333333333333', name: 'data-dev', ouPath: 'Root/Workloads/Dev', state: 'ACTIVE' },
  { accountId: '444444444444', name: 'legacy', ouPath: null, state: null },
  { accountId: '777777777777', name: 'old-sandbox', ouPath: 'Root/Sandbox', state: 'SUSPENDED' },
];
/** The suspended account of FIXTURE_ACCOUNTS. */
export const SUSPENDED_ACCOUNT = '777777777777';

/** A criterion with every list empty and no day limit, overridden by `c`. */
export function criterion(c: Partial<ImageCriterion>): ImageCriterion {
  return { imageProviders: [], marketplaceProductCodes: [], imageNames: [], maximumDaysSinceDeprecated: null, maximumDaysSinceCreated: null, ...c };
}

/**
 * The Allowed AMIs criteria of payments-prod (222222222222), as `scan` reads them: us-east-1's the
 * account's own (Amazon's al2023, amzn2 and Windows names; the trusted account's golden images of at
 * most 300 days), eu-west-1's set by a declarative policy. sap-bridge's SUSE AMI fails both.
 */
export const FIXTURE_CRITERIA: Record<string, { criteria: ImageCriterion[]; managedBy: string }> = {
  'us-east-1': {
    managedBy: 'account',
    criteria: [
      criterion({ imageProviders: ['amazon'], imageNames: ['al2023-ami-*', 'amzn2-ami-hvm-*', 'Windows_Server-2025-*'] }),
      criterion({ imageProviders: ['555555555555'], imageNames: ['golden-base-*'], maximumDaysSinceCreated: 300 }),
    ],
  },
  'eu-west-1': {
    managedBy: 'declarative-policy',
    criteria: [criterion({ imageProviders: ['amazon', 'aws-marketplace'], imageNames: ['al2023-ami-*'], marketplaceProductCodes: ['prodcode0abc'], maximumDaysSinceDeprecated: 30 })],
  },
};

/**
 * What references the fixture's flagged AMIs in payments-prod us-east-1 (`scan --references`), as
 * the demo fleet has it: the launch template web-prod, whose version 2 is the deprecated amzn2 AMI
 * and which the Auto Scaling group web-prod launches at $Latest; the SSM parameter /golden/ami/web
 * holding the deregistered AMI; an Image Builder recipe built on the not-allowed SUSE AMI.
 */
export const FIXTURE_REFERENCES: ImageReference[] = [
  {
    accountId: '222222222222', region: 'us-east-1', imageId: 'ami-0d1e2f3a4b5c60010', resourceType: 'ec2:LaunchTemplate',
    arn: 'arn:aws:ec2:us-east-1:222222222222:launch-template/lt-0de0a1b2c3d4e5f01', name: 'web-prod', version: '2', usedBy: ['web-prod'],
  },
  {
    accountId: '222222222222', region: 'us-east-1', imageId: 'ami-0d1e2f3a4b5c60012', resourceType: 'ssm:Parameter',
    arn: 'arn:aws:ssm:us-east-1:222222222222:parameter/golden/ami/web', name: '/golden/ami/web', version: null, usedBy: [],
  },
  {
    accountId: '222222222222', region: 'us-east-1', imageId: 'ami-0d1e2f3a4b5c60017', resourceType: 'imagebuilder:ImageRecipe',
    arn: 'arn:aws:imagebuilder:us-east-1:222222222222:image-recipe/sap-bridge-base/1.0.0', name: 'sap-bridge-base', version: '1.0.0', usedBy: [],
  },
];

export function inventoryFromFleet(now = FIXED_NOW): Inventory {
  const fleet = demoFleet(now);
  const instances: InstanceRecord[] = [];
  const coverage = [];
  for (const a of fleet.accounts) {
    for (const r of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) {
      if (a.assumable === false) {
        coverage.push({ ...okScope(a.accountId, r), status: 'error' as const, errorCode: 'AccessDenied', errorMessage: 'AssumeRole refused' });
        continue;
      }
      const list = a.instances?.[r] ?? [];
      // --references: the flagged AMIs of the scope looked up (none: skipped); a call for each, and two more for each launch template found (its versions, the Auto Scaling groups)
      const images = flaggedImages(list.map((i) => ({ accountId: a.accountId, region: r, ...i })), Date.parse(now)).length;
      const refCalls = images === 0 ? 0 : images + FIXTURE_REFERENCES.filter((x) => x.accountId === a.accountId && x.region === r && x.resourceType === 'ec2:LaunchTemplate').length * 2;
      const references: CoverageEntry['references'] = images === 0
        ? { status: 'skipped', code: 'nothing-flagged', message: null, images: 0, apiCalls: 0 }
        : { status: 'ok', code: null, message: null, images, apiCalls: refCalls };
      const criteria = a.accountId === '222222222222' ? FIXTURE_CRITERIA[r] : undefined;
      coverage.push({
        ...okScope(a.accountId, r), instanceCount: list.length, pageCount: 1, apiCalls: 2 + refCalls, allowedImagesState: a.allowedImages?.[r] ?? 'disabled',
        ...(criteria ? { allowedImagesCriteria: criteria.criteria.map((c) => ({ ...c })), allowedImagesManagedBy: criteria.managedBy } : {}),
        references,
      });
      for (const i of list) instances.push({ accountId: a.accountId, region: r, ...i });
    }
    if (a.assumable !== false) coverage.push({ ...okScope(a.accountId, 'ap-east-1'), status: 'error' as const, errorCode: 'AuthFailure', errorMessage: 'AWS was not able to validate the provided access credentials' });
  }
  // the suspended account: skipped in every region of the run, its state the reason
  for (const r of ['ap-east-1', 'ap-southeast-2', 'eu-west-1', 'us-east-1']) coverage.push(skippedScope(SUSPENDED_ACCOUNT, r, 'SUSPENDED'));
  // hostile strings in tags and AMI names
  const target = instances.find((i) => i.ImageMetadata?.ImageId === 'ami-0d1e2f3a4b5c60018')!;
  target.Tags = HOSTILE.map((v, n) => ({ Key: n === 0 ? 'Name' : `k${n}`, Value: v }));
  target.ImageMetadata = { ...target.ImageMetadata, Name: HOSTILE.slice(0, 4).join(' ') };
  return {
    run: {
      id: 'run-fixture-0001', startedAt: FIXED_NOW, finishedAt: '2026-11-26T00:00:05Z', caller: { accountId: fleet.caller.accountId, arn: fleet.caller.arn! },
      accounts: [...fleet.accounts.map((a) => a.accountId), SUSPENDED_ACCOUNT], regions: ['ap-east-1', 'ap-southeast-2', 'eu-west-1', 'us-east-1'],
      options: { roleName: 'AmiAuditReadOnly', allRegions: false, concurrency: 48, references: { versionDepth: 10 } }, interrupted: false, source: 'scan',
    },
    coverage,
    accounts: FIXTURE_ACCOUNTS.map((a) => ({ ...a })),
    references: FIXTURE_REFERENCES.map((r) => ({ ...r, usedBy: [...r.usedBy] })),
    instances,
    notFoundInstanceIds: [],
  };
}

export function fixtureReport(baseline: Report | null = null): Report {
  const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
  return buildReport({ inventory: inventoryFromFleet(), settings: settingsFrom(demoConfig(asOf)), asOf: asOf.toMillis(), tool: { name: 'ami-audit', version: '0.0.0-test' }, baseline });
}

/** The generated fleet of the generated-fleet goldens: 4 accounts, 3 regions, 300 instances, half of them in a tenth of the scopes. */
export const GENERATED_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
export const GENERATED_TAG_COLUMNS = ['team', 'env'];

/**
 * The generated fleet as an inventory, the way inventoryFromFleet turns the demo into one: one
 * account refuses AssumeRole (every region an error), Allowed AMIs is enforced in the heaviest scope
 * and in audit-mode in another, and most instances carry a `team` tag (the rest are the "(untagged)" group).
 */
export function inventoryFromGenerated(now = FIXED_NOW): Inventory {
  const fleet = generateFleet({ accounts: 4, regions: GENERATED_REGIONS, instances: 300, seed: 17, skewInstances: 0.5, skewScopes: 0.1, now });
  const failing = fleet.accounts[2]!.accountId;
  const allowed: Record<string, AllowedImagesState> = { [`${fleet.accounts[0]!.accountId}|us-east-1`]: 'enabled', [`${fleet.accounts[3]!.accountId}|ap-southeast-2`]: 'audit-mode' };
  const teams = ['payments', 'search', 'platform'];
  const instances: InstanceRecord[] = [];
  const coverage = [];
  let n = 0;
  for (const a of fleet.accounts) {
    for (const r of GENERATED_REGIONS) {
      if (a.accountId === failing) {
        coverage.push({ ...okScope(a.accountId, r), status: 'error' as const, errorCode: 'AccessDenied', errorMessage: `User: ${fleet.caller.arn} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${a.accountId}:role/AmiAuditReadOnly` });
        continue;
      }
      const list = a.instances?.[r] ?? [];
      coverage.push({ ...okScope(a.accountId, r), instanceCount: list.length, pageCount: Math.max(1, Math.ceil(list.length / 100)), apiCalls: 2 + Math.ceil(list.length / 100), allowedImagesState: allowed[`${a.accountId}|${r}`] ?? 'disabled' });
      for (const i of list) {
        const k = n++;
        const tags = k % 5 === 0 ? i.Tags : [...(i.Tags ?? []), { Key: 'team', Value: teams[k % 3]! }];
        instances.push({ accountId: a.accountId, region: r, ...i, Tags: tags });
      }
    }
  }
  return {
    run: {
      id: 'run-generated-0001', startedAt: now, finishedAt: '2026-11-26T00:00:09Z', caller: { accountId: fleet.caller.accountId, arn: fleet.caller.arn! },
      accounts: fleet.accounts.map((a) => a.accountId), regions: [...GENERATED_REGIONS].sort(),
      options: { roleName: 'AmiAuditReadOnly', allRegions: false, concurrency: 48 }, interrupted: false, source: 'scan',
    },
    coverage,
    instances,
    notFoundInstanceIds: [],
  };
}

/** The report of the generated fleet at FIXED_NOW: the trusted image account, one active and one expired waiver, two tag columns. */
export function generatedReport(): Report {
  const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
  const settings: EvalSettings = {
    ...DEFAULT_SETTINGS,
    trustedAccounts: ['555555555555'],
    tagColumns: [...GENERATED_TAG_COLUMNS],
    waivers: [
      { id: 'dev-stale-ok', ruleId: 'stale-ami', tag: 'env=dev', reason: 'Dev images are rebuilt nightly', expires: '2027-03-01', ticket: 'SEC-2001' },
      { id: 'search-freeze', ruleId: 'deprecated-ami', tag: 'team=search', reason: 'Search freeze', expires: '2026-11-01', ticket: 'SEC-1999' },
    ],
  };
  return buildReport({ inventory: inventoryFromGenerated(), settings, asOf: asOf.toMillis(), tool: { name: 'ami-audit', version: '0.0.0-test' } });
}
