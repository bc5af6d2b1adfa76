/**
 * The run history on disk: one SQLite file (better-sqlite3), no server. It loads what earlier runs
 * left and saves what src/history/semantics.ts decided, one transaction per run: a run that is
 * killed, or fails to write, leaves the history as it was (SQLite's rollback journal undoes it the
 * next time the file is opened).
 *
 * The file says it is ours (`PRAGMA application_id`) and which schema it has (`PRAGMA
 * user_version`); the tool migrates an older schema forward and refuses a newer one, a file that
 * is not ours, and a corrupted one, with one line and exit 2, touching nothing. Another ami-audit
 * writing the same history holds its lock for the whole of its run: this one waits up to
 * --history-wait (SQLite's busy timeout), then stops with exit 2. A full disk while recording is a
 * WriteError (exit 4).
 *
 * It keeps per run: id, as-of, tool version, scope fingerprint, status, the filters it was
 * narrowed by, its open findings by severity, and the status of each account x region; per
 * finding id: first and last sight, runs seen, status, resolution, reopened count, severity, rule,
 * message and where it is (account, region, instance id, AMI, resource), its escalation; and each
 * resolution with its days to fix. No instance records, no raw answers.
 */
import { chmodSync, existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { UserError, WriteError } from '../model/errors.js';
import type { Finding, ScopeStatus, Severity } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { signature, type FindingState, type PriorHistory, type Resolution, type RunSummary } from './semantics.js';

/** "AMIA": the application id of an ami-audit history. */
export const APPLICATION_ID = 0x414d4941;
/** The schema this version writes. */
export const HISTORY_SCHEMA_VERSION = 2;
export const DEFAULT_HISTORY_FILE = 'ami-audit-history.sqlite';

/** Each migration takes the schema from its index to index + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE runs (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     as_of TEXT NOT NULL,
     tool_version TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     status TEXT NOT NULL,
     filters TEXT NOT NULL,
     open TEXT NOT NULL,
     findings INTEGER NOT NULL,
     overdue INTEGER NOT NULL,
     resolved INTEGER NOT NULL,
     source TEXT NOT NULL
   );
   CREATE INDEX runs_as_of ON runs (as_of);
   CREATE TABLE coverage (
     run_seq INTEGER NOT NULL,
     account_id TEXT NOT NULL,
     region TEXT NOT NULL,
     status TEXT NOT NULL,
     PRIMARY KEY (run_seq, account_id, region)
   ) WITHOUT ROWID;
   CREATE TABLE findings (
     id TEXT PRIMARY KEY,
     rule_id TEXT NOT NULL,
     severity TEXT NOT NULL,
     message TEXT NOT NULL,
     account_id TEXT NOT NULL,
     region TEXT NOT NULL,
     instance_id TEXT NOT NULL,
     image_id TEXT,
     resource TEXT,
     first_seen_at TEXT NOT NULL,
     last_seen_at TEXT NOT NULL,
     last_run_id TEXT NOT NULL,
     runs_seen INTEGER NOT NULL,
     status TEXT NOT NULL,
     resolved_at TEXT,
     reopened_count INTEGER NOT NULL,
     escalated_at TEXT,
     escalated_from TEXT,
     waived INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE resolutions (
     run_seq INTEGER NOT NULL,
     finding_id TEXT NOT NULL,
     severity TEXT NOT NULL,
     days_to_fix INTEGER NOT NULL,
     PRIMARY KEY (run_seq, finding_id)
   ) WITHOUT ROWID;`,
  // 2: the signature of each finding's severity, message, waiver and resource (semantics.ts
  // signature), so that a run reads back only what it needs of the findings it sees again; rows
  // written before it have none, and are written again the next time they are seen
  `ALTER TABLE findings ADD COLUMN sig INTEGER;`,
];

/** One recorded run, as `ami-audit history` lists it. */
export interface RunRecord {
  id: string;
  asOf: string;
  toolVersion: string;
  fingerprint: string;
  status: 'complete' | 'partial';
  source: string;
  findings: number;
  overdue: number;
  resolved: number;
  open: Record<Severity, number>;
  scopes: Record<ScopeStatus, number>;
}

/** What a run records beside the rows the semantics decided. */
export interface RunMeta {
  toolVersion: string;
  fingerprint: string;
  source: string;
  coverage: { accountId: string; region: string; status: ScopeStatus }[];
  findings: number;
  overdue: number;
}

type SqliteError = Error & { code?: string };

/** A SQLite failure as the user's problem: one line, the right exit code. */
export function historyError(file: string, e: unknown, waitSeconds?: number): Error {
  const err = e as SqliteError;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (e instanceof UserError) return e;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new UserError(`${file}: the history is locked by another running ami-audit${waitSeconds !== undefined ? ` (waited ${waitSeconds} s)` : ''}; run again when it has finished, or wait longer with --history-wait SECONDS`);
  }
  if (code === 'SQLITE_NOTADB') return new UserError(`${file}: not an ami-audit history (not an SQLite database); give another --history file, or move this one away`);
  if (code.startsWith('SQLITE_CORRUPT')) return new UserError(`${file}: the history is corrupted (${err.message}); restore it from a backup, or move it away to start a new history`);
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new WriteError(`${file}: cannot write the history: ${err.message}; the history is unchanged and no report was written`, code);
  }
  return e instanceof Error ? e : new Error(String(e));
}

