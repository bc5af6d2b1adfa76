/** The renderers by format: each a pure function of the report model. */
import type { Report } from '../model/types.js';
import { renderCoverageCsv, renderFindingsCsv } from './csv.js';
import { renderHtml, type TemplateSet } from './html.js';
import { renderJsonChunks } from './json.js';
import { renderMarkdown } from './markdown.js';

export const FORMATS = ['html', 'csv', 'json', 'md'] as const;
export type Format = (typeof FORMATS)[number];

/** A rendered file: its name suffix and its text, whole or in pieces (large JSON). */
export interface RenderedFile { suffix: string; content: string | Iterable<string> }

export function contentText(f: RenderedFile): string {
  return typeof f.content === 'string' ? f.content : [...f.content].join('');
}

/** The files of one format: CSV gives the findings and the coverage file. */
export function renderFormat(format: Format, report: Report, templates: TemplateSet): RenderedFile[] {
  switch (format) {
    case 'json': return [{ suffix: '.json', content: renderJsonChunks(report) }];
    case 'csv': return [{ suffix: '.csv', content: renderFindingsCsv(report) }, { suffix: '-coverage.csv', content: renderCoverageCsv(report) }];
    case 'md': return [{ suffix: '.md', content: renderMarkdown(report) }];
    case 'html': return [{ suffix: '.html', content: renderHtml(report, templates) }];
  }
}
