/** The HTML report in a real browser (Debian's chromium through playwright-core). */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderHtml } from '../../src/render/html.js';
import { loadTemplates } from '../../src/io/files.js';
import { fixtureReport, HOSTILE } from '../helpers/fixture.js';
import { coverageGaps } from '../../src/report/plan.js';
import type { CoverageEntry, Finding, Report } from '../../src/model/types.js';

import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js';
import { readJsonReport } from '../helpers/report-file.js';

export { CHROMIUM, CHROMIUM_ARGS };

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
  // a laptop's width, where the findings table shows every column (narrower, the region, state and AMI name fold into the cells beside them)
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
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
    await page.selectOption('#f-account', { label: '333333333333 (data-dev)' });
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
  test('filters by OU: only the findings and coverage rows of accounts in that OU (or below it) remain', async () => {
    const r = fixtureReport();
    const open = r.findings.filter((f) => !f.waiver);
    const ouOf = new Map(r.accounts.map((a) => [a.accountId, a.ouPath]));
    const coverageRows = () => page.locator('#coverage table.matrix tbody tr:visible');
    const shownAccounts = async () => (await coverageRows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-account')))).sort();
    expect(await page.locator('#f-ou option').allInnerTexts()).toEqual(['all', 'Root', 'Root/Sandbox', 'Root/Security', 'Root/Workloads', 'Root/Workloads/Dev', 'Root/Workloads/Prod', '(no OU)']);
    expect(await coverageRows().count()).toBe(r.accounts.length);

    await page.selectOption('#f-ou', { label: 'Root/Workloads/Prod' });
    const prod = open.filter((f) => ouOf.get(f.accountId) === 'Root/Workloads/Prod');
    expect(prod.length).toBeGreaterThan(0);
    expect(await openRows()).toBe(prod.length);
    for (const cell of await page.locator('#t-open tbody td.acctcell').allInnerTexts()) expect(cell).toBe('222222222222\npayments-prod');
    expect(await page.locator('#f-active').innerText()).toBe('Filter: OU Root/Workloads/Prod.');
    expect(await shownAccounts()).toEqual(['222222222222']);
    expect(await page.locator('#coverage-filter').innerText()).toBe('Filtered to OU Root/Workloads/Prod: 1 of 5 accounts.');
    expect(await page.locator('#gap-details > li:visible').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-account')))).toEqual(['222222222222']);

    // an OU takes the OUs below it
    await page.selectOption('#f-ou', { label: 'Root/Workloads' });
    expect(await openRows()).toBe(open.filter((f) => ouOf.get(f.accountId)?.startsWith('Root/Workloads/')).length);
    expect(await shownAccounts()).toEqual(['222222222222', '333333333333']);
    // the OU and the account filters combine
    await page.selectOption('#f-account', { label: '333333333333 (data-dev)' });
    expect(await openRows()).toBe(open.filter((f) => f.accountId === '333333333333').length);
    await page.selectOption('#f-account', { index: 0 });

    await page.selectOption('#f-ou', { label: '(no OU)' });
    expect(await openRows()).toBe(open.filter((f) => ouOf.get(f.accountId) == null).length);
    expect(await shownAccounts()).toEqual(['444444444444']);

    // the suspended account was not audited, and says so
    await page.selectOption('#f-ou', { label: 'Root/Sandbox' });
    expect(await openRows()).toBe(0);
    expect(await coverageRows().first().locator('th').innerText()).toBe('777777777777\nold-sandbox\nskipped (SUSPENDED)');

    await page.click('#f-reset');
    expect(await openRows()).toBe(r.summary.findingsUnwaived);
    expect(await page.locator('#f-ou').inputValue()).toBe('');
    expect(await coverageRows().count()).toBe(r.accounts.length);
    expect(await page.locator('#coverage-filter').isVisible()).toBe(false);
  });
  test('the search finds an account by its name', async () => {
    const r = fixtureReport();
    await page.fill('#f-text', 'data-dev');
    expect(await openRows()).toBe(r.findings.filter((f) => !f.waiver && f.accountId === '333333333333').length);
    await page.click('#f-reset');
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
  test('severity sorts worst first, by keyboard too: Enter and Space on a focusable header, with aria-sort', async () => {
    const rank: Record<string, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
    const sevs = async () => (await page.locator('#t-open tbody td.sevcell').allInnerTexts()).map((s) => rank[s.toLowerCase()]!);
    const th = page.locator('#t-open th[data-col="0"]');
    expect(await th.getAttribute('tabindex')).toBe('0');
    await th.focus();
    await page.keyboard.press('Enter');
    expect(await th.getAttribute('aria-sort')).toBe('descending');
    const desc = await sevs();
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    expect(desc[0]).toBe(Math.max(...desc));
    await page.keyboard.press(' ');
    expect(await th.getAttribute('aria-sort')).toBe('ascending');
    const asc = await sevs();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    expect(await page.locator('#t-open th[aria-sort="ascending"], #t-open th[aria-sort="descending"]').count()).toBe(1);
  });
  test('search takes several words, all of which must match', async () => {
    const r = fixtureReport();
    const open = r.findings.filter((f) => !f.waiver);
    await page.fill('#f-text', 'eu-west-1 untrusted-owner');
    expect(await openRows()).toBe(open.filter((f) => f.region === 'eu-west-1' && f.ruleId === 'untrusted-owner').length);
    await page.fill('#f-text', '  333333333333   us-east-1 ');
    expect(await openRows()).toBe(open.filter((f) => f.accountId === '333333333333' && f.region === 'us-east-1').length);
    await page.fill('#f-text', 'untrusted-owner no-such-word');
    expect(await openRows()).toBe(0);
    await page.click('#f-reset');
  });
  test('severity cards filter when clicked, and clear on a second click', async () => {
    const r = fixtureReport();
    const high = r.findings.filter((f) => !f.waiver && f.severity === 'high').length;
    const card = page.locator('button.card.sev-high');
    await card.click();
    expect(await card.getAttribute('aria-pressed')).toBe('true');
    expect(await openRows()).toBe(high);
    expect(await page.locator('#f-sev option:checked').innerText()).toBe('high');
    expect(await page.locator('#f-active').innerText()).toBe('Filter: severity high.');
    await card.click();
    expect(await card.getAttribute('aria-pressed')).toBe('false');
    expect(await openRows()).toBe(r.summary.findingsUnwaived);
  });
  test('the findings header sticks while the table scrolls', async () => {
    await page.setViewportSize({ width: 1440, height: 500 });
    const wrap = page.locator('#findings .table-wrap.scroll-y').first();
    await wrap.evaluate((el) => { el.scrollIntoView(); el.scrollTop = 200; });
    const [head, box] = await Promise.all([page.locator('#t-open thead th').first().boundingBox(), wrap.boundingBox()]);
    expect(Math.abs(head!.y - box!.y)).toBeLessThan(3);
    await page.setViewportSize({ width: 1440, height: 900 });
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
    for (const rule of RULES.filter((r) => !r.evaluateOwnedImage)) expect(ruleOptions).toContain(rule.meta.id);
    expect(await p.locator('#partial-banner').innerText()).toContain('444444444444');
    expect(await p.locator('#coverage td.cell.error').count()).toBeGreaterThanOrEqual(4);
    expect(await p.locator('#waivers tbody tr').count()).toBe(3);
    expect(await p.locator('#waivers tbody').innerText()).toMatch(/expired[\s\S]*nothing: remove or fix this waiver|nothing: remove or fix this waiver[\s\S]*expired/);
    expect(await p.locator('#t-waived tbody tr').count()).toBeGreaterThanOrEqual(1);
    // the first screen, 1440 x 900 without scrolling: the verdict, the cards, the top of the plan, the gaps
    await p.setViewportSize({ width: 1440, height: 900 });
    await p.evaluate('window.scrollTo(0, 0)');
    const onScreen = async (selector: string) => {
      const box = await p.locator(selector).first().boundingBox();
      return box !== null && box.y >= 0 && box.y + box.height <= 900 && box.x >= 0 && box.x + box.width <= 1440;
    };
    expect(await p.locator('#verdict').innerText()).toMatch(/^Partial: \d+ of \d+ account\/region scopes .* See the \d+ gaps?( \(and \d+ skipped\))?\./);
    expect(await p.locator('#verdict a[href="#gaps"]').count()).toBe(1);
    for (const s of ['#verdict', 'button.card.sev-high', '#top-plan tbody tr', '#gaps']) expect([s, await onScreen(s)]).toEqual([s, true]);
    const json = readJsonReport(join(out, readdirSync(out).find((f) => f.endsWith('.json'))!));
    expect(await p.locator('#top-plan tbody tr').first().locator('code').innerText()).toBe(json.images[0]!.imageId);
    expect(await p.locator('#partial-banner').innerText()).toContain('the role is missing or does not trust the caller');
    expect(errors).toEqual([]);
    await p.close();
  }, 60_000);
});

const ASSUME_MESSAGE = 'AssumeRole arn:aws:iam::444444444444:role/AmiAuditReadOnlyWithAVeryLongRoleNameThatDoesNotBreak: User: arn:aws:iam::111111111111:user/ami-auditor-with-a-long-user-name is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444444444444:role/AmiAuditReadOnlyWithAVeryLongRoleNameThatDoesNotBreak';
const ALLOWED_MESSAGE = 'GetAllowedImagesSettings: You are not authorized to perform this operation. User is not authorized to perform: ec2:GetAllowedImagesSettings';

/**
 * The fixture as a real partial run with a baseline reports it: a partial scope (its Allowed AMIs
 * state unreadable), AssumeRole refusals with long ARNs, and a baseline whose findings in the
 * refused account are now unverified, one finding that became waived and one that is new.
 */
function runWithBaseline(): Report {
  const current = fixtureReport();
  const coverage = (r: Report) => r.coverage.map((c): CoverageEntry => {
    if (c.accountId === '333333333333' && c.region === 'eu-west-1') {
      return { ...c, status: 'partial', allowedImagesState: 'unknown', errorCode: 'UnauthorizedOperation', errorMessage: ALLOWED_MESSAGE, failures: [{ action: 'GetAllowedImagesSettings', code: 'UnauthorizedOperation', message: ALLOWED_MESSAGE }] };
    }
    if (c.accountId === '444444444444') return { ...c, errorMessage: ASSUME_MESSAGE, failures: [{ action: 'AssumeRole', code: 'AccessDenied', message: ASSUME_MESSAGE }] };
    return c;
  });
  const gone = (n: number): Finding => ({ ...current.findings[0]!, id: `bbbbbbbbbbbbbbbbbbb${n}`, accountId: '444444444444', region: 'us-east-1', instanceId: `i-0gone0000000000000${n}` });
  const baseline: Report = {
    ...current,
    run: { ...current.run, id: 'run-baseline-0001', startedAt: '2026-11-19T00:00:00Z' },
    findings: [...current.findings.slice(1).map((f) => (f.waiver ? { ...f, waiver: null } : f)), gone(1), gone(2), gone(3), { ...gone(4), accountId: '222222222222', severity: 'low' }],
    coverage: current.coverage.map((c) => (c.accountId === '444444444444' ? { ...c, status: 'ok' as const, errorCode: null, errorMessage: null } : c)),
  };
  const withBaseline = fixtureReport(baseline);
  const edited = coverage(withBaseline);
  return { ...withBaseline, coverage: edited, coverageGaps: coverageGaps(edited) };
}

describe('a partial run with a baseline, on a phone and on paper', () => {
  let p: Page;
  const report = runWithBaseline();
  beforeAll(async () => {
    expect(report.diff!.counts.unverified).toBe(3);
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(report, loadTemplates()));
    p = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await p.goto(`file://${file}`);
    await p.waitForSelector('html[data-ready="true"]', { timeout: 10_000 });
  }, 30_000);
  afterAll(async () => p?.close());
  /** Evaluated in the page (the test's own TypeScript has no DOM types). */
  const js = <T>(expr: string) => p.evaluate(expr) as Promise<T>;
  /** Polls an expression (waitForFunction would eval it inside the page, which the report's CSP forbids). */
  const until = async (expr: string) => {
    for (let i = 0; i < 50 && !(await js<boolean>(expr)); i++) await new Promise((r) => setTimeout(r, 50));
    return js<boolean>(expr);
  };
  const ALL_OPEN = "[...document.querySelectorAll('#diff details')].every((d) => d.open)";
  const ALL_CLOSED = "[...document.querySelectorAll('#diff details')].every((d) => !d.open)";

  test('no horizontal overflow at 390 px, with every diff list open (charts included)', async () => {
    const summaries = p.locator('#diff details > summary');
    expect(await summaries.count()).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < await summaries.count(); i++) await summaries.nth(i).click();
    expect(await js<boolean>(ALL_OPEN)).toBe(true);
    const widths = await js<{ doc: number; banner: number }>("({ doc: document.documentElement.scrollWidth, banner: document.getElementById('partial-banner').scrollWidth })");
    expect(widths.doc).toBeLessThanOrEqual(390);
    expect(widths.banner).toBeLessThanOrEqual(390);
    // the diff tables scroll inside their own box instead of squeezing a word per line
    const whyCell = p.locator('#diff table.diff-table tbody tr').first().locator('td').first();
    expect((await whyCell.boundingBox())!.height).toBeLessThan(30);
    for (let i = 0; i < await summaries.count(); i++) await summaries.nth(i).click();
  });
  test('the summary says how many baseline findings are unverified and links to the diff, which comes before the findings', async () => {
    const line = await p.locator('#diff-line').innerText();
    expect(line).toContain('3 unverified');
    expect(line).toContain('Unverified (3 high)');
    expect(await p.locator('#diff-line a[href="#diff"]').count()).toBe(1);
    const order = await js<number[]>("['diff-line', 'diff', 'findings'].map((id) => document.getElementById(id).getBoundingClientRect().top)");
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
  test('printing opens the diff lists and shows every row; afterwards they are closed again', async () => {
    expect(await js<boolean>(ALL_CLOSED)).toBe(true);
    await p.emulateMedia({ media: 'print' });
    expect(await until(ALL_OPEN)).toBe(true);
    for (const t of await p.locator('#diff table.diff-table').all()) expect(await t.isVisible()).toBe(true);
    await p.emulateMedia({ media: 'screen' });
    expect(await until(ALL_CLOSED)).toBe(true);
    // the print events (print preview, Save as PDF) do the same
    await js("window.dispatchEvent(new Event('beforeprint'))");
    expect(await js<boolean>(ALL_OPEN)).toBe(true);
    await js("window.dispatchEvent(new Event('afterprint'))");
    expect(await js<boolean>(ALL_CLOSED)).toBe(true);
  });
  test('a partial cell says it is partial, what failed and what it read; the legend names the blank cell', async () => {
    const partial = report.coverage.find((c) => c.status === 'partial')!;
    const cell = p.locator('#coverage td.cell.partial');
    expect(await cell.innerText()).toBe(`partial: GetAllowedImagesSettings UnauthorizedOperation; ${partial.instanceCount} instances read`);
    expect(await cell.getAttribute('title')).not.toMatch(/partial \(partial/);
    expect(await p.locator('#gap-details').innerText()).toContain('not authorized to perform: sts:AssumeRole');
    expect(await p.locator('#coverage .legend').innerText()).toContain('not scanned');
    const banner = await p.locator('#partial-banner').innerText();
    expect(banner).toContain('1 partial');
    expect(banner).toContain('only the Allowed AMIs state is unknown');
  });
  test('a finding that became waived is marked in the waived table', async () => {
    expect(await p.locator('#t-waived thead th').last().innerText()).toContain('Change');
    expect(await p.locator('#t-waived tbody').innerText()).toContain('changed: now waived');
  });
});
