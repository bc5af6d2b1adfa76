import type { Report } from '../model/types.js';

/**
 * The report model as JSON: pretty-printed at the document level, with each record of the long
 * lists (coverage, instances, findings, waivers, rules) on a line of its own, so that large
 * reports stay a manageable size and diff and grep line by line. Newline-terminated.
 * Yields the document in pieces, so a large report is written without one huge string.
 */
export function* renderJsonChunks(report: Report): Generator<string> {
  const entries = Object.entries(report);
  yield '{\n';
  for (const [n, [key, value]] of entries.entries()) {
    const sep = n < entries.length - 1 ? ',\n' : '\n';
    if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null)) {
      yield `  ${JSON.stringify(key)}: [\n`;
      for (let i = 0; i < value.length; i++) yield `    ${JSON.stringify(value[i])}${i < value.length - 1 ? ',\n' : '\n'}`;
      yield `  ]${sep}`;
    } else {
      yield `  ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')}${sep}`;
    }
  }
  yield '}\n';
}
