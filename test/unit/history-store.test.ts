/**
 * The run history's file (src/history/store.ts): what it keeps round-trips; a file that is not
 * ours, a newer schema, a corrupted file and a lock held too long are refused with one line (exit
 * 2) and leave the file as it was; a run killed mid-transaction or a full disk leaves the history
 * as it was before the run.
 */
import { describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deflateSync, inflateSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { APPLICATION_ID, HISTORY_SCHEMA_VERSION, HistoryStore } from '../../src/history/store.js';
import { DateTime } from 'luxon';
import { applyHistory, DEFAULT_SLA, signature, type FindingState, type HistoryOutcome, type RunSummary } from '../../src/history/semantics.js';
import type { CoverageEntry, Finding } from '../../src/model/types.js';
import { UserError, WriteError } from '../../src/model/errors.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'ami-audit-history-'));
const zero = { info: 0, low: 0, medium: 0, high: 0, critical: 0 };

/** Opens a history and loads it inside a run's transaction, as a run does first; closes it. */
function loadInRun(file: string): void {
  const s = HistoryStore.open(file, 1);
  try {
    s.begin();
    s.load(new Map());
  } finally {
    s.close();
  }
}

function finding(n: number, over: Partial<FindingState> = {}): FindingState {
  return {
    id: n.toString(16).padStart(20, '0'), ruleId: 'deprecated-ami', severity: 'high', message: `Deprecated ${n}.`, accountId: '111111111111', region: 'us-east-1',
    instanceId: `i-${String(n).padStart(17, '0')}`, imageId: 'ami-0b752bf1df193a6c4', resource: null, firstSeenAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T00:00:00Z',
    lastRunId: 'run-1', runsSeen: 1, status: 'open', resolvedAt: null, reopenedCount: 0, escalatedAt: null, escalatedFrom: null, waived: false, ...over,
  };
}

function record(file: string, id: string, asOf: string, n = 3): void {
  const store = HistoryStore.open(file, 1);
  try {
    store.begin();
    const run: RunSummary = { id, asOf, status: 'complete', filters: [], open: { ...zero, high: n } };
    store.save({ run, findings: Array.from({ length: n }, (_, i) => finding(i, { lastRunId: id })), resolutions: [] }, {
      toolVersion: 't', fingerprint: 'sha256:x', source: 'scan', coverage: [{ accountId: '111111111111', region: 'us-east-1', status: 'ok' }], findings: n, overdue: 0,
    });
    store.commit();
  } finally {
    store.close();
  }
}

const runsOf = (file: string): string[] => {
  const s = HistoryStore.open(file, 1, { create: false });
  try {
    return s.runs().map((r) => r.id);
  } finally {
    s.close();
  }
};

const refused = (fn: () => unknown, re: RegExp): void => {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  expect((err as UserError).exitCode).toBe(2);
  expect((err as Error).message).toMatch(re);
  expect((err as Error).message).not.toMatch(/\n/);
};

describe('the history file', () => {
  test('what a run saves loads back; the file says it is ours and its schema', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z');
    const s = HistoryStore.open(file, 1);
    const prior = s.load();
    s.close();
    expect(prior.runs).toEqual([{ id: 'run-1', asOf: '2026-01-01T00:00:00Z', status: 'complete', filters: [], open: { ...zero, high: 3 } }]);
    expect(prior.findings.get(finding(1).id)).toEqual(finding(1));
    const db = new Database(file, { readonly: true });
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('user_version', { simple: true })).toBe(HISTORY_SCHEMA_VERSION);
    db.close();
  });

  test('a file that is not ours: another application\'s database, or not a database at all', () => {
    const d = dir();
    const other = join(d, 'other.sqlite');
    const db = new Database(other);
    db.exec('CREATE TABLE notes (x TEXT)');
    db.close();
    const before = readFileSync(other);
    refused(() => HistoryStore.open(other, 1), /other\.sqlite: not an ami-audit history/);
    expect(readFileSync(other).equals(before)).toBe(true);
    const text = join(d, 'notes.txt');
    writeFileSync(text, 'hello, this is not a database at all, but it is long enough to have a header of sorts'.repeat(10));
    refused(() => HistoryStore.open(text, 1), /notes\.txt: not an ami-audit history/);
  });

  test('a newer schema is refused, untouched', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z');
    const db = new Database(file);
    db.pragma(`user_version = ${HISTORY_SCHEMA_VERSION + 1}`);
    db.close();
    const before = readFileSync(file);
    refused(() => HistoryStore.open(file, 1), new RegExp(`schema ${HISTORY_SCHEMA_VERSION + 1}, newer than this ami-audit writes \\(${HISTORY_SCHEMA_VERSION}\\); upgrade ami-audit`));
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test('an older schema (ours, before any table) is migrated forward', () => {
    const file = join(dir(), 'h.sqlite');
    const db = new Database(file);
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.close();
    expect(runsOf(file)).toEqual([]);
    const again = new Database(file, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(HISTORY_SCHEMA_VERSION);
    again.close();
  });

  // history-schema2.sqlite: three runs as the schema 2 store wrote them; history-schema2.json: what
  // that store answered for a fourth run (test/fixtures/history-schema2.mjs made both)
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/history-schema2.json', import.meta.url), 'utf8')) as {
    input: { id: string; asOf: string; coverage: CoverageEntry[]; findings: Finding[] };
    before: unknown; next: { findings: unknown; history: unknown }; after: unknown;
  };
  const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
  const wholeHistory = (file: string): unknown => {
    const s = HistoryStore.open(file, 1);
    try {
      const p = s.load();
      return plain({ runs: p.runs, findings: [...p.findings.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), resolutions: [...p.resolutions].sort((a, b) => a.severity.localeCompare(b.severity) || a.daysToFix - b.daysToFix) });
    } finally {
      s.close();
    }
  };
  /** The fourth run, recorded as the pipeline records a run. */
  const fourthRun = (file: string): HistoryOutcome => {
    const r = fixture.input;
    const s = HistoryStore.open(file, 1);
    try {
      s.begin();
      const prior = s.load(new Map(r.findings.map((f) => [f.id, f])));
      const run = { id: r.id, asOf: r.asOf, options: {} };
      const o = applyHistory({ current: { findings: r.findings, coverage: r.coverage, run }, status: 'complete', asOf: DateTime.fromISO(r.asOf, { zone: 'utc' }).toMillis(), sla: DEFAULT_SLA, prior });
      s.save(o.rows, { toolVersion: 'fixture', fingerprint: 'sha256:fixture', source: 'scan', coverage: r.coverage.map((c) => ({ accountId: c.accountId, region: c.region, status: c.status })), findings: r.findings.length, overdue: o.history.overdue });
      s.commit();
      return o;
    } finally {
      s.close();
    }
  };
  const schema2 = (): string => {
    const file = join(dir(), 'h.sqlite');
    copyFileSync(new URL('../fixtures/history-schema2.sqlite', import.meta.url), file);
    return file;
  };
  const schemaOf = (file: string): number => {
    const db = new Database(file, { readonly: true });
    try {
      return db.pragma('user_version', { simple: true }) as number;
    } finally {
      db.close();
    }
  };

  test('a schema 2 history is migrated forward: it loads as it did, and the next run gives what schema 2 gave', () => {
    const file = schema2();
    expect(schemaOf(file)).toBe(2);
    expect(wholeHistory(file)).toEqual(fixture.before);
    expect(schemaOf(file)).toBe(HISTORY_SCHEMA_VERSION);
    const o = fourthRun(file);
    expect(plain({ findings: o.findings, history: o.history })).toEqual(fixture.next);
    expect(wholeHistory(file)).toEqual(fixture.after);
  });

  test('a schema 1 history (no signatures) is migrated forward; its rows are written again when seen, with the same answers', () => {
    const file = schema2();
    // back to what schema 1 wrote: no signature column
    const db = new Database(file);
    db.exec('ALTER TABLE findings DROP COLUMN sig');
    db.pragma('user_version = 1');
    db.close();
    const s = HistoryStore.open(file, 1);
    try {
      s.begin();
      const seen = new Map(fixture.input.findings.map((f) => [f.id, f]));
      const prior = s.load(seen);
      // a row written before signatures: unknown, so the run writes it again
      expect(prior.findings.get('deprecated-ami-1-1')).toMatchObject({ firstSeenAt: '2026-01-01T00:00:00Z', message: 'Deprecated 17 days ago.', sig: null });
      // the open findings this run does not see are read whole
      expect(prior.findings.get('not-allowed-ami-1-6')).toMatchObject({ message: 'Not allowed.', severity: 'critical', lastRunId: 'run-3' });
      s.rollback();
    } finally {
      s.close();
    }
    expect(schemaOf(file)).toBe(HISTORY_SCHEMA_VERSION);
    expect(wholeHistory(file)).toEqual(fixture.before);
    const o = fourthRun(file);
    expect(plain({ findings: o.findings, history: o.history })).toEqual(fixture.next);
    expect(wholeHistory(file)).toEqual(fixture.after);
  });

  test('seen again unchanged: the row is not read back whole, and the open set moves the sight of all but the unverified', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z', 3);
    const s = HistoryStore.open(file, 1);
    try {
      s.begin();
      const f1 = { id: finding(1).id, ruleId: 'deprecated-ami', severity: 'high', message: 'Deprecated 1.', accountId: '111111111111', region: 'us-east-1', instanceId: finding(1).instanceId, imageId: 'ami-0b752bf1df193a6c4', waiver: null } as unknown as Finding;
      const prior = s.load(new Map([[f1.id, f1]]));
      expect(prior.findings.get(f1.id)!.sig).toBe(signature(finding(1)));
      s.save({ run: { id: 'run-2', asOf: '2026-01-08T00:00:00Z', status: 'complete', filters: [], open: zero }, findings: [], touched: [f1.id], unverified: [finding(2).id], resolutions: [] },
        { toolVersion: 't', fingerprint: 'sha256:x', source: 'scan', coverage: [], findings: 1, overdue: 0 });
      s.commit();
      const all = s.load();
      expect(all.findings.get(f1.id)).toMatchObject({ lastSeenAt: '2026-01-08T00:00:00Z', lastRunId: 'run-2', runsSeen: 2 });
      expect(all.findings.get(finding(2).id)).toMatchObject({ lastSeenAt: '2026-01-01T00:00:00Z', lastRunId: 'run-1', runsSeen: 1 });
    } finally {
      s.close();
    }
  });

  test('a corrupted file is refused with one line', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z', 2000);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(16 * 4096);
    // overwrite pages in the middle (the b-tree pages of the findings) with garbage
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(8 * 4096, 0xa5), 0, 8 * 4096, 4 * 4096);
    closeSync(fd);
    refused(() => {
      const s = HistoryStore.open(file, 1);
      try {
        s.begin();
        s.load();
      } finally {
        s.close();
      }
    }, /h\.sqlite: (the history is corrupted|not an ami-audit history)/);
  });

  test('open findings that cannot be read (the open set damaged) are refused with one line, the file untouched', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z');
    const db = new Database(file);
    db.prepare('UPDATE open_set SET data = ?').run(Buffer.from('not deflated at all'));
    db.close();
    const before = readFileSync(file);
    refused(() => loadInRun(file), /h\.sqlite: the history is corrupted \(its open findings cannot be read/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test('a lost open set, while rows say findings are open, is refused as corrupted, never read as "nothing open"', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z');
    const db = new Database(file);
    db.prepare('DELETE FROM open_set').run();
    db.close();
    refused(() => loadInRun(file), /h\.sqlite: the history is corrupted \(its open findings/);
  });

  test('an open set whose header lacks its lists or names findings it does not hold is refused as corrupted, not a crash', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z');
    const db = new Database(file);
    const data = db.prepare('SELECT data FROM open_set').pluck().get() as Buffer;
    const buf = inflateSync(data);
    const headLen = buf.readUInt32LE(0);
    const head = JSON.parse(buf.toString('utf8', 4, 4 + headLen)) as Record<string, unknown>;
    const rest = buf.subarray(4 + headLen);
    const write = (h: Record<string, unknown>): void => {
      const text = Buffer.from(JSON.stringify(h), 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(text.length, 0);
      db.prepare('UPDATE open_set SET data = ?').run(deflateSync(Buffer.concat([len, text, rest])));
    };
    for (const bad of [{ ...head, x: undefined }, { ...head, t: 'x' }, { ...head, x: [[99, 1, -1, null]] }, { ...head, x: [[0, 1, 999, null]] }]) {
      write(bad);
      refused(() => loadInRun(file), /h\.sqlite: the history is corrupted \(its open findings/);
    }
    db.close();
  });

  test('locked by another writer: waits --history-wait, then one line, exit 2', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z');
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const s = HistoryStore.open(file, 0.3);
      const t0 = Date.now();
      refused(() => s.begin(), /locked by another running ami-audit \(waited 0\.3 s\)/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      s.close();
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(runsOf(file)).toEqual(['run-1']);
  });

  test('a run killed in the middle of its transaction leaves the history as it was', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z');
    const store = resolve('dist/history/store.js');
    const script = `
      const { HistoryStore } = await import(${JSON.stringify(store)});
      const s = HistoryStore.open(${JSON.stringify(file)}, 1);
      s.begin();
      s.save({ run: { id: 'run-2', asOf: '2026-01-08T00:00:00Z', status: 'complete', filters: [], open: {} }, findings: [], resolutions: [] },
        { toolVersion: 't', fingerprint: 'x', source: 'scan', coverage: [], findings: 0, overdue: 0 });
      process.kill(process.pid, 'SIGKILL');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal).toBe('SIGKILL');
    expect(runsOf(file)).toEqual(['run-1']);
  });

  test('a full disk while recording: a WriteError (exit 4), the history unchanged', () => {
    const file = join(dir(), 'h.sqlite');
    record(file, 'run-1', '2026-01-01T00:00:00Z');
    const s = HistoryStore.open(file, 1);
    // SQLite's page limit stands in for the disk: the inserts fail with SQLITE_FULL
    (s as unknown as { db: Database.Database }).db.pragma(`max_page_count = ${Math.ceil(statSync(file).size / 4096)}`);
    s.begin();
    let err: unknown;
    try {
      s.save({ run: { id: 'run-2', asOf: '2026-01-08T00:00:00Z', status: 'complete', filters: [], open: zero }, findings: Array.from({ length: 5000 }, (_, i) => finding(i + 10)), resolutions: [] },
        { toolVersion: 't', fingerprint: 'x', source: 'scan', coverage: [], findings: 0, overdue: 0 });
    } catch (e) {
      err = e;
    }
    s.close();
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).exitCode).toBe(4);
    expect(runsOf(file)).toEqual(['run-1']);
  });
});
