/**
 * Sharding: a deterministic slice of a run's accounts for `scan --shard K/N`, and the fingerprint
 * of the inputs that defined the slices, so that `ami-audit merge` can tell the parts of one
 * sharded run from parts of different runs. Pure: the same inputs give the same slices and the
 * same fingerprint on every machine.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Report, ShardInfo } from '../model/types.js';
import { UserError } from '../model/errors.js';
import { canonicalJson } from '../rules/engine.js';
import { cmp } from '../model/ids.js';
import { reportDigest } from './digest.js';

export const MAX_SHARDS = 1000;

/** `--shard 2/4` -> { index: 2, count: 4 } (1-based, as Kubernetes' completion index + 1 and a CI matrix give it). */
export function parseShard(text: string | undefined): { index: number; count: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d{1,4})\s*\/\s*(\d{1,4})\s*$/.exec(String(text));
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(count >= 1 && count <= MAX_SHARDS && index >= 1 && index <= count)) {
    throw new UserError(`--shard: "${String(text).slice(0, 40)}" is not K/N with 1 <= K <= N <= ${MAX_SHARDS}, e.g. --shard 1/4 (shard K of N, counted from 1)`);
  }
  return { index, count };
}

/**
 * The accounts of shard `index` of `count`: the accounts sorted by id, dealt round-robin, so every
 * account lands in exactly one shard and shard sizes differ by at most one.
 */
export function shardAccounts(accounts: readonly string[], index: number, count: number): string[] {
  return sortedAccounts(accounts).filter((_a, i) => i % count === index - 1);
}

const sortedAccounts = (accounts: readonly string[]): string[] => [...new Set(accounts)].sort(cmp);

/**
 * The fingerprint of what defines the slices and what each shard looks at: the whole sorted account
 * set, the shard count, and the options that shape every shard's scan alike (regions, filters,
 * instance ids, role, discovery, references). Parts with different fingerprints are parts of different runs.
 */
function fingerprint(sorted: readonly string[], count: number, scope: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalJson({ accounts: sorted, count, scope })).digest('hex')}`;
}

const SHARD_WARNING = /^This report is shard \d+ of \d+:/;

/** What a shard's report says of itself in run.warnings: read alone, it covers only its slice. */
export function shardWarning(info: ShardInfo, audited: number): string {
  return `This report is shard ${info.index} of ${info.count}: it audits ${audited} of the run's ${info.accountsTotal} accounts; combine the shards' JSON reports with "ami-audit merge" for the whole estate.`;
}

/** A shard's note about itself (shardWarning), no longer true of a merged report. */
export function isShardWarning(w: string): boolean {
  return SHARD_WARNING.test(w);
}

/** What the report of shard `index` of `count` records about the slicing. */
export function shardInfo(allAccounts: readonly string[], index: number, count: number, scope: Record<string, unknown>): ShardInfo {
  const all = sortedAccounts(allAccounts);
  return { index, count, accountsTotal: all.length, allAccounts: all, fingerprint: fingerprint(all, count, scope) };
}

// ---------------------------------------------------------------------------------------------
// The seal of a shard's report: the digest of its content, and with a key its HMAC.

/** The environment variable that holds the HMAC key every shard and merge are given (never printed). */
export const SHARD_KEY_VARIABLE = 'AMI_AUDIT_SHARD_KEY';

const signatureOf = (digest: string, key: string): string => `hmac-sha256:${createHmac('sha256', key).update(digest).digest('hex')}`;

/**
 * A shard's report with its seal in run.shard: `digest`, the sha256 of its content as a reader
 * computes it (src/report/input.ts ContentDigest), and with a key `signature`, the HMAC-SHA256 of
 * that digest. Any edit of the content (a finding or an instance deleted, a status rewritten)
 * changes the digest; only a holder of the key can sign a new one.
 */
export function sealShard(report: Report, key?: string): Report {
  const shard = report.run.shard;
  if (!shard) return report;
  const { digest: _d, signature: _s, ...bare } = shard;
  const unsealed: Report = { ...report, run: { ...report.run, shard: bare } };
  const digest = reportDigest(unsealed);
  return { ...report, run: { ...report.run, shard: { ...bare, digest, ...(key ? { signature: signatureOf(digest, key) } : {}) } } };
}

/**
 * What is wrong with a part's seal, or null. `computed` is the digest of the content as read; with
 * a key, the part must carry a signature of that digest made with it.
 */
export function sealProblem(shard: ShardInfo, computed: string, key: string | undefined): string | null {
  if (typeof shard.digest !== 'string') return 'it records no digest of its content (written by an older ami-audit, or edited): run that shard again';
  if (shard.digest !== computed) return 'its content does not match the digest it records: it was changed after it was written (a finding, an instance or a scope edited or deleted); run that shard again';
  if (key === undefined) return null;
  if (typeof shard.signature !== 'string') return `it is not signed, and ${SHARD_KEY_VARIABLE} is set: give every shard the same key`;
  const expected = Buffer.from(signatureOf(computed, key));
  const given = Buffer.from(shard.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return `its signature does not match: it was signed with another key, or its content or digest was changed; give every shard and merge the same ${SHARD_KEY_VARIABLE}`;
  return null;
}

/**
 * The scope fingerprint of a whole run, as the shard fingerprint computes it (one slice): its
 * accounts, regions, filters, instance ids, role, discovery and references. The run history
 * records it per run, so that runs over different scopes can be told apart.
 */
export function scopeFingerprint(run: { accounts: readonly string[]; regions: readonly string[]; options: Record<string, unknown> }): string {
  const o = run.options;
  const scope = {
    regions: run.regions, allRegions: o.allRegions ?? false, filters: o.filters ?? [], instanceIds: o.instanceIds ?? null,
    roleName: o.roleName ?? null, roleArns: o.roleArns ?? null, organization: o.organization ?? null, references: o.references ?? null,
  };
  return fingerprint(sortedAccounts(run.accounts), 1, scope);
}
