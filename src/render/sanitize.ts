/** Making untrusted strings (tags, AMI names, error messages) safe for each kind of output. */

/** Cells a spreadsheet would read as a formula start with these. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Neutralises spreadsheet formula injection: such cells get a leading apostrophe (OWASP). */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  // control characters (an escape sequence would act on the terminal that prints the file) go;
  // tabs and line breaks are kept: quoting makes them data
  const s = String(value).replace(CSV_CONTROL, '');
  return FORMULA_START.test(s) ? `'${s}` : s;
}

const CSV_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** For terminals and logs: no ANSI escapes, no control characters, one line, bounded length. */
export function termSafe(value: unknown, max = 120): string {
  if (value === null || value === undefined) return '';
  let s = String(value).replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g, ' ');
  if ([...s].length > max) s = [...s].slice(0, max - 1).join('') + '…';
  return s;
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
