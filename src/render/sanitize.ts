/**
 * Making untrusted strings (tags, AMI names, account and OU names, error messages) safe for each
 * kind of output. Every human-readable output (HTML text and attributes, CSV, Markdown, terminal)
 * first passes each string through `cleanText`, then applies its own escaping; JSON, OCSF and ASFF
 * keep the data as it was (JSON escapes it).
 */

import { cleanText, termSafe } from '../model/text.js';

export { cleanDeep, cleanText, termSafe } from '../model/text.js';

/** Cells a spreadsheet would read as a formula start with these. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Neutralises spreadsheet formula injection: such cells get a leading apostrophe (OWASP). */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  // control characters (an escape sequence would act on the terminal that prints the file) and
  // bidirectional controls go; tabs and line breaks are kept: quoting makes them data
  const s = cleanText(String(value));
  return FORMULA_START.test(s) ? `'${s}` : s;
}

/** For Markdown table cells: no HTML, no table breaks, no emphasis or links. */
export function mdCell(value: unknown, max = 200): string {
  return termSafe(value, max).replace(/[\\`*_[\]|<>#!~]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`));
}

/**
 * JSON for a <script type="application/json"> block: `<`, `>`, `&` and the line separators are
 * written as \u escapes, so no value can close the script element or open a comment.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON printed on a terminal: the data stays intact (it is still valid JSON that parses to the same
 * values), but no character a terminal would act on is written raw: JSON.stringify escapes C0
 * controls and ESC; C1 controls, DEL, zero-width and bidirectional controls and the line
 * separators are written as \u escapes too.
 */
export function termJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
