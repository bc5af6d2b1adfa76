/**
 * `ami-audit history`: the run history (docs/history.md). Without an action it lists the recorded
 * runs with their totals; `history import REPORT.json ...` backfills it from saved JSON reports
 * (read as streams, recorded oldest first, in one transaction); `history prune --keep 400d` forgets
 * the runs older than that before the newest one.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DateTime } from 'luxon';
import { UserError } from '../../model/errors.js';
import type { Report } from '../../model/types.js';
import { SEVERITIES } from '../../model/types.js';
import { readInputFile } from '../../io/files.js';
import { reportOf } from '../../report/input.js';
import { scopeFingerprint } from '../../report/shard.js';
import { applyHistory, coverageRows } from '../../history/semantics.js';
import { HistoryStore, type RunRecord } from '../../history/store.js';
import { termJson, termSafe } from '../../render/sanitize.js';
import { DEFAULT_HISTORY_WAIT_SECONDS, DEMO_HISTORY_FILE, historyFile, slaFrom } from '../history-options.js';
import { readFlags, setting, type FlagValues } from '../../config/options.js';
import { loadConfig, type CliIO, type CommandModule } from './context.js';

const ACTIONS = ['list', 'import', 'prune'] as const;

function fileOf(a: FlagValues, cfgHistory: ReturnType<typeof loadConfig>): string {
  const file = historyFile(a, cfgHistory, setting('out', a, cfgHistory));
  if (file === null) throw new UserError('--no-history: the history command needs a history; give --history FILE');
  return file;
}

function list(runs: RunRecord[], a: FlagValues, io: CliIO, file: string): void {
  if (a.textFormat === 'json') {
    io.stdout.write(termJson({ history: file, runs }) + '\n');
    return;
  }
  const t = (v: unknown, max = 40): string => termSafe(v, max);
  const lines = [`ami-audit history: ${runs.length} run${runs.length === 1 ? '' : 's'} recorded in ${t(file, 200)}`];
  if (runs.length) {
    lines.push(`  ${'as-of'.padEnd(26)}${'status'.padEnd(9)}${'scopes ok/partial/error/skipped'.padEnd(33)}${'findings'.padStart(9)}${'overdue'.padStart(9)}${'resolved'.padStart(9)}  ${`open ${SEVERITIES.slice().reverse().join('/')}`.padEnd(38)}run id`);
  }
  for (const r of runs) {
    const scopes = `${r.scopes.ok}/${r.scopes.partial}/${r.scopes.error}/${r.scopes.skipped}`;
    const open = SEVERITIES.slice().reverse().map((s) => r.open[s]).join('/');
    lines.push(`  ${t(r.asOf, 26).padEnd(26)}${t(r.status, 8).padEnd(9)}${scopes.padEnd(33)}${String(r.findings).padStart(9)}${String(r.overdue).padStart(9)}${String(r.resolved).padStart(9)}  ${`     ${open}`.padEnd(38)}${t(r.id, 80)}`);
  }
  io.stdout.write(lines.join('\n') + '\n');
}

/** Records saved reports, oldest first, in one transaction: all of them or none. */
function importReports(store: HistoryStore, files: string[], a: FlagValues, cfg: ReturnType<typeof loadConfig>, io: CliIO): void {
  if (files.length === 0) throw new UserError('history import: give the saved JSON reports to record (ami-audit-<stamp>.json)');
  const reports: { file: string; report: Report }[] = files.map((file) => ({ file, report: reportOf(readInputFile(file, 'history import', { instances: false, findings: true })) }));
  for (const r of reports) {
    if (r.report.run.shard) throw new UserError(`history import: ${r.file} is the report of shard ${r.report.run.shard.index}/${r.report.run.shard.count}; merge the shards (ami-audit merge) and import the merged report`);
  }
  reports.sort((x, y) => (x.report.run.asOf < y.report.run.asOf ? -1 : x.report.run.asOf > y.report.run.asOf ? 1 : 0));
  const sla = slaFrom(cfg);
  store.begin();
  if (a.rebuild) store.clear();
  for (const { file, report } of reports) {
    const newest = store.newest();
    if (newest && report.run.asOf < newest.asOf) {
      throw new UserError(`history import: ${file} (as-of ${report.run.asOf}) is older than the newest recorded run (${newest.asOf}, run ${newest.id}); nothing was imported. Give --rebuild to start the history over from the reports given`);
    }
    const prior = store.load(new Map(report.findings.map((f) => [f.id, f])));
    if (prior.runs.some((r) => r.id === report.run.id)) throw new UserError(`history import: ${file}: run ${report.run.id} is already recorded; nothing was imported`);
    const asOf = DateTime.fromISO(report.run.asOf, { zone: 'utc' }).toMillis();
    const out = applyHistory({ current: { findings: report.findings, coverage: report.coverage, run: report.run, rules: report.rules }, status: report.run.status, asOf, sla, prior });
    store.save(out.rows, {
      toolVersion: report.tool.version, fingerprint: scopeFingerprint(report.run), source: report.run.source, coverage: coverageRows(report.coverage),
      findings: report.findings.filter((f) => !f.waiver).length, overdue: out.history.overdue,
    });
    io.stdout.write(`ami-audit history: recorded ${termSafe(file, 200)} (run ${termSafe(report.run.id, 80)}, as-of ${termSafe(report.run.asOf)}): ${out.findings.length} finding${out.findings.length === 1 ? '' : 's'}, ${out.history.resolved.length} resolved, ${out.history.overdue} overdue\n`);
  }
  store.commit();
}

