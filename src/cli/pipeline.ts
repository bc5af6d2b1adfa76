/**
 * What every report-producing command shares: inventory -> report -> files -> summary -> exit code.
 */
import { join } from 'node:path';
import { DateTime } from 'luxon';
import type { Inventory, Report, Severity } from '../model/types.js';
import { EXIT, UserError } from '../model/errors.js';
import { buildReport, failingFindings } from '../report/build.js';
import { readReportDoc } from '../report/input.js';
import type { EvalSettings } from '../rules/engine.js';
import { FORMATS, renderFormat, type Format } from '../render/index.js';
import { renderTextSummary } from '../render/text.js';
import { loadTemplates, readJsonFile, writeAtomic } from '../io/files.js';
import { toolVersion, TOOL_NAME } from '../paths.js';
import { splitList } from '../collect/filters.js';

export interface OutputOptions {
  formats: Format[];
  outDir: string;
  fileMode: number;
  failOn?: Severity;
  /** Timestamp for file names (UTC). */
  stamp: string;
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

/** --as-of: an ISO 8601 date or date-time; a bare date means its start, UTC. */
export function parseAsOf(text: string | undefined, fallback: DateTime): DateTime {
  if (text === undefined) return fallback;
  const d = DateTime.fromISO(text, { zone: 'utc' });
  if (!d.isValid) throw new UserError(`--as-of: "${text}" is not an ISO 8601 date or date-time (e.g. 2026-11-26 or 2026-11-26T12:00:00Z)`);
  return d.toUTC();
}

export function fileStamp(iso: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' }).toFormat("yyyyLLdd'T'HHmmss'Z'");
}

export function loadBaseline(path: string | undefined): Report | null {
  if (!path) return null;
  return readReportDoc(path, readJsonFile(path, '--baseline'));
}

export function exitCodeFor(report: Report, failOn: Severity | undefined): number {
  if (failingFindings(report, failOn).length > 0) return EXIT.findings;
  if (report.run.status === 'partial') return EXIT.partial;
  return EXIT.ok;
}

export interface PipelineResult { report: Report; files: string[]; code: number }

export async function produce(inventory: Inventory, settings: EvalSettings, asOf: DateTime, baseline: Report | null, out: OutputOptions, stdout: NodeJS.WritableStream): Promise<PipelineResult> {
  const report = buildReport({ inventory, settings, asOf, tool: { name: TOOL_NAME, version: toolVersion() }, baseline });
  const templates = out.formats.includes('html') ? loadTemplates() : (null as never);
  const files: string[] = [];
  for (const format of out.formats) {
    for (const file of renderFormat(format, report, templates)) {
      const path = join(out.outDir, `ami-audit-${out.stamp}${file.suffix}`);
      await writeAtomic(path, file.content, out.fileMode);
      files.push(path);
    }
  }
  stdout.write(renderTextSummary(report, files));
  return { report, files, code: exitCodeFor(report, out.failOn) };
}
