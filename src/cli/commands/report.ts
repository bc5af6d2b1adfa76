/**
 * `ami-audit report --input`: re-evaluates saved reports and AWS CLI output. A saved report keeps
 * its as-of and the waivers, rule settings and trust settings it was evaluated with, unless
 * --as-of or --config say otherwise; the summary and run.warnings say which were used.
 */
import { DateTime } from 'luxon';
import { UserError } from '../../model/errors.js';
import { settingsFrom, type AuditConfig } from '../../config/config.js';
import { mergeInputs } from '../../report/input.js';
import { ensureWritableDir, readInputFile } from '../../io/files.js';
import { DEFAULT_FORMATS } from '../../render/index.js';
import { fileStamp, loadBaseline, parseAsOf, parseFileMode, produce } from '../pipeline.js';
import { loadCriteria } from '../../config/criteria.js';
import { readFlags, type FlagValues, setting } from '../../config/options.js';
import { loadConfig, type CliIO, type CommandModule, type RunState } from './context.js';
import { historyOptions, slaFrom } from '../history-options.js';
import { carriedOf, combineCarried } from '../../history/semantics.js';

async function runReport(a: FlagValues, io: CliIO, state: RunState): Promise<void> {
  const cfg = loadConfig(a.config);
  const formats = a.format?.length ? a.format : [...(cfg.formats ?? DEFAULT_FORMATS)];
  const fileMode = a.fileMode ?? parseFileMode(undefined);
  const baseline = loadBaseline(a.baseline);
  const criteria = loadCriteria(setting('criteria', a, cfg));
  const files = a.input ?? [];
  if (files.length === 0) throw new UserError('--input: give at least one saved JSON report or AWS CLI output file');
  // A saved report's findings are read for what they carry of a run history (first sight,
  // escalation, lifecycle), kept in a small map; the rest of them is dropped: re-evaluation makes its own.
  const carriedBy: { file: string; carried: ReturnType<typeof carriedOf> }[] = [];
  const parsed = files.map((file) => {
    const p = readInputFile(file, '--input', { instances: true, findings: true });
    if (p.kind !== 'report') return p;
    carriedBy.push({ file, carried: carriedOf(p.report) });
    return { ...p, report: { ...p.report, findings: [] } };
  });
  const now = io.now();
  const startedAt = now.toISOString();
  const { inventory, stored } = mergeInputs(parsed, startedAt, { storedSettings: a.config === undefined });
  const notes = [...stored.notes];
  const list = (names: string[]): string => (names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', '));
  let asOf: DateTime;
  if (a.asOf !== undefined) {
    asOf = a.asOf;
    if (stored.asOf) notes.push(`Evaluated as of ${asOf.toISO({ suppressMilliseconds: true })} (--as-of), not as of ${stored.asOf} stored in ${list(stored.asOfFrom)}.`);
  } else if (stored.asOf) {
    asOf = parseAsOf(stored.asOf, DateTime.fromMillis(0));
    notes.push(`Evaluated as of ${stored.asOf}, the as-of stored in ${list(stored.asOfFrom)}${parsed.filter((p) => p.kind === 'report').length > 1 ? ' (the latest of the inputs)' : ''}; --as-of changes it.`);
  } else {
    asOf = DateTime.fromJSDate(now, { zone: 'utc' });
  }
  let settingsCfg: AuditConfig = cfg;
  if (a.config !== undefined) {
    if (parsed.some((p) => p.kind === 'report')) notes.push(`Waivers and rule settings from --config ${a.config}, not the ones stored in the input report(s).`);
  } else if (stored.config) {
    settingsCfg = stored.config;
    const w = stored.config.waivers?.length ?? 0;
    notes.push(`Waivers (${w}) and rule settings are the ones stored in ${list(stored.configFrom)}; --config replaces them.`);
  }
  const settings = settingsFrom(settingsCfg, { includeTerminated: a.includeTerminated, tagColumns: a.tagColumns });
  const outDir = await ensureWritableDir(setting('out', a, cfg));
  const history = historyOptions(a, cfg, outDir, false);
  // Saved reports written with a run history carry their findings' first sight, escalation and
  // lifecycle: without --history they are carried, aged at this as-of under the SLA of the config;
  // a history given wins over them.
  // named in a fixed order: the inputs merge alike in any order, and so does what is said of them
  const aged = carriedBy.filter((c) => c.carried).map((c) => c.file).sort();
  const bare = carriedBy.filter((c) => !c.carried).map((c) => c.file).sort();
  const carried = combineCarried(carriedBy.map((c) => c.carried));
  const sla = slaFrom(cfg);
  const asOfText = asOf.toUTC().toISO({ suppressMilliseconds: true });
  if (carried && !history) {
    notes.push(`First sight, escalation and lifecycle of the findings carried from the run history of ${list(aged)} (run ${carried.runId}, as of ${carried.asOf}); ages, due dates and overdue as of ${asOfText}, with the SLA of the config.`);
    if (bare.length) notes.push(`${list(bare)} carr${bare.length === 1 ? 'ies' : 'y'} no run history (a version 1 or 2 report, or one written with --no-history): ${bare.length === 1 ? 'its' : 'their'} findings count as first seen as of ${asOfText}.`);
  }
  const agedWhat = aged.length ? `${list(aged)} carr${aged.length === 1 ? 'ies' : 'y'} first sight, due dates and overdue from a run history` : '';
  const noEarlierRunNote = aged.length && history
    ? `${agedWhat}; they are not carried: ${history.file} has no earlier run, and a history given wins over a report's own fields, so every finding starts as new as of this run. To keep their ages, record saved reports with ami-audit history import, oldest first, or leave out --history.`
    : undefined;
  const res = await produce(inventory, settings, asOf, baseline, { formats, outDir, fileMode, failOn: setting('failOn', a, cfg), failOnOverdue: setting('failOnOverdue', a, cfg), history, criteria, noEarlierRunNote, carried: carried && !history ? { carried, sla } : null, stamp: fileStamp(startedAt), notes, quiet: a.quiet }, io.stdout);
  state.code = res.code;
}

export const reportCommand: CommandModule = {
  name: 'report',
  command: 'report',
  describe: 'Re-evaluate and re-render saved reports or AWS CLI output offline',
  run: (argv, { io, state }) => runReport(readFlags('report', argv), io, state),
};
