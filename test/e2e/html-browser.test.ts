/** The HTML report in a real browser (Debian's chromium through playwright-core). */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderHtml } from '../../src/render/html.js';
import { loadTemplates } from '../../src/io/files.js';
import { fixtureReport, HOSTILE } from '../helpers/fixture.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`);
  const dir = mkdtempSync(join(tmpdir(), 'ami-audit-html-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, renderHtml(fixtureReport(), loadTemplates()));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(`file://${file}`);
  await page.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
}, 30_000);
afterAll(async () => browser?.close());

const openRows = () => page.locator('#t-open tbody tr').count();

describe('HTML report in Chromium', () => {
  test('loads with no console errors, no network requests, no script from the data', async () => {
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
    expect(dialogs).toEqual([]);
  });
  test('lists unwaived and waived findings apart', async () => {
    const r = fixtureReport();
    expect(await openRows()).toBe(r.summary.findingsUnwaived);
    expect(await page.locator('#t-waived tbody tr').count()).toBe(r.summary.findingsWaived);
  });
  test('filters by severity, rule, account, region and free text', async () => {
    const r = fixtureReport();
    const high = r.findings.filter((f) => !f.waiver && f.severity === 'high').length;
    await page.selectOption('#f-sev', { label: 'high' });
    expect(await openRows()).toBe(high);
    await page.click('#f-reset');
    await page.selectOption('#f-rule', { label: 'untrusted-owner' });
    expect(await openRows()).toBe(r.findings.filter((f) => !f.waiver && f.ruleId === 'untrusted-owner').length);
    await page.click('#f-reset');
    await page.selectOption('#f-account', { label: '333333333333' });
    expect(await openRows()).toBe(r.findings.filter((f) => !f.waiver && f.accountId === '333333333333').length);
    await page.click('#f-reset');
    await page.selectOption('#f-region', { label: 'eu-west-1' });
    expect(await openRows()).toBe(r.findings.filter((f) => !f.waiver && f.region === 'eu-west-1').length);
    await page.click('#f-reset');
    await page.fill('#f-text', 'alert("tag")');
    expect(await openRows()).toBeGreaterThan(0);
    const text = await page.locator('#t-open tbody tr').first().innerText();
    expect(text).toContain(HOSTILE[0]);
    await page.click('#f-reset');
    expect(await openRows()).toBe(r.summary.findingsUnwaived);
  });
  test('sorts by a column, both ways', async () => {
    const regionCells = async () => page.locator('#t-open tbody tr td:nth-child(4)').allInnerTexts();
    await page.click('#t-open th[data-col="3"]');
    const asc = await regionCells();
    expect(asc).toEqual([...asc].sort());
    await page.click('#t-open th[data-col="3"]');
    const desc = await regionCells();
    expect(desc).toEqual([...asc].sort().reverse());
  });
  test('hostile tags did not become markup', async () => {
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);
    expect(dialogs).toEqual([]);
  });
});

describe('the demo, as a newcomer runs it', () => {
  test('npx ami-audit demo exits 3 and its HTML shows findings for every rule, the coverage gaps and the waivers', async () => {
    const { spawnCli } = await import('../helpers/cli.js');
    const { RULES } = await import('../../src/rules/registry.js');
    const { readdirSync } = await import('node:fs');
    const out = mkdtempSync(join(tmpdir(), 'ami-audit-demo-'));
    const r = await spawnCli(['demo', '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('PARTIAL');
    const html = readdirSync(out).find((f) => f.endsWith('.html'))!;
    const p = await browser.newPage();
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto(`file://${join(out, html)}`);
    await p.waitForSelector('html[data-ready="true"]');
    const ruleOptions = await p.locator('#f-rule option').allInnerTexts();
    for (const rule of RULES) expect(ruleOptions).toContain(rule.meta.id);
    expect(await p.locator('#partial-banner').innerText()).toContain('444444444444');
    expect(await p.locator('#coverage td.cell.error').count()).toBeGreaterThanOrEqual(4);
    expect(await p.locator('#waivers tbody tr').count()).toBe(3);
    expect(await p.locator('#waivers tbody').innerText()).toMatch(/expired[\s\S]*nothing: remove or fix this waiver|nothing: remove or fix this waiver[\s\S]*expired/);
    expect(await p.locator('#t-waived tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([]);
    await p.close();
  }, 60_000);
});
