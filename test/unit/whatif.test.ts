/** The Allowed AMIs what-if on a mixed fleet, and the --criteria file's checks. */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { allowedAmisWhatIf } from '../../src/report/whatif.js';
import { parseCriteria } from '../../src/config/criteria.js';
import { ok } from '../../src/model/coverage.js';
import { buildReport } from '../../src/report/build.js';
import { DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderWhatIfCsv } from '../../src/render/csv.js';
import { renderTextSummary } from '../../src/render/text.js';
import { renderHtml } from '../../src/render/html.js';
import { loadTemplates } from '../../src/io/files.js';
import { reportValidator } from '../../src/schema/validate.js';
import { ConfigError } from '../../src/model/errors.js';
import type { ImageCriterion, ImageReference, InstanceRecord, Inventory } from '../../src/model/types.js';

const AS_OF = '2026-11-26T00:00:00Z';
const asOfMs = Date.parse(AS_OF);
const A = '111111111111';
const B = '222222222222';
const VENDOR = '999999999999';

function inst(accountId: string, region: string, id: string, image: Record<string, unknown>, state = 'running'): InstanceRecord {
  return { accountId, region, InstanceId: id, State: { Name: state }, ImageMetadata: { State: 'available', CreationDate: '2026-10-01T00:00:00Z', IsPublic: true, ...image } };
}

const amazon = { ImageId: 'ami-0amazon0000000001', Name: 'al2023-ami-2026', OwnerId: '137112412989', ImageOwnerAlias: 'amazon' };
const vendor = { ImageId: 'ami-0vendor0000000002', Name: 'vendor-appliance-7', OwnerId: VENDOR };
const own = { ImageId: 'ami-0own00000000000003', Name: 'golden-web', OwnerId: A };

const current: ImageCriterion[] = [{ imageProviders: ['amazon'], marketplaceProductCodes: [], imageNames: [], maximumDaysSinceDeprecated: null, maximumDaysSinceCreated: null }];

const byName: ImageCriterion[] = [{ imageProviders: [], marketplaceProductCodes: [], imageNames: ['al2023-*'], maximumDaysSinceDeprecated: null, maximumDaysSinceCreated: null }];

const coverage = [
  ok(A, 'us-east-1', { allowedImagesState: 'audit-mode', allowedImagesCriteria: current, allowedImagesManagedBy: 'account' }),
  ok(A, 'eu-west-1', { allowedImagesState: 'disabled', allowedImagesCriteria: byName, allowedImagesManagedBy: 'account' }),
  ok(B, 'us-east-1', { allowedImagesState: 'enabled', allowedImagesCriteria: current, allowedImagesManagedBy: 'account' }),
  ok(B, 'eu-west-1', { allowedImagesState: 'not-needed' }),
];

const instances: InstanceRecord[] = [
  // audit-mode: EC2's ImageAllowed decides
  inst(A, 'us-east-1', 'i-a1', { ...amazon, ImageAllowed: true }),
  inst(A, 'us-east-1', 'i-a2', { ...vendor, ImageAllowed: false }),
  inst(A, 'us-east-1', 'i-a3', { ...vendor, ImageAllowed: false }),
  inst(A, 'us-east-1', 'i-a4', { ...own, ImageAllowed: true }),
  inst(A, 'us-east-1', 'i-gone', { ...vendor, ImageAllowed: false }, 'terminated'),
  // disabled: the criteria on the metadata
  inst(A, 'eu-west-1', 'i-d1', { ...vendor }),
  inst(A, 'eu-west-1', 'i-d2', { ...own }),
  inst(A, 'eu-west-1', 'i-d3', { ...amazon }),
  inst(A, 'eu-west-1', 'i-d4', { ImageId: 'ami-0noowner000000005' }),
  // enabled: skipped (not-allowed-ami reports it)
  inst(B, 'us-east-1', 'i-e1', { ...vendor, ImageAllowed: false }),
  // state not read
  inst(B, 'eu-west-1', 'i-n1', { ...vendor, ImageAllowed: true }),
];

