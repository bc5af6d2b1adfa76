/**
 * The HTML report's layout at the widths people read it at (a 390 px phone, 1280, 1440 and 1920 px
 * screens) and on A4 paper, on a realistic organisation of 17 regions: tables that fit the page,
 * the sticky navigation and the filters in the URL fragment, the plan paged, the printed header,
 * page numbers and first-page note, and numbers written with thousands separators.
 * With SCREENSHOTS=<dir>, the test saves what it looked at there (PNG, and the PDFs).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderHtml } from '../../src/render/html.js';
import { loadTemplates } from '../../src/io/files.js';
import { buildReport } from '../../src/report/build.js';
import { settingsFrom } from '../../src/config/config.js';
import { demoConfig } from '../../src/cli/demo-config.js';
import { DEFAULT_REGIONS, generateFleet } from '../../src/emulator/generate.js';
import { error as errorEntry, ok as okEntry, partial as partialEntry } from '../../src/model/coverage.js';
import { FIXED_NOW, fixtureReport } from '../helpers/fixture.js';
import { withHistory } from '../helpers/history-fixture.js';
import type { AccountInfo, Inventory, InstanceRecord, Report } from '../../src/model/types.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = process.env.SCREENSHOTS ?? null;
const asOf = DateTime.fromISO(FIXED_NOW, { zone: 'utc' });
const OUS = [['ou-ab12-11111111', 'Workloads'], ['ou-ab12-22222222', 'Prod/EU'], ['ou-ab12-33333333', 'Sandbox']] as const;

/**
 * A realistic organisation (the bench's style of strings): `accounts` named accounts in three OUs
 * (one named with a "/"), all 17 regions, one account refused, tag column `team`.
 */
function orgReport(instances: number, accounts: number): Report {
  const fleet = generateFleet({ style: 'realistic', accounts, regions: DEFAULT_REGIONS, instances, seed: 5, skewInstances: 0.5, skewScopes: 0.1 });
  const records: InstanceRecord[] = [];
  const coverage = [];
  const refused = fleet.accounts[3]!.accountId;
  for (const a of fleet.accounts) {
    for (const region of DEFAULT_REGIONS) {
      if (a.accountId === refused) {
        coverage.push(errorEntry(a.accountId, region, { action: 'AssumeRole', code: 'AccessDenied', message: `User: arn:aws:iam::100000000001:user/auditor is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${a.accountId}:role/AmiAuditReadOnly` }));
        continue;
      }
      const list = a.instances?.[region] ?? [];
      coverage.push(okEntry(a.accountId, region, { instanceCount: list.length, pageCount: Math.max(1, Math.ceil(list.length / 1000)), apiCalls: 2, allowedImagesState: a.allowedImages?.[region] ?? 'disabled' }));
      for (const i of list) records.push({ accountId: a.accountId, region, ...i });
    }
  }
  const root = { id: 'r-ab12', name: 'Root' };
  const info: AccountInfo[] = fleet.accounts.map((a, i) => {
    const [id, name] = OUS[i % OUS.length]!;
    const parts = i % OUS.length === 1 ? [root, { id: OUS[0][0], name: OUS[0][1] }, { id, name }] : [root, { id, name }];
    return { accountId: a.accountId, name: `${['payments', 'search', 'platform', 'data'][i % 4]}-${i % OUS.length === 2 ? 'sandbox' : 'prod'}-${i}`, ouPath: parts.map((p) => p.name).join('/'), ouPathParts: parts, state: 'ACTIVE' };
  });
  const inventory: Inventory = {
    run: {
      id: 'run-org-0001', startedAt: FIXED_NOW, finishedAt: '2026-11-26T00:10:00Z', caller: { accountId: '100000000001', arn: 'arn:aws:iam::100000000001:user/auditor' },
      accounts: fleet.accounts.map((a) => a.accountId), regions: [...DEFAULT_REGIONS], options: { roleName: 'AmiAuditReadOnly' }, interrupted: false, source: 'scan',
    },
    coverage, instances: records, notFoundInstanceIds: [], accounts: info,
  };
  return buildReport({ inventory, settings: settingsFrom(demoConfig(asOf), { tagColumns: ['team'] }), asOf: asOf.toMillis(), tool: { name: 'ami-audit', version: '0.0.0-test' }, baseline: null });
}

