/**
 * The digest of a saved report's content, as `merge` checks a shard's report against the digest it
 * records (src/report/shard.ts). Pure; imports nothing that reads configs or options.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Report } from '../model/types.js';
import { canonicalJson } from '../rules/engine.js';
import { cmp } from '../model/ids.js';
import { reportSchema } from '../schema/report.js';
import { findingRefs, toFindingRecord } from '../model/finding-record.js';

/** The long lists of a report, read element by element. */
export const STREAMED = ['coverage', 'instances', 'findings'] as const;

/** The top-level members of a report (the schema's). */
export const REPORT_KEYS: ReadonlySet<string> = new Set(Object.keys(reportSchema.properties));

/** The fields of run.shard that record the digest and its signature: not part of what they cover. */
const SEAL_FIELDS = ['digest', 'signature'] as const;

/**
 * The digest of a report's content: every member a reader reads, in canonical JSON (keys sorted),
 * whatever the layout of the file; the seal in run.shard (digest, signature) excepted. Computed
 * member by member and element by element, so that a streamed read needs no whole document.
 */
export class ContentDigest {
  private readonly members = new Map<string, string | Hash>();

  /** A whole member. */
  member(key: string, value: unknown): void {
    if (!REPORT_KEYS.has(key)) return;
    let v = value;
    if (key === 'run' && typeof v === 'object' && v !== null && typeof (v as { shard?: unknown }).shard === 'object' && (v as { shard?: unknown }).shard !== null) {
      const run = v as Record<string, unknown>;
      const shard = { ...(run.shard as Record<string, unknown>) };
      for (const f of SEAL_FIELDS) delete shard[f];
      v = { ...run, shard };
    }
    this.members.set(key, sha256Hex(canonicalJson(v)));
  }

  /** A long list, element by element. */
  arrayStart(key: string): void {
    if (REPORT_KEYS.has(key)) this.members.set(key, createHash('sha256'));
  }

  element(key: string, value: unknown): void {
    const h = this.members.get(key);
    if (h !== undefined && typeof h !== 'string') h.update(canonicalJson(value)).update('\n');
  }

  digest(): string {
    const parts = [...this.members.entries()].sort((a, b) => cmp(a[0], b[0])).map(([k, h]) => [k, typeof h === 'string' ? h : h.copy().digest('hex')]);
    return `sha256:${sha256Hex(canonicalJson(parts))}`;
  }
}

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The content digest of a report model, as a reader of its JSON computes it (over the findings' records, as the file stores them). */
export function reportDigest(report: Report): string {
  const d = new ContentDigest();
  const refs = findingRefs(report);
  for (const [key, value] of Object.entries(report)) {
    if ((STREAMED as readonly string[]).includes(key) && Array.isArray(value)) {
      d.arrayStart(key);
      if (key === 'findings') for (const v of value) d.element(key, toFindingRecord(v, refs));
      else for (const v of value) d.element(key, v);
    } else if (value !== undefined) d.member(key, value);
  }
  return d.digest();
}