const references: ImageReference[] = [
  { accountId: A, region: 'us-east-1', imageId: vendor.ImageId, resourceType: 'ec2:LaunchTemplate', arn: `arn:aws:ec2:us-east-1:${A}:launch-template/lt-0abc`, name: 'web', version: '3', usedBy: ['web-asg'] },
  { accountId: A, region: 'us-east-1', imageId: vendor.ImageId, resourceType: 'ssm:Parameter', arn: `arn:aws:ssm:us-east-1:${A}:parameter/ami`, name: 'ami', version: null, usedBy: [] },
  { accountId: B, region: 'us-east-1', imageId: vendor.ImageId, resourceType: 'ec2:LaunchTemplate', arn: `arn:aws:ec2:us-east-1:${B}:launch-template/lt-0def`, name: 'b', version: '1', usedBy: [] },
];

describe('the what-if with the current criteria', () => {
  const w = allowedAmisWhatIf({ coverage, instances, references, proposed: null, asOfMs });

  test('audit-mode and disabled regions are evaluated; enabled, not-read regions are named, not evaluated', () => {
    const by = new Map(w.scopes.map((s) => [`${s.accountId} ${s.region}`, s]));
    expect(by.get(`${A} us-east-1`)).toMatchObject({ evaluated: true, reason: null, refused: 2, undecided: 0, allowed: 2 });
    expect(by.get(`${A} eu-west-1`)).toMatchObject({ evaluated: true, refused: 1, undecided: 1, allowed: 2 });
    expect(by.get(`${B} us-east-1`)).toMatchObject({ evaluated: false, reason: 'enabled', refused: 0 });
    expect(by.get(`${B} eu-west-1`)).toMatchObject({ evaluated: false, reason: 'state-not-read' });
    expect(w.criteria).toBe('current');
    expect(w.totals).toEqual({ refusedInstances: 3, undecidedInstances: 1, refusedImages: 1, undecidedImages: 1, launchTemplates: 1, scopesEvaluated: 2, scopesNotEvaluated: 2 });
  });

  test('grouped by account and AMI: the vendor AMI refused with its instances (terminated ones left out) and launch template', () => {
    const refused = w.images.find((e) => e.verdict === 'refused')!;
    expect(refused).toMatchObject({ accountId: A, imageId: vendor.ImageId, ownerId: VENDOR, regions: ['eu-west-1', 'us-east-1'], instances: ['i-a2', 'i-a3', 'i-d1'] });
    expect(refused.launchTemplates).toEqual([{ region: 'us-east-1', arn: `arn:aws:ec2:us-east-1:${A}:launch-template/lt-0abc`, name: 'web', version: '3' }]);
    expect(refused.source).toBe('ec2');
    // the own AMI is never refused; an AMI whose name the metadata does not carry is undecided, not allowed
    expect(w.images.some((e) => e.imageId === own.ImageId)).toBe(false);
    const und = w.images.find((e) => e.verdict === 'undecided')!;
    expect(und).toMatchObject({ imageId: 'ami-0noowner000000005', instances: ['i-d4'], source: 'metadata' });
    expect(und.why).toMatch(/the image name \(not in the metadata\)/);
  });
});

