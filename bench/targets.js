// The targets of the organisation-scale issue, measured on the real CLI end to end
// (`node dist/cli/bin.js scan ... --endpoint-url URL`) against the bench's endpoint process, and
// printed as one block with the figure of each, its ratio to the target and MET / MISSED.
// Used by bench/run.js (see its header for the options); exports measureTargets and printTargets.
//
// Every CLI run is a child process started under bench/exit-usage.js (node --import), which
// writes the process's own peak RSS and user + system CPU at exit; the wall is the parent's, from
// spawn to exit (Node's start-up and loading the SDK included, as a user pays them).
// "Collection alone" is bench/client.js without rendering: the same collector (collectForCli) with
// the CLI's defaults against the same endpoint, in a process of its own, timed from its start to
// the inventory in memory. It is what a scan costs before any rule, report or file, so
// "default formats wall / collection alone" is the price of the report path.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const USAGE = pathToFileURL(join(root, 'bench', 'exit-usage.js')).href;
const AS_OF = '2026-11-26T00:00:00Z';
const ENV = { AWS_ACCESS_KEY_ID: 'AKIDBENCHBENCH000000', AWS_SECRET_ACCESS_KEY: 'bench-secret', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
export const EVERY_FORMAT = ['html', 'csv', 'json', 'md', 'rollout', 'ocsf', 'asff'];
const T = { jsonRatio: 1.3, collectRatio: 1.5, rssMb: 512, cpuUs: 60, mediumX: 25, htmlMb: 10, firstScreenMs: 1500, filterMs: 300, millionRssMb: 1024 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The CLI in a child process: exit code, wall s, CPU s, peak RSS MB, stderr. */
export function cli(argv, { nodeOptions = [] } = {}) {
  const usageDir = mkdtempSync(join(tmpdir(), 'ami-audit-bench-usage-'));
  const usageFile = join(usageDir, 'usage.json');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...nodeOptions, '--import', USAGE, 'dist/cli/bin.js', ...argv], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...ENV, BENCH_USAGE_FILE: usageFile },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallS = (performance.now() - t0) / 1000;
      let u = null;
      try {
        u = JSON.parse(readFileSync(usageFile, 'utf8'));
      } catch {
        // killed (out of memory, a signal) before its exit handler ran
      }
      rmSync(usageDir, { recursive: true, force: true });
      resolve({ code, signal, wallS, cpuS: u ? (u.userUs + u.systemUs) / 1e6 : NaN, peakRssMb: u ? u.maxRssKb / 1024 : NaN, stdout, stderr });
    });
  });
}

/** Sizes of the files in a folder by kind: the name past the run's stamp, a format's parts as one. */
function filesIn(dir) {
  const out = {};
  for (const f of readdirSync(dir)) {
    const k = f.replace(/^ami-audit-\d{8}T\d{6}Z(-\d+)?/, '').replace(/-asff-.*\.json$/, '-asff-*.json') || f;
    out[k] = (out[k] ?? 0) + statSync(join(dir, f)).size;
  }
  return out;
}

const scanArgs = ({ url, accounts, regions, out, formats, extra = [] }) => [
  'scan', '--endpoint-url', url, '--accounts', accounts.join(','), '--role-name', 'AmiAuditReadOnly', '--regions', regions.join(','),
  '--as-of', AS_OF, '--out', out, '--no-history', '--quiet', ...(formats ? ['--format', formats.join(',')] : []), ...extra,
];

function check(res, what) {
  if (res.code !== 0 && res.code !== 3) throw new Error(`${what}: exit ${res.code}${res.signal ? ` (${res.signal})` : ''}: ${res.stderr.slice(-2000)}`);
  return res;
}

/**
 * The org runs: collection alone (bench/client.js), then the CLI with --format json, with the
 * default formats and with every format, in that order, `runs` times; medians of each.
 * `collect(url)` runs bench/client.js and returns its figures; `startOrg()` starts the endpoint.
 */
