// node bench/html.js [--scale F] [--runs N] [--keep FILE] [--html FILE]: the HTML report of the
// organisation run in a browser (issue 22: at most 10 MB, first screen within 1.5 s, a filter
// answered within 300 ms in Chromium). Without the network: the realistic org fleet of
// bench/run.js (300 accounts x 17 regions, 150,000 instances, seed 7), with account names and OUs
// as a --org run has them, becomes an inventory in-process; the report is built and its HTML
// rendered as `scan` would (the files named ami-audit-bench.*), then opened in headless Chromium
// (playwright-core, CHROMIUM_PATH or /usr/bin/chromium) --runs times, each in a fresh page.
// --html FILE measures an HTML file already written instead (another version's, to compare);
// --keep FILE keeps the rendered HTML there.
// Needs the build (npm run build). Prints one JSON line, then a summary.
//
// What is measured, in the page (performance API; time 0 is the navigation's start):
//   first contentful paint (paint timing), DOMContentLoaded's end (navigation timing), "ready":
//   the report's script has drawn the tables and set html[data-ready] (a MutationObserver records
//   performance.now()), and "first screen": the first frame painted after ready
//   (requestAnimationFrame, then a task): the first screen with its cards, plan and filters usable.
//   A filter: performance.now() before setting the control and dispatching its change (or input)
//   event, and again once the next frame is painted after the handler (requestAnimationFrame,
//   then a task): the DOM updated and drawn. Each filter (severity, rule, account, OU, region,
//   search) is set and reset in turn, every run; medians and the worst are printed.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { orgFleet, REGIONS17 } from './org-fleet.js';

const root = new URL('..', import.meta.url);
const lib = (p) => import(new URL(`dist/${p}`, root).href);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const scale = Number(opt('scale', '1'));
const runs = Number(opt('runs', '5'));
const given = opt('html');
const keep = opt('keep');
const TARGET = { mb: 10, firstScreenMs: 1500, filterMs: 300 };