describe('the what-if with a proposed criteria file', () => {
  const file = { ImageCriteria: [{ ImageProviders: ['amazon', VENDOR], ImageNames: ['vendor-*', 'al2023-*'], CreationDateCondition: { MaximumDaysSinceCreated: 30 } }] };
  const proposed = parseCriteria(file, 'criteria.json');

  test('every audit-mode and disabled region is judged against it on the metadata, EC2\'s ImageAllowed aside', () => {
    const w = allowedAmisWhatIf({ coverage, instances, references, proposed, asOfMs });
    expect(w.criteria).toBe('proposed');
    expect(w.proposed).toEqual(proposed);
    // created 2026-10-01: 56 days before the as-of, more than 30: everything not own is refused
    const refused = w.images.filter((e) => e.verdict === 'refused');
    expect(refused.map((e) => e.imageId).sort()).toEqual([amazon.ImageId, vendor.ImageId, 'ami-0noowner000000005'].sort());
    expect(refused.find((e) => e.imageId === vendor.ImageId)!.why).toMatch(/created 56 days ago, more than the 30 allowed/);
    expect(refused.every((e) => e.source === 'metadata')).toBe(true);
  });

  test('marketplace product codes cannot be decided from the metadata: undecided, never allowed', () => {
    const codes = parseCriteria({ ImageCriteria: [{ MarketplaceProductCodes: ['abcdef123456'] }] }, 'codes.json');
    const w = allowedAmisWhatIf({ coverage, instances: [inst(A, 'eu-west-1', 'i-m1', { ...vendor })], proposed: codes, asOfMs });
    expect(w.images).toHaveLength(1);
    expect(w.images[0]).toMatchObject({ verdict: 'undecided', instances: ['i-m1'] });
    expect(w.images[0]!.why).toMatch(/marketplace product codes/);
    expect(w.scopes.find((s) => s.region === 'eu-west-1' && s.accountId === A)).toMatchObject({ undecided: 1, allowed: 0, refused: 0 });
  });

  test('the report carries it: JSON validates, Markdown and the terminal say it, the -whatif.csv lists it', () => {
    const inventory: Inventory = {
      run: { id: 'r1', startedAt: AS_OF, finishedAt: AS_OF, caller: { accountId: A, arn: null }, accounts: [A, B], regions: ['us-east-1', 'eu-west-1'], options: {}, interrupted: false, source: 'scan' },
      coverage, instances, references, notFoundInstanceIds: [],
    };
    const report = buildReport({ inventory, settings: DEFAULT_SETTINGS, asOf: DateTime.fromISO(AS_OF, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 't' }, proposedCriteria: proposed });
    expect(report.whatIf?.criteria).toBe('proposed');
    expect(reportValidator()(JSON.parse(JSON.stringify(report)))).toBe(true);
    expect(renderMarkdown(report)).toContain('## If Allowed AMIs were enabled');
    expect(renderTextSummary(report)).toMatch(/if Allowed AMIs were enabled {2}6 instances on 3 AMIs would be refused a relaunch/);
    const csv = renderWhatIfCsv(report)!;
    expect(csv.split('\r\n')[0]).toBe('\uFEFFaccountId,accountName,imageId,imageName,ownerId,ownerAlias,verdict,source,instances,instanceIds,launchTemplates,regions,why,criteria');
    expect(csv).toContain(`${A},,${vendor.ImageId},vendor-appliance-7,${VENDOR},,refused,metadata,3,i-a2; i-a3; i-d1,`);
    // no audit-mode or disabled region and no proposal: no what-if
    const none = buildReport({ inventory: { ...inventory, coverage: [coverage[2]!] }, settings: DEFAULT_SETTINGS, asOf: DateTime.fromISO(AS_OF, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 't' } });
    expect(none.whatIf).toBeUndefined();
    expect(renderWhatIfCsv(none)).toBeNull();
  });
});