export async function measureOrg({ startOrg, collect, accounts, regions, runs, log }) {
  const emu = await startOrg();
  const dirs = [];
  const keep = mkdtempSync(join(tmpdir(), 'ami-audit-bench-targets-'));
  const per = { collect: [], json: [], default: [], every: [] };
  let html = null;
  let files = {};
  try {
    for (let r = 0; r < runs; r++) {
      const c = await collect(emu.url);
      per.collect.push({ wallS: c.wall, cpuS: c.cpu, peakRssMb: c.collectPeakRssMb, instances: c.instances });
      log(`targets: run ${r + 1}/${runs}: collection alone ${c.wall.toFixed(1)} s`);
      for (const [name, formats] of [['json', ['json']], ['default', null], ['every', EVERY_FORMAT]]) {
        const out = join(keep, `${name}-${r}`);
        dirs.push(out);
        const res = check(await cli(scanArgs({ url: emu.url, accounts, regions, out, formats })), `scan (${name})`);
        per[name].push(res);
        files[name] = filesIn(out);
        log(`targets: run ${r + 1}/${runs}: scan ${formats ? `--format ${formats.join(',')}` : '(default formats)'} ${res.wallS.toFixed(1)} s, CPU ${res.cpuS.toFixed(1)} s, peak RSS ${res.peakRssMb.toFixed(0)} MB`);
        if (name === 'default' && r === 0) {
          const h = readdirSync(out).find((f) => f.endsWith('.html'));
          if (h) html = join(out, h);
        }
        // the HTML of the first default run is kept for the browser; the rest goes at once
        if (!(name === 'default' && r === 0)) rmSync(out, { recursive: true, force: true });
      }
    }
  } catch (e) {
    rmSync(keep, { recursive: true, force: true });
    throw e;
  } finally {
    emu.child.kill();
  }
  const med = (list, k) => median(list.map((x) => x[k]));
  const instances = per.collect[0].instances;
  const fig = (name) => ({ wallS: +med(per[name], 'wallS').toFixed(2), cpuS: +med(per[name], 'cpuS').toFixed(2), peakRssMb: Math.round(med(per[name], 'peakRssMb')) });
  return {
    instances, runs, collect: fig('collect'), json: fig('json'), default: fig('default'), every: fig('every'),
    bytes: { json: files.json, default: files.default, every: files.every }, html, keep,
  };
}

/** bench/html.js on the org run's HTML file (its JSON line), or why it was not measured. */
export async function browserFigures(file, runs) {
  const exe = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const { existsSync } = await import('node:fs');
  if (!file) return { skipped: 'no HTML written' };
  if (!existsSync(exe)) return { skipped: `no Chromium at ${exe}` };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bench/html.js', '--html', file, '--runs', String(runs)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      resolve(code === 0 && line ? JSON.parse(line) : { skipped: `bench/html.js failed (exit ${code}): ${(err.split('\n').find((l) => /Error/.test(l)) ?? err.trim().split('\n').slice(-1)[0] ?? '').trim()}` });
    });
  });
}

/**
 * 1,000,000 instances: one endpoint serves the whole organisation (the org fleet's density, 500
 * instances an account over 17 regions: 2,000 accounts), `shards` scans with --shard K/N and
 * --format json run one after another, then `merge` of their JSON reports with every format. The
 * shards and the merge run with --max-old-space-size=heapMb so that the merge's peak is measured
 * rather than cut at Node's default heap limit (about 4 GB on this machine).
 */
