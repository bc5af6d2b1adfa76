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
 *
 * History schema 3 keeps the sight of the open findings (first and last sight, last run, runs
 * seen, signature, reopened count, escalation) as one value, the open set (OpenSet, table
 * `open_set`): a run reads it in one piece and writes it in one statement, and writes the row of
 * a finding in `findings` only when its state changes (new, resolved, escalated, reopened, another
 * severity, rule, message, waiver or resource). A week in which most findings are seen again
 * unchanged thus reads and writes little more than the open set and the run's own rows.
 */
import { chmodSync, existsSync, statSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { UserError, WriteError } from '../model/errors.js';
import type { Finding, ScopeStatus, Severity } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { openStateAt, signature, type FindingState, type OpenColumns, type PriorHistory, type Resolution, type RunSummary } from './semantics.js';

/** "AMIA": the application id of an ami-audit history. */
export const APPLICATION_ID = 0x414d4941;
/** The schema this version writes. */
export const HISTORY_SCHEMA_VERSION = 3;
export const DEFAULT_HISTORY_FILE = 'ami-audit-history.sqlite';

/**
 * The open findings of a history, as one value (the table `open_set`, one row, written once per
 * run): per open finding its id, first and last sight, the run that saw it last, runs seen, the
 * signature of its severity, message, waiver and resource, reopened count and escalation. Each
 * run reads it in one piece and writes it in one statement, instead of reading and updating one
 * row per finding it sees again. An open finding's row in `findings` holds the rest (rule,
 * severity, message, where it is), written only when any of it changes; its sight columns are
 * those of when it was last written: the open set's win.
 */
interface OpenSet extends OpenColumns {
  ids: string[];
  first: string[];
  last: string[];
  lastRun: string[];
  runs: Uint32Array;
  /** NaN: not known (a row written before history schema 2): the row is written again the next time it is seen. */
  sig: Float64Array;
  reopened: number[];
  escAt: (string | null)[];
  escFrom: FindingState['escalatedFrom'][];
}

/** An open set with room for `cap` findings, filled by `put`, cut to size by `done`. */
function openBuilder(cap: number): { put: (id: string, first: string, last: string, lastRun: string, runs: number, sig: number | null, reopened: number, escAt: string | null, escFrom: FindingState['escalatedFrom']) => void; done: () => OpenSet } {
  const s: OpenSet = {
    ids: new Array<string>(cap), first: new Array<string>(cap), last: new Array<string>(cap), lastRun: new Array<string>(cap), runs: new Uint32Array(cap), sig: new Float64Array(cap),
    reopened: new Array<number>(cap).fill(0), escAt: new Array<string | null>(cap).fill(null), escFrom: new Array<FindingState['escalatedFrom']>(cap).fill(null),
  };
  let k = 0;
  return {
    put: (id, first, last, lastRun, runs, sig, reopened, escAt, escFrom) => {
      s.ids[k] = id;
      s.first[k] = first;
      s.last[k] = last;
      s.lastRun[k] = lastRun;
      s.runs[k] = runs;
      s.sig[k] = sig === null ? NaN : sig;
      if (reopened) s.reopened[k] = reopened;
      if (escAt !== null) s.escAt[k] = escAt;
      if (escFrom !== null) s.escFrom[k] = escFrom;
      k++;
    },
    done: () => {
      for (const col of [s.ids, s.first, s.last, s.lastRun, s.reopened, s.escAt, s.escFrom]) col.length = k;
      return { ...s, runs: s.runs.subarray(0, k), sig: s.sig.subarray(0, k) };
    },
  };
}

const emptyOpenSet = (): OpenSet => openBuilder(0).done();

const sigOf = (s: OpenColumns, i: number): number | null => (Number.isNaN(s.sig[i]) ? null : s.sig[i]!);

/** The encoding's version (inside the value; the schema version covers the table). */
const OPEN_SET_FORMAT = 1;

/**
 * The open set as stored, deflated: a JSON head (the format, the count, the instants and run ids
 * each written once, the reopened and escalated findings apart: few; the ids as JSON unless every
 * one is a 20-digit hex id, as the engine makes them), then the columns in binary: the ids (10
 * bytes each), first sight, last sight and last run as indexes into the head's lists, runs seen
 * (32-bit each), the signatures (64-bit floats: 53-bit integers, NaN when unknown).
 */
function encodeOpenSet(s: OpenSet): Buffer {
  const dict = (): [string[], (v: string) => number] => {
    const list: string[] = [];
    const index = new Map<string, number>();
    let lastV: string | undefined;
    let lastI = -1;
    return [list, (v) => {
      if (v === lastV) return lastI;
      let i = index.get(v);
      if (i === undefined) {
        i = list.length;
        list.push(v);
        index.set(v, i);
      }
      lastV = v;
      lastI = i;
      return i;
    }];
  };
  const [t, ti] = dict();
  const [r, ri] = dict();
  const n = s.ids.length;
  // 20-digit lowercase hex ids (as the engine makes them) as 10 bytes each: what reads back the same
  let hex = s.ids.every((id) => id.length === 20);
  let idBytes = Buffer.alloc(0);
  if (hex) {
    const joined = s.ids.join('');
    idBytes = Buffer.from(joined, 'hex');
    hex = idBytes.length === 10 * n && idBytes.toString('hex') === joined;
  }
  const ints = new Uint32Array(4 * n);
  const x: [number, number, number, FindingState['escalatedFrom']][] = [];
  for (let i = 0; i < n; i++) {
    ints[i] = ti(s.first[i]!);
    ints[n + i] = ti(s.last[i]!);
    ints[2 * n + i] = ri(s.lastRun[i]!);
    ints[3 * n + i] = s.runs[i]!;
    const escAt = s.escAt[i]!, escFrom = s.escFrom[i]!;
    if (s.reopened[i] || escAt !== null || escFrom !== null) x.push([i, s.reopened[i]!, escAt === null ? -1 : ti(escAt), escFrom]);
  }
  const head = Buffer.from(JSON.stringify({ v: OPEN_SET_FORMAT, n, t, r, x, ...(hex ? {} : { ids: s.ids }) }), 'utf8');
  const ids = hex ? idBytes : Buffer.alloc(0);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length);
  return deflateSync(Buffer.concat([len, head, ids, Buffer.from(ints.buffer), Buffer.from(s.sig.buffer, s.sig.byteOffset, 8 * n)]), { level: 1 });
}