const zero = (): Record<Severity, number> => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;

export class HistoryStore {
  private inTransaction = false;

  private constructor(readonly file: string, private readonly db: Db, private readonly waitSeconds: number) {}

  /**
   * Opens (or creates) a history: checks that it is ours and not newer, migrates it forward. Throws
   * a UserError (exit 2) for a file that is not ours, a newer schema, a corrupted file or a lock
   * held longer than `waitSeconds`; nothing is changed then.
   */
  static open(file: string, waitSeconds: number, opts: { create?: boolean; readonly?: boolean; mode?: number } = {}): HistoryStore {
    const fresh = !existsSync(file);
    if (fresh) {
      if (opts.create === false) throw new UserError(`${file}: no history there yet; a scan or merge records one (--history FILE names another)`);
    } else if (!statSync(file).isFile()) {
      throw new UserError(`${file}: not a file; give --history a file name`);
    }
    let db: Db;
    try {
      db = new Database(file, { timeout: Math.round(waitSeconds * 1000), readonly: opts.readonly ?? false });
    } catch (e) {
      throw historyError(file, e, waitSeconds);
    }
    const store = new HistoryStore(file, db, waitSeconds);
    try {
      // a new history is as private as the reports (its journal takes the same mode)
      if (fresh) chmodSync(file, opts.mode ?? 0o600);
      store.check();
    } catch (e) {
      db.close();
      throw historyError(file, e, waitSeconds);
    }
    return store;
  }