/** The org run's report and its HTML, rendered in-process. */
async function orgHtml() {
  const [{ generateFleet }, { buildReport }, { DEFAULT_SETTINGS }, { ok: okScope }, { renderHtml }, { loadTemplates }] = await Promise.all([
    lib('emulator/generate.js'), lib('report/build.js'), lib('rules/engine.js'), lib('model/coverage.js'), lib('render/html.js'), lib('io/files.js'),
  ]);
  const { records, coverage, accounts } = orgFleet({ generateFleet, okScope }, scale);
  // as scan --org describes the accounts: a name each, in one of six OUs under two parents
  const root = { id: 'r-ab12', name: 'Root' };
  const parents = [{ id: 'ou-ab12-00000001', name: 'Workloads' }, { id: 'ou-ab12-00000002', name: 'Sandbox' }];
  const info = accounts.map((accountId, i) => {
    const parent = parents[i % 2];
    const ou = { id: `ou-ab12-1000000${i % 6}`, name: ['Prod', 'Staging', 'Dev'][i % 3] };
    const parts = [root, parent, ou];
    return { accountId, name: `${['payments', 'search', 'platform', 'data', 'identity'][i % 5]}-${ou.name.toLowerCase()}-${i}`, ouPath: parts.map((p) => p.name).join('/'), ouPathParts: parts, state: 'ACTIVE' };
  });
  const at = '2026-11-26T00:00:00Z';
  const inventory = {
    run: { id: 'run-org-bench', startedAt: at, finishedAt: at, caller: { accountId: accounts[0], arn: null }, accounts, regions: REGIONS17, options: {}, interrupted: false, source: 'scan' },
    coverage, instances: records, notFoundInstanceIds: [], accounts: info,
  };
  const report = buildReport({ inventory, settings: DEFAULT_SETTINGS, asOf: DateTime.fromISO(at, { zone: 'utc' }).toMillis(), tool: { name: 'ami-audit', version: 'bench' } });
  const t0 = performance.now();
  const html = renderHtml(report, loadTemplates(), { stem: 'ami-audit-bench', formats: ['html', 'csv', 'json', 'md'] });
  return { html, renderS: (performance.now() - t0) / 1000, instances: records.length, findings: report.findings.length, images: report.images.length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x) => Math.round(x);

/** Set one control of the filters and wait for the next painted frame; in the page. */
async function timeFilter(page, spec) {
  return page.evaluate(async ({ id, kind, value }) => {
    const el = document.getElementById(id);
    const t0 = performance.now();
    el.value = value;
    el.dispatchEvent(new Event(kind === 'select' ? 'change' : 'input', { bubbles: true }));
    const handled = performance.now() - t0;
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    return { handled, painted: performance.now() - t0, count: document.getElementById('f-count').textContent };
  }, spec);
}

async function measure(file) {
  const exe = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(exe)) throw new Error(`no browser at ${exe}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: exe, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const loads = [];
  const filters = {};
  try {
    for (let run = 0; run < runs; run++) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      await page.addInitScript(() => {
        const mo = new MutationObserver(() => {
          if (document.documentElement && document.documentElement.getAttribute('data-ready') === 'true') {
            mo.disconnect();
            window.__ready = performance.now();
            requestAnimationFrame(() => setTimeout(() => { window.__painted = performance.now(); }, 0));
          }
        });
        mo.observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });
      });
      await page.goto(`file://${file}`, { timeout: 300_000 });
      await page.waitForFunction(() => window.__painted !== undefined, null, { timeout: 300_000 });
      const t = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return { fcp: fcp ? fcp.startTime : null, domContentLoaded: nav.domContentLoadedEventEnd, ready: window.__ready, firstScreen: window.__painted };
      });
      loads.push(t);
      const pick = (sel, n) => page.evaluate(([s, k]) => { const o = document.querySelectorAll(`${s} option`); return o.length > k ? o[k].value : null; }, [sel, n]);
      const specs = [
        ['severity', { id: 'f-sev', kind: 'select', value: await pick('#f-sev', 2) }],
        ['rule', { id: 'f-rule', kind: 'select', value: await pick('#f-rule', 2) }],
        ['account', { id: 'f-account', kind: 'select', value: await pick('#f-account', 7) }],
        ['OU', { id: 'f-ou', kind: 'select', value: await pick('#f-ou', 3) }],
        ['region', { id: 'f-region', kind: 'select', value: await pick('#f-region', 4) }],
        ['search', { id: 'f-text', kind: 'input', value: 'ubuntu' }],
      ];
      for (const [name, spec] of specs) {
        if (spec.value === null || !(await page.$(`#${spec.id}`))) continue;
        const on = await timeFilter(page, spec);
        const off = await timeFilter(page, { ...spec, value: '' });
        (filters[name] ??= []).push(on.painted, off.painted);
        (filters[`${name}:handled`] ??= []).push(on.handled, off.handled);
        if (run === 0) filters[`${name}:count`] = on.count;
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
  const worst = Math.max(...Object.entries(filters).filter(([k]) => !k.endsWith(':count') && !k.endsWith(':handled')).flatMap(([, v]) => v));
  return {
    fcpMs: round(median(loads.map((l) => l.fcp ?? NaN))), domContentLoadedMs: round(median(loads.map((l) => l.domContentLoaded))), readyMs: round(median(loads.map((l) => l.ready))),
    firstScreenMs: round(median(loads.map((l) => l.firstScreen))), firstScreenWorstMs: round(Math.max(...loads.map((l) => l.firstScreen))),
    filterMedianMs: Object.fromEntries(Object.entries(filters).filter(([k]) => !k.endsWith(':count') && !k.endsWith(':handled')).map(([k, v]) => [k, round(median(v))])),
    filterWorstMs: round(worst),
    filterWorstEachMs: Object.fromEntries(Object.entries(filters).filter(([k]) => !k.endsWith(':count') && !k.endsWith(':handled')).map(([k, v]) => [k, round(Math.max(...v))])),
    handledMedianMs: Object.fromEntries(Object.entries(filters).filter(([k]) => k.endsWith(":handled")).map(([k, v]) => [k.slice(0, -8), round(median(v))])),
    counts: Object.fromEntries(Object.entries(filters).filter(([k]) => k.endsWith(':count')).map(([k, v]) => [k.slice(0, -6), v])),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'ami-audit-bench-html-'));
try {
  let file = given;
  let made = null;
  if (!file) {
    made = await orgHtml();
    file = keep ?? join(dir, 'ami-audit-bench.html');
    writeFileSync(file, made.html);
  }
  const bytes = statSync(file).size;
  const grouped = readFileSync(file, 'utf8').includes('id="t-groups"');
  const m = await measure(file);
  const result = { file: given ?? null, instances: made?.instances, findings: made?.findings, images: made?.images, renderS: made ? +made.renderS.toFixed(2) : undefined, htmlMb: +(bytes / 1e6).toFixed(2), grouped, runs, ...m };
  console.log(JSON.stringify(result));
  const met = (ok) => (ok ? 'met' : 'MISSED');
  const filterMedians = Object.entries(m.filterMedianMs).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`org HTML${made ? ` (${made.instances} instances, ${made.findings} findings, rendered in ${result.renderS}s)` : ''}: ${result.htmlMb} MB (target ${TARGET.mb}: ${met(result.htmlMb <= TARGET.mb)})${grouped ? ', findings grouped with a sample of instances' : ''}`);
  console.log(`Chromium, median of ${runs}: first contentful paint ${m.fcpMs} ms, DOMContentLoaded ${m.domContentLoadedMs} ms, script ready ${m.readyMs} ms, first screen painted ${m.firstScreenMs} ms (worst ${m.firstScreenWorstMs}; target ${TARGET.firstScreenMs}: ${met(m.firstScreenWorstMs <= TARGET.firstScreenMs)})`);
  const filterWorsts = Object.entries(m.filterWorstEachMs).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`a filter answered (set or reset, to the next painted frame), median ms: ${filterMedians}; worst ${m.filterWorstMs} ms (target ${TARGET.filterMs}: ${met(m.filterWorstMs <= TARGET.filterMs)}); worst of each: ${filterWorsts}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
