/**
 * What every report-producing command shares: inventory -> report -> files -> summary -> exit code.
 */
import { DateTime } from 'luxon';
import type { Inventory, Report, Severity } from '../model/types.js';
import { EXIT, UserError } from '../model/errors.js';
import { buildReport, failingFindings } from '../report/build.js';
import type { EvalSettings } from '../rules/engine.js';
import { FORMATS, needsTemplates, renderFormat, type Format } from '../render/index.js';
import { renderTextSummary } from '../render/text.js';
import { termSafe } from '../render/sanitize.js';
import { INSTANT_FORMATS, parseInstantMs } from '../model/time.js';
import { loadTemplates, readReportFile, writeReportSet } from '../io/files.js';
import { toolVersion, TOOL_NAME } from '../paths.js';
import { splitList } from '../collect/filters.js';

export interface OutputOptions {
  formats: Format[];
  outDir: string;
  fileMode: number;
  failOn?: Severity;
  /** Timestamp for file names (UTC). */
  stamp: string;
  /** Lines the summary adds under "note" (how a re-evaluation was made); they are in run.warnings too. */
  notes?: string[];
}

export function parseFormats(values: readonly string[] | string | undefined, fallback: readonly Format[]): Format[] {
  const list = splitList(typeof values === 'string' ? [values] : values);
  if (list.length === 0) return [...fallback];
  for (const f of list) if (!(FORMATS as readonly string[]).includes(f)) throw new UserError(`--format: "${f}" is not one of ${FORMATS.join(', ')}`);
  return [...new Set(list)] as Format[];
}

export function parseFileMode(text: string | number | undefined): number {
  const raw = text === undefined ? '600' : String(text);
  if (!/^0?[0-7]{3}$/.test(raw)) throw new UserError(`--file-mode: "${raw}" is not an octal mode such as 600 or 640`);
  return parseInt(raw, 8);
}

/**
 * --as-of, through the one strict parser (src/model/time.ts): a date (its start, UTC) or an
 * RFC 3339 date-time with a zone designator; nothing else.
 */
export function parseAsOf(text: string | undefined, fallback: DateTime): DateTime {
  if (text === undefined) return fallback;
  const ms = parseInstantMs(text);
  if (ms === null) throw new UserError(`--as-of: "${termSafe(text, 80)}" is not a date or date-time; expected ${INSTANT_FORMATS}`);
  return DateTime.fromMillis(ms, { zone: 'utc' });
}

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
export function exitCodeFor(report: Report, failOn: Severity | undefined): number {
  if (report.run.status === 'partial') return EXIT.partial;
  if (failingFindings(report, failOn).length > 0) return EXIT.findings;
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
  const report = buildReport({ inventory: { ...inventory, run }, settings, asOf, tool: { name: TOOL_NAME, version: toolVersion() }, baseline });
  const ctx = { templates: needsTemplates(out.formats) ? loadTemplates() : (null as never) };
  const files = await writeReportSet(out.outDir, `ami-audit-${out.stamp}`, function* () {
    for (const format of out.formats) yield* renderFormat(format, report, ctx);
  }, out.fileMode);
  stdout.write(renderTextSummary(report, files, { failOn: out.failOn, warnings: true }));
  return { report, files, code: exitCodeFor(report, out.failOn) };
}
