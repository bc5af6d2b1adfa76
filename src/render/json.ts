import type { Report } from '../model/types.js';
import { findingRefs, toFindingRecord } from '../model/finding-record.js';

/**
 * The members of the report as its JSON holds them: the model's, except that each finding is its
 * record (schemaVersion 4, src/model/finding-record.ts), which refers to its instance, AMI, rule
 * and waiver instead of repeating their strings. The report's content digest is computed over
 * these (src/report/digest.ts), as a reader of the file computes it.
 */
export function storedMembers(report: Report): [string, unknown][] {
  const refs = findingRefs(report);
  return Object.entries(report).map(([key, value]): [string, unknown] =>
    key === 'findings' && Array.isArray(value) ? [key, { [Symbol.iterator]: function* () { for (const f of value) yield toFindingRecord(f, refs); }, length: value.length }] : [key, value]);
}

/** A member stored element by element (the findings' records are made as they are written). */
interface Lazy { [Symbol.iterator](): Iterator<unknown>; length: number }
const isLazy = (v: unknown): v is Lazy => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as Lazy)[Symbol.iterator] === 'function';

/**
 * The report model as JSON: pretty-printed at the document level, with each record of the long
 * lists (coverage, instances, findings, waivers, rules) on a line of its own, so that large
 * reports stay a manageable size and diff and grep line by line. Newline-terminated.
 * Yields the document in pieces, a record at a time, so a large report is written without one
 * huge string and without a second copy of its findings.
 */
export function* renderJsonChunks(report: Report): Generator<string> {
  const entries = storedMembers(report);
  yield '{\n';
  for (const [n, [key, value]] of entries.entries()) {
    const sep = n < entries.length - 1 ? ',\n' : '\n';
    if (isLazy(value) || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'object' && v !== null))) {
      const list = value as Lazy;
      if (list.length === 0) {
        yield `  ${JSON.stringify(key)}: []${sep}`;
        continue;
      }
      yield `  ${JSON.stringify(key)}: [\n`;
      let i = 0;
      for (const v of list) {
        i += 1;
        yield `    ${JSON.stringify(v)}${i < list.length ? ',\n' : '\n'}`;
      }
      yield `  ]${sep}`;
    } else {
      yield `  ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')}${sep}`;
    }
  }
  yield '}\n';
}