  /** Ours, not newer, not corrupted; migrated forward (in a transaction of its own). */
  private check(): void {
    const db = this.db;
    const appId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
    if (appId !== APPLICATION_ID && !(appId === 0 && version === 0 && tables === 0)) {
      throw new UserError(`${this.file}: not an ami-audit history (an SQLite database of another application); give another --history file, or move this one away`);
    }
    if (version > HISTORY_SCHEMA_VERSION) {
      throw new UserError(`${this.file}: the history has schema ${version}, newer than this ami-audit writes (${HISTORY_SCHEMA_VERSION}); upgrade ami-audit, or give another --history file`);
    }
    if (version < HISTORY_SCHEMA_VERSION) {
      if (db.readonly) throw new UserError(`${this.file}: the history has schema ${version}; a scan or merge with this ami-audit migrates it first`);
      db.exec('BEGIN IMMEDIATE');
      try {
        // read again under the lock: another run may have migrated it meanwhile
        const now = db.pragma('user_version', { simple: true }) as number;
        for (let v = now; v < HISTORY_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${HISTORY_SCHEMA_VERSION}`);
        db.exec('COMMIT');
      } catch (e) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw e;
      }
    }
  }

  /** Starts this run's transaction: waits for another writer up to --history-wait. */
  begin(): void {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.inTransaction = true;
    } catch (e) {
      throw historyError(this.file, e, this.waitSeconds);
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw historyError(this.file, e, this.waitSeconds);
    }
  }

  /**
   * What earlier runs left, for the semantics. Given this run's findings (`seen`), it reads only
   * what the semantics need: of the findings seen again, their sight, escalation, status and
   * signature (the rest is this run's finding of the same id: the id is a hash of rule, account,
   * region, instance and AMI, and the signature tells whether severity, message, waiver or
   * resource changed); every column of the open findings this run did not see; nothing of the
   * resolved ones it did not see; the resolutions as counts of days to fix by severity. Without
   * `seen`: every row, every column.
   */
  load(seen?: ReadonlyMap<string, Finding>): PriorHistory {
    return this.guard(() => {
      const runs = (this.db.prepare('SELECT id, as_of, status, filters, open FROM runs ORDER BY seq').all() as { id: string; as_of: string; status: 'complete' | 'partial'; filters: string; open: string }[])
        .map((r): RunSummary => ({ id: r.id, asOf: r.as_of, status: r.status, filters: JSON.parse(r.filters), open: { ...zero(), ...JSON.parse(r.open) } }));
      const findings = new Map<string, FindingState>();
      const FULL = `SELECT id, rule_id, severity, message, account_id, region, instance_id, image_id, resource, first_seen_at, last_seen_at, last_run_id,
        runs_seen, status, resolved_at, reopened_count, escalated_at, escalated_from, waived FROM findings`;
      const full = (r: unknown[]): void => {
        const [id, ruleId, severity, message, accountId, region, instanceId, imageId, resource, firstSeenAt, lastSeenAt, lastRunId, runsSeen, status, resolvedAt, reopenedCount, escalatedAt, escalatedFrom, waived] = r as [
          string, string, Severity, string, string, string, string, string | null, string | null, string, string, string, number, FindingState['status'], string | null, number, string | null, string | null, number];
        findings.set(id, {
          id, ruleId, severity, message, accountId, region, instanceId, imageId, resource: resource ? JSON.parse(resource) : null, firstSeenAt, lastSeenAt, lastRunId, runsSeen,
          status, resolvedAt, reopenedCount, escalatedAt, escalatedFrom: escalatedFrom ? JSON.parse(escalatedFrom) : null, waived: waived === 1,
        });
      };
      if (!seen) {
        for (const r of this.db.prepare(FULL).raw(true).all() as unknown[][]) full(r);
      } else {
        const LIGHT = 'SELECT id, status, sig, first_seen_at, last_seen_at, last_run_id, runs_seen, resolved_at, reopened_count, escalated_at, escalated_from FROM findings';
        const light = (r: unknown[], f: Finding): void => {
          const [id, status, sig, firstSeenAt, lastSeenAt, lastRunId, runsSeen, resolvedAt, reopenedCount, escalatedAt, escalatedFrom] = r as [
            string, FindingState['status'], number | null, string, string, string, number, string | null, number, string | null, string | null];
          findings.set(id, {
            id, ruleId: f.ruleId, severity: f.severity, message: f.message, accountId: f.accountId, region: f.region, instanceId: f.instanceId, imageId: f.imageId, resource: f.resource ?? null,
            firstSeenAt, lastSeenAt, lastRunId, runsSeen, status, resolvedAt, reopenedCount, escalatedAt, escalatedFrom: escalatedFrom ? JSON.parse(escalatedFrom) : null,
            waived: f.waiver !== null && f.waiver !== undefined, sig,
          });
        };
        const byIds = (sql: string, ids: string[]): IterableIterator<unknown[]> => this.db.prepare(`${sql} WHERE id IN (SELECT value FROM json_each(?))`).raw(true).iterate(JSON.stringify(ids)) as IterableIterator<unknown[]>;
        // the open findings: light when seen again, every column (read next) when not
        const gone: string[] = [];
        for (const r of this.db.prepare(`${LIGHT} WHERE status = 'open'`).raw(true).all() as unknown[][]) {
          const f = seen.get(r[0] as string);
          if (f) light(r, f);
          else gone.push(r[0] as string);
        }
        if (gone.length) for (const r of byIds(FULL, gone)) full(r);
        // the findings no longer open that this run sees again (reopened)
        const back = (this.db.prepare("SELECT id FROM findings WHERE status <> 'open'").pluck().all() as string[]).filter((id) => seen.has(id));
        if (back.length) for (const r of byIds(LIGHT, back)) light(r, seen.get(r[0] as string)!);
      }
      const resolutions = seen
        ? (this.db.prepare('SELECT severity, days_to_fix, count(*) AS n FROM resolutions GROUP BY severity, days_to_fix').all() as { severity: Severity; days_to_fix: number; n: number }[])
          .map((r) => ({ severity: r.severity, daysToFix: r.days_to_fix, count: r.n }))
        : (this.db.prepare('SELECT severity, days_to_fix FROM resolutions').all() as { severity: Severity; days_to_fix: number }[]).map((r) => ({ severity: r.severity, daysToFix: r.days_to_fix }));
      return { runs, findings, resolutions };
    });
  }

  /** The newest recorded run, or null. */
  newest(): { id: string; asOf: string } | null {
    return this.guard(() => {
      const r = this.db.prepare('SELECT id, as_of FROM runs ORDER BY seq DESC LIMIT 1').get() as { id: string; as_of: string } | undefined;
      return r ? { id: r.id, asOf: r.as_of } : null;
    });
  }

  /** Writes this run's rows (inside the run's transaction). */
  save(rows: { run: RunSummary; findings: FindingState[]; touched?: string[]; unverified?: string[]; resolutions: Resolution[] }, meta: RunMeta): void {
    this.guard(() => {
      const db = this.db;
      if (db.prepare('SELECT 1 FROM runs WHERE id = ?').get(rows.run.id)) {
        throw new UserError(`${this.file}: run ${rows.run.id} is already recorded; a run is recorded once`);
      }
      const info = db.prepare('INSERT INTO runs (id, as_of, tool_version, fingerprint, status, filters, open, findings, overdue, resolved, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(rows.run.id, rows.run.asOf, meta.toolVersion, meta.fingerprint, rows.run.status, JSON.stringify(rows.run.filters ?? []), JSON.stringify(rows.run.open), meta.findings, meta.overdue, rows.resolutions.length, meta.source);
      const seq = Number(info.lastInsertRowid);
      const cov = db.prepare('INSERT INTO coverage (run_seq, account_id, region, status) VALUES (?, ?, ?, ?)');
      for (const c of meta.coverage) cov.run(seq, c.accountId, c.region, c.status);
      // The findings seen again and otherwise unchanged: their last sight becomes this run, in one
      // statement. With `unverified` it names the few open findings to leave alone instead of the
      // many to move (every other open finding is touched, or has its row written below, after it).
      if (rows.unverified) {
        db.prepare("UPDATE findings SET last_seen_at = ?, last_run_id = ?, runs_seen = runs_seen + 1 WHERE status = 'open' AND id NOT IN (SELECT value FROM json_each(?))")
          .run(rows.run.asOf, rows.run.id, JSON.stringify(rows.unverified));
      } else if (rows.touched?.length) {
        db.prepare('UPDATE findings SET last_seen_at = ?, last_run_id = ?, runs_seen = runs_seen + 1 WHERE id IN (SELECT value FROM json_each(?))')
          .run(rows.run.asOf, rows.run.id, JSON.stringify(rows.touched));
      }
      const up = db.prepare(`INSERT OR REPLACE INTO findings (id, rule_id, severity, message, account_id, region, instance_id, image_id, resource, first_seen_at, last_seen_at, last_run_id, runs_seen, status, resolved_at, reopened_count, escalated_at, escalated_from, waived, sig)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const f of rows.findings) {
        up.run(f.id, f.ruleId, f.severity, f.message, f.accountId, f.region, f.instanceId, f.imageId, f.resource ? JSON.stringify(f.resource) : null, f.firstSeenAt, f.lastSeenAt, f.lastRunId,
          f.runsSeen, f.status, f.resolvedAt, f.reopenedCount, f.escalatedAt, f.escalatedFrom ? JSON.stringify(f.escalatedFrom) : null, f.waived ? 1 : 0, signature(f));
      }
      const res = db.prepare('INSERT INTO resolutions (run_seq, finding_id, severity, days_to_fix) VALUES (?, ?, ?, ?)');
      for (const r of rows.resolutions) res.run(seq, r.findingId, r.severity, r.daysToFix);
    });
  }

