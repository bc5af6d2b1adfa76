/**
 * What every report-producing command shares: inventory -> report -> files -> summary -> exit code.
 */
import { DateTime } from 'luxon';
import type { Finding, ImageCriterion, Inventory, Report, Severity } from '../model/types.js';
import { EXIT, UserError } from '../model/errors.js';
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { sealShard, scopeFingerprint, SHARD_KEY_VARIABLE } from '../report/shard.js';
import { addSecret } from './redact.js';
import { buildRun, failingFindings } from '../report/build.js';
import { coverageRows, type CarriedHistory, type PriorHistory, type Sla } from '../history/semantics.js';
import { HistoryStore } from '../history/store.js';
import type { EvalSettings } from '../rules/engine.js';
import { needsTemplates, renderFiles, type Format } from '../render/index.js';
import { renderQuietSummary, renderTextSummary } from '../render/text.js';
import { loadTemplates, readReportFile, writeReportSet } from '../io/files.js';
import { toolVersion, TOOL_NAME } from '../paths.js';

export interface OutputOptions {
  formats: Format[];
  outDir: string;
  fileMode: number;
  failOn?: Severity;
  /** Timestamp for file names (UTC). */
  stamp: string;
  /** Lines the summary adds under "note" (how a re-evaluation was made); they are in run.warnings too. */
  notes?: string[];
  /** A shard's report is sealed (its content digest), and signed with this key when there is one. */
  shardKey?: string;
  /** --quiet: stdout gets the one-line verdict and the files written, nothing else. */
  quiet?: boolean;
  /** Exit 1 when an unwaived finding is overdue (--fail-on-overdue). */
  failOnOverdue?: boolean;
  /** The run history to record this run in (null: none, --no-history). */
  history?: HistoryOptions | null;
  /** A line for run.warnings when the history has no earlier run (report --input of reports that carried ages). */
  noEarlierRunNote?: string;
  /** What saved reports carry of their run history (report --input): used when no history is recorded into; a history given wins. */
  carried?: { carried: CarriedHistory; sla: Sla } | null;
  /** --criteria FILE: the proposed Allowed AMIs criteria for the what-if (null: each region's current criteria). */
  criteria?: ImageCriterion[] | null;
}

/** AMI_AUDIT_SHARD_KEY, the HMAC key of shard reports: unset is no key; set but empty is a usage error (an unset shell variable). */
export function shardKeyFrom(env: NodeJS.ProcessEnv): string | undefined {
  const key = env[SHARD_KEY_VARIABLE];
  if (key === undefined) return undefined;
  if (key.trim() === '') throw new UserError(`${SHARD_KEY_VARIABLE} is set but empty: set it to the key every shard and merge share, or unset it`);
  addSecret(key);
  return key;
}

export interface HistoryOptions {
  file: string;
  /** Seconds to wait for another ami-audit that holds the history (--history-wait). */
  waitSeconds: number;
  sla: Sla;
}

// The checks of --format, --file-mode and --as-of live with the options (src/config/options.ts).
export { parseAsOf, parseFileMode, parseFormats } from '../config/options.js';

export function fileStamp(iso: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' }).toFormat("yyyyLLdd'T'HHmmss'Z'");
}

/** A previous report for --baseline: read as a stream, keeping run, coverage and findings (not the instances). */
export function loadBaseline(path: string | undefined, what = '--baseline'): Report | null {
  if (!path) return null;
  return readReportFile(path, what);
}

/**
 * The exit code of a report-producing run. Partial coverage (3) wins over findings at or above
 * --fail-on (1): a scheduler must learn that part of the estate was not audited, and the findings
 * it did see are in the summary line and the reports either way.
 */
export function exitCodeFor(report: Report, failOn: Severity | undefined, failOnOverdue = false): number {
  if (report.run.status === 'partial') return EXIT.partial;
  if (failingFindings(report, failOn).length > 0) return EXIT.findings;
  if (failOnOverdue && (report.history?.overdue ?? 0) > 0) return EXIT.findings;
  return EXIT.ok;
}

export interface PipelineResult { report: Report; files: string[]; code: number }

