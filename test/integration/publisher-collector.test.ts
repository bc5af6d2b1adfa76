/**
 * ami-audit images through the real SDK against the local endpoint: the demo's golden AMI (shared
 * to three accounts, one outside the organisation, deprecated, unprotected, built on a deprecated
 * Amazon Linux AMI) with a usage report that takes two polls; paging of DescribeImages and of the
 * report entries; a denied listing (a named gap), denied launch permissions and report creation
 * (partial, never "no consumers"), throttling retried, and a report that stays pending.
 */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { collect } from '../../src/collect/collector.js';
import { demoFleet, DEMO_ACCOUNTS, DEMO_PUBLISHER } from '../../src/emulator/demo.js';
import type { Fleet, FleetImage } from '../../src/emulator/fleet.js';
import type { FaultPlan } from '../../src/emulator/faults.js';
import type { CollectOptions } from '../../src/collect/collector.js';
import type { UsageSettings } from '../../src/collect/owned-images.js';
import { buildReport } from '../../src/report/build.js';
import { settingsFrom } from '../../src/config/config.js';
import { NOW, ec2, emulator, withEmulator } from '../helpers/emulator.js';
import { CreateImageUsageReportCommand, DescribeImageUsageReportsCommand } from '@aws-sdk/client-ec2';
import { collectOptions } from '../helpers/collect.js';
import { renderOwnedImagesCsv } from '../../src/render/owned.js';
import { renderHtml } from '../../src/render/html.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { loadTemplates } from '../../src/io/files.js';

const OWNER = DEMO_PUBLISHER.owner;
const REGION = DEMO_PUBLISHER.region;
const USAGE: UsageSettings = { horizonDays: 30, waitMs: 5000, pollMs: 1, maxAgeMs: 86_400_000, imageIds: [] };
const noWait = async (): Promise<void> => undefined;
/** The EC2 actions of an images scope (what its apiCalls count). */
const SCOPE_ACTIONS = ['DescribeImages', 'GetImageBlockPublicAccessState', 'DescribeImageAttribute', 'GetImageAncestry', 'CreateImageUsageReport', 'DescribeImageUsageReports', 'DescribeImageUsageReportEntries'];

function images(over: Partial<NonNullable<CollectOptions['images']>> = {}): NonNullable<CollectOptions['images']> {
  return { usage: USAGE, ancestry: true, asOfMs: Date.parse(NOW), sleep: noWait, ...over };
}

async function run(fleet: Fleet, faults?: FaultPlan, over: Partial<CollectOptions> = {}) {
  return withEmulator(fleet, async (e) => {
    const inv = await collect(collectOptions(e, { accounts: [OWNER], regions: [REGION], images: images(), now: () => new Date(NOW), ...over }));
    return { inv, calls: { ...e.stats.byAction } };
  }, faults);
}

