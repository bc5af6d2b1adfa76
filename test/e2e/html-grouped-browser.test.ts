/**
 * The grouped findings of a large report (issue 22) in Chromium: the filters (severity, rule,
 * account, OU, region, search) answer on the groups with the exact counts of the report, narrow
 * the sample of instances too, and the notice naming the CSV and JSON files is on screen and paper.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { GROUPED_ABOVE, renderHtml } from '../../src/render/html.js';
import { loadTemplates } from '../../src/io/files.js';
import { generatedOrgReport } from '../helpers/org-report.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js';
import type { Finding } from '../../src/model/types.js';

const FILES = { stem: 'ami-audit-20261126-000000', formats: ['html', 'csv', 'json', 'md'] };
const report = generatedOrgReport(12_000, 20);
const file = join(mkdtempSync(join(tmpdir(), 'ami-audit-grouped-')), 'report.html');
writeFileSync(file, renderHtml(report, loadTemplates(), FILES));

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium or set CHROMIUM_PATH`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 30_000);
afterAll(async () => browser?.close());

async function open(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`file://${file}`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 60_000 });
  return { page, errors };
}
/** The open findings the page counts under its filters: the first number of the count line. */
const openCount = async (page: Page) => Number((await page.locator('#f-count').textContent())!.split(' open')[0]!.replace(/,/g, ''));
const unwaived = (pred: (f: Finding) => boolean) => report.findings.filter((f) => !f.waiver && pred(f)).length;
/** Waits until an expression is true in the page (evaluated as the debugger does: the page's CSP forbids eval). */
async function until(page: Page, expr: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await page.evaluate(expr)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`not true within 10 s: ${expr}`);
}
const accountValue = (page: Page, id: string) => page.locator('#f-account option', { hasText: id }).getAttribute('value') as Promise<string>;

describe('a report above the threshold, in the browser', () => {
  test('the groups and the notice: every finding is in the named CSV and JSON', async () => {
    expect(report.findings.length).toBeGreaterThan(GROUPED_ABOVE);
    const { page, errors } = await open();
    // below the first screen, drawn when scrolled to: read as text
    const note = (await page.locator('#detail-note').textContent())!;
    expect(note).toContain('every finding, instance by instance, is in ami-audit-20261126-000000.csv and ami-audit-20261126-000000.json');
    expect(await page.locator('#t-groups tbody tr').count()).toBe(100);
    expect(await openCount(page)).toBe(unwaived(() => true));
    // on paper, the first page says it too
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('#findings-print-note').textContent()).toContain('ami-audit-20261126-000000.csv');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  test('rule, account, OU, region and search answer with the report\'s own counts, on the groups and the sample', async () => {
    const { page, errors } = await open();
    const rule = 'untrusted-owner';
    await page.selectOption('#f-rule', { label: rule });
    expect(await openCount(page)).toBe(unwaived((f) => f.ruleId === rule));
    const ruleCells = await page.locator('#t-groups tbody tr td:nth-child(2)').allTextContents();
    expect(ruleCells.length).toBeGreaterThan(0);
    for (const c of ruleCells) expect(c.startsWith(rule)).toBe(true);
    for (const c of await page.locator('#t-open tbody tr td:nth-child(2)').allTextContents()) expect(c.startsWith(rule)).toBe(true);

    const account = report.accounts[3]!;
    await page.selectOption('#f-account', await accountValue(page, account.accountId));
    expect(await openCount(page)).toBe(unwaived((f) => f.ruleId === rule && f.accountId === account.accountId));
    for (const c of await page.locator('#t-open tbody tr td:nth-child(3)').allTextContents()) expect(c).toContain(account.accountId);

    await page.selectOption('#f-account', '');
    await page.selectOption('#f-region', { label: 'eu-west-1' });
    expect(await openCount(page)).toBe(unwaived((f) => f.ruleId === rule && f.region === 'eu-west-1'));

    await page.selectOption('#f-region', '');
    await page.selectOption('#f-ou', { label: 'Root/Sandbox' });
    const inSandbox = new Set(report.accounts.filter((a) => a.ouPath === 'Root/Sandbox').map((a) => a.accountId));
    expect(await openCount(page)).toBe(unwaived((f) => f.ruleId === rule && inSandbox.has(f.accountId)));

    // the search: an account's name narrows to its findings
    await page.click('#f-reset');
    await page.fill('#f-text', account.name!);
    expect(await openCount(page)).toBe(unwaived((f) => f.accountId === account.accountId));
    await page.selectOption('#f-sev', { label: 'high' });
    expect(await openCount(page)).toBe(unwaived((f) => f.accountId === account.accountId && f.severity === 'high'));
    // the plan follows: only AMIs with matching findings
    const plan = (await page.locator('#plan-filter').textContent())!;
    expect(plan).toMatch(/AMIs have matching findings/);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  test('the plan right under the first screen is paged 25 AMIs at a time, the address follows the filters; printing draws every AMI', async () => {
    expect(report.images.length).toBeGreaterThan(25);
    const { page, errors } = await open();
    const rows = page.locator('#t-plan tbody tr.plan-row');
    expect(await rows.count()).toBe(25);
    const pages = Math.ceil(report.images.length / 25);
    expect(await page.locator('#p-plan span').textContent()).toBe(`rows 1-25 of ${report.images.length} (page 1 of ${pages})`);
    await page.locator('#p-plan button', { hasText: 'Next' }).click();
    expect(await rows.first().getAttribute('data-plan')).toBe('25');
    // a filter starts the plan on its first page again
    await page.selectOption('#f-sev', { label: 'high' });
    expect(await page.locator('#p-plan span').textContent()).toMatch(/^rows 1-/);
    // the address follows once the filters rest, to be linked from a ticket
    await until(page, "location.hash === '#filter?sev=high'");
    await page.selectOption('#f-sev', '');
    await page.emulateMedia({ media: 'print' });
    await until(page, `document.querySelectorAll('#t-plan tbody tr.plan-row').length === ${report.images.length}`);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  test('a tag column with few values is counted by: its filter answers on the groups', async () => {
    const teams = ['payments', 'search', 'platform'];
    const tagged = { ...report, tagColumns: ['team'], findings: report.findings.map((f, i) => ({ ...f, tags: [i % 7 === 0 ? null : teams[i % 3]!] })) };
    const tagFile = join(mkdtempSync(join(tmpdir(), 'ami-audit-grouped-')), 'report.html');
    writeFileSync(tagFile, renderHtml(tagged, loadTemplates(), FILES));
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`file://${tagFile}`);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 60_000 });
    await page.selectOption('select.f-tag', { label: 'search' });
    expect(await openCount(page)).toBe(tagged.findings.filter((f) => !f.waiver && f.tags[0] === 'search').length);
    await page.selectOption('select.f-tag', { label: '(untagged)' });
    expect(await openCount(page)).toBe(tagged.findings.filter((f) => !f.waiver && f.tags[0] === null).length);
    await page.close();
  }, 60_000);
});