describe('the criteria file', () => {
  test('the EC2 API\'s shape, bare list or ImageCriteria object', () => {
    expect(parseCriteria([{ ImageProviders: ['none'] }], 'f.json')[0]!.imageProviders).toEqual(['none']);
    expect(parseCriteria({ ImageCriteria: [{ DeprecationTimeCondition: { MaximumDaysSinceDeprecated: 0 } }] }, 'f.json')[0]!.maximumDaysSinceDeprecated).toBe(0);
    expect(parseCriteria({ ImageCriteria: [] }, 'f.json')).toEqual([]);
  });

  test.each([
    [{ Criteria: [] }, /^f\.json: Criteria: unknown field/],
    [{ ImageCriteria: [{ ImageProvider: ['amazon'] }] }, /^f\.json: ImageCriteria\[0\]\.ImageProvider: unknown field: expected one of ImageProviders/],
    [{ ImageCriteria: [{ ImageProviders: ['amazn'] }] }, /^f\.json: ImageCriteria\[0\]\.ImageProviders\[0\]: must be amazon, aws-marketplace, aws-backup-vault, none or a 12-digit account id$/],
    [{ ImageCriteria: [{ CreationDateCondition: { MaximumDaysSinceCreated: -1 } }] }, /CreationDateCondition\.MaximumDaysSinceCreated: must be a whole number of days/],
    [{ ImageCriteria: [{}] }, /ImageCriteria\[0\]: specifies no parameter/],
    [{ ImageCriteria: Array.from({ length: 11 }, () => ({ ImageProviders: ['amazon'] })) }, /has 11 criteria; Allowed AMIs takes at most 10/],
    [{ ImageCriteria: [{ MarketplaceProductCodes: ['no-dashes'] }] }, /MarketplaceProductCodes\[0\]: must be a product code/],
    ['text', /must be a list of image criteria/],
  ])('refuses %j in one line naming the file and the field', (doc, message) => {
    let err: unknown;
    try {
      parseCriteria(doc, 'f.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('regions whose Allowed AMIs state was never read', () => {
  // every instance there reported ImageAllowed true, so the scan never asked for the state: it may
  // be disabled with criteria that would refuse them once enabled, or audit-mode, or enabled
  const notRead = [ok(A, 'us-east-1', { allowedImagesState: 'not-needed', instanceCount: 2 }), ok(B, 'us-east-1', { allowedImagesState: 'enabled', allowedImagesCriteria: current, allowedImagesManagedBy: 'account', instanceCount: 1 })];
  const fleet = [inst(A, 'us-east-1', 'i-n1', { ...vendor, ImageAllowed: true }), inst(A, 'us-east-1', 'i-n2', { ...amazon, ImageAllowed: true }), inst(B, 'us-east-1', 'i-e1', { ...amazon, ImageAllowed: true })];
  const inventory: Inventory = {
    run: { id: 'r2', startedAt: AS_OF, finishedAt: AS_OF, caller: { accountId: A, arn: null }, accounts: [A, B], regions: ['us-east-1'], options: {}, interrupted: false, source: 'scan' },
    coverage: notRead, instances: fleet, notFoundInstanceIds: [],
  };
  const report = buildReport({ inventory, settings: DEFAULT_SETTINGS, asOf: DateTime.fromISO(AS_OF, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 't' } });

  test('the what-if is there and names the region not evaluated, with the reason, never absent', () => {
    expect(report.whatIf).toBeDefined();
    expect(report.whatIf!.scopes.find((s) => s.accountId === A)).toMatchObject({ evaluated: false, reason: 'state-not-read', allowedImagesState: 'not-needed' });
    expect(report.whatIf!.totals).toMatchObject({ scopesEvaluated: 0, scopesNotEvaluated: 2 });
    expect(reportValidator()(JSON.parse(JSON.stringify(report)))).toBe(true);
  });

  test('never counted as "nothing would break": Markdown, terminal and -whatif.csv say it was not evaluated, where and why', () => {
    const md = renderMarkdown(report);
    const section = md.slice(md.indexOf('## If Allowed AMIs were enabled'), md.indexOf('\n## ', md.indexOf('## If Allowed AMIs were enabled') + 3));
    expect(section).not.toMatch(/Nothing would be refused/);
    expect(section).not.toMatch(/0 instances on 0 AMIs would be refused/);
    expect(section).toMatch(/not evaluated in any scope/i);
    expect(section).toContain(`${A} us-east-1: the state was not read (no instance needed it)`);
    const text = renderTextSummary(report);
    expect(text).not.toMatch(/0 instances on 0 AMIs would be refused/);
    expect(text).toMatch(/if Allowed AMIs were enabled {2}not evaluated in any scope/);
    expect(text).toContain(`; not evaluated: ${A} us-east-1 (state not read), ${B} us-east-1 (already enabled)`);
    const rows = renderWhatIfCsv(report)!.split('\r\n');
    expect(rows.find((l) => l.startsWith(`${A},`))).toMatch(new RegExp(`^${A},,,,,,not-evaluated,,,,,us-east-1,the state was not read \\(no instance needed it\\)[^,]*,current$`));
  });

  test('the HTML names a bounded number of the scopes not evaluated and says where every one is: an organisation has thousands', () => {
    // 300 accounts x 17 regions, nearly all enabled: one inline list of every scope took Chromium 0.4 s to lay out again on a filter
    const accounts = Array.from({ length: 300 }, (_, i) => String(100000000001 + i));
    const many = accounts.flatMap((a) => ['us-east-1', 'eu-west-1'].map((r) => ok(a, r, { allowedImagesState: 'enabled', allowedImagesCriteria: current, allowedImagesManagedBy: 'account' })));
    const w = allowedAmisWhatIf({ coverage: many, instances: [], references: [], proposed: null, asOfMs });
    const html = renderHtml({ ...report, whatIf: w }, loadTemplates());
    const para = html.slice(html.indexOf('Not evaluated: '), html.indexOf('</p>', html.indexOf('Not evaluated: ')));
    expect(para).toContain(`${accounts[0]}</span> <span class="nowrap">eu-west-1</span>`);
    expect((para.match(/class="nowrap"/g) ?? []).length).toBeLessThanOrEqual(100);
    expect(para).toMatch(/and 5[0-9]{2} more \(the -whatif\.csv and the JSON report's whatIf list them all\)/);
    // a short list stays whole
    const few = renderHtml(report, loadTemplates());
    expect(few).toContain(`<span class="nowrap">${B}</span> <span class="nowrap">us-east-1</span> (already enabled`);
    expect(few).not.toMatch(/ more \(the -whatif\.csv/);
  });

  test('beside evaluated regions, the line counts the regions not evaluated by reason', () => {
    const w = allowedAmisWhatIf({ coverage, instances, references, proposed: null, asOfMs });
    const text = renderTextSummary({ ...report, whatIf: w });
    expect(text).toMatch(/in 2 scopes in audit-mode or disabled; 2 scopes not evaluated \(1 state not read, 1 already enabled\)/);
  });
});

describe('the current criteria as GetAllowedImagesSettings returns them', () => {
  // the EC2 model's ImageCriterion (2016-11-15) carries ImageWatermarks (imageWatermarkSet): filters
  // on WatermarkKey, SourceImageRegion, MaximumDaysSinceSourceImageCreated, MaximumDaysSinceWatermarkCreated
  const raw = [{ ImageProviders: ['amazon'], ImageWatermarks: [{ WatermarkKey: '123456789012:approved*', SourceImageRegion: 'us-*', MaximumDaysSinceWatermarkCreated: 90 }] }];

  test('the watermark filters are kept, bounded, so that the criterion is never read as met on its other parameters', async () => {
    const { criteriaOf } = await import('../../src/collect/scope.js');
    const [c] = criteriaOf(raw);
    expect(c!.imageWatermarks).toEqual([{ WatermarkKey: '123456789012:approved*', SourceImageRegion: 'us-*', MaximumDaysSinceWatermarkCreated: 90 }]);
    const long = criteriaOf([{ ImageWatermarks: [{ WatermarkKey: 'k'.repeat(1000), MaximumDaysSinceSourceImageCreated: -3, Unknown: 'x' } as never] }]);
    expect(long[0]!.imageWatermarks).toEqual([{ WatermarkKey: 'k'.repeat(256) }]);
    expect(criteriaOf([{ ImageProviders: ['amazon'] }])[0]!.imageWatermarks).toBeUndefined();
    // an Amazon AMI meets ImageProviders, but its watermarks are not judged: undecided, not allowed
    const w = allowedAmisWhatIf({
      coverage: [ok(A, 'eu-west-1', { allowedImagesState: 'disabled', allowedImagesCriteria: criteriaOf(raw), allowedImagesManagedBy: 'account' })],
      instances: [inst(A, 'eu-west-1', 'i-w1', { ...amazon })], proposed: null, asOfMs,
    });
    expect(w.images).toHaveLength(1);
    expect(w.images[0]).toMatchObject({ verdict: 'undecided', instances: ['i-w1'] });
    expect(w.images[0]!.why).toMatch(/watermark/);
  });
});
