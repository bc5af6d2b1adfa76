/**
 * Where a command's run history is and how it is judged: the file (--history, config `history`,
 * else ami-audit-history.sqlite in the --out folder), whether the command records at all, the
 * wait for another writer, and the SLA (config `sla` over the defaults).
 */
import { join } from 'node:path';
import type { AuditConfig } from '../config/config.js';
import { DEFAULT_SLA, type Sla } from '../history/semantics.js';
import { DEFAULT_HISTORY_FILE } from '../history/store.js';
import type { HistoryOptions } from './pipeline.js';
import type { FlagValues } from '../config/options.js';

export const DEFAULT_HISTORY_WAIT_SECONDS = 60;

/** The demo's own history in its --out folder (never mixed with the history of real scheduled runs there). */
export const DEMO_HISTORY_FILE = 'ami-audit-demo-history.sqlite';

export function slaFrom(cfg: AuditConfig): Sla {
  return { ...DEFAULT_SLA, ...(cfg.sla ?? {}) };
}

/** The history file a command uses (null: turned off). */
export function historyFile(a: FlagValues, cfg: AuditConfig, outDir: string): string | null {
  if (a.history === false) return null;
  if (typeof a.history === 'string') return a.history;
  if (cfg.history === false) return null;
  return typeof cfg.history === 'string' ? cfg.history : join(outDir, DEFAULT_HISTORY_FILE);
}

/**
 * The history a report-producing command records in. `byDefault`: scan (not a shard) and merge
 * record unless turned off; report --input only when --history names a file.
 */
export function historyOptions(a: FlagValues, cfg: AuditConfig, outDir: string, byDefault: boolean): HistoryOptions | null {
  if (!byDefault && typeof a.history !== 'string') return null;
  const file = historyFile(a, cfg, outDir);
  return file === null ? null : { file, waitSeconds: a.historyWait ?? DEFAULT_HISTORY_WAIT_SECONDS, sla: slaFrom(cfg) };
}
