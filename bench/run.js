// npm run bench: the collector against the local endpoint in its own process, scenario by scenario.
// Prints one JSON line per scenario, then a table. Options:
//   --only small,medium,...   scenarios to run (default all)
//   --scale F                 multiply every scenario's accounts and instances by F (cost growth)
//   --concurrency N           the tool's --concurrency (default: the tool's own, 64)
//   --workers N               the tool's --workers (default: the tool's own, 1)
//   --no-render               skip the rendering measurement of org
//   --format a,b              the formats org's rendering writes (default: the default formats;
//                             e.g. json,csv,ocsf,asff for the report path without the HTML)
//   --references              collect with --references (what references the flagged AMIs)
//   --successors              collect with --successors (a successor for each flagged AMI)
//   --no-profile              do not profile org's collection (by default it is sampled every 5 ms,
//                             for the share of CPU in the SDK and in ami-audit)
//   --style realistic|uniform the generated fleets (default realistic; see docs/performance.md)
//   --runs N                  runs of each org CLI measurement of the targets (default 1, for speed;
//                             the targets block prints medians)
//   --no-targets              skip the targets' org runs of the CLI (the block then says what was not measured)
//   --million                 also the 1,000,000-instance target (several minutes, 10 GB of RAM or more):
//                             shards scanned with --shard K/4, then `merge` with every format;
//                             --only million runs only it; --million-instances N for a smaller one;
//                             --million-heap MB the merge's and shards' --max-old-space-size (default 16384)
//   --html-runs N             page loads of the org HTML in Chromium for the targets (default 3)
// BENCH_PROF=DIR: every client run under --cpu-prof at the default 1 ms interval, profiles in DIR.
//
// After the scenarios comes the targets block of the organisation-scale issue (bench/targets.js):
// the real CLI (dist/cli/bin.js scan --endpoint-url) against the org endpoint with --format json,
// the default formats and every format, next to collection alone (bench/client.js), its peak RSS
// and CPU; medium vs the sequential baseline from the scenarios; the org scan's HTML in Chromium
// (bench/html.js --html, when /usr/bin/chromium or CHROMIUM_PATH is there); with --million the
// merged 1,000,000-instance organisation. `--only targets` runs the targets' org runs alone.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './profile.js';
import { browserFigures, measureMillion, measureOrg, printTargets, targetRows } from './targets.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const scale = Number(opt('scale', '1'));
const concurrency = Number(opt('concurrency', '64'));
const workers = opt('workers') ? Number(opt('workers')) : undefined;
// realistic (the default): unique random ids and Name tags, 400 AMIs (docs/performance.md);
// uniform: the generator's short repeated strings, as the bench used before.
const style = opt('style', 'realistic');
// --references: the collector also looks up what references each scope's flagged AMIs
const references = args.includes('--references');
const successors = args.includes('--successors');
const formats = opt('format')?.split(',');
const EC2_MS = 50;
const STS_MS = 100;
const REGIONS17 = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'sa-east-1'];

const s = (n) => Math.max(1, Math.round(n * scale));
const SCENARIOS = [
  { name: 'small', accounts: s(5), regions: 3, instances: s(2000), skew: '0/0' },
  { name: 'medium', accounts: s(40), regions: 17, instances: s(20000), skew: '0.5/0.05' },
  { name: 'org', accounts: s(300), regions: 17, instances: s(150000), skew: '0.5/0.05', render: true, profile: true },
  { name: 'throttled', accounts: s(20), regions: 3, instances: s(10000), single: true, throttle: '10,2' },
  // At the default page size the big scope needs 10 pages, which its 10 tokens cover; at 100 a page
  // it needs 100, so 90 of them wait for the bucket's refill: this is the run that is throttled.
  { name: 'throttled-p100', accounts: s(20), regions: 3, instances: s(10000), single: true, throttle: '10,2', pageSize: 100 },
  { name: 'baseline', accounts: s(40), regions: 17, instances: s(20000), skew: '0.5/0.05', mode: 'baseline' },
];
const only = opt('only')?.split(',');

function run(cmd, argv, { onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (onLine) for (const l of String(d).split('\n')) if (l) onLine(l, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, child }));
    if (onLine) resolve({ child, out: null });
  });
}

