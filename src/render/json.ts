import type { Report } from '../model/types.js';

/**
 * The report model as JSON: pretty-printed at the document level, with each record of the long
 * lists (coverage, instances, findings, waivers, rules) on a line of its own, so that large
 * reports stay a manageable size and diff and grep line by line. Newline-terminated.
 */
export function renderJson(report: Report): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(report)) {
    let text: string;
    if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null)) {
      text = `[\n${value.map((v) => `    ${JSON.stringify(v)}`).join(',\n')}\n  ]`;
    } else {
      text = JSON.stringify(value, null, 2).replace(/\n/g, '\n  ');
    }
    parts.push(`  ${JSON.stringify(key)}: ${text}`);
  }
  return `{\n${parts.join(',\n')}\n}\n`;
}