function decodeOpenSet(data: Buffer, file: string): OpenSet {
  const corrupted = (why: string): UserError => new UserError(`${file}: the history is corrupted (its open findings ${why}); restore it from a backup, or move it away to start a new history`);
  let buf: Buffer;
  let head: { v: number; n: number; t: string[]; r: string[]; x: [number, number, number, FindingState['escalatedFrom']][]; ids?: string[] };
  let at: number;
  try {
    buf = inflateSync(data);
    const headLen = buf.readUInt32LE(0);
    head = JSON.parse(buf.toString('utf8', 4, 4 + headLen));
    at = 4 + headLen;
  } catch (e) {
    throw corrupted(`cannot be read: ${(e as Error).message}`);
  }
  const n = head?.n;
  if (head?.v !== OPEN_SET_FORMAT || !Number.isInteger(n) || n < 0 || !Array.isArray(head.t) || !Array.isArray(head.r) || !Array.isArray(head.x)) throw corrupted('are in an unknown form');
  // each extra names a finding of the set, and the instant of an escalation the set lists
  for (const e of head.x) {
    if (!Array.isArray(e) || !Number.isInteger(e[0]) || e[0] < 0 || e[0] >= n || !Number.isInteger(e[1]) || e[1] < 0
      || !Number.isInteger(e[2]) || (e[2] !== -1 && typeof head.t[e[2]] !== 'string')) throw corrupted('are in an unknown form');
  }
  const idBytes = head.ids ? 0 : 10 * n;
  if (buf.length !== at + idBytes + 16 * n + 8 * n || (head.ids && head.ids.length !== n)) throw corrupted('are cut short');
  let ids: string[];
  if (head.ids) ids = head.ids;
  else {
    const text = buf.toString('hex', at, at + idBytes);
    ids = new Array<string>(n);
    for (let i = 0; i < n; i++) ids[i] = text.slice(20 * i, 20 * i + 20);
  }
  at += idBytes;
  // copied out: a typed array needs its own alignment
  const ints = new Uint32Array(buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + 16 * n));
  const sigs = new Float64Array(buf.buffer.slice(buf.byteOffset + at + 16 * n, buf.byteOffset + at + 24 * n));
  const { t, r } = head;
  const s: OpenSet = {
    ids, first: new Array<string>(n), last: new Array<string>(n), lastRun: new Array<string>(n), runs: ints.subarray(3 * n, 4 * n), sig: sigs,
    reopened: new Array<number>(n).fill(0), escAt: new Array<string | null>(n).fill(null), escFrom: new Array<FindingState['escalatedFrom']>(n).fill(null),
  };
  for (let i = 0; i < n; i++) {
    const first = t[ints[i]!], last = t[ints[n + i]!], lastRun = r[ints[2 * n + i]!];
    if (first === undefined || last === undefined || lastRun === undefined) throw corrupted('name an instant or a run they do not list');
    s.first[i] = first;
    s.last[i] = last;
    s.lastRun[i] = lastRun;
  }
  for (const [i, reopened, escAt, escFrom] of head.x) {
    s.reopened[i] = reopened;
    s.escAt[i] = escAt < 0 ? null : t[escAt]!;
    s.escFrom[i] = escFrom;
  }
  return s;
}

