/**
 * The renderers, in one registry: each a pure function of the report model and its context. The
 * format names, the default formats, the CLI's `--format` help and the config schema's `formats`
 * enum all derive from RENDERERS; adding a format is one entry here (and its golden file).
 */
import type { Report } from '../model/types.js';
import { coverageCsvChunks, findingsCsvChunks, imagesCsvChunks, renderWhatIfCsv } from './csv.js';
import { renderOwnedImagesCsv } from './owned.js';
import { renderHtml, type TemplateSet } from './html.js';
import { renderJsonChunks } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderOcsfChunks } from './ocsf.js';
import { asffFiles } from './asff.js';
import { renderRolloutScript } from './successor.js';

/**
 * A rendered file: its name suffix and its text, whole or in pieces (the long formats: JSON, CSV,
 * OCSF), the pieces made while the file is written (each iteration makes them anew).
 */
export interface RenderedFile { suffix: string; content: string | Iterable<string>; /** This file's own mode (the rollout script: 600 always). */ mode?: number }

/**
 * What a renderer may use beside the model: the templates the edge loaded (src/io/files.ts), and
 * the time the files are written, read from the clock once by the edge (ISO 8601): OCSF's
 * modified_time and ASFF's UpdatedAt. Renderers stay pure: without it they use the run's as-of.
 */
export interface RenderContext {
  templates: TemplateSet;
  writtenAt?: string;
  /** The files' common name and the formats the run writes: the HTML names the files that hold every finding when it shows fewer. */
  stem?: string;
  formats?: readonly string[];
}

export interface Renderer<F extends string = string> {
  /** The name `--format` and the config's `formats` take. */
  format: F;
  /** What its files are, for the help text. */
  description: string;
  /** Written when no format is asked for. */
  byDefault: boolean;
  /** It reads ctx.templates (the edge loads them only when a chosen format needs them). */
  needsTemplates: boolean;
  /** Its files, made one after the other as the writer takes them (ASFF cuts its files as it goes). */
  render(report: Report, ctx: RenderContext): Iterable<RenderedFile>;
}

/** Pieces made anew each time they are iterated. */
const pieces = (make: () => Iterator<string>): Iterable<string> => ({ [Symbol.iterator]: make });

export const RENDERERS = [
  {
    format: 'html', description: 'one self-contained HTML report', byDefault: true, needsTemplates: true,
    render: (report, ctx) => [{ suffix: '.html', content: renderHtml(report, ctx.templates, { stem: ctx.stem, formats: ctx.formats }) }],
  },
  {
    format: 'csv', description: 'findings, AMI plan (-images), coverage and Allowed AMIs what-if (-whatif, when there is one) CSVs', byDefault: true, needsTemplates: false,
    render: (report) => [
      { suffix: '.csv', content: pieces(() => findingsCsvChunks(report)) },
      { suffix: '-images.csv', content: pieces(() => imagesCsvChunks(report)) },
      { suffix: '-coverage.csv', content: pieces(() => coverageCsvChunks(report)) },
      ...whatIfFile(report),
      // ami-audit images: the owned AMIs (absent in scan reports)
      ...(report.ownedImages ? [{ suffix: '-owned-images.csv', content: renderOwnedImagesCsv(report) }] : []),
    ],
  },
  {
    format: 'json', description: 'the report model', byDefault: true, needsTemplates: false,
    render: (report) => [{ suffix: '.json', content: pieces(() => renderJsonChunks(report)) }],
  },
  {
    format: 'md', description: 'a Markdown summary for a ticket', byDefault: true, needsTemplates: false,
    render: (report) => [{ suffix: '.md', content: renderMarkdown(report) }],
  },
  {
    format: 'rollout', description: 'with --successors and --references: the AWS CLI commands that roll the successors out (-rollout.sh, mode 600, never run by ami-audit); no file when there is nothing to roll out', byDefault: true, needsTemplates: false,
    render: (report) => {
      const script = renderRolloutScript(report);
      return script ? [{ suffix: '-rollout.sh', content: script, mode: 0o600 }] : [];
    },
  },
  {
    format: 'ocsf', description: 'OCSF 1.3 Detection Findings, one JSON array (.ocsf.json)', byDefault: false, needsTemplates: false,
    render: (report, ctx) => [{ suffix: '.ocsf.json', content: pieces(() => renderOcsfChunks(report, { writtenAt: ctx.writtenAt })) }],
  },
  {
    format: 'asff', description: 'AWS Security Finding Format batches for securityhub batch-import-findings (-asff-<account>-<region>-001.json, ...)', byDefault: false, needsTemplates: false,
    render: (report, ctx) => ({ [Symbol.iterator]: () => asffFiles(report, { writtenAt: ctx.writtenAt }) }),
  },
] as const satisfies readonly Renderer<string>[];

/** The what-if CSV, when the report has a what-if. */
function whatIfFile(report: Report): RenderedFile[] {
  const text = renderWhatIfCsv(report);
  return text === null ? [] : [{ suffix: '-whatif.csv', content: text }];
}

export type Format = (typeof RENDERERS)[number]['format'];

/** Every format, in the registry's order. */
export const FORMATS: readonly Format[] = RENDERERS.map((r) => r.format);

/** The formats written when none is asked for. */
export const DEFAULT_FORMATS: readonly Format[] = RENDERERS.filter((r) => r.byDefault).map((r) => r.format);

export function rendererOf(format: Format): Renderer<Format> {
  const r = RENDERERS.find((x) => x.format === format);
  if (!r) throw new Error(`no renderer for format ${String(format)}`);
  return r;
}

/** Whether any of these formats reads templates (so the edge loads them only then). */
export function needsTemplates(formats: readonly Format[]): boolean {
  return formats.some((f) => rendererOf(f).needsTemplates);
}

/** `html, csv, json, md (default all)`, for the help text. */
export function formatsHelp(separator = ', '): string {
  const all = DEFAULT_FORMATS.length === FORMATS.length;
  return `${FORMATS.join(separator)} (default ${all ? 'all' : DEFAULT_FORMATS.join(',')})`;
}

export function contentText(f: RenderedFile): string {
  return typeof f.content === 'string' ? f.content : [...f.content].join('');
}

/**
 * The files of one format (CSV gives the findings, the AMI plan and the coverage file), all of
 * them. The templates are the context's: null is fine for a format that does not read them.
 */
export function renderFormat(format: Format, report: Report, templates: TemplateSet | RenderContext): RenderedFile[] {
  return [...renderFiles(format, report, templates)];
}

/** The files of one format, made one at a time as they are taken: what the writer consumes. */
export function renderFiles(format: Format, report: Report, templates: TemplateSet | RenderContext): Iterable<RenderedFile> {
  const ctx: RenderContext = templates && 'templates' in templates ? templates : { templates };
  return rendererOf(format).render(report, ctx);
}
