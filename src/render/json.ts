import type { Report } from '../model/types.js';

/** The report model itself, pretty-printed and newline-terminated. */
export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}