async function startEmulator(sc, nodeOptions = []) {
  const cfg = {
    accounts: sc.accounts, regions: sc.regions, instances: sc.instances, seed: 7, skew: sc.skew, single: sc.single, style,
    throttle: sc.throttle, latency: { ec2: EC2_MS, sts: STS_MS, ssm: EC2_MS }, successors,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, 'bench/emulator.js', JSON.stringify(cfg)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    // the endpoint's CPU is counted from when it listens (building the fleet is not serving it)
    child.stdout.once('data', (d) => resolve({ url: String(d).split('\n')[0].trim(), child, cpuAtStart: processCpuSeconds(child.pid) }));
    child.on('error', reject);
  });
}

/** User + system CPU seconds of a process so far (Linux /proc; NaN elsewhere). */
function processCpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

/** Seconds until the HTML report is interactive in headless Chromium, and to apply a filter. */
async function browserTiming(file) {
  const exe = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(exe)) return { skipped: `no browser at ${exe}` };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: exe, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    const t0 = performance.now();
    await page.goto(`file://${file}`);
    await page.waitForSelector('html[data-ready="true"]', { timeout: 60_000 });
    const interactive = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await page.selectOption('#f-sev', { label: 'high' });
    await page.fill('#f-text', 'ami-');
    await page.waitForFunction(() => document.querySelectorAll('#t-open tbody tr').length > 0);
    return { interactiveS: +interactive.toFixed(2), filterS: +((performance.now() - t1) / 1000).toFixed(2) };
  } finally {
    await browser.close();
  }
}

const rows = [];
for (const sc of SCENARIOS) {
  if (only && !only.includes(sc.name)) continue;
  const emu = await startEmulator(sc);
  const accounts = Array.from({ length: sc.accounts }, (_, i) => String(100000000001 + i).padStart(12, '0'));
  const regions = sc.regions === 17 ? REGIONS17 : REGIONS17.slice(0, sc.regions);
  const cfg = { url: emu.url, accounts, regions, mode: sc.mode ?? 'tool', concurrency, render: Boolean(sc.render) && !args.includes('--no-render'), workers, pageSize: sc.pageSize, references, successors, formats };
  if (sc.profile && !args.includes('--no-profile') && !process.env.BENCH_PROF) cfg.profileFile = join(mkdtempSync(join(tmpdir(), 'ami-audit-bench-prof-')), `${sc.name}.cpuprofile`);
  const profFlags = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  const res = await run(process.execPath, [...profFlags, 'bench/client.js', JSON.stringify(cfg)]);
  const stats = await (await fetch(`${emu.url}/_emulator/stats`)).json();
  const endpointCpuS = processCpuSeconds(emu.child.pid) - emu.cpuAtStart;
  emu.child.kill();
  const m = JSON.parse(res.out.trim().split('\n').pop());
  const ec2Calls = stats.requests - (stats.byAction.AssumeRole ?? 0) - (stats.byAction.GetCallerIdentity ?? 0);
  const stsCalls = (stats.byAction.AssumeRole ?? 0) + (stats.byAction.GetCallerIdentity ?? 0);
  const conc = sc.mode === 'baseline' ? 1 : concurrency;
  const callsBound = (ec2Calls * EC2_MS + stsCalls * STS_MS) / 1000 / conc;
  const chainBound = (2 * STS_MS + Math.max(1, m.maxPages) * EC2_MS) / 1000;
  // One scope's bucket: the pages it needs beyond the bucket's capacity come at the refill rate,
  // and after the last token the last page still takes its latency (after AssumeRole and the caller check).
  const [capacity, refill] = (sc.throttle ?? '0,1').split(',').map(Number);
  const bucketBound = sc.throttle ? Math.max(0, m.maxPages - capacity) / refill + (2 * STS_MS + EC2_MS) / 1000 : 0;
  const bound = Math.max(callsBound, chainBound, bucketBound);
  const cpuFloor = m.cpu / 2;
  const row = {
    scenario: sc.name, accounts: sc.accounts, regions: regions.length, scopes: sc.accounts * regions.length, instances: m.instances, unique: m.unique,
    wallS: +m.wall.toFixed(2), cpuS: +m.cpu.toFixed(2), cpuUsPerInstance: +(m.cpu * 1e6 / Math.max(1, m.instances)).toFixed(1), peakRssMb: +m.collectPeakRssMb.toFixed(0),
    apiCalls: stats.requests, throttled: stats.throttled, retries: m.retries, scopesOk: m.scopesOk, scopesError: m.scopesError,
    boundS: +bound.toFixed(2), callsBoundS: +callsBound.toFixed(2), chainBoundS: +chainBound.toFixed(2), bucketBoundS: +bucketBound.toFixed(2),
    cpuFloorS: +cpuFloor.toFixed(2), wallOverBound: +(m.wall / bound).toFixed(2), wallOverFloor: +(m.wall / Math.max(bound, cpuFloor)).toFixed(2),
    concurrency: conc, workers: sc.mode === 'baseline' ? 1 : workers ?? 1,
    endpointCpuS: +endpointCpuS.toFixed(2), allowedImagesCalls: stats.byAction.GetAllowedImagesSettings ?? 0, imageReferencesCalls: stats.byAction.DescribeImageReferences ?? 0,
    describeImagesCalls: stats.byAction.DescribeImages ?? 0, ssmCalls: (stats.byAction.GetParameters ?? 0) + (stats.byAction.GetParametersByPath ?? 0),
  };
  if (cfg.profileFile && existsSync(cfg.profileFile)) {
    const p = summarize(JSON.parse(readFileSync(cfg.profileFile, 'utf8')));
    const share = (ms) => +((100 * ms) / p.totalMs).toFixed(1);
    row.profile = {
      file: cfg.profileFile,
      areasPct: Object.fromEntries(Object.entries(p.areas).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, share(v)])),
      bucketsPct: Object.fromEntries(Object.entries(p.buckets).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, share(v)])),
    };
  }
  if (m.render) {
    // files of one format in parts (report-asff-<account>-<region>-001.json, ...) count as one
    const bytes = {};
    for (const [suffix, n] of Object.entries(m.render.bytes)) {
      const k = suffix.replace(/-asff-.*\.json$/, '-asff-*.json');
      bytes[k] = (bytes[k] ?? 0) + n;
    }
    row.render = { seconds: +m.render.seconds.toFixed(2), formats: m.render.formats, findings: m.render.findings, htmlMb: +((m.render.bytes['.html'] ?? 0) / 1e6).toFixed(1), bytes, rssBeforeMb: +m.render.rssBeforeMb.toFixed(0), peakRssMb: +m.render.peakRssMb.toFixed(0) };
    row.render.browser = m.render.bytes['.html'] ? await browserTiming(join(m.render.dir, 'report.html')) : { skipped: 'no HTML written' };
  }
  rows.push(row);
  process.stdout.write(JSON.stringify(row) + '\n');
}