/**
 * Builds the report and writes its files: all of them or none (a failed write throws a WriteError,
 * exit 4, and leaves no file of the run); a name another run holds is never replaced (the whole
 * set moves to `ami-audit-<stamp>-2...`). The settings the report was evaluated with that the
 * report model does not otherwise hold (trusted accounts and owner aliases, includeTerminated) are
 * recorded in run.options, so that `report --input` can evaluate it again the same way.
 */
export async function produce(inventory: Inventory, settings: EvalSettings, asOf: DateTime, baseline: Report | null, out: OutputOptions, stdout: NodeJS.WritableStream): Promise<PipelineResult> {
  const notes = out.notes ?? [];
  const run = {
    ...inventory.run,
    options: { ...inventory.run.options, trustedAccounts: [...settings.trustedAccounts], trustedOwnerAliases: [...settings.trustedOwnerAliases], includeTerminated: settings.includeTerminated },
  };
  if (notes.length) run.warnings = [...(inventory.run.warnings ?? []), ...notes];
  const tool = { name: TOOL_NAME, version: toolVersion() };
  // The history is opened, checked and locked before anything is written: a history that is not
  // ours, newer, corrupted or held too long by another run stops the run with no report file.
  const fresh = out.history ? !existsSync(out.history.file) : false;
  const store = out.history ? HistoryStore.open(out.history.file, out.history.waitSeconds, { mode: out.fileMode }) : null;
  let recorded = false;
  try {
    let prior: ((findings: readonly Finding[]) => PriorHistory) | null = null;
    if (store) {
      store.begin();
      const newest = store.newest();
      const asOfIso = asOf.toUTC().toISO({ suppressMilliseconds: true })!;
      if (newest && asOfIso < newest.asOf) {
        throw new UserError(`${out.history!.file}: this run's as-of ${asOfIso} is before the newest recorded run's (${newest.asOf}, run ${newest.id}); the history records runs in time order: give a later --as-of, another --history file, or --no-history`);
      }
      if (out.noEarlierRunNote && !newest) run.warnings = [...(run.warnings ?? []), out.noEarlierRunNote];
      // read once this run's findings are known: only what the semantics need of them
      prior = (findings: readonly Finding[]): PriorHistory => store.load(new Map(findings.map((f) => [f.id, f])));
    }
    const built = buildRun({ inventory: { ...inventory, run }, settings, asOf: asOf.toMillis(), tool, baseline, history: store && prior ? { prior, sla: out.history!.sla } : null, carried: store ? null : out.carried ?? null, proposedCriteria: out.criteria ?? null });
    // a shard's report is sealed (the digest of its content, signed with AMI_AUDIT_SHARD_KEY when given)
    const report = sealShard(built.report, out.shardKey);
    const rows = built.rows;
    // The rows go in first (a full disk fails here, before any report file), the files next, the commit last.
    if (store && rows) {
      store.save(rows, {
        toolVersion: tool.version, fingerprint: scopeFingerprint(report.run), source: report.run.source, coverage: coverageRows(report.coverage),
        findings: report.summary.findingsUnwaived, overdue: report.history?.overdue ?? 0,
      });
    }
    const stem = `ami-audit-${out.stamp}`;
    const ctx = { templates: needsTemplates(out.formats) ? loadTemplates() : (null as never), writtenAt: new Date().toISOString(), stem, formats: out.formats };
    const files = await writeReportSet(out.outDir, stem, function* () {
      for (const format of out.formats) yield* renderFiles(format, report, ctx);
    }, out.fileMode);
    if (store) {
      try {
        store.commit();
        recorded = true;
      } catch (e) {
        // not recorded: the reports of a run the history does not have would contradict it
        for (const f of files) await unlink(f).catch(() => undefined);
        throw e;
      }
    }
    stdout.write(out.quiet ? renderQuietSummary(report, files, { failOn: out.failOn }) : renderTextSummary(report, files, { failOn: out.failOn, warnings: true }));
    return { report, files, code: exitCodeFor(report, out.failOn, out.failOnOverdue) };
  } finally {
    store?.close();
    // a history this run created and did not record into is not left behind
    if (fresh && !recorded) await unlink(out.history!.file).catch(() => undefined);
  }
}
