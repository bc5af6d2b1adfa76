/**
 * The HTML report with a run history in a real browser (Debian's chromium through playwright-core):
 * the overdue line and the trend on the first screen, the Age/Due/Lifecycle columns, the
 * "Overdue only" filter, sorting by age, printing. Set HISTORY_SCREENSHOT=<file.png> to keep a
 * screenshot of the first screen.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderHtml } from '../../src/render/html.js';
import { loadTemplates } from '../../src/io/files.js';
import { fixtureReport } from '../helpers/fixture.js';
import { withHistory } from '../helpers/history-fixture.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js';

const report = withHistory(fixtureReport());
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  const file = join(mkdtempSync(join(tmpdir(), 'ami-audit-history-')), 'report.html');
  writeFileSync(file, renderHtml(report, loadTemplates()));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
  await page.goto(`file://${file}`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
}, 30_000);
afterAll(async () => browser?.close());

const openRows = () => page.locator('#t-open tbody tr').count();

describe('HTML report with a run history, in Chromium', () => {
  test('loads under its CSP with no console error and no request', async () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });
  test('the overdue line and the trend chart are on the first screen', async () => {
    const line = page.locator('#overdue-line');
    expect(await line.isVisible()).toBe(true);
    expect(await line.innerText()).toContain(`${report.history!.overdue} overdue`);
    const box = await line.boundingBox();
    expect(box!.y).toBeLessThan(1000);
    const trend = await page.locator('svg.trend-chart').boundingBox();
    expect(trend!.width).toBeGreaterThan(300);
    expect(await page.locator('svg.trend-chart .trend-label').evaluateAll((ts) => ts.map((t) => t.textContent))).toEqual(expect.arrayContaining(['high 7', 'medium 7', 'low 3']));
    if (process.env.HISTORY_SCREENSHOT) await page.screenshot({ path: process.env.HISTORY_SCREENSHOT, fullPage: false });
  });
  test('the findings rows show age, due date and lifecycle; "Overdue only" keeps the overdue ones', async () => {
    const open = report.findings.filter((f) => !f.waiver);
    expect(await openRows()).toBe(open.length);
    const first = await page.locator('#t-open tbody tr').first().innerText();
    expect(first).toContain(String(open[0]!.ageDays));
    expect(first).toContain('escalated from deprecation-soon');
    await page.check('#f-overdue');
    expect(await openRows()).toBe(report.history!.overdue);
    expect(await page.locator('#f-active').innerText()).toContain('overdue only');
    for (const text of await page.locator('#t-open tbody tr').allInnerTexts()) expect(text).toContain('overdue');
    await page.click('#f-reset');
    expect(await page.isChecked('#f-overdue')).toBe(false);
    expect(await openRows()).toBe(open.length);
  });
  test('sorting by age puts the oldest first on the second press', async () => {
    const th = page.locator('#t-open th[data-col="20"]');
    await th.click();
    await th.click();
    const ages = await page.locator('#t-open tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.children[9]!.textContent)));
    expect(ages).toEqual([...ages].sort((a, b) => b - a));
  });
  test('printed, the trend keeps its labels and the history section opens its table', async () => {
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('svg.trend-chart').isVisible()).toBe(true);
    expect(await page.locator('details.trend-table').evaluate((d) => d.hasAttribute('open'))).toBe(true);
    await page.emulateMedia({ media: 'screen' });
  });
});