export async function measureMillion({ startFleet, regions, instances, accountsCount, shards, heapMb, log }) {
  const accounts = Array.from({ length: accountsCount }, (_, i) => String(100000000001 + i).padStart(12, '0'));
  const t0 = performance.now();
  const emu = await startFleet({ accounts: accountsCount, instances });
  log(`million: endpoint serving ${instances} instances in ${accountsCount} accounts x ${regions.length} regions (built in ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const dir = mkdtempSync(join(tmpdir(), 'ami-audit-bench-million-'));
  const result = { instances, accounts: accountsCount, regions: regions.length, shards, heapMb, shardRuns: [] };
  try {
    const parts = [];
    for (let k = 1; k <= shards; k++) {
      const out = join(dir, `shard-${k}`);
      const res = check(await cli(scanArgs({ url: emu.url, accounts, regions, out, formats: ['json'], extra: ['--shard', `${k}/${shards}`] }), { nodeOptions: [`--max-old-space-size=${heapMb}`] }), `shard ${k}/${shards}`);
      const f = readdirSync(out).find((x) => /^ami-audit-.*\.json$/.test(x));
      parts.push(join(out, f));
      result.shardRuns.push({ wallS: +res.wallS.toFixed(1), cpuS: +res.cpuS.toFixed(1), peakRssMb: Math.round(res.peakRssMb), jsonMb: +(statSync(join(out, f)).size / 1e6).toFixed(0) });
      log(`million: shard ${k}/${shards}: ${res.wallS.toFixed(0)} s, peak RSS ${res.peakRssMb.toFixed(0)} MB, JSON ${(statSync(join(out, f)).size / 1e6).toFixed(0)} MB`);
    }
    emu.child.kill();
    const out = join(dir, 'merged');
    const res = await cli(['merge', ...parts, '--out', out, '--format', EVERY_FORMAT.join(','), '--no-history', '--quiet'], { nodeOptions: [`--max-old-space-size=${heapMb}`] });
    result.merge = { code: res.code, signal: res.signal, wallS: +res.wallS.toFixed(1), cpuS: +res.cpuS.toFixed(1), peakRssMb: Math.round(res.peakRssMb), error: res.code === 0 || res.code === 3 ? undefined : res.stderr.trim().split('\n').slice(-3).join(' ') };
    try {
      const b = filesIn(out);
      result.merge.mb = +(Object.values(b).reduce((s, n) => s + n, 0) / 1e6).toFixed(0);
      result.merge.files = readdirSync(out).length;
    } catch {
      // nothing written
    }
    log(`million: merge with every format: exit ${res.code}, ${res.wallS.toFixed(0)} s, peak RSS ${res.peakRssMb.toFixed(0)} MB`);
  } finally {
    emu.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/**
 * The targets as rows {key, label, value, unit, target, cmp: '<=' | '>=', met, figures, bound}
 * from what was measured (missing inputs: a row that says what was not measured and why).
 */
export function targetRows({ org, medium, baseline, browser, million, millionAsked }) {
  const rows = [];
  const row = (key, label, value, unit, target, cmp, figures, bound, why) => {
    const measured = why === undefined && Number.isFinite(value);
    let met = measured ? (cmp === '<=' ? value <= target : value >= target) : null;
    // the million measured on a smaller organisation (--million-instances) is a figure, not the target
    const scaled = key === 'millionMergePeakRss' && measured && million.instances < 1e6;
    if (scaled) met = null;
    rows.push({ key, label, value: measured ? value : null, unit, target, cmp, ratio: measured ? +(value / target).toFixed(2) : null, met, scaled, figures, bound: met === false ? bound : undefined, notMeasured: measured ? undefined : why ?? 'no figure' });
  };
  const noOrg = org ? undefined : 'org not run (--only without org, or --no-targets)';
  const o = org ?? {};
  const inst = o.instances;
  row('orgDefaultOverJson', 'org default formats wall / json-only wall', o.default && o.default.wallS / o.json.wallS, 'x', T.jsonRatio, '<=',
    o.default && `default ${o.default.wallS} s, json ${o.json.wallS} s; ${inst} instances`, 'the CSV, HTML and Markdown rendered on top of the JSON from a model that holds every instance and finding', noOrg);
  row('orgDefaultOverCollect', 'org default formats wall / collection alone', o.default && o.default.wallS / o.collect.wallS, 'x', T.collectRatio, '<=',
    o.default && `default ${o.default.wallS} s, collection alone (bench/client.js) ${o.collect.wallS} s`, 'the report path after collection: rules, plan and model over every instance and finding, then each format (CSV and JSON about 3 s each at org scale), with garbage collection the largest single cost', noOrg);
  row('orgPeakRssEvery', 'org peak RSS, every format', o.every && o.every.peakRssMb, 'MB', T.rssMb, '<=',
    o.every && `every format ${o.every.peakRssMb} MB (${o.every.wallS} s); default ${o.default.peakRssMb} MB; json ${o.json.peakRssMb} MB; collection alone ${o.collect.peakRssMb} MB`,
    "the inventory and the report model hold every instance and finding (its findings included; the formats are written in pieces, and the CLI fixes V8's heap growth factor at 1.5)", noOrg);
  row('orgCpuPerInstance', 'org CPU per instance, whole process', o.default && (o.default.cpuS * 1e6) / inst, 'µs', T.cpuUs, '<=',
    o.default && `default formats ${o.default.cpuS} s CPU; json ${fmt((o.json.cpuS * 1e6) / inst, 0)} µs; collection alone ${fmt((o.collect.cpuS * 1e6) / inst, 0)} µs`,
    "collection alone costs more than the target: an SDK client and its first call's setup per scope (docs/performance.md, the collector's floor), then rules, model and rendering", noOrg);
  row('mediumVsBaseline', 'medium vs sequential baseline loop', medium && baseline ? baseline.wallS / medium.wallS : NaN, 'x', T.mediumX, '>=',
    medium && baseline ? `baseline ${baseline.wallS} s, medium ${medium.wallS} s (${medium.instances} instances, concurrency ${medium.concurrency})` : undefined,
    'the SDK pipeline per call (0.5-1.5 ms of CPU each) on one core at concurrency 64', medium && baseline ? undefined : 'medium and baseline not both run');
  const htmlBytes = o.bytes?.default && Object.entries(o.bytes.default).find(([f]) => f.endsWith('.html'))?.[1];
  row('orgHtmlMb', 'org HTML size', htmlBytes / 1e6, 'MB', T.htmlMb, '<=', htmlBytes ? `the default-format scan's HTML` : undefined,
    'the HTML carries every finding row', noOrg ?? (htmlBytes ? undefined : 'no HTML written'));
  const b = browser ?? { skipped: noOrg ?? 'not measured' };
  const nb = b.skipped ? `not measured: ${b.skipped}` : undefined;
  row('orgHtmlFirstScreenMs', 'org HTML first screen in Chromium', b.firstScreenWorstMs, 'ms', T.firstScreenMs, '<=',
    b.skipped ? undefined : `worst of ${b.runs} loads (median ${b.firstScreenMs} ms; ready ${b.readyMs} ms, first contentful paint ${b.fcpMs} ms); bench/html.js --html`,
    'what the page does before its first frame: parsing the HTML and the script drawing the tables (ready vs first contentful paint above)', nb);
  row('orgHtmlFilterMs', 'org HTML a filter answered in Chromium', b.filterWorstMs, 'ms', T.filterMs, '<=',
    b.skipped ? undefined : `worst of every filter set and reset, ${b.runs} loads (medians: ${Object.entries(b.filterMedianMs ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    'the filter handler and the relayout and paint of the tables it redraws (the handler alone: bench/html.js handledMedianMs)', nb);
  const m = million?.merge;
  row('millionMergePeakRss', `${million && million.instances !== 1e6 ? million.instances.toLocaleString('en-US') : '1,000,000'} instances merged, every format, peak RSS`, m && (m.code === 0 || m.code === 3) ? m.peakRssMb : NaN, 'MB', T.millionRssMb, '<=',
    million ? `${million.instances} instances in ${million.shards} shards; merge exit ${m.code}, ${m.wallS} s, ${m.cpuS} s CPU, ${m.mb ?? 0} MB in ${m.files ?? 0} files; shards: ${million.shardRuns.map((s) => `${s.wallS} s / ${s.peakRssMb} MB / JSON ${s.jsonMb} MB`).join('; ')}` : undefined,
    'merge holds the model of every instance and finding (about 0.7 KB an instance live once the report is built, more while the formats are written; the parts are read element by element and the formats written in pieces): spilling instances and findings to a file is what remains',
    million ? (m.code === 0 || m.code === 3 ? undefined : `merge failed (exit ${m.code}${m.signal ? `, ${m.signal}` : ''}; peak RSS ${m.peakRssMb} MB, heap limit ${million.heapMb} MB): ${m.error}`) : millionAsked ? 'failed' : 'not measured: run with --million (several minutes)');
  return rows;
}

export function printTargets(rows, note) {
  console.log(`\ntargets (issue: organisation scale)${note ? ` ${note}` : ''}`);
  for (const r of rows) {
    const label = r.label.padEnd(54);
    if (r.notMeasured) {
      console.log(`  ${label} ${'-'.padStart(9)}  (target ${r.cmp} ${r.target}${r.unit === 'x' ? '' : ` ${r.unit}`})  ${r.notMeasured}`);
      continue;
    }
    const v = r.unit === 'x' ? `${r.value.toFixed(2)}x` : `${r.value.toFixed(r.unit === 'MB' && r.value < 100 ? 1 : 0)} ${r.unit}`;
    const ratio = r.unit === 'x' ? '' : ` = ${r.ratio}x target`;
    console.log(`  ${label} ${v.padStart(9)}  (target ${r.cmp} ${r.target}${r.unit === 'x' ? '' : ` ${r.unit}`}${ratio})  ${r.scaled ? 'NOT THE TARGET\'S SIZE' : r.met ? 'MET' : 'MISSED'}  [${r.figures}]`);
    if (r.bound) console.log(`  ${''.padEnd(54)}   bounded by: ${r.bound}`);
  }
  const value = (r) => (r.value === null ? null : +r.value.toFixed(r.unit === 'x' ? 2 : 1));
  console.log(JSON.stringify({ targets: Object.fromEntries(rows.map((r) => [r.key, { value: value(r), unit: r.unit, target: r.target, cmp: r.cmp, ratio: r.ratio, met: r.met, ...(r.scaled ? { scaled: true } : {}), figures: r.figures, ...(r.bound ? { boundedBy: r.bound } : {}), ...(r.notMeasured ? { notMeasured: r.notMeasured } : {}) }])) }));
}
