/**
 * Files: reading inputs (regular files only, config-sized ones whole and reports streamed), and
 * writing reports (every file of a run written completely to a temporary file, then published
 * under names no other run holds, or none of them at all).
 */
import * as fs from 'node:fs';
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync, rmSync, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { basename, dirname, join, resolve } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { jsonParser } from 'stream-json/parser.js';
import pLimit from 'p-limit';
import { UserError, WriteError } from '../model/errors.js';
import type { Report } from '../model/types.js';
import type { TemplateSet } from '../render/html.js';
import { TEMPLATES_DIR } from '../paths.js';
import { jsonSyntaxError, parseJsonText } from '../config/config.js';
import { InputFileReader, JsonDocumentReader, reportOf, type JsonToken, type KeepOptions, type ParsedInput } from '../report/input.js';

// ---------------------------------------------------------------------------------------------
// Reading

/** The largest config (and other whole-read JSON) file read. */
export const CONFIG_MAX_BYTES = 16 << 20;
/** Whole-read JSON other than the config (fleet and fault plans): up to the longest string V8 makes. */
export const JSON_MAX_BYTES = (1 << 29) - 64;
/** Bytes read at a time when streaming. */
export const READ_BLOCK = 64 << 10;

/** The synchronous file calls the readers make; tests replace them to watch what is read. */
export interface ReadSeam {
  openSync(path: string, flags: number): number;
  fstatSync(fd: number): Stats;
  readSync(fd: number, buf: Buffer, offset: number, length: number, position: number | null): number;
  closeSync(fd: number): void;
}

export const nodeReadSeam: ReadSeam = { openSync: (p, f) => openSync(p, f), fstatSync: (fd) => fstatSync(fd), readSync: (fd, b, o, l, p) => readSync(fd, b, o, l, p), closeSync: (fd) => closeSync(fd) };

const mib = (n: number): string => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : `${Math.ceil(n / (1 << 20))} MiB`);

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens a regular file for reading. Opened non-blocking and checked with fstat before any read,
 * so that a FIFO, a device or a directory is an error at once, never a hang.
 */
export function openRegular(path: string, what: string, maxBytes: number | undefined, seam: ReadSeam = nodeReadSeam): { fd: number; size: number } {
  let fd: number;
  try {
    fd = seam.openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new UserError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const st = seam.fstatSync(fd);
    if (!st.isFile()) throw new UserError(`${what} ${path}: ${kindOf(st)}, not a regular file; give a JSON file`);
    if (maxBytes !== undefined && st.size > maxBytes) throw new UserError(`${what} ${path}: ${mib(st.size)} is more than the ${mib(maxBytes)} ami-audit reads for ${what}; give the right file`);
    return { fd, size: st.size };
  } catch (e) {
    seam.closeSync(fd);
    throw e;
  }
}