function prune(store: HistoryStore, a: FlagValues, io: CliIO): void {
  if (a.keep === undefined) throw new UserError('history prune: give --keep DAYS, e.g. --keep 400d (the runs of that many days before the newest recorded run are kept)');
  store.begin();
  const newest = store.newest();
  if (!newest) {
    store.commit();
    io.stdout.write('ami-audit history: no run recorded; nothing to prune\n');
    return;
  }
  const cutoff = DateTime.fromISO(newest.asOf, { zone: 'utc' }).minus({ days: a.keep }).toISO({ suppressMilliseconds: true })!;
  const n = store.prune(cutoff);
  store.commit();
  store.vacuum();
  io.stdout.write(`ami-audit history: pruned ${n.runs} run${n.runs === 1 ? '' : 's'} before ${cutoff} and ${n.findings} finding${n.findings === 1 ? '' : 's'} no longer open last seen before then\n`);
}

export const historyCommand: CommandModule = {
  name: 'history',
  command: 'history [action] [reports..]',
  describe: 'The run history: list the recorded runs (default), import saved JSON reports, or prune old runs',
  builder: (y) => y
    .positional('action', { choices: [...ACTIONS], default: 'list', describe: 'list: the recorded runs with their totals; import REPORT.json ...: record saved reports, oldest first; prune --keep 400d: forget older runs' })
    .positional('reports', { type: 'string', array: true, describe: 'history import: the saved JSON reports' }),
  run: (argv, { io }) => {
    const a = readFlags('history', argv);
    const cfg = loadConfig(a.config);
    const action = String(argv.action ?? 'list') as (typeof ACTIONS)[number];
    const files = (argv.reports as string[] | undefined ?? []).map(String);
    if (action !== 'import' && files.length) throw new UserError(`history ${action}: unexpected argument ${JSON.stringify(termSafe(files[0], 60))}; only history import takes reports`);
    const file = fileOf(a, cfg);
    // the folder holds only the demo's history: name it rather than say there is none
    if (action !== 'import' && a.history === undefined && cfg.history === undefined && !existsSync(file)) {
      const demo = join(dirname(file), DEMO_HISTORY_FILE);
      if (existsSync(demo)) throw new UserError(`${file}: no history there yet; the demo records its own in ${demo}: give --history ${demo}`);
    }
    const store = HistoryStore.open(file, a.historyWait ?? DEFAULT_HISTORY_WAIT_SECONDS, { create: action === 'import' });
    try {
      if (action === 'list') list(store.runs(), a, io, file);
      else if (action === 'import') importReports(store, files, a, cfg, io);
      else prune(store, a, io);
    } finally {
      store.close();
    }
  },
};