  commit(): void {
    this.guard(() => this.db.exec('COMMIT'));
    this.inTransaction = false;
  }

  rollback(): void {
    if (this.inTransaction && this.db.inTransaction) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // the journal rolls it back when the file is next opened
      }
    }
    this.inTransaction = false;
  }

  close(): void {
    this.rollback();
    this.db.close();
  }

  /** Every recorded run, oldest first, with its totals. */
  runs(): RunRecord[] {
    return this.guard(() => {
      const scopes = new Map<number, Record<ScopeStatus, number>>();
      for (const r of this.db.prepare('SELECT run_seq, status, count(*) AS n FROM coverage GROUP BY run_seq, status').all() as { run_seq: number; status: ScopeStatus; n: number }[]) {
        const s = scopes.get(r.run_seq) ?? { ok: 0, partial: 0, error: 0, skipped: 0 };
        s[r.status] = r.n;
        scopes.set(r.run_seq, s);
      }
      return (this.db.prepare('SELECT * FROM runs ORDER BY seq').all() as Record<string, unknown>[]).map((r) => ({
        id: r.id as string, asOf: r.as_of as string, toolVersion: r.tool_version as string, fingerprint: r.fingerprint as string,
        status: r.status as 'complete' | 'partial', source: r.source as string, findings: r.findings as number, overdue: r.overdue as number, resolved: r.resolved as number,
        open: { ...zero(), ...JSON.parse(r.open as string) }, scopes: scopes.get(r.seq as number) ?? { ok: 0, partial: 0, error: 0, skipped: 0 },
      }));
    });
  }

  /**
   * Forgets the runs whose as-of is before `cutoff`, with their coverage and resolutions, and the
   * findings no longer open that were last seen before it (an open finding is kept whatever its
   * age: it is still there). Inside the caller's transaction.
   */
  prune(cutoff: string): { runs: number; findings: number } {
    return this.guard(() => {
      const db = this.db;
      const old = db.prepare('SELECT seq FROM runs WHERE as_of < ?').all(cutoff) as { seq: number }[];
      for (const { seq } of old) {
        db.prepare('DELETE FROM coverage WHERE run_seq = ?').run(seq);
        db.prepare('DELETE FROM resolutions WHERE run_seq = ?').run(seq);
      }
      const runs = db.prepare('DELETE FROM runs WHERE as_of < ?').run(cutoff).changes;
      const findings = db.prepare("DELETE FROM findings WHERE status <> 'open' AND last_seen_at < ?").run(cutoff).changes;
      return { runs, findings };
    });
  }

  /** Forgets everything recorded (`history import --rebuild`), inside the caller's transaction. */
  clear(): void {
    this.guard(() => this.db.exec('DELETE FROM coverage; DELETE FROM resolutions; DELETE FROM findings; DELETE FROM runs;'));
  }

  /** Gives the space of deleted rows back to the file system (after prune). */
  vacuum(): void {
    this.guard(() => this.db.exec('VACUUM'));
  }
}
