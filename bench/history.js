// node bench/history.js [--weeks 52] [--churn 0.02] [--scale F]: the run history at org scale
// (300 accounts x 17 regions, 150,000 instances, the realistic fleet of bench/run.js), without the
// network: the org fleet's records become an inventory in-process, and
// the report is evaluated once (as a run would), then recorded --weeks times, one week apart, each
// week --churn of the findings' instances replaced by new ones (new ids: their findings are new,
// the old ones resolved). Prints the time of each recording (opening the SQLite file, loading the
// prior state, the semantics, saving the rows, committing: what a run adds to building its
// report) and the file's size after the last week.
// Needs the build (npm run build). Prints one JSON line, then a summary.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { orgFleet, REGIONS17 } from './org-fleet.js';

const root = new URL('..', import.meta.url);
const lib = (p) => import(new URL(`dist/${p}`, root).href);
const [{ generateFleet }, { buildRun }, { DEFAULT_SETTINGS }, { ok: okScope }, { HistoryStore }, { DEFAULT_SLA, applyHistory, coverageRows }, { scopeFingerprint }] = await Promise.all([
  lib('emulator/generate.js'), lib('report/build.js'), lib('rules/engine.js'), lib('model/coverage.js'), lib('history/store.js'), lib('history/semantics.js'), lib('report/shard.js'),
]);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const weeks = Number(opt('weeks', '52'));
const churn = Number(opt('churn', '0.02'));
const scale = Number(opt('scale', '1'));

const { records, coverage, accounts } = orgFleet({ generateFleet, okScope }, scale);

/** The org run's inventory. */
function inventory(w, id) {
  const instances = records;
  const at = asOf(w).toISO({ suppressMilliseconds: true });
  return { run: { id, startedAt: at, finishedAt: at, caller: { accountId: accounts[0], arn: null }, accounts, regions: REGIONS17, options: {}, interrupted: false, source: 'scan' }, coverage, instances, notFoundInstanceIds: [] };
}
const START = DateTime.fromISO('2026-01-05T00:00:00Z', { zone: 'utc' });
const asOf = (w) => START.plus({ weeks: w });
const TOOL = { name: 'ami-audit', version: 'bench' };

let lastCpuS = 0;
const seconds = (fn) => {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const v = fn();
  const d = process.cpuUsage(c);
  lastCpuS = (d.user + d.system) / 1e6;
  return [Number(process.hrtime.bigint() - t) / 1e9, v];
};
const phases = [];
const rowsWritten = [];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The org run's report, evaluated once (what every week's run would evaluate again).
const [buildS, base] = seconds(() => buildRun({ inventory: inventory(0, 'run-0'), settings: DEFAULT_SETTINGS, asOf: asOf(0).toMillis(), tool: TOOL, history: null }).report);

/** Week w's findings: the churned instances' findings get new instance ids (and so new finding ids). */
function findingsOf(w) {
  if (w === 0 || churn === 0) return base.findings;
  return base.findings.map((f, n) => {
    let gen = 0;
    for (let k = 1; k <= w; k++) if (((n * 7919 + k * 104729) % 1000) < churn * 1000) gen = k;
    return gen === 0 ? f : { ...f, id: `${f.id.slice(0, 14)}${(gen * 7919 + n).toString(16).padStart(6, '0').slice(-6)}`, instanceId: `${f.instanceId}-w${gen}` };
  });
}

/** What produce() does around the report: open, lock, load, the semantics, save, commit. */
function record(file, w) {
  const findings = findingsOf(w);
  const run = { ...base.run, id: `run-${w}`, asOf: asOf(w).toISO({ suppressMilliseconds: true }) };
  const phase = {};
  const timed = (name, fn) => {
    const c = process.cpuUsage();
    const v = fn();
    const d = process.cpuUsage(c);
    phase[name] = (d.user + d.system) / 1e6;
    return v;
  };
  const r = seconds(() => {
    const store = timed('open', () => HistoryStore.open(file, 60));
    try {
      store.begin();
      // as produce() reads it: once this run's findings are known, only what the semantics need of them
      const prior = timed('load', () => store.load(new Map(findings.map((f) => [f.id, f]))));
      const out = timed('semantics', () => applyHistory({ current: { findings, coverage: base.coverage, run, rules: base.rules }, status: 'complete', asOf: asOf(w).toMillis(), sla: DEFAULT_SLA, prior }));
      rowsWritten.push(out.rows.findings.length);
      timed('save', () => store.save(out.rows, { toolVersion: 'bench', fingerprint: scopeFingerprint(run), source: 'scan', coverage: coverageRows(base.coverage), findings: findings.length, overdue: out.history.overdue }));
      timed('commit', () => store.commit());
      return out;
    } finally {
      store.close();
    }
  });
  phases.push(phase);
  return r;
}

const dir = mkdtempSync(join(tmpdir(), 'ami-audit-bench-history-'));
try {
  const file = join(dir, 'weekly.sqlite');
  const times = [];
  const cpus = [];
  let out;
  for (let w = 0; w < weeks; w++) {
    let t;
    [t, out] = record(file, w);
    times.push(t);
    cpus.push(lastCpuS);
  }
  const sizeMb = statSync(file).size / 1e6;
  // the open set (history schema 3): one value, read and written whole each run
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true });
  const openSetMb = (db.prepare('SELECT length(data) FROM open_set').pluck().get() ?? 0) / 1e6;
  db.close();
  const result = {
    instances: records.length, findings: base.findings.length, weeks, churn, buildS: +buildS.toFixed(2),
    recordFirstS: +times[0].toFixed(2), recordSecondS: +(times[1] ?? NaN).toFixed(2), recordMedianS: +median(times).toFixed(2), recordLastS: +times.at(-1).toFixed(2), recordCpuMedianS: +median(cpus).toFixed(2),
    historyMb: +sizeMb.toFixed(1), openSetMb: +openSetMb.toFixed(2), recordCpuS: cpus.map((c) => +c.toFixed(2)),
    cpuByPhaseMedianS: Object.fromEntries(Object.keys(phases[0]).map((k) => [k, +median(phases.map((p) => p[k])).toFixed(2)])),
    rowsWritten, cpuByPhaseS: phases.map((p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, +v.toFixed(2)]))), resolvedLastWeek: out.history.resolved.length, trendPoints: out.history.trend.length,
  };
  console.log(JSON.stringify(result));
  console.log(`history at org scale: ${result.instances} instances, ${result.findings} findings a run (report built in ${result.buildS}s); recording a run: ${result.recordFirstS}s into an empty history, ${result.recordSecondS}s the week after, median ${result.recordMedianS}s (CPU ${result.recordCpuMedianS}s), ${result.recordLastS}s at week ${weeks}; after ${weeks} weekly runs with ${churn * 100}% churn a week the file is ${result.historyMb} MB (target under 100)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