const by = Object.fromEntries(rows.map((r) => [r.scenario, r]));
console.log('\n| scenario | scopes | instances | wall s | CPU s | CPU µs/inst | peak RSS MB | API calls | retries | ok/error | bound s | wall/bound |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|');
for (const r of rows) console.log(`| ${r.scenario} | ${r.scopes} | ${r.instances} | ${r.wallS} | ${r.cpuS} | ${r.cpuUsPerInstance} | ${r.peakRssMb} | ${r.apiCalls} | ${r.retries} | ${r.scopesOk}/${r.scopesError} | ${r.boundS} | ${r.wallOverBound} |`);
if (by.medium && by.baseline) console.log(`\nmedium vs baseline: ${(by.baseline.wallS / by.medium.wallS).toFixed(1)}x faster (target 25x, in the targets block)`);
for (const r of rows) if (r.allowedImagesCalls !== undefined && r.scenario !== 'baseline') console.log(`${r.scenario}: GetAllowedImagesSettings for ${r.allowedImagesCalls} of ${r.scopes} scopes; endpoint CPU ${r.endpointCpuS}s`);
if (by.org) {
  console.log(`org: wall ${by.org.wallS}s vs max(bound ${by.org.boundS}s, CPU floor ${by.org.cpuFloorS}s) = ${by.org.wallOverFloor}x; collection ${by.org.cpuUsPerInstance} µs/instance; collection peak RSS ${by.org.peakRssMb} MB (the issue's targets are the whole scan's: the targets block)`);
  if (by.org.profile) {
    const a = by.org.profile.areasPct;
    console.log(`org collection CPU (main thread, sampled every 5 ms): SDK ${a.sdk ?? 0}%, ami-audit ${a.own ?? 0}%, Node (HTTP, streams, module loading) ${a.node ?? 0}%, GC ${a.gc ?? 0}%, other ${((a.deps ?? 0) + (a.other ?? 0)).toFixed(1)}% (${by.org.profile.file})`);
    console.log(`org CPU by kind of work: ${Object.entries(by.org.profile.bucketsPct).map(([k, v]) => `${k} ${v}%`).join('; ')}`);
  }
  if (by.org.render) {
    const b = by.org.render.browser;
    console.log(`org rendering in-process: ${by.org.render.seconds}s for ${by.org.render.formats.join(', ')}; HTML ${by.org.render.htmlMb} MB; RSS before rendering ${by.org.render.rssBeforeMb} MB, peak RSS with rendering ${by.org.render.peakRssMb} MB; bytes ${JSON.stringify(by.org.render.bytes)}`);
    console.log(b.skipped ? `org HTML in Chromium: ${b.skipped}` : `org HTML in Chromium: interactive in ${b.interactiveS}s, a filter applied in ${b.filterS}s (the issue's method and targets: bench/html.js, in the targets block)`);
  }
}
if (by.medium && by.org) console.log(`growth medium -> org: CPU/instance x${(by.org.cpuUsPerInstance / by.medium.cpuUsPerInstance).toFixed(2)}, RSS/instance x${((by.org.peakRssMb / by.org.instances) / (by.medium.peakRssMb / by.medium.instances)).toFixed(2)} (target within 1.2)`);
for (const t of [by.throttled, by['throttled-p100']]) {
  if (t) console.log(`${t.scenario}: ${t.scopesOk}/${t.scopes} scopes ok, ${t.throttled} calls throttled, ${t.retries} retries, wall ${t.wallS}s / bucket bound ${t.bucketBoundS}s = ${t.wallOverBound} (target 1.3)`);
}

