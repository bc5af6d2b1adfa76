/**
 * The one cleaning of untrusted text (tags, AMI names, account and OU names, error messages) that
 * every layer shares: the collector's messages, the config's checks and the renderers (which add
 * their own escaping in src/render/sanitize.ts) all start here.
 */

/** Terminal escape sequences: CSI (`ESC [ ... final`) and OSC (`ESC ] ... BEL` or `ESC \\`), whole. */
const ESCAPE_SEQUENCES = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
/** C0 controls but tab and line breaks, DEL, C1 controls; the zero-width space (the joiners stay: scripts and emoji need them). */
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b]/g;
/** Bidirectional marks, embeddings, overrides and isolates; the line and paragraph separators. */
const BIDI_AND_SEPARATORS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;
const NEEDS_CLEANING = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/**
 * The one cleaning of a string from AWS (or a config, or a saved report) for a human-readable
 * output: terminal escape sequences and control characters removed, bidirectional controls and
 * line/paragraph separators made plain spaces (so that no name can reorder or break the text
 * around it). Tabs and line breaks stay: each format decides (CSV quotes them, the terminal and
 * Markdown make them spaces, HTML shows them as white space).
 */
export function cleanText(value: string): string {
  if (!NEEDS_CLEANING.test(value)) return value;
  return value.replace(ESCAPE_SEQUENCES, '').replace(CONTROLS, '').replace(BIDI_AND_SEPARATORS, ' ');
}

/** Every string of a plain value (objects, arrays) through cleanText; other values as they are. */
export function cleanDeep<T>(value: T): T {
  if (typeof value === 'string') return cleanText(value) as T;
  if (Array.isArray(value)) return value.map(cleanDeep) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = cleanDeep(v);
    return out as T;
  }
  return value;
}

/** For terminals and logs: no ANSI escapes, no control characters, one line, bounded length. */
export function termSafe(value: unknown, max = 120): string {
  if (value === null || value === undefined) return '';
  let s = cleanText(String(value)).replace(/[\t\n\r]/g, ' ');
  if ([...s].length > max) s = [...s].slice(0, max - 1).join('') + '…';
  return s;
}
