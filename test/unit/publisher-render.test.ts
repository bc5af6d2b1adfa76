/** The publisher view's renderers: the "Your AMIs" section escaped, the blast radius first; the -owned-images.csv cells neutralised. */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { parse } from 'csv-parse/sync';
import { buildReport } from '../../src/report/build.js';
import { DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import { ok } from '../../src/model/coverage.js';
import type { Inventory, OwnedImage } from '../../src/model/types.js';
import { renderHtml } from '../../src/render/html.js';
import { renderOwnedImagesCsv } from '../../src/render/owned.js';
import { renderFormat } from '../../src/render/index.js';
import { loadTemplates } from '../../src/io/files.js';

const AS_OF = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });
const EVIL = '=HYPERLINK("http://evil.example")<script>alert(1)</script>';

function owned(over: Partial<OwnedImage>): OwnedImage {
  return {
    accountId: '111111111111', region: 'us-east-1', imageId: 'ami-0123456789abcdef0', name: 'golden', state: 'available', creationDate: '2026-01-01T00:00:00Z',
    deprecationTime: '2026-11-01T00:00:00Z', lastLaunchedTime: '2026-11-20T00:00:00Z', deregistrationProtection: 'disabled', isPublic: false,
    sharing: { public: false, accountIds: ['999999999999'], organizationArns: [], organizationalUnitArns: [] }, ...over,
  };
}

function inventory(images: OwnedImage[]): Inventory {
  return {
    run: { id: 'r1', startedAt: '2026-11-26T00:00:00Z', finishedAt: '2026-11-26T00:01:00Z', caller: { accountId: '111111111111', arn: null }, accounts: ['111111111111'], regions: ['us-east-1'], options: {}, interrupted: false, source: 'scan' },
    coverage: [ok('111111111111', 'us-east-1', { ownedImageCount: images.length, imageBlockPublicAccessState: 'unblocked' })],
    instances: [], notFoundInstanceIds: [], ownedImages: images,
  };
}

describe('the publisher view, rendered', () => {
  const report = buildReport({
    inventory: inventory([
      owned({ imageId: 'ami-0aaaaaaaaaaaaaaa1', name: 'quiet', sharing: { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: [] } }),
      owned({ name: EVIL, usage: { status: 'known', reportId: 'amiur-0123456789abcdef0', reportCreationTime: '2026-11-25T22:00:00Z', consumers: [{ accountId: '999999999999', instances: 4, launchTemplates: 1 }] } }),
    ]),
    settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' },
  });

  test('the blast radius first: the AMI with consumers leads the report\'s list', () => {
    expect(report.ownedImages!.map((i) => i.imageId)).toEqual(['ami-0123456789abcdef0', 'ami-0aaaaaaaaaaaaaaa1']);
    expect(report.ownedImages![0]!.usage!.consumers[0]).toMatchObject({ inOrganization: false, name: null });
  });

  test('HTML: "Your AMIs" escaped, never raw; the report\'s age shown', () => {
    const html = renderHtml(report, loadTemplates());
    const section = html.slice(html.indexOf('id="owned-images"'), html.indexOf('</section>', html.indexOf('id="owned-images"')));
    expect(section).toContain('Your AMIs');
    expect(section).not.toContain('<script>alert(1)');
    expect(section).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(section).toContain('(report 2 h old)');
    expect(section).toContain('999999999999 (outside the organisation): 4 instances, 1 launch template');
    expect(section.indexOf('id="t-blast"')).toBeLessThan(section.indexOf('id="t-owned"'));
  });

  test('CSV: one row per owned AMI, formula cells neutralised; the file only in images reports', () => {
    const rows = parse(renderOwnedImagesCsv(report).replace(/^\ufeff/, ''), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.imageId)).toEqual(['ami-0123456789abcdef0', 'ami-0aaaaaaaaaaaaaaa1']);
    expect(rows[0]!.name!.startsWith("'=")).toBe(true);
    expect(rows[0]).toMatchObject({ consumerAccounts: '1', consumersOutsideOrganization: '1', consumerInstances: '4', usageStatus: 'known' });
    const files = renderFormat('csv', report, { templates: loadTemplates(), writtenAt: '2026-11-26T00:00:00Z' }).map((f) => f.suffix);
    expect(files).toContain('-owned-images.csv');
    const scan = { ...report };
    delete scan.ownedImages;
    expect(renderFormat('csv', scan, { templates: loadTemplates(), writtenAt: '2026-11-26T00:00:00Z' }).map((f) => f.suffix)).not.toContain('-owned-images.csv');
  });
});

describe('owned-image findings in a diff', () => {
  test('gone after an images run: resolved; against a scan: not looked at (owned-images)', async () => {
    const { diffReports } = await import('../../src/report/build.js');
    const base = buildReport({ inventory: inventory([owned({ isPublic: true })]), settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    expect(base.findings.some((f) => f.ruleId === 'public-ami')).toBe(true);
    const imagesRun = { ...inventory([owned({ isPublic: false, sharing: { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: [] } })]) };
    imagesRun.run = { ...imagesRun.run, options: { images: { usageReports: true, ancestry: true } } };
    const now = buildReport({ inventory: imagesRun, settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    const d = diffReports(base, now);
    expect(d.resolved.map((f) => f.ruleId)).toContain('public-ami');
    const scan = buildReport({ inventory: { ...inventory([]), ownedImages: undefined }, settings: DEFAULT_SETTINGS, asOf: AS_OF.toMillis(), tool: { name: 'ami-audit', version: 'test' } });
    const d2 = diffReports(base, scan);
    expect(d2.unverified.find((f) => f.ruleId === 'public-ami')!.notLookedAt).toBe('owned-images');
  });
});