describe('ami-audit images against the demo', () => {
  test('the golden AMI: sharing, protection, ancestry, and its consumers after the report became available', async () => {
    const { inv, calls } = await run(demoFleet(NOW));
    const cov = inv.coverage.find((c) => c.accountId === OWNER && c.region === REGION)!;
    expect(cov).toMatchObject({ status: 'ok', ownedImageCount: 3, imageBlockPublicAccessState: 'unblocked', instanceCount: 0 });
    const golden = inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!;
    expect(golden.sharing).toEqual({ public: false, accountIds: [DEMO_ACCOUNTS.prod, DEMO_ACCOUNTS.dev, DEMO_PUBLISHER.outsideAccount].sort(), organizationArns: [], organizationalUnitArns: [] });
    expect(golden.deregistrationProtection).toBe('disabled');
    expect(golden.ancestry!.map((a) => a.imageId)).toEqual([DEMO_PUBLISHER.goldenImageId, 'ami-0f080000000000000']);
    expect(golden.ancestry![1]!.imageOwnerAlias).toBe('amazon');
    expect(golden.usage).toMatchObject({ status: 'known', consumers: [
      { accountId: DEMO_ACCOUNTS.prod, instances: 3, launchTemplates: 1 },
      { accountId: DEMO_ACCOUNTS.dev, instances: 2, launchTemplates: 0 },
      { accountId: DEMO_PUBLISHER.outsideAccount, instances: 2, launchTemplates: 0 },
    ].sort((a, b) => (a.accountId < b.accountId ? -1 : 1)) });
    expect(golden.usage!.reportId).toMatch(/^amiur-[0-9a-f]{17}$/);
    // only the deprecated shared AMI costs a report; the report took polls until available
    expect(calls.CreateImageUsageReport).toBe(1);
    expect(calls.DescribeImageUsageReports).toBeGreaterThanOrEqual(3);
    expect(inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.currentImageId)!.usage!.status).toBe('not-requested');
    expect(inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.currentImageId)!.sharing!.organizationArns).toHaveLength(1);
    // nothing but images was asked of the account
    expect(calls.DescribeInstanceImageMetadata).toBeUndefined();

    const report = buildReport({ inventory: { ...inv, accounts: [{ accountId: DEMO_ACCOUNTS.prod, name: 'payments-prod', ouPath: 'Root/Workloads', state: 'ACTIVE' }] }, settings: settingsFrom({}), asOf: DateTime.fromISO(NOW, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    expect(report.ownedImages![0]!.imageId).toBe(DEMO_PUBLISHER.goldenImageId);
    expect(report.ownedImages![0]!.usage!.consumers.find((c) => c.accountId === DEMO_ACCOUNTS.prod)).toMatchObject({ name: 'payments-prod', inOrganization: true });
    const byRule = (id: string) => report.findings.filter((f) => f.ruleId === id).map((f) => f.imageId);
    expect(byRule('deprecated-ami-in-use')).toEqual([DEMO_PUBLISHER.goldenImageId]);
    expect(byRule('unprotected-ami-in-use')).toEqual([DEMO_PUBLISHER.goldenImageId]);
    expect(byRule('public-ami')).toEqual([DEMO_PUBLISHER.publicImageId]);
    expect(byRule('unused-shared-ami')).toEqual([DEMO_PUBLISHER.publicImageId]);
    // the golden AMI's Amazon root has been deprecated since: it inherits a finding, its successor does not
    expect(golden.ancestryRoot).toMatchObject({ imageId: 'ami-0f080000000000000', described: true, ownerAlias: 'amazon' });
    expect(byRule('flagged-root-ami')).toEqual([DEMO_PUBLISHER.goldenImageId]);
    expect(report.findings.find((f) => f.ruleId === 'flagged-root-ami')!.message).toMatch(/^Built from a flagged root: its root ami-0f080000000000000 was deprecated on /);
  });

  test('paging: DescribeImages and the report entries, every page', async () => {
    const fleet = demoFleet(NOW);
    const many: FleetImage[] = Array.from({ length: 12 }, (_, k) => ({
      imageId: `ami-0abc${k.toString(16).padStart(13, '0')}`, name: `build-${k}`, ownerId: OWNER, architecture: 'x86_64', creationDate: '2026-01-01T00:00:00Z', regions: [REGION],
    }));
    fleet.images!.push(...many);
    const golden = fleet.images!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!;
    golden.usage = Array.from({ length: 13 }, (_, k) => ({ accountId: String(900000000000 + k), resourceType: 'ec2:Instance' as const, count: k + 1 }));
    const { inv, calls } = await run(fleet, undefined, { pageSize: 5 });
    expect(inv.coverage[0]).toMatchObject({ status: 'ok', ownedImageCount: 15 });
    // three pages of the listing, then one call for each of the two Amazon roots of the golden AMIs' ancestries
    expect(calls.DescribeImages).toBe(5);
    expect(calls.DescribeImageUsageReportEntries).toBe(3);
    const g = inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!;
    expect(g.usage!.consumers).toHaveLength(13);
    expect(g.usage!.consumers.reduce((n, c) => n + c.instances, 0)).toBe(91);
  });

  test('a denied DescribeImages is a named gap, never an account without AMIs', async () => {
    const { inv } = await run(demoFleet(NOW), { rules: [{ action: 'DescribeImages', error: 'UnauthorizedOperation' }] });
    expect(inv.coverage[0]).toMatchObject({ status: 'error', errorCode: 'UnauthorizedOperation', ownedImageCount: 0 });
    expect(inv.coverage[0]!.failures[0]!.action).toBe('DescribeImages');
    expect(inv.ownedImages).toEqual([]);
  });

  test('denied launch permissions and report creation: partial, sharing and consumers unknown', async () => {
    const { inv } = await run(demoFleet(NOW), { rules: [{ action: 'DescribeImageAttribute', error: 'UnauthorizedOperation' }, { action: 'CreateImageUsageReport', error: 'UnauthorizedOperation' }] });
    const cov = inv.coverage[0]!;
    expect(cov.status).toBe('partial');
    expect(cov.failures.map((f) => f.action).sort()).toEqual(['CreateImageUsageReport', 'DescribeImageAttribute']);
    expect(cov.failures.find((f) => f.action === 'DescribeImageAttribute')!.message).toMatch(/and 2 more AMIs alike/);
    const golden = inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!;
    expect(golden.sharing).toBeNull();
    expect(golden.sharingError).toMatch(/^UnauthorizedOperation/);
    expect(golden.usage).toMatchObject({ status: 'unknown', consumers: [] });
    const report = buildReport({ inventory: inv, settings: settingsFrom({}), asOf: DateTime.fromISO(NOW, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    expect(report.findings.find((f) => f.ruleId === 'deprecated-ami-in-use')).toMatchObject({ severity: 'medium' });
    expect(report.run.status).toBe('partial');
  });

  test('throttled calls are retried and counted; the scope stays ok', async () => {
    const { inv } = await run(demoFleet(NOW), { rules: [{ action: 'DescribeImageAttribute', error: 'RequestLimitExceeded', count: 2 }, { action: 'GetImageAncestry', error: 'RequestLimitExceeded', count: 1 }] });
    expect(inv.coverage[0]).toMatchObject({ status: 'ok' });
    expect(inv.coverage[0]!.retries).toBe(3);
    expect(inv.ownedImages!.every((i) => i.sharing !== null && i.ancestry !== undefined)).toBe(true);
  });

  test('a report that stays pending: consumers unknown after --usage-wait, never read as no consumers', async () => {
    const fleet = demoFleet(NOW);
    fleet.images!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!.usageReportPolls = -1;
    const { inv, calls } = await run(fleet, undefined, { images: images({ usage: { ...USAGE, waitMs: 60, pollMs: 10 }, sleep: undefined }) });
    const golden = inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!;
    expect(golden.usage).toMatchObject({ status: 'unknown', consumers: [], reason: 'the usage report was still pending after 0.1 s (--usage-wait)' });
    expect(calls.DescribeImageUsageReportEntries).toBeUndefined();
    expect(calls.DescribeImageUsageReports).toBeGreaterThanOrEqual(2);
  });

  test('a young report of the same AMI is reused, not made again', async () => {
    // a report's age is judged by the run's clock, the wall clock (as in AWS, where the service
    // stamps reports by it too): here the endpoint's clock is the wall clock, not the fleet's asOf
    const e = await emulator({ fleet: demoFleet(NOW), clock: Date.now });
    const out = await (async () => {
      try {
        const o = collectOptions(e, { accounts: [OWNER], regions: [REGION], images: images(), now: () => new Date(NOW) });
        const first = await collect(o);
        const second = await collect(o);
        return { first, second, creates: e.stats.byAction.CreateImageUsageReport };
      } finally {
        await e.close();
      }
    })();
    expect(out.creates).toBe(1);
    const g = (inv: typeof out.first) => inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!.usage!;
    expect(g(out.second)).toMatchObject({ status: 'known', reused: true, reportId: g(out.first).reportId });
  });

  test('a pending report older than --usage-max-age is waited for, never doubled (EC2 allows one pending report per AMI)', async () => {
    const fleet = demoFleet(NOW);
    const out = await withEmulator(fleet, async (e) => {
      const opts = (usage: UsageSettings) => collectOptions(e, { accounts: [OWNER], regions: [REGION], images: images({ usage }), now: () => new Date(NOW) });
      // the first run does not wait: its report is left pending
      const first = await collect(opts({ ...USAGE, waitMs: 0 }));
      await new Promise((r) => setTimeout(r, 20));
      // the second finds it pending and older than its --usage-max-age
      const before = { ...e.stats.byAction };
      const second = await collect(opts({ ...USAGE, maxAgeMs: 1 }));
      const delta = (a: string) => (e.stats.byAction[a] ?? 0) - (before[a] ?? 0);
      return { first, second, creates: e.stats.byAction.CreateImageUsageReport, secondCalls: SCOPE_ACTIONS.reduce((n, a) => n + delta(a), 0), errors: { ...e.stats.errors } };
    });
    const g = (inv: typeof out.first) => inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!.usage!;
    expect(g(out.first)).toMatchObject({ status: 'unknown', reason: 'the usage report was still pending after 0 s (--usage-wait)' });
    expect(out.creates).toBe(1);
    expect(out.errors.ResourceLimitExceeded).toBeUndefined();
    expect(g(out.second)).toMatchObject({ status: 'known', reused: true, reportId: g(out.first).reportId });
    expect(g(out.second).consumers.length).toBe(3);
    const cov = out.second.coverage[0]!;
    expect(cov.status).toBe('ok');
    // every call the second run made is counted, none more
    expect(cov.apiCalls).toBe(out.secondCalls);
  });

  test('a narrower report of the AMI (one resource type, some accounts) is never read as its whole usage', async () => {
    const out = await withEmulator(demoFleet(NOW), async (e) => {
      const owner = ec2(e, REGION);
      // someone made a report of instances only, for one account; it is available and young
      const { ReportId } = await owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: [{ ResourceType: 'ec2:Instance' }], AccountIds: [DEMO_ACCOUNTS.dev] }));
      for (let k = 0; k < 3; k += 1) await owner.send(new DescribeImageUsageReportsCommand({ ReportIds: [ReportId!] }));
      const inv = await collect(collectOptions(e, { accounts: [OWNER], regions: [REGION], images: images(), now: () => new Date(NOW) }));
      return { inv, narrowId: ReportId, creates: e.stats.byAction.CreateImageUsageReport };
    });
    const usage = out.inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!.usage!;
    expect(out.creates).toBe(2);
    expect(usage.reportId).not.toBe(out.narrowId);
    expect(usage).toMatchObject({ status: 'known' });
    expect(usage.reused).toBeUndefined();
    expect(usage.consumers.find((c) => c.accountId === DEMO_ACCOUNTS.prod)).toEqual({ accountId: DEMO_ACCOUNTS.prod, instances: 3, launchTemplates: 1 });
  });

  test('a narrower report of the AMI still pending: consumers unknown with the reason, no create EC2 would refuse', async () => {
    const fleet = demoFleet(NOW);
    fleet.images!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!.usageReportPolls = -1;
    const out = await withEmulator(fleet, async (e) => {
      const owner = ec2(e, REGION);
      await owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: [{ ResourceType: 'ec2:Instance' }, { ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['3'] }] }] }));
      const inv = await collect(collectOptions(e, { accounts: [OWNER], regions: [REGION], images: images(), now: () => new Date(NOW) }));
      return { inv, creates: e.stats.byAction.CreateImageUsageReport, errors: { ...e.stats.errors } };
    });
    const usage = out.inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!.usage!;
    expect(out.creates).toBe(1);
    expect(out.errors.ResourceLimitExceeded).toBeUndefined();
    expect(usage).toMatchObject({ status: 'unknown', consumers: [] });
    expect(usage.reason).toMatch(/^another usage report of this AMI, narrower than a full one \(launch template versions 3\), is still pending/);
  });

  test('a create refused because a report of the AMI is still pending: consumers unknown with the reason, never no consumers', async () => {
    const fleet = demoFleet(NOW);
    // the listing of existing reports fails once, so the collector cannot see the pending one and asks for another
    const out = await withEmulator(fleet, async (e) => {
      const owner = ec2(e, REGION);
      const { ReportId } = await owner.send(new CreateImageUsageReportCommand({ ImageId: DEMO_PUBLISHER.goldenImageId, ResourceTypes: [{ ResourceType: 'ec2:Instance' }, { ResourceType: 'ec2:LaunchTemplate' }] }));
      const before = { ...e.stats.byAction };
      const inv = await collect(collectOptions(e, { accounts: [OWNER], regions: [REGION], images: images(), now: () => new Date(NOW) }));
      const calls = SCOPE_ACTIONS.reduce((n, a) => n + (e.stats.byAction[a] ?? 0) - (before[a] ?? 0), 0);
      return { inv, pendingId: ReportId, calls };
    }, { rules: [{ action: 'DescribeImageUsageReports', error: 'UnauthorizedOperation', count: 1 }] });
    const golden = out.inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!;
    expect(golden.usage).toMatchObject({ status: 'unknown', consumers: [] });
    expect(golden.usage!.reason).toMatch(/^no usage report: ResourceLimitExceeded \(EC2 allows one pending usage report per AMI/);
    const cov = out.inv.coverage[0]!;
    expect(cov.status).toBe('partial');
    expect(cov.failures.map((f) => `${f.action} ${f.code}`).sort()).toEqual(['CreateImageUsageReport ResourceLimitExceeded', 'DescribeImageUsageReports UnauthorizedOperation']);
    expect(cov.apiCalls).toBe(out.calls);
    const report = buildReport({ inventory: out.inv, settings: settingsFrom({}), asOf: DateTime.fromISO(NOW, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    expect(report.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!.usage!.status).toBe('unknown');
  });

  test('a denied GetImageAncestry: partial, named, each AMI\'s ancestry "not read" with the code, never an AMI without ancestry', async () => {
    const { inv } = await run(demoFleet(NOW), { rules: [{ action: 'GetImageAncestry', error: 'UnauthorizedOperation' }] });
    const cov = inv.coverage[0]!;
    expect(cov.status).toBe('partial');
    expect(cov.failures.map((f) => `${f.action} ${f.code}`)).toEqual(['GetImageAncestry UnauthorizedOperation']);
    expect(cov.failures[0]!.message).toMatch(/and 2 more AMIs alike/);
    for (const img of inv.ownedImages!) {
      expect(img.ancestry).toBeUndefined();
      expect(img.ancestryError).toMatch(/^UnauthorizedOperation: /);
    }
    // the rest was read: sharing and consumers
    const golden = inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!;
    expect(golden.sharing).not.toBeNull();
    expect(golden.usage!.status).toBe('known');
    const report = buildReport({ inventory: inv, settings: settingsFrom({}), asOf: DateTime.fromISO(NOW, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    expect(report.run.status).toBe('partial');
    expect(report.coverageGaps.map((g) => `${g.status} ${g.action} ${g.cause}`)).toEqual(['partial GetImageAncestry UnauthorizedOperation']);
    // a root that could not be read is not judged: no inherited finding, and no "clean" ancestry either
    expect(report.findings.filter((f) => f.ruleId === 'flagged-root-ami')).toEqual([]);
    const rows = renderOwnedImagesCsv(report).split('\r\n').filter((l) => l.includes(DEMO_PUBLISHER.goldenImageId));
    expect(rows[0]).toMatch(/,not read: UnauthorizedOperation: /);
    const html = renderHtml(report, loadTemplates());
    const owned = html.slice(html.indexOf('id="t-owned"'), html.indexOf('</table>', html.indexOf('id="t-owned"')));
    expect(owned).toContain('<td>not read: UnauthorizedOperation: ');
  });

  test('a denied GetImageBlockPublicAccessState: partial, named, the state "unknown", never said to be off or on', async () => {
    const { inv } = await run(demoFleet(NOW), { rules: [{ action: 'GetImageBlockPublicAccessState', error: 'UnauthorizedOperation' }] });
    const cov = inv.coverage[0]!;
    expect(cov.status).toBe('partial');
    expect(cov.imageBlockPublicAccessState).toBe('unknown');
    expect(cov.failures.map((f) => `${f.action} ${f.code}`)).toEqual(['GetImageBlockPublicAccessState UnauthorizedOperation']);
    // the AMIs were all read
    expect(inv.ownedImages).toHaveLength(3);
    expect(inv.ownedImages!.every((i) => i.sharing !== null && i.ancestry !== undefined)).toBe(true);
    const report = buildReport({ inventory: inv, settings: settingsFrom({}), asOf: DateTime.fromISO(NOW, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    expect(report.coverageGaps.map((g) => `${g.status} ${g.action} ${g.cause}`)).toEqual(['partial GetImageBlockPublicAccessState UnauthorizedOperation']);
    const html = renderHtml(report, loadTemplates());
    const section = html.slice(html.indexOf('id="owned-images"'), html.indexOf('</section>', html.indexOf('id="owned-images"')));
    expect(section).not.toMatch(/Block public access for AMIs is not on in/);
    expect(section).toContain(`Block public access for AMIs could not be read in: ${OWNER}`);
    const md = renderMarkdown(report);
    expect(md).not.toMatch(/Image block public access is off/);
  });

  test('paging: DescribeImageUsageReports, every page, while reports are pending and once available', async () => {
    const fleet = demoFleet(NOW);
    const golden = fleet.images!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!;
    // twelve more shared, deprecated AMIs, each used by one account: thirteen reports to follow
    const more: FleetImage[] = Array.from({ length: 12 }, (_, k) => ({
      ...golden, imageId: `ami-0dec${k.toString(16).padStart(13, '0')}`, name: `golden-${k}`,
      usage: [{ accountId: String(900000000000 + k), resourceType: 'ec2:Instance' as const, count: k + 1 }],
    }));
    fleet.images!.push(...more);
    const { inv, calls } = await run(fleet, undefined, { pageSize: 5 });
    expect(inv.coverage[0]).toMatchObject({ status: 'ok', ownedImageCount: 15 });
    expect(calls.CreateImageUsageReport).toBe(13);
    // the listing of existing reports (none: one page), then each poll of 13 reports in pages of 5: 3 calls each, 2 pending polls and the available one
    expect(calls.DescribeImageUsageReports).toBe(1 + 3 * 3);
    for (const [k, img] of more.entries()) {
      const u = inv.ownedImages!.find((i) => i.imageId === img.imageId)!.usage!;
      expect(u).toMatchObject({ status: 'known', consumers: [{ accountId: String(900000000000 + k), instances: k + 1, launchTemplates: 0 }] });
    }
  });

  test('watermarks: DescribeImages imageWatermarkSet kept, shown with the ancestry in the HTML and in the -owned-images.csv', async () => {
    const { inv } = await run(demoFleet(NOW));
    const current = inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.currentImageId)!;
    const key = `${OWNER}:golden-approved`;
    expect(current.imageWatermarks).toEqual([{ WatermarkKey: key, SourceImageId: DEMO_PUBLISHER.currentImageId, SourceImageRegion: REGION, SourceImageCreationTime: expect.any(String), WatermarkCreationTime: expect.any(String) }]);
    // an AMI without a watermark has none
    expect(inv.ownedImages!.find((i) => i.imageId === DEMO_PUBLISHER.goldenImageId)!.imageWatermarks).toBeUndefined();
    const report = buildReport({ inventory: inv, settings: settingsFrom({}), asOf: DateTime.fromISO(NOW, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    const text = `watermark ${key} from ${DEMO_PUBLISHER.currentImageId} (${REGION})`;
    const html = renderHtml(report, loadTemplates());
    const owned = html.slice(html.indexOf('id="t-owned"'), html.indexOf('</table>', html.indexOf('id="t-owned"')));
    const row = owned.split('<tr>').find((r) => r.includes(`<code>${DEMO_PUBLISHER.currentImageId}</code>`))!;
    expect(row).toContain(text);
    const csv = renderOwnedImagesCsv(report).replace(/^\ufeff/, '').split('\r\n');
    const header = csv[0]!.split(',');
    expect(header.at(-1)).toBe('watermarks');
    const cells = csv.find((l) => l.startsWith(`${OWNER},`) && l.includes(`,${DEMO_PUBLISHER.currentImageId},`))!;
    expect(cells.endsWith(`,${key}@${DEMO_PUBLISHER.currentImageId}/${REGION}`)).toBe(true);
  });
});