function write(report: Report, name = 'report.html'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ami-audit-layout-')), name);
  writeFileSync(file, renderHtml(report, loadTemplates()));
  return file;
}

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 30_000);
afterAll(async () => browser?.close());

async function open(url: string, width: number, height = 900): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 30_000 });
  return { page, errors };
}
const js = <T>(page: Page, expr: string) => page.evaluate(expr) as Promise<T>;
async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}
/** How far an element's content overflows its own box (0: it fits). */
const overflow = (page: Page, selector: string) => js<number>(page, `(() => { const el = document.querySelector(${JSON.stringify(selector)}); return el.scrollWidth - el.clientWidth; })()`);
/** Right edge of an element against the viewport's width (> 0: cut). */
const pastRight = (page: Page, selector: string) => js<number>(page, `(() => { const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect(); return Math.round(r.right - document.documentElement.clientWidth); })()`);

describe('a realistic organisation on screens of 1280 to 1920 px', () => {
  const report = orgReport(4_000, 30);
  const file = write(report);

  test.each([1280, 1440, 1920])('at %i px the first screen, the Fix first table, the filters and the findings table fit the width', async (width) => {
    const { page, errors } = await open(`file://${file}`, width);
    await shot(page, `screen-${width}`);
    // "Fix first" takes the width it needs, no longer capped at 3/5 of the page: nothing scrolls or is cut
    expect(await overflow(page, '#top-plan .table-wrap')).toBeLessThanOrEqual(0);
    expect(await js<number>(page, "document.querySelector('#top-plan table').getBoundingClientRect().width")).toBeGreaterThan(width >= 1440 ? 900 : 800);
    expect(await overflow(page, '#plan .table-wrap')).toBeLessThanOrEqual(0);
    // the findings table fits its box; the message has room to be read
    await page.locator('#findings').scrollIntoViewIfNeeded();
    await shot(page, `findings-${width}`);
    expect(await overflow(page, '#findings .table-wrap.scroll-y')).toBeLessThanOrEqual(0);
    expect(await js<number>(page, "document.querySelector('#t-open tbody td.msg-text').getBoundingClientRect().width")).toBeGreaterThanOrEqual(240);
    expect(await pastRight(page, 'label.check')).toBeLessThanOrEqual(0);
    await page.locator('#coverage').scrollIntoViewIfNeeded();
    await shot(page, `coverage-${width}`);
    expect(await overflow(page, '#coverage .table-wrap')).toBeLessThanOrEqual(width >= 1440 ? 0 : 400);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  test('a sticky navigation: Verdict, Fix first, Plan, Coverage, Findings, on screen wherever the reader is', async () => {
    const { page } = await open(`file://${file}`, 1440);
    const nav = page.locator('nav#toc');
    expect(await nav.locator('a').allInnerTexts()).toEqual(['Verdict', 'Fix first', 'Plan', 'Coverage', 'Findings']);
    expect(await nav.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(['#overview', '#top-plan', '#plan', '#coverage', '#findings']);
    await nav.locator('a', { hasText: 'Findings' }).click();
    await page.waitForTimeout(200);
    const box = await nav.boundingBox();
    expect(box!.y).toBe(0);
    // the heading it went to is not under the bar
    const top = await js<number>(page, "document.querySelector('#findings h2').getBoundingClientRect().top");
    expect(top).toBeGreaterThanOrEqual(box!.height - 1);
    await shot(page, 'nav-findings');
    await page.close();
  }, 60_000);

  test('the filters are in the URL fragment: a filtered view can be linked, and opens filtered', async () => {
    const { page } = await open(`file://${file}`, 1440);
    // the OU "Prod/EU" (a name with "/") is one choice: no "Root/Workloads/Prod" that does not exist
    expect(await page.locator('#f-ou option').allInnerTexts()).toEqual(['all', 'Root', 'Root/Sandbox', 'Root/Workloads', 'Root/Workloads/Prod/EU']);
    const account = report.accounts[5]!;
    await page.selectOption('#f-sev', { label: 'high' });
    await page.selectOption('#f-account', { value: await page.locator('#f-account option', { hasText: account.accountId }).getAttribute('value') as string });
    await page.selectOption('#f-ou', { label: 'Root/Workloads/Prod/EU' });
    await page.fill('#f-text', 'eu west');
    // the address as the page has it now (Playwright learns of history.replaceState a moment later)
    const url = await js<string>(page, 'location.href');
    expect(url).toMatch(/#filter\?/);
    const rows = await page.locator('#t-open tbody tr').count();
    const active = await page.locator('#f-active').innerText();
    await page.close();
    // opened from a ticket
    const again = await open(url, 1440);
    expect(await again.page.locator('#f-active').innerText()).toBe(active);
    expect(await again.page.locator('#t-open tbody tr').count()).toBe(rows);
    expect(await again.page.locator('#f-sev option:checked').innerText()).toBe('high');
    expect(await again.page.locator('#f-ou option:checked').innerText()).toBe('Root/Workloads/Prod/EU');
    expect(await again.page.locator('#f-text').inputValue()).toBe('eu west');
    // the reset clears the fragment
    await again.page.click('#f-reset');
    expect(await js<string>(again.page, 'location.href')).not.toMatch(/#/);
    // a fragment naming what the report does not hold is ignored, not an error
    await again.page.close();
    const odd = await open(`file://${file}#filter?sev=nope&rule=no-such-rule&q=%E2%80%AE`, 1440);
    expect(odd.errors).toEqual([]);
    await odd.page.close();
  }, 60_000);

  test('the plan is paged as the findings are', async () => {
    expect(report.images.length).toBeGreaterThan(100);
    const { page } = await open(`file://${file}`, 1440);
    const planRows = page.locator('#t-plan tbody tr.plan-row');
    expect(await planRows.count()).toBe(100);
    expect(await page.locator('#p-plan').innerText()).toContain(`rows 1-100 of ${report.images.length.toLocaleString('en-US')}`);
    await page.locator('#p-plan button', { hasText: 'Next' }).click();
    expect(await planRows.first().locator('td.prio').innerText()).toBe('101');
    await page.close();
  }, 60_000);

  test('numbers are written with thousands separators', async () => {
    const { page } = await open(`file://${file}`, 1440);
    const n = report.summary.instancesScanned;
    expect(n).toBeGreaterThan(1000);
    expect(await page.locator('.card .n').allInnerTexts()).toContain(n.toLocaleString('en-US'));
    expect(await page.locator('#f-count').innerText()).toContain(report.findings.length.toLocaleString('en-US'));
    const cells = await page.locator('#coverage td.cell.ok').allInnerTexts();
    for (const c of cells) expect(c).toMatch(/^\d{1,3}(,\d{3})*$/);
    await page.close();
  }, 60_000);
});

/**
 * Every table box on the page that is shown, with how far its table is wider than the box (the
 * findings tables included, and the waived one: issue 25's "1,582 px wide in a 1,350 px container").
 */
const tableOverflows = (page: Page) => js<{ id: string; over: number }[]>(page, `[...document.querySelectorAll('.table-wrap')]
  .filter((w) => w.offsetParent !== null && w.querySelector('table'))
  .map((w) => { const t = w.querySelector('table'); return { id: t.id || t.className, over: Math.round(t.getBoundingClientRect().width - w.clientWidth) }; })
  .filter((x) => x.over > 0)`);

describe('the demo report with its run history (Age, Due and Lifecycle columns) on screens of 1280 to 1920 px', () => {
  const file = write(withHistory(fixtureReport()));

  test.each([1280, 1440, 1920])('at %i px no table is wider than its box; the message has room; "Print this table too" is not cut', async (width) => {
    const { page, errors } = await open(`file://${file}`, width);
    await page.locator('#findings').scrollIntoViewIfNeeded();
    await shot(page, `demo-findings-${width}`);
    expect(await tableOverflows(page)).toEqual([]);
    expect(await js<number>(page, "document.querySelector('#t-open tbody td.msg-text').getBoundingClientRect().width")).toBeGreaterThanOrEqual(240);
    const cut = await js<number>(page, "(() => { const l = document.getElementById('f-print').closest('label').getBoundingClientRect(), f = document.getElementById('filters').getBoundingClientRect(); return Math.round(Math.max(l.right - f.right, l.right - document.documentElement.clientWidth)); })()");
    expect(cut).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('a phone, 390 px', () => {
  test('"Fix first" is a list of cards with every field; rule chips wrap; chart labels are readable', async () => {
    const report = fixtureReport();
    const { page, errors } = await open(`file://${write(report)}`, 390, 844);
    await shot(page, 'phone-390');
    expect(await js<number>(page, 'document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const first = page.locator('#top-plan tbody tr').first();
    const text = await first.innerText();
    for (const label of ['Instances', 'Accounts', 'Regions']) expect(text).toContain(label);
    for (const td of await first.locator('td').all()) {
      const box = await td.boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    }
    // a chip is never cut by its cell
    expect(await js<number>(page, "Math.max(...[...document.querySelectorAll('#top-plan .chip')].map((c) => c.getBoundingClientRect().right - c.closest('td').getBoundingClientRect().right))")).toBeLessThanOrEqual(0);
    // chart labels: at least 10 px on screen
    const size = await js<number>(page, "(() => { const t = document.querySelector('#chart-rule text'); return t.getBoundingClientRect().height; })()");
    expect(size).toBeGreaterThanOrEqual(10);
    await page.locator('#charts').scrollIntoViewIfNeeded();
    await shot(page, 'phone-390-charts');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});

describe('on A4 paper', () => {
  /** The words of a PDF with their boxes (pdftotext -bbox), per page. */
  function pdfWords(pdf: Buffer): { width: number; words: { text: string; xMax: number }[] }[] {
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-pdf-'));
    writeFileSync(join(dir, 'r.pdf'), pdf);
    const xml = execFileSync('pdftotext', ['-bbox', join(dir, 'r.pdf'), '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return xml.split('<page ').slice(1).map((p) => ({
      width: Number(/width="([\d.]+)"/.exec(p)![1]),
      words: [...p.matchAll(/<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g)].map((m) => ({ text: m[2]!, xMax: Number(m[1]) })),
    }));
  }
  const text = (page: { words: { text: string }[] }) => page.words.map((w) => w.text).join(' ');

  test('every page has the run id, as-of and verdict and its number; the coverage matrix prints every region; no table is cut', async () => {
    const report = orgReport(3_000, 24);
    const { page } = await open(`file://${write(report)}`, 1280);
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
    if (SHOTS) writeFileSync(join(SHOTS, 'org-a4.pdf'), pdf);
    const pages = pdfWords(pdf);
    expect(pages.length).toBeGreaterThan(2);
    pages.forEach((p, i) => {
      const t = text(p);
      expect([i, t.includes('run-org-0001')]).toEqual([i, true]);
      expect([i, t.includes('2026-11-26T00:00:00Z')]).toEqual([i, true]);
      expect([i, /\bPARTIAL\b/.test(t)]).toEqual([i, true]);
      expect([i, t.includes(`Page ${i + 1} of ${pages.length}`)]).toEqual([i, true]);
      // nothing printed past the paper's right edge
      const cut = p.words.filter((w) => w.xMax > p.width + 0.5).map((w) => w.text);
      expect([i, cut]).toEqual([i, []]);
    });
    // the coverage matrix: all 17 regions on paper
    const all = pages.map(text).join(' ');
    for (const region of DEFAULT_REGIONS) expect([region, all.includes(region)]).toEqual([region, true]);
    // the first page says that the instance-level findings were left out (over 500 findings)
    expect(report.findings.length).toBeGreaterThan(500);
    expect(text(pages[0]!)).toMatch(/instance-by-instance findings .* not printed/i);
    // the screen's instructions are not on paper
    expect(all).not.toMatch(/Open a row|hover a cell|choose a bar|Print this table too|tick /i);
    await page.close();
  }, 120_000);

  test('under 500 findings, the findings table prints by default', async () => {
    const report = fixtureReport();
    const { page } = await open(`file://${write(report)}`, 1280);
    expect(await page.locator('#f-print').isChecked()).toBe(true);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('#findings').isVisible()).toBe(true);
    expect(await page.locator('#findings-print-note').isVisible()).toBe(false);
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
    if (SHOTS) writeFileSync(join(SHOTS, 'fixture-a4.pdf'), pdf);
    const pages = pdfWords(pdf);
    for (const p of pages) expect(p.words.filter((w) => w.xMax > p.width + 0.5).map((w) => w.text)).toEqual([]);
    expect(pages.map(text).join(' ')).toContain('Findings, instance by instance');
    await page.close();
  }, 120_000);
});

/**
 * Issue 25 item 13: at every width from 1280 to 1920 px and on A4 paper, the tables of a 17-region
 * organisation (20 accounts, one refused, four scopes partial in different regions) fit the page:
 * no table wider than its box, every column of "Fix first" and of the plan on screen, every region
 * of the coverage matrix in view without scrolling, and on paper nothing past the page's edge, no
 * region name or account id broken across lines.
 */
describe('tables fit the page width, on screen and on A4 (issue 25 item 13)', () => {
  const base = orgReport(3_000, 20);
  const partialAt = new Map([[1, 'ap-northeast-1'], [5, 'eu-central-1'], [9, 'sa-east-1'], [13, 'us-west-2']].map(([i, region]) => [`${base.run.accounts[i as number]}/${region}`, true]));
  const report: Report = {
    ...base,
    coverage: base.coverage.map((c) => (partialAt.has(`${c.accountId}/${c.region}`)
      ? partialEntry(c.accountId, c.region, [{ action: 'DescribeInstanceImageMetadata', code: 'ThrottlingException', message: 'Rate exceeded' }, { action: 'GetAllowedImagesSettings', code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' }], { instanceCount: c.instanceCount, pageCount: 1, apiCalls: 4 })
      : c)),
  };
  const file = write(report, 'fit.html');

  test.each([1280, 1920])('at %i px every table fits its box and the page; the matrix shows all 17 regions without scrolling', async (width) => {
    const { page, errors } = await open(`file://${file}`, width);
    for (const id of ['#coverage', '#plan', '#findings']) await page.locator(id).scrollIntoViewIfNeeded();
    await page.locator('#coverage').scrollIntoViewIfNeeded();
    await shot(page, `fit-coverage-${width}`);
    expect(await tableOverflows(page)).toEqual([]);
    // every column of the tables people read first ends inside the window
    for (const sel of ['#top-plan table th:last-child', '#t-plan th:last-child', 'table.matrix thead th:last-child']) {
      expect([sel, (await pastRight(page, sel)) <= 0]).toEqual([sel, true]);
    }
    expect(await page.locator('table.matrix thead th').allInnerTexts()).toHaveLength(18);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  test('on A4 nothing is past the paper\'s edge, the matrix prints every region, and no region name or account id is split', async () => {
    const { page } = await open(`file://${file}`, 1280);
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
    if (SHOTS) writeFileSync(join(SHOTS, 'fit-a4.pdf'), pdf);
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-pdf-'));
    writeFileSync(join(dir, 'r.pdf'), pdf);
    const xml = execFileSync('pdftotext', ['-bbox', join(dir, 'r.pdf'), '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const pages = xml.split('<page ').slice(1).map((p) => ({
      width: Number(/width="([\d.]+)"/.exec(p)![1]),
      words: [...p.matchAll(/<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g)].map((m) => ({ text: m[2]!, xMax: Number(m[1]) })),
    }));
    // region names and account ids whole on the portrait pages (the plan, the lists); the
    // landscape matrix's headers may wrap a region's name at its hyphens, its cells never
    const words = pages.filter((p) => p.width < 700).flatMap((p) => p.words.map((w) => w.text.replace(/[,;:.()]+$/, '')));
    for (const p of pages) expect(p.words.filter((w) => w.xMax > p.width + 0.5).map((w) => w.text)).toEqual([]);
    // the matrix: a page with every region's name whole in its header
    const matrixPage = pages.find((p) => p.words.some((w) => w.text === 'Coverage'));
    expect(matrixPage).toBeDefined();
    for (const region of DEFAULT_REGIONS) expect([region, pages.some((p) => p.words.some((w) => w.text.replace(/,$/, '') === region))]).toEqual([region, true]);
    // a region name or an account id is never cut across lines: no word is the first part of one
    const broken = words.filter((w) => (/^[a-z]{2}-([a-z]+-)?$/.test(w) && DEFAULT_REGIONS.some((r) => r.startsWith(w))) ||
      (/^\d{4,11}$/.test(w) && report.run.accounts.some((a) => a.startsWith(w))));
    expect(broken).toEqual([]);
    await page.close();
  }, 120_000);
});