/** A regular file's text, up to maxBytes (a file that grows past it while read is refused too). */
export function readTextFile(path: string, what: string, maxBytes = CONFIG_MAX_BYTES, seam: ReadSeam = nodeReadSeam): string {
  const { fd, size } = openRegular(path, what, maxBytes, seam);
  try {
    const buf = Buffer.allocUnsafe(Math.min(maxBytes, size) + 1);
    let len = 0;
    for (;;) {
      if (len === buf.length) throw new UserError(`${what} ${path}: more than the ${mib(maxBytes)} ami-audit reads for ${what} (the file grew while read); give the right file`);
      const n = seam.readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
    }
    return buf.subarray(0, len).toString('utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    seam.closeSync(fd);
  }
}

export function readJsonFile(path: string, what: string, maxBytes = JSON_MAX_BYTES): unknown {
  return parseJsonText(path, readTextFile(path, what, maxBytes));
}

/** The parser's "no more input" (stream-chain's `none`). */
const END_OF_INPUT = Symbol.for('object-stream.none');

/**
 * Streams a regular file's JSON tokens into a sink, a block at a time: the text is never held
 * whole, so a report larger than the longest string V8 can make is read like a small one.
 */
export function streamJsonFile(path: string, what: string, sink: { token(t: JsonToken): void; end(): void }, seam: ReadSeam = nodeReadSeam): void {
  const { fd } = openRegular(path, what, undefined, seam);
  const parse = jsonParser({ packValues: true, streamValues: true });
  const decoder = new StringDecoder('utf8');
  const buf = Buffer.allocUnsafe(READ_BLOCK);
  let offset = 0;
  let first = true;
  const feed = (text: string | typeof END_OF_INPUT): void => {
    let out: unknown;
    try {
      out = parse(text as string);
    } catch (e) {
      throw new UserError(jsonErrorAt(path, offset, seam) ?? `${path}: invalid JSON within the first ${offset} bytes: ${(e as Error).message.split('\n')[0]!.slice(0, 160)}`);
    }
    const values = (out as { values?: JsonToken[] } | undefined)?.values;
    if (values) for (const t of values) sink.token(t);
  };
  try {
    for (;;) {
      let n: number;
      try {
        n = seam.readSync(fd, buf, 0, READ_BLOCK, null);
      } catch (e) {
        throw new UserError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      if (n === 0) break;
      offset += n;
      let text = decoder.write(buf.subarray(0, n));
      if (first && text.length) {
        text = text.replace(/^\uFEFF/, '');
        first = false;
      }
      if (text) feed(text);
    }
    if (offset === 0) throw new UserError(`${what} ${path}: empty; expected an ami-audit JSON report or AWS CLI describe-instance-image-metadata output`);
    const tail = decoder.end();
    if (tail) feed(tail);
    feed(END_OF_INPUT);
  } finally {
    seam.closeSync(fd);
  }
  sink.end();
}

/** Bytes of a file read again to say where its JSON goes wrong (beyond that, the offset alone is given). */
const LOCATE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Where the JSON of `path` first goes wrong, as `<path>: invalid JSON at line L, column C: ...`,
 * from its first `upTo` bytes (the streaming parser failed within them); null when they are too
 * many to read again or do not show the error.
 */
function jsonErrorAt(path: string, upTo: number, seam: ReadSeam): string | null {
  if (upTo > LOCATE_MAX_BYTES) return null;
  const { fd } = openRegular(path, 'input', undefined, seam);
  try {
    const buf = Buffer.alloc(upTo);
    let n = 0;
    while (n < upTo) {
      const got = seam.readSync(fd, buf, n, upTo - n, null);
      if (got === 0) break;
      n += got;
    }
    const found = jsonSyntaxError(buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, ''));
    // the prefix ends where the text was cut: that is not the file's error
    if (!found || found.offset >= n - 1) return null;
    return `${path}: invalid JSON at line ${found.line}, column ${found.column}: ${found.what}`;
  } finally {
    seam.closeSync(fd);
  }
}

/** Reads a saved report or AWS CLI output, keeping what `keep` asks for. */
export function readInputFile(path: string, what: string, keep: KeepOptions, seam: ReadSeam = nodeReadSeam): ParsedInput {
  const reader = new InputFileReader(path, keep);
  streamJsonFile(path, what, new JsonDocumentReader(path, reader), seam);
  return reader.finish();
}

/** Reads a saved report for a diff (--baseline, diff): run, coverage and findings; not the instances. */
export function readReportFile(path: string, what: string, seam: ReadSeam = nodeReadSeam): Report {
  return reportOf(readInputFile(path, what, { instances: false, findings: true }, seam));
}

// ---------------------------------------------------------------------------------------------
// Writing

/** The file calls the writer makes; tests inject short writes and ENOSPC through it. */
export interface FileLayer {
  /** Synchronous, so that a hard stop always finds the file in the pending set. */
  openSync(path: string, flags: string, mode: number): number;
  write(fd: number, buf: Uint8Array, offset: number, length: number): Promise<number>;
  fsync(fd: number): Promise<void>;
  size(fd: number): Promise<number>;
  close(fd: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  link(existing: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

const pWrite = (fd: number, buf: Uint8Array, offset: number, length: number): Promise<number> =>
  new Promise((ok, fail) => fs.write(fd, buf, offset, length, null, (err, n) => (err ? fail(err) : ok(n))));
const pFstat = promisify(fs.fstat);

export const nodeFileLayer: FileLayer = {
  openSync: (p, flags, mode) => openSync(p, flags, mode),
  write: pWrite,
  fsync: promisify(fs.fsync),
  size: async (fd) => (await pFstat(fd)).size,
  close: promisify(fs.close),
  chmod: fs.promises.chmod,
  link: fs.promises.link,
  rename: fs.promises.rename,
  unlink: (p) => fs.promises.rm(p, { force: true }),
};

/** Temporary files being written, so that a hard stop can remove them. */
const pending = new Set<string>();

/** Removes temporary files still being written (before an immediate exit). */
export function removePendingTempFiles(): void {
  for (const p of pending) rmSync(p, { force: true });
  pending.clear();
}

/** This host, in temporary file names: a run only ever judges temporary files of its own host. */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/**
 * Temporary files of this tool: `.<report file name>.<host>.<pid>.<random>.tmp` (and, from older
 * versions, without the host), and the writability probe `.ami-audit-probe-<pid>-<random>`.
 */
const TEMP_RE = /^\.ami-audit-.+?\.(?:([0-9a-f]{8})\.)?(\d+)\.[0-9a-f]{8}\.tmp$/;
const PROBE_RE = /^\.ami-audit-probe-(\d+)-[0-9a-f]{6}$/;

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${HOST_TAG}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes temporary files a killed run of this tool left in a folder: only names of this tool's
 * own pattern, written on this host by a process that no longer exists (a concurrent run's
 * temporary files are its own). Returns the names removed.
 */
export function removeStaleTempFiles(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const t = TEMP_RE.exec(name);
    const p = t ? null : PROBE_RE.exec(name);
    let pid: number;
    if (t) {
      if (t[1] !== undefined && t[1] !== HOST_TAG) continue;
      pid = Number(t[2]);
    } else if (p) pid = Number(p[1]);
    else continue;
    if (!Number.isSafeInteger(pid) || pid <= 0 || !processGone(pid)) continue;
    try {
      if (!fs.lstatSync(join(dir, name)).isFile()) continue;
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

const WRITE_FAILURES = new Map<string, string>([
  ['ENOSPC', 'no space left on the device'],
  ['EDQUOT', 'disk quota exceeded'],
  ['EFBIG', 'file too large for the file system'],
  ['EIO', 'I/O error'],
  ['EROFS', 'the file system is read-only'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'operation not permitted'],
  ['ENOENT', 'the folder disappeared'],
  ['SHORTWRITE', 'the file system accepted no more bytes'],
  ['SIZEMISMATCH', 'the file on disk is shorter than what was written'],
]);

function writeError(path: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string') return e as Error;
  const why = WRITE_FAILURES.get(code) ?? (e as Error).message;
  return new WriteError(`cannot write ${path}: ${why} (${code}); no report file of this run was kept: free space or choose another --out, and run again`, code);
}

function failure(code: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(code);
  e.code = code;
  return e;
}

/** Writes all of buf, however many calls it takes; a call that writes nothing is a failure. */
async function writeAll(layer: FileLayer, fd: number, buf: Uint8Array): Promise<number> {
  let off = 0;
  while (off < buf.length) {
    const n = await layer.write(fd, buf, off, buf.length - off);
    if (!Number.isInteger(n) || n <= 0) throw failure('SHORTWRITE');
    off += n;
  }
  return off;
}

/** Characters gathered into one write when a file comes in pieces: memory stays bounded by it, not by the file. */
export const WRITE_CHUNK_CHARS = 1 << 20;

/** UTF-8 bytes a UTF-16 code unit can take at most (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_BYTES_PER_CHAR = 3;

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;

/** Write buffers kept for the next file (a report set can be thousands of files: ASFF's). */
const spareBuffers: Buffer[] = [];
function takeBuffer(size: number): Buffer {
  const i = spareBuffers.findIndex((b) => b.length === size);
  return i >= 0 ? spareBuffers.splice(i, 1)[0]! : Buffer.allocUnsafe(size);
}
function giveBuffer(buf: Buffer): void {
  if (spareBuffers.length < 2) spareBuffers.push(buf);
}

/**
 * Writes content to a new temporary file next to `path`, completely: every write checked and
 * repeated until all bytes are down, fsync, the size on disk compared, close checked. Content in
 * pieces is taken piece by piece and written in writes of about `chunkChars` characters. Returns
 * the temporary file's path; on any failure the temporary file is removed.
 */
export async function writeTemp(path: string, content: string | Iterable<string>, mode: number, layer: FileLayer = nodeFileLayer, chunkChars = WRITE_CHUNK_CHARS): Promise<string> {
  const written = await writeTempContent(path, content, mode, layer, chunkChars);
  await written.finish();
  return written.tmp;
}

/**
 * The two halves of writeTemp: the content written (this call), and `finish` (fsync, the size on
 * disk compared, close, mode), which a caller may let run while it makes the next file. Whichever
 * half fails removes the temporary file and closes its descriptor.
 */
async function writeTempContent(path: string, content: string | Iterable<string>, mode: number, layer: FileLayer, chunkChars = WRITE_CHUNK_CHARS): Promise<{ tmp: string; finish: () => Promise<void> }> {
  const tmp = tempName(path);
  pending.add(tmp);
  let fd: number | null = null;
  const fail = async (e: unknown): Promise<never> => {
    if (fd !== null) await layer.close(fd).catch(() => undefined);
    fd = null;
    await layer.unlink(tmp).catch(() => undefined);
    pending.delete(tmp);
    throw writeError(path, e);
  };
  let total = 0;
  try {
    fd = layer.openSync(tmp, 'wx', mode);
    const flush = async (text: string): Promise<void> => {
      if (text.length) total += await writeAll(layer, fd!, Buffer.from(text, 'utf8'));
    };
    if (typeof content === 'string') await flush(content);
    else {
      // Each piece is encoded into one buffer the moment it arrives, and the buffer is written when
      // it holds about chunkChars characters' bytes: the pieces die young, and no joined text of a
      // write's size is made (a string that large is put straight in V8's old generation, so
      // writing hundreds of MB that way grew the heap by as much between full collections).
      const buf = takeBuffer(chunkChars * MAX_UTF8_BYTES_PER_CHAR);
      let used = 0;
      const drain = async (): Promise<void> => {
        if (used) total += await writeAll(layer, fd!, buf.subarray(0, used));
        used = 0;
      };
      // a pair of UTF-16 surrogates cut between two pieces is encoded whole, with the next piece
      let held = '';
      try {
        for (let piece of content) {
          if (held) {
            piece = held + piece;
            held = '';
          }
          if (piece.length > 0 && isHighSurrogate(piece.charCodeAt(piece.length - 1))) {
            held = piece.slice(-1);
            piece = piece.slice(0, -1);
          }
          if (piece.length * MAX_UTF8_BYTES_PER_CHAR > buf.length - used) {
            await drain();
            // a piece longer than the buffer is written on its own
            if (piece.length * MAX_UTF8_BYTES_PER_CHAR > buf.length) {
              await flush(piece);
              continue;
            }
          }
          used += buf.write(piece, used, 'utf8');
          if (used >= chunkChars) await drain();
        }
        await drain();
        await flush(held);
      } finally {
        giveBuffer(buf);
      }
    }
  } catch (e) {
    return fail(e);
  }
  const finish = async (): Promise<void> => {
    try {
      await layer.fsync(fd!);
      if ((await layer.size(fd!)) !== total) throw failure('SIZEMISMATCH');
      const closing = fd!;
      fd = null;
      await layer.close(closing);
      await layer.chmod(tmp, mode);
    } catch (e) {
      await fail(e);
    }
  };
  return { tmp, finish };
}

/** Files whose fsync and close run while the next file is made, and claims made at once: the file system's own queue, not one round trip a file. */
const FILES_IN_FLIGHT = 8;

/**
 * Runs `fn` on every item, at most FILES_IN_FLIGHT at a time (p-limit); waits for every call to
 * settle, then throws the first failure (so no call is still running when the caller cleans up).
 */
async function eachInFlight<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const limit = pLimit(FILES_IN_FLIGHT);
  const settled = await Promise.allSettled(items.map((item) => limit(() => fn(item))));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
}

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Puts a written temporary file in place under `path` only if no file has that name: a hard
 * link (which fails if the name exists), or where links are not supported, an exclusive create
 * that reserves the name and a rename over it. Returns false when the name is taken.
 */
async function claim(layer: FileLayer, tmp: string, path: string, mode: number): Promise<boolean> {
  try {
    await layer.link(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_LINKS.has(code)) throw e;
  }
  let fd: number;
  try {
    fd = layer.openSync(path, 'wx', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    await layer.close(fd);
    await layer.rename(tmp, path);
  } catch (e) {
    await layer.unlink(path).catch(() => undefined);
    throw e;
  }
  return true;
}

/** Writes one file completely, then puts it in place of `path` in one rename (a reader sees the old file or the new one). */
export async function writeFileAtomic(path: string, content: string, mode: number, layer: FileLayer = nodeFileLayer): Promise<void> {
  const tmp = await writeTemp(path, content, mode, layer);
  try {
    await layer.rename(tmp, path);
  } catch (e) {
    await layer.unlink(tmp).catch(() => undefined);
    throw writeError(path, e);
  } finally {
    pending.delete(tmp);
  }
}

/** `mode`: this file's own mode (the rollout script is always 600), else the set's. */
export interface ReportFile { suffix: string; content: string | Iterable<string>; mode?: number }

/**
 * Writes one run's report files into `dir` as `<stem><suffix>`, all or none. Each file is written
 * completely to a temporary file first; then the set is published under `<stem>`, or, when any of
 * those names is taken (another run in the same second), under `<stem>-2`, `<stem>-3`, ...: a run
 * never replaces another's file, and its files always share one stem. A failure removes every
 * file of the run, temporary or published. Returns the paths written, in the order given.
 */
export async function writeReportSet(dir: string, stem: string, files: ReportFile[] | (() => Iterable<ReportFile>), mode: number, layer: FileLayer = nodeFileLayer): Promise<string[]> {
  const temps: { suffix: string; tmp: string; mode: number }[] = [];
  const published: string[] = [];
  // each file's fsync and close run while the next one is made, at most FILES_IN_FLIGHT at once
  const finishing = new Set<Promise<void>>();
  let finishFailed: { e: unknown } | null = null;
  const settle = async (): Promise<void> => {
    await Promise.all(finishing);
    if (finishFailed) throw (finishFailed as { e: unknown }).e;
  };
  try {
    for (const f of typeof files === 'function' ? files() : files) {
      const fileMode = f.mode ?? mode;
      const written = await writeTempContent(join(dir, `${stem}${f.suffix}`), f.content, fileMode, layer);
      temps.push({ suffix: f.suffix, tmp: written.tmp, mode: fileMode });
      const p: Promise<void> = written.finish().catch((e: unknown) => {
        finishFailed ??= { e };
      }).finally(() => finishing.delete(p));
      finishing.add(p);
      if (finishing.size >= FILES_IN_FLIGHT) await Promise.race(finishing);
      if (finishFailed) throw (finishFailed as { e: unknown }).e;
    }
    await settle();
    const order = [...temps].sort((a, b) => (a.suffix < b.suffix ? -1 : a.suffix > b.suffix ? 1 : 0));
    for (let n = 1; n <= 10_000; n++) {
      const s = n === 1 ? stem : `${stem}-${n}`;
      const claimed = await eachInFlight(order, async (t) => {
        const path = join(dir, `${s}${t.suffix}`);
        if (!(await claim(layer, t.tmp, path, t.mode))) return false;
        published.push(path);
        return true;
      });
      if (claimed.every(Boolean)) {
        await eachInFlight(temps, async (t) => {
          await layer.unlink(t.tmp).catch(() => undefined);
          pending.delete(t.tmp);
        });
        return temps.map((t) => join(dir, `${s}${t.suffix}`));
      }
      // Another run holds one of these names: give back what this attempt took, try the next stem.
      for (const p of published.splice(0)) await layer.unlink(p).catch(() => undefined);
    }
    throw new WriteError(`cannot write reports into ${dir}: every name ${stem}-N is taken; choose another --out`, 'EEXIST');
  } catch (e) {
    // nothing of this run is still being written when its files are removed
    await Promise.all(finishing);
    for (const p of published) await layer.unlink(p).catch(() => undefined);
    for (const t of temps) {
      await layer.unlink(t.tmp).catch(() => undefined);
      pending.delete(t.tmp);
    }
    throw e instanceof WriteError || typeof (e as NodeJS.ErrnoException)?.code !== 'string' ? e : writeError(join(dir, stem), e);
  }
}

/**
 * Makes sure the output folder exists and is writable, before any long work starts, and removes
 * the temporary files killed runs of this tool left there.
 */
export async function ensureWritableDir(dir: string): Promise<string> {
  const abs = resolve(dir);
  try {
    await fs.promises.mkdir(abs, { recursive: true });
    await fs.promises.access(abs, constants.W_OK);
    const probe = join(abs, `.ami-audit-probe-${process.pid}-${randomBytes(3).toString('hex')}`);
    await fs.promises.writeFile(probe, '', { mode: 0o600 });
    await fs.promises.rm(probe, { force: true });
  } catch (e) {
    throw new UserError(`--out ${dir}: not a writable folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a folder you can write to`);
  }
  removeStaleTempFiles(abs);
  return abs;
}

let templates: TemplateSet | null = null;

/** The HTML templates shipped in templates/. */
export function loadTemplates(dir = TEMPLATES_DIR): TemplateSet {
  if (templates && dir === TEMPLATES_DIR) return templates;
  const partials: Record<string, string> = {};
  for (const f of readdirSync(join(dir, 'partials')).sort()) {
    if (f.endsWith('.hbs')) partials[f.slice(0, -4)] = readFileSync(join(dir, 'partials', f), 'utf8');
  }
  const set: TemplateSet = {
    main: readFileSync(join(dir, 'report.hbs'), 'utf8'),
    partials,
    css: readFileSync(join(dir, 'report.css'), 'utf8'),
    js: readFileSync(join(dir, 'report.js'), 'utf8'),
  };
  if (dir === TEMPLATES_DIR) templates = set;
  return set;
}