// The targets of the organisation-scale issue (bench/targets.js)
const runs = Number(opt('runs', '1'));
const wantOrgTargets = !args.includes('--no-targets') && (!only || only.includes('org') || only.includes('targets'));
const wantMillion = args.includes('--million') || Boolean(only?.includes('million'));
if (wantOrgTargets || wantMillion || rows.length > 0) {
  const { loadavg } = await import('node:os');
  const loadAtStart = loadavg()[0];
  const orgSc = SCENARIOS.find((x) => x.name === 'org');
  const log = (l) => process.stderr.write(`${l}\n`);
  let org = null;
  let browser = null;
  if (wantOrgTargets) {
    const accounts = Array.from({ length: orgSc.accounts }, (_, i) => String(100000000001 + i).padStart(12, '0'));
    const collect = async (url) => {
      const res = await run(process.execPath, ['bench/client.js', JSON.stringify({ url, accounts, regions: REGIONS17, mode: 'tool', concurrency, render: false, workers })]);
      return JSON.parse(res.out.trim().split('\n').pop());
    };
    org = await measureOrg({ startOrg: () => startEmulator(orgSc), collect, accounts, regions: REGIONS17, runs, log });
    browser = await browserFigures(org.html, Number(opt('html-runs', '3')));
    const { rmSync } = await import('node:fs');
    rmSync(org.keep, { recursive: true, force: true });
    process.stdout.write(JSON.stringify({ scenario: 'targets-org', ...org, html: undefined, keep: undefined, browser }) + '\n');
  }
  let million = null;
  if (wantMillion) {
    const instances = Number(opt('million-instances', '1000000'));
    const heapMb = Number(opt('million-heap', '16384'));
    // the org's density: 500 instances an account over 17 regions
    const accountsCount = Math.max(4, Math.round(instances / 500));
    million = await measureMillion({
      startFleet: ({ accounts, instances: n }) => startEmulator({ ...orgSc, accounts, instances: n }, [`--max-old-space-size=${heapMb}`]),
      regions: REGIONS17, instances, accountsCount, shards: 4, heapMb, log,
    });
    process.stdout.write(JSON.stringify({ scenario: 'targets-million', ...million }) + '\n');
  }
  printTargets(targetRows({ org, medium: by.medium, baseline: by.baseline, browser, million, millionAsked: wantMillion }), `(org: median of ${runs} run${runs === 1 ? '' : 's'}; load average over 1 min at the targets' start ${loadAtStart.toFixed(1)}, at their end ${loadavg()[0].toFixed(1)}, on ${(await import('node:os')).availableParallelism()} cores)`);
}