/** Each migration takes the schema from its index to index + 1: SQL, or a function for what SQL cannot do. */
const MIGRATIONS: readonly (string | ((db: Db) => void))[] = [
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
  // 3: the open findings' sight in one value (OpenSet), built from their rows
  (db) => {
    db.exec('CREATE TABLE open_set (run_id TEXT NOT NULL, data BLOB NOT NULL)');
    const count = db.prepare("SELECT count(*) FROM findings WHERE status = 'open'").pluck().get() as number;
    const build = openBuilder(count);
    const rows = db.prepare("SELECT id, first_seen_at, last_seen_at, last_run_id, runs_seen, sig, reopened_count, escalated_at, escalated_from FROM findings WHERE status = 'open'").raw(true).iterate() as IterableIterator<
      [string, string, string, string, number, number | null, number, string | null, string | null]>;
    for (const [id, first, last, lastRun, runs, sig, reopened, escAt, escFrom] of rows) build.put(id, first, last, lastRun, runs, sig, reopened, escAt, escFrom ? JSON.parse(escFrom) : null);
    const set = build.done();
    const newest = db.prepare('SELECT id FROM runs ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined;
    if (set.ids.length) db.prepare('INSERT INTO open_set (run_id, data) VALUES (?, ?)').run(newest ?? '', encodeOpenSet(set));
  },
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
  /** The open set as this transaction has it (read by load, kept current by save); null outside one. */
  private open: OpenSet | null = null;
  /** Id to index of `open` (built when needed). */
  private index: { of: OpenSet; map: Map<string, number> } | null = null;

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
        for (let v = now; v < HISTORY_SCHEMA_VERSION; v++) {
          const m = MIGRATIONS[v]!;
          if (typeof m === 'string') db.exec(m);
          else m(db);
        }
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
      this.open = null;
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

  /** The open findings as the file holds them (read once per transaction: save keeps it current). */
  private openSet(): OpenSet {
    if (this.open && this.db.inTransaction) return this.open;
    const row = this.db.prepare('SELECT data FROM open_set').raw(true).all() as [Buffer][];
    if (row.length > 1) throw new UserError(`${this.file}: the history is corrupted (${row.length} sets of open findings); restore it from a backup, or move it away to start a new history`);
    const set = row.length ? decodeOpenSet(row[0]![0], this.file) : emptyOpenSet();
    // the set and the rows say the same of which findings are open: a set lost or left behind would
    // read as "nothing open" and resolve nothing, ever again
    const openRows = this.db.prepare("SELECT count(*) FROM findings WHERE status = 'open'").pluck().get() as number;
    if (openRows !== set.ids.length) throw new UserError(`${this.file}: the history is corrupted (its open findings: ${set.ids.length} in the set, ${openRows} open rows); restore it from a backup, or move it away to start a new history`);
    this.open = this.db.inTransaction ? set : null;
    return set;
  }

  /** Each open finding's index in the set. */
  private openIndex(set: OpenSet): Map<string, number> {
    if (this.index?.of === set) return this.index.map;
    const map = new Map<string, number>();
    for (let i = 0; i < set.ids.length; i++) map.set(set.ids[i]!, i);
    this.index = { of: set, map };
    return map;
  }

  /**
   * What earlier runs left, for the semantics. Given this run's findings (`seen`), it reads only
   * what the semantics need: the set of open findings (one value: their sight, escalation and
   * signature), and of the findings seen again nothing more (the rest is this run's finding of the
   * same id: the id is a hash of rule, account, region, instance and AMI, and the signature tells
   * whether severity, message, waiver or resource changed); the whole row of the open findings
   * this run did not see; of the others only those this run sees again (reopened); the
   * resolutions as counts of days to fix by severity. Without `seen`: every row, every column.
   */
  load(seen?: ReadonlyMap<string, Finding>): PriorHistory {
    return this.guard(() => {
      const runs = (this.db.prepare('SELECT id, as_of, status, filters, open FROM runs ORDER BY seq').all() as { id: string; as_of: string; status: 'complete' | 'partial'; filters: string; open: string }[])
        .map((r): RunSummary => ({ id: r.id, asOf: r.as_of, status: r.status, filters: JSON.parse(r.filters), open: { ...zero(), ...JSON.parse(r.open) } }));
      const open = this.openSet();
      const findings = new Map<string, FindingState>();
      const FULL = `SELECT id, rule_id, severity, message, account_id, region, instance_id, image_id, resource, first_seen_at, last_seen_at, last_run_id,
        runs_seen, status, resolved_at, reopened_count, escalated_at, escalated_from, waived FROM findings`;
      const full = (r: unknown[]): FindingState => {
        const [id, ruleId, severity, message, accountId, region, instanceId, imageId, resource, firstSeenAt, lastSeenAt, lastRunId, runsSeen, status, resolvedAt, reopenedCount, escalatedAt, escalatedFrom, waived] = r as [
          string, string, Severity, string, string, string, string, string | null, string | null, string, string, string, number, FindingState['status'], string | null, number, string | null, string | null, number];
        const state: FindingState = {
          id, ruleId, severity, message, accountId, region, instanceId, imageId, resource: resource ? JSON.parse(resource) : null, firstSeenAt, lastSeenAt, lastRunId, runsSeen,
          status, resolvedAt, reopenedCount, escalatedAt, escalatedFrom: escalatedFrom ? JSON.parse(escalatedFrom) : null, waived: waived === 1,
        };
        findings.set(id, state);
        return state;
      };
      // an open finding's sight is the open set's (its row keeps the sight of when it was last written)
      const sight = (state: FindingState, i: number): FindingState => {
        state.firstSeenAt = open.first[i]!;
        state.lastSeenAt = open.last[i]!;
        state.lastRunId = open.lastRun[i]!;
        state.runsSeen = open.runs[i]!;
        return state;
      };
      if (!seen) {
        for (const r of this.db.prepare(FULL).raw(true).all() as unknown[][]) full(r);
        for (let i = 0; i < open.ids.length; i++) {
          const state = findings.get(open.ids[i]!);
          if (state) sight(state, i);
        }
      } else {
        // This run's findings against the open set, by position (OpenSight): no state is made for
        // an open finding seen again unless the semantics need one.
        const index = this.openIndex(open);
        const ids = new Array<string>(seen.size);
        const at = new Int32Array(seen.size);
        const hit = new Uint8Array(open.ids.length);
        const others: string[] = [];
        let p = 0;
        for (const id of seen.keys()) {
          ids[p] = id;
          const i = index.get(id);
          if (i === undefined) {
            at[p] = -1;
            others.push(id);
          } else {
            at[p] = i;
            hit[i] = 1;
          }
          p++;
        }
        const byIds = (sql: string, list: string[]): IterableIterator<unknown[]> => this.db.prepare(`${sql} WHERE id IN (SELECT value FROM json_each(?))`).raw(true).iterate(JSON.stringify(list)) as IterableIterator<unknown[]>;
        // the open findings this run does not see: their whole row, with the open set's sight
        const goneIds: string[] = [];
        for (let i = 0; i < hit.length; i++) if (!hit[i]) goneIds.push(open.ids[i]!);
        const gone: FindingState[] = [];
        if (goneIds.length) for (const r of byIds(FULL, goneIds)) gone.push(sight(full(r), index.get(r[0] as string)!));
        // the findings no longer open that this run sees again (reopened): among those the open set has not
        const back = new Map<string, FindingState>();
        // (none in a history that has no finding yet)
        if (others.length && this.db.prepare('SELECT 1 FROM findings LIMIT 1').get()) {
          const LIGHT = 'SELECT id, status, sig, first_seen_at, last_seen_at, last_run_id, runs_seen, resolved_at, reopened_count, escalated_at, escalated_from FROM findings';
          for (const r of byIds(LIGHT, others)) {
            const [id, status, sig, firstSeenAt, lastSeenAt, lastRunId, runsSeen, resolvedAt, reopenedCount, escalatedAt, escalatedFrom] = r as [
              string, FindingState['status'], number | null, string, string, string, number, string | null, number, string | null, string | null];
            const f = seen.get(id)!;
            back.set(id, {
              id, ruleId: f.ruleId, severity: f.severity, message: f.message, accountId: f.accountId, region: f.region, instanceId: f.instanceId, imageId: f.imageId, resource: f.resource ?? null,
              firstSeenAt, lastSeenAt, lastRunId, runsSeen, status, resolvedAt, reopenedCount, escalatedAt, escalatedFrom: escalatedFrom ? JSON.parse(escalatedFrom) : null,
              waived: f.waiver !== null && f.waiver !== undefined, sig,
            });
          }
        }
        for (const [id, state] of back) findings.set(id, state);
        // the same as one state per finding, made only when read (the semantics read `sight`)
        let made = false;
        const whole = (): Map<string, FindingState> => {
          if (!made) {
            for (let q = 0; q < ids.length; q++) if (at[q]! >= 0) findings.set(ids[q]!, openStateAt(open, at[q]!, seen.get(ids[q]!)!));
            made = true;
          }
          return findings;
        };
        return {
          runs, resolutions: this.resolutionCounts(), sight: { ids, at, open, others: back, gone },
          get findings(): ReadonlyMap<string, FindingState> {
            return whole();
          },
        };
      }
      const resolutions = (this.db.prepare('SELECT severity, days_to_fix FROM resolutions').all() as { severity: Severity; days_to_fix: number }[]).map((r) => ({ severity: r.severity, daysToFix: r.days_to_fix }));
      return { runs, findings, resolutions };
    });
  }

  /** The resolutions as counts of days to fix by severity (for the median days to fix). */
  private resolutionCounts(): PriorHistory['resolutions'] {
    return (this.db.prepare('SELECT severity, days_to_fix, count(*) AS n FROM resolutions GROUP BY severity, days_to_fix').all() as { severity: Severity; days_to_fix: number; n: number }[])
      .map((r) => ({ severity: r.severity, daysToFix: r.days_to_fix, count: r.n }));
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
      // The open set after this run: the findings seen again and otherwise unchanged get this run as
      // their last sight (`touched`; without it, every open finding but the `unverified`); those
      // whose state changed take it from their row, written below; the others (unverified) keep
      // theirs. Only the changed findings' rows are written.
      const prev = this.openSet();
      const index = this.openIndex(prev);
      // per open finding: 0 keeps its sight (unverified), 1 moves it to this run (touched), 2 takes its changed row's
      const mark = new Uint8Array(prev.ids.length);
      if (rows.touched) {
        for (const id of rows.touched) {
          const i = index.get(id);
          if (i !== undefined) mark[i] = 1;
        }
      } else if (rows.unverified) {
        mark.fill(1);
        for (const id of rows.unverified) {
          const i = index.get(id);
          if (i !== undefined) mark[i] = 0;
        }
      }
      // the changed findings (by their place in rows.findings) and their signatures
      const changed = new Int32Array(prev.ids.length);
      const added: number[] = [];
      const sigs = new Float64Array(rows.findings.length);
      for (let k = 0; k < rows.findings.length; k++) {
        const f = rows.findings[k]!;
        sigs[k] = signature(f);
        const i = index.get(f.id);
        if (i === undefined) added.push(k);
        else {
          mark[i] = 2;
          changed[i] = k;
        }
      }
      const next = openBuilder(prev.ids.length + added.length);
      const { asOf, id: runId } = rows.run;
      const add = (k: number): void => {
        const f = rows.findings[k]!;
        if (f.status === 'open') next.put(f.id, f.firstSeenAt, f.lastSeenAt, f.lastRunId, f.runsSeen, sigs[k]!, f.reopenedCount, f.escalatedAt, f.escalatedFrom);
      };
      for (let i = 0; i < prev.ids.length; i++) {
        const m = mark[i];
        if (m === 2) add(changed[i]!);
        else if (m === 1) next.put(prev.ids[i]!, prev.first[i]!, asOf, runId, prev.runs[i]! + 1, sigOf(prev, i), prev.reopened[i]!, prev.escAt[i]!, prev.escFrom[i]!);
        else next.put(prev.ids[i]!, prev.first[i]!, prev.last[i]!, prev.lastRun[i]!, prev.runs[i]!, sigOf(prev, i), prev.reopened[i]!, prev.escAt[i]!, prev.escFrom[i]!);
      }
      for (const k of added) add(k);
      const set = next.done();
      const up = db.prepare(`INSERT OR REPLACE INTO findings (id, rule_id, severity, message, account_id, region, instance_id, image_id, resource, first_seen_at, last_seen_at, last_run_id, runs_seen, status, resolved_at, reopened_count, escalated_at, escalated_from, waived, sig)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (let k = 0; k < rows.findings.length; k++) {
        const f = rows.findings[k]!;
        up.run(f.id, f.ruleId, f.severity, f.message, f.accountId, f.region, f.instanceId, f.imageId, f.resource ? JSON.stringify(f.resource) : null, f.firstSeenAt, f.lastSeenAt, f.lastRunId,
          f.runsSeen, f.status, f.resolvedAt, f.reopenedCount, f.escalatedAt, f.escalatedFrom ? JSON.stringify(f.escalatedFrom) : null, f.waived ? 1 : 0, sigs[k]);
      }
      db.exec('DELETE FROM open_set');
      db.prepare('INSERT INTO open_set (run_id, data) VALUES (?, ?)').run(runId, encodeOpenSet(set));
      this.open = set;
      const res = db.prepare('INSERT INTO resolutions (run_seq, finding_id, severity, days_to_fix) VALUES (?, ?, ?, ?)');
      for (const r of rows.resolutions) res.run(seq, r.findingId, r.severity, r.daysToFix);
    });
  }

  commit(): void {
    this.open = null;
    this.guard(() => this.db.exec('COMMIT'));
    this.inTransaction = false;
  }

  rollback(): void {
    this.open = null;
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
    this.open = null;
    this.guard(() => this.db.exec('DELETE FROM coverage; DELETE FROM resolutions; DELETE FROM findings; DELETE FROM runs; DELETE FROM open_set;'));
  }

  /** Gives the space of deleted rows back to the file system (after prune). */
  vacuum(): void {
    this.guard(() => this.db.exec('VACUUM'));
  }
}
