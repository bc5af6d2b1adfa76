/**
 * Checks at the wire that an answer is the operation's answer before the SDK reads it.
 *
 * The SDK's Query-protocol deserializers turn any 2xx body they can parse into the operation's
 * output: an empty body, the answer of another action, or an EC2 `<Response><Errors>` document sent
 * with status 200 all come out as an empty output ("0 instances"). And an error status whose body is
 * not an AWS error document (a proxy's text or HTML page) comes out as "Unknown" or as an XML
 * parse error that does not name the status.
 *
 * The check is a deserialize-step middleware placed inside the SDK's deserializer, so it sees the
 * raw response first. It reads the body into a Uint8Array and leaves that in `response.body`:
 * the SDK's `collectBody` (in `@smithy/core/protocols`) takes a Uint8Array body as it is, so the
 * stream is read once. Only the first bytes are inspected.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type { HttpResponse } from '@smithy/types';
import type { ImageMetadata, ImageWatermark, InstanceRecord, Tag } from '../model/types.js';
import { flat, type Interner } from '../model/intern.js';
import { redact } from './secrets.js';

/** How much of a body the checks look at. */
const HEAD_BYTES = 512;
/** How much of an error body is searched for an error code. */
const CODE_BYTES = 4096;

/** Error roots of the two Query protocols: EC2 (`<Response>`) and awsQuery/STS (`<ErrorResponse>`). */
const ERROR_ROOTS = new Set(['Response', 'ErrorResponse']);

/** An answer that is not the operation's answer. */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponse';
  readonly $fault = 'server';
  constructor(message: string, readonly $metadata: { httpStatusCode?: number; requestId?: string } = {}, $response?: unknown) {
    super(message);
    Object.defineProperty(this, '$response', { value: $response, enumerable: false });
  }
}

/** An error status whose body is not an AWS error document; named `HTTP<status>`. */
export class HttpStatusError extends Error {
  override readonly name: string;
  readonly $fault: 'client' | 'server';
  constructor(status: number, message: string, readonly $metadata: { httpStatusCode?: number; requestId?: string }, $response: unknown) {
    super(message);
    this.name = `HTTP${status}`;
    this.$fault = status >= 500 ? 'server' : 'client';
    Object.defineProperty(this, '$response', { value: $response, enumerable: false });
  }
}

type StreamCollector = (stream: unknown) => Promise<Uint8Array>;

/** The expected root per command name (`DescribeRegionsCommand` → `DescribeRegionsResponse`). */
const expectedRoots = new Map<string, string>();
function expectedRoot(commandName: string): string {
  let r = expectedRoots.get(commandName);
  if (r === undefined) {
    r = `${commandName.endsWith('Command') ? commandName.slice(0, -7) : commandName}Response`;
    expectedRoots.set(commandName, r);
  }
  return r;
}

const isSpace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
/** An XML name starts with a letter, `_`, `:` or a non-ASCII character. */
const isNameStart = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x3a || b >= 0x80;
const isNameEnd = (b: number): boolean => isSpace(b) || b === 0x3e /* > */ || b === 0x2f /* / */;

function indexOfSeq(bytes: Uint8Array, seq: number[], from: number, end: number): number {
  outer: for (let i = from; i <= end - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) if (bytes[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}
const PI_END = [0x3f, 0x3e]; // ?>
const COMMENT_END = [0x2d, 0x2d, 0x3e]; // -->

/**
 * The name of the document's root element, from the first bytes: skips a byte order mark,
 * white space, the XML declaration, processing instructions, comments and a DOCTYPE.
 * '' for an empty body; null when the body does not start like XML.
 */
export function rootElement(bytes: Uint8Array): string | null {
  const end = Math.min(bytes.length, HEAD_BYTES);
  let i = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  for (;;) {
    while (i < end && isSpace(bytes[i]!)) i++;
    if (i >= end) return i >= bytes.length ? '' : null;
    if (bytes[i] !== 0x3c /* < */) return null;
    const next = bytes[i + 1];
    if (next === 0x3f /* ? */) {
      const j = indexOfSeq(bytes, PI_END, i + 2, end);
      if (j < 0) return null;
      i = j + 2;
    } else if (next === 0x21 /* ! */) {
      const comment = bytes[i + 2] === 0x2d && bytes[i + 3] === 0x2d;
      const j = comment ? indexOfSeq(bytes, COMMENT_END, i + 4, end) : bytes.indexOf(0x3e, i + 2);
      if (j < 0 || j >= end) return null;
      i = j + (comment ? 3 : 1);
    } else {
      if (!isNameStart(bytes[i + 1] ?? 0)) return null;
      let k = i + 1;
      while (k < end && !isNameEnd(bytes[k]!)) k++;
      if (k === i + 1 || k - i > 128) return null;
      return Buffer.from(bytes.buffer, bytes.byteOffset + i + 1, k - i - 1).toString('latin1');
    }
  }
}

/** Printable, one line, short: for quoting bits of a body in a message. */
function quote(text: string, max: number): string {
  const t = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** Opaque runs as long as a secret key or a token, and key ids, even cut short. */
const OPAQUE = /[A-Za-z0-9+/=]{32,}|\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{4,}/g;

/**
 * Text an endpoint sent, for a message: credentials are masked before anything is cut (a secret
 * cut in half no longer matches the registry), and what is left of an opaque run after the cut
 * is masked too.
 */
function quoteSent(text: string, max: number): string {
  return quote(redact(text), max).replace(OPAQUE, '[REDACTED]');
}

function errorCodeIn(bytes: Uint8Array): string | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, CODE_BYTES)).toString('utf8');
  const m = /<Code>\s*([^<]{1,100}?)\s*<\/Code>/.exec(text);
  return m ? quote(m[1]!, 100) : null;
}

function header(res: HttpResponse, name: string): string | undefined {
  const h = res.headers;
  const v = h[name] ?? h[name.toLowerCase()];
  if (v !== undefined) return v;
  for (const k in h) if (k.toLowerCase() === name) return h[k];
  return undefined;
}

function contentType(res: HttpResponse): string {
  const ct = header(res, 'content-type');
  return ct ? quote(ct, 60) : 'no content-type';
}

/** Throws when a 2xx answer is not `<${action}Response>`; returns otherwise. */
export function checkAnswer(res: HttpResponse, bytes: Uint8Array, commandName: string): void {
  const status = res.statusCode;
  if (status < 200 || status >= 300) {
    checkErrorAnswer(res, bytes, commandName);
    return;
  }
  const expected = expectedRoot(commandName);
  const root = rootElement(bytes);
  if (root === expected) return;
  const action = expected.slice(0, -8);
  const md = { httpStatusCode: status, requestId: header(res, 'x-amzn-requestid') };
  let what: string;
  if (root === '') what = 'an empty body';
  else if (root === null) what = `a body that is not XML (${contentType(res)})`;
  else if (ERROR_ROOTS.has(root)) {
    const code = errorCodeIn(bytes);
    what = `an error document <${root}>${code ? ` with code ${code}` : ''}`;
  } else what = `root element <${quote(root, 64)}>`;
  throw new MalformedResponseError(`HTTP ${status} answer to ${action} is not its answer: ${what} where <${expected}> was expected`, md, res);
}

function checkErrorAnswer(res: HttpResponse, bytes: Uint8Array, commandName: string): void {
  const status = res.statusCode;
  if (status < 300) return; // 1xx never reaches here
  const root = rootElement(bytes);
  if (root !== null && ERROR_ROOTS.has(root)) return; // an AWS error document: the SDK reads it
  const action = expectedRoot(commandName).slice(0, -8);
  const md = { httpStatusCode: status, requestId: header(res, 'x-amzn-requestid') };
  let what: string;
  if (root === '') what = 'an empty body';
  else if (root === null) {
    const text = quoteSent(Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, HEAD_BYTES)).toString('utf8'), 120);
    what = `a body that is not an AWS error (${contentType(res)}): "${text}"`;
  } else what = `a body that is not an AWS error (root element <${quote(root, 64)}>, ${contentType(res)})`;
  const reason = res.reason ? ` ${quoteSent(res.reason, 60)}` : '';
  throw new HttpStatusError(status, `HTTP ${status}${reason} answer to ${action} with ${what}`, md, res);
}

interface MiddlewareStackLike {
  addRelativeTo: (mw: unknown, options: { relation: 'after' | 'before'; toMiddleware: string; name: string; override?: boolean }) => void;
}

/**
 * Adds the answer check to a client: every response is read into a Uint8Array (when the request
 * handler did not already) and checked before the SDK's deserializer sees it. From a
 * DescribeInstanceImageMetadata answer the item set is taken out (the SDK reads the rest) and
 * attached to the output under ITEM_SET, for parseItemSet.
 */
export function addAnswerCheck(client: { middlewareStack: unknown; config: unknown }): void {
  const collector = (client.config as { streamCollector?: StreamCollector }).streamCollector;
  const stack = client.middlewareStack as MiddlewareStackLike;
  stack.addRelativeTo(
    (next: (a: unknown) => Promise<{ response: unknown }>, context: { commandName?: string }) => async (args: unknown) => {
      const out = await next(args);
      const res = out.response as HttpResponse & { [ITEM_SET]?: Uint8Array };
      let body = res.body as unknown;
      if (!(body instanceof Uint8Array)) {
        body = body == null ? new Uint8Array(0) : collector ? await collector(body) : new Uint8Array(0);
        res.body = body;
      }
      const bytes = body as Uint8Array;
      checkAnswer(res, bytes, context.commandName ?? 'UnknownCommand');
      if (context.commandName === DIIM_COMMAND && res.statusCode >= 200 && res.statusCode < 300) {
        const split = splitItemSet(bytes);
        if (split) {
          res.body = split.rest;
          res[ITEM_SET] = split.items;
        }
      }
      return out;
    },
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'amiAuditAnswerCheck', override: true },
  );
  stack.addRelativeTo(
    (next: (a: unknown) => Promise<{ response: unknown; output: unknown }>) => async (args: unknown) => {
      const out = await next(args);
      const items = (out.response as { [ITEM_SET]?: Uint8Array } | undefined)?.[ITEM_SET];
      if (items !== undefined) (out.output as { [ITEM_SET]?: Uint8Array })[ITEM_SET] = items;
      return out;
    },
    { relation: 'before', toMiddleware: 'deserializerMiddleware', name: 'amiAuditItemSet', override: true },
  );
}

// ---------------------------------------------------------------------------------------------
// DescribeInstanceImageMetadata pages: read here, straight into records
//
// The SDK would parse each page into a tree of its own, then into its output shape, and the
// collector would convert that into records: three copies of every page, the largest cost of a
// run (see docs/performance.md). Instead the answer check takes the item set out of the body it
// hands the SDK (which then reads only the root, requestId and nextToken) and attaches the set's
// text to the output; the collector reads it here with the values and the record shape the SDK's
// path gives (tests compare the two).

/** Where a DescribeInstanceImageMetadata output carries the bytes of its item set. */
export const ITEM_SET = Symbol('ami-audit.itemSet');
const DIIM_COMMAND = 'DescribeInstanceImageMetadataCommand';
const SET_OPEN = Buffer.from('<instanceImageMetadataSet', 'latin1');
const SET_CLOSE = Buffer.from('</instanceImageMetadataSet>', 'latin1');

/**
 * Splits a DescribeInstanceImageMetadata answer into the bytes inside its item set and the rest of
 * the document. null when the set is not there in its plain form (then the SDK reads it all).
 */
export function splitItemSet(body: Uint8Array): { items: Uint8Array; rest: Uint8Array } | null {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const a = b.indexOf(SET_OPEN);
  if (a < 0) return null;
  const i = a + SET_OPEN.length;
  if (b[i] === 0x2f && b[i + 1] === 0x3e) return { items: b.subarray(i, i), rest: Buffer.concat([b.subarray(0, a), b.subarray(i + 2)]) };
  if (b[i] !== 0x3e) return null;
  // the end is found from the end of the body (a second set would make the text between them
  // malformed when read: the SDK would have read the first only)
  const e = b.lastIndexOf(SET_CLOSE);
  if (e <= i) return null;
  return { items: b.subarray(i + 1, e), rest: Buffer.concat([b.subarray(0, a), b.subarray(e + SET_CLOSE.length)]) };
}

/** The item set bytes a DescribeInstanceImageMetadata output carries, when the answer check took them. */
export function itemSetOf(output: object): Uint8Array | undefined {
  return (output as { [ITEM_SET]?: Uint8Array })[ITEM_SET];
}

export interface RecordContext {
  accountId: string;
  region: string;
  interner: Interner;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digit = (s: string, i: number): number => {
  const d = s.charCodeAt(i) - 0x30;
  return d >= 0 && d <= 9 ? d : -100_000;
};

/**
 * Whether a date-time is in the form EC2 sends and toISOString writes (2026-01-30T14:57:08.000Z),
 * every field in range: then the SDK's reading of it gives back the same text.
 */
function canonicalIso(v: string): boolean {
  if (v.length !== 24 || v.charCodeAt(4) !== 0x2d || v.charCodeAt(7) !== 0x2d || v.charCodeAt(10) !== 0x54 || v.charCodeAt(13) !== 0x3a
    || v.charCodeAt(16) !== 0x3a || v.charCodeAt(19) !== 0x2e || v.charCodeAt(23) !== 0x5a) return false;
  const y = digit(v, 0) * 1000 + digit(v, 1) * 100 + digit(v, 2) * 10 + digit(v, 3);
  const mo = digit(v, 5) * 10 + digit(v, 6);
  const d = digit(v, 8) * 10 + digit(v, 9);
  const h = digit(v, 11) * 10 + digit(v, 12);
  const mi = digit(v, 14) * 10 + digit(v, 15);
  const sec = digit(v, 17) * 10 + digit(v, 18);
  const ms = digit(v, 20) * 100 + digit(v, 21) * 10 + digit(v, 22);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0) return false;
  const leap = mo === 2 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0));
  return d <= DAYS[mo - 1]! + (leap ? 1 : 0);
}

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[tT](\d\d):(\d\d):(\d\d)(\.(\d+))?(([-+]\d\d:\d\d)|[zZ])$/;

/** A date-time as the SDK reads it (its RFC 3339 parser, rule for rule), as an ISO string. */
export function isoTimestamp(value: string, field: string): string {
  // the form EC2 sends (2026-01-30T14:57:08.000Z): when the engine reads it back unchanged, the
  // SDK's rules give that same instant
  if (canonicalIso(value)) return flat(value);
  const m = RFC3339.exec(value);
  const bad = (): never => {
    throw new MalformedResponseError(`DescribeInstanceImageMetadata answer: ${field} ${JSON.stringify(quote(value, 40))} is not an RFC 3339 date-time`);
  };
  if (!m) return bad();
  const [, y, mo, d, h, mi, sec, , ms, off] = m as unknown as string[];
  const inRange = (v: string, lo: number, hi: number): boolean => Number(v) >= lo && Number(v) <= hi;
  if (!inRange(mo!, 1, 12) || !inRange(d!, 1, 31) || !inRange(h!, 0, 23) || !inRange(mi!, 0, 59) || !inRange(sec!, 0, 60)) return bad();
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), Number(ms) ? Math.round(parseFloat(`0.${ms}`) * 1000) : 0));
  date.setUTCFullYear(Number(y));
  if (off!.toUpperCase() !== 'Z') {
    const sign = off![0] === '-' ? 1 : -1;
    date.setTime(date.getTime() + sign * (Number(off!.slice(1, 3)) * 3_600_000 + Number(off!.slice(4, 6)) * 60_000));
  }
  if (Number.isNaN(date.getTime())) return bad();
  return date.toISOString();
}

const ENTITY = /&(?:#x([0-9a-fA-F]{1,6})|#(\d{1,7})|([a-zA-Z][a-zA-Z0-9]{0,30}));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Character and entity references, decoded as the SDK's parser decodes them. */
function decodeEntities(s: string): string {
  return s.replace(ENTITY, (_, hex: string | undefined, dec: string | undefined, named: string) => {
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    if (dec) return String.fromCharCode(parseInt(dec, 10));
    return Object.hasOwn(NAMED, named) ? NAMED[named]! : '';
  });
}

const bool = (v: string): boolean => v.toLowerCase() === 'true';

const ALL_FIELDS = 1023;
/** The item fields, each a bit for telling a repeated field. */
const ITEM_FIELDS = new Map(Object.entries({
  instanceId: 1, instanceType: 2, launchTime: 4, availabilityZone: 8, zoneId: 16, instanceState: 32, instanceOwnerId: 64, tagSet: 128, imageMetadata: 256, operator: 512,
}));

function byTagKey(a: Tag, b: Tag): number {
  const x = a.Key ?? '';
  const y = b.Key ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Reads the inner text of an `instanceImageMetadataSet` into records, field for field what
 * `toRecord` makes of the SDK's output (tags sorted by key, dates as ISO strings, strings flat
 * and interned, AMI metadata, states, operators and repeated tags shared). Markup the SDK's parser
 * accepts (comments, CDATA, processing instructions, attributes, unknown elements) is accepted;
 * what it would fail on fails here as a MalformedResponse.
 */
export function parseItemSet(set: Uint8Array | string, ctx: RecordContext): InstanceRecord[] {
  const out: InstanceRecord[] = [];
  if (typeof set === 'string') {
    new ItemReader(set, ctx).items(out, true);
    return out;
  }
  const buf = Buffer.from(set.buffer, set.byteOffset, set.byteLength);
  const n = buf.length;
  // Text is decoded a window at a time, each window read up to its last whole item: a string of
  // more than 128 KB is allocated in the engine's large-object space, at some 40 times the cost
  // per byte of a small one (a page of 1,000 instances is about 1.2 MB). A window's offsets are
  // its bytes' only when it is ASCII; text that is not valid UTF-8 is read whole, as the SDK would.
  if (n <= WINDOW_BYTES || !(isAscii(buf) || isUtf8(buf))) {
    new ItemReader(buf.toString('utf8'), ctx).items(out, true);
    return out;
  }
  let pos = 0;
  let size = WINDOW_BYTES;
  while (pos < n) {
    const end = Math.min(n, pos + size);
    const text = buf.toString('utf8', pos, end);
    const read = new ItemReader(text, ctx).items(out, end === n);
    if (end === n) break;
    if (read === 0) size *= 2; // not one whole item in the window
    else {
      pos += isAscii(buf.subarray(pos, end)) ? read : Buffer.byteLength(text.slice(0, read), 'utf8');
      size = WINDOW_BYTES;
    }
  }
  return out;
}

/** Bytes of text decoded at a time (see parseItemSet). */
const WINDOW_BYTES = 32 * 1024;

/** What a reader of text that may be cut short throws where the text does not go on as it must. */
const INCOMPLETE = Object.freeze({ incomplete: true });

class ItemReader {
  i = 0;
  private selfClosing = false;
  private readonly s: string;

  /** Whether the text is all there is (else it may end part-way: see items). */
  private last = true;

  constructor(text: string, private readonly ctx: RecordContext) {
    // the SDK's parser reads line ends as XML does
    this.s = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  }

  private fail(what: string): never {
    if (!this.last) throw INCOMPLETE; // perhaps only cut short: no message made
    throw new MalformedResponseError(`DescribeInstanceImageMetadata answer is not well-formed: ${what} (item set character ${this.i})`);
  }

  /**
   * Reads the items of the text into `out`. With `last` false the text may end part-way through an
   * element: reading stops before it and returns where it starts (the text's length when all was
   * read), for the caller to read from there with more text.
   */
  items(out: InstanceRecord[], last: boolean): number {
    const s = this.s;
    this.last = last;
    for (;;) {
      this.misc();
      if (this.i >= s.length) return s.length;
      const at = this.i;
      try {
        if (s.charCodeAt(this.i + 1) === 0x2f) this.fail('a closing tag with no element open');
        const name = this.open();
        if (name !== 'item') {
          if (!this.selfClosing) this.skip(name);
          continue;
        }
        out.push(this.selfClosing ? this.record(0, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined) : this.item());
      } catch (e) {
        if (e !== INCOMPLETE) throw e;
        return at;
      }
    }
  }

  /** Skips white space, text, comments and processing instructions; stops at `<name`, `</` or the end. */
  private misc(): void {
    const s = this.s;
    for (;;) {
      const lt = s.indexOf('<', this.i);
      if (lt < 0) {
        this.i = s.length;
        return;
      }
      this.i = lt;
      const c = s.charCodeAt(lt + 1);
      if (c === 0x21 /* ! */) {
        if (s.startsWith('<!--', lt)) this.skipPast('-->', lt + 4);
        else if (s.startsWith('<![CDATA[', lt)) this.skipPast(']]>', lt + 9);
        else this.fail('markup that is neither an element, a comment nor CDATA');
      } else if (c === 0x3f /* ? */) this.skipPast('?>', lt + 2);
      else return;
    }
  }

  private skipPast(end: string, from: number): void {
    const j = this.s.indexOf(end, from);
    if (j < 0) this.fail(`no "${end}" to end what starts here`);
    this.i = j + end.length;
  }

  /** Reads an opening tag at `<`: returns its name; `selfClosing` says whether it was `<name/>`. */
  private open(): string {
    const s = this.s;
    const n = s.length;
    let j = this.i + 1;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c === 0x3e || c === 0x2f || c <= 0x20) break;
      j++;
    }
    if (j === this.i + 1 || j >= n) this.fail('an opening tag without a name or an end');
    const name = s.slice(this.i + 1, j);
    let c = s.charCodeAt(j);
    if (c !== 0x3e && c !== 0x2f) {
      // attributes: nothing the answer needs; skipped with their quoted values
      while (j < n) {
        c = s.charCodeAt(j);
        if (c === 0x22 || c === 0x27) {
          const q = s.indexOf(c === 0x22 ? '"' : "'", j + 1);
          if (q < 0) this.fail('an attribute value without its closing quote');
          j = q + 1;
          continue;
        }
        if (c === 0x3e || c === 0x2f) break;
        j++;
      }
      if (j >= n) this.fail(`an opening tag <${quote(name, 40)} without its end`);
    }
    if (c === 0x2f) {
      if (s.charCodeAt(j + 1) !== 0x3e) this.fail(`<${quote(name, 40)} with "/" not followed by ">"`);
      this.selfClosing = true;
      this.i = j + 2;
    } else {
      this.selfClosing = false;
      this.i = j + 1;
    }
    return name;
  }

  /** Reads `</name>` at the cursor. */
  private close(name: string): void {
    const s = this.s;
    let j = this.i + 2;
    if (s.charCodeAt(this.i + 1) !== 0x2f || !s.startsWith(name, j)) this.fail(`<${quote(name, 40)}> closed by something else`);
    j += name.length;
    while (j < s.length && s.charCodeAt(j) <= 0x20) j++;
    if (s.charCodeAt(j) !== 0x3e) this.fail(`<${quote(name, 40)}> closed by something else`);
    this.i = j + 1;
  }

  /** Skips the content of an element whose opening tag was read, up to and including its closing tag. */
  private skip(name: string): void {
    const s = this.s;
    const open = [name];
    while (open.length) {
      this.misc();
      if (this.i >= s.length) this.fail(`<${quote(open[open.length - 1]!, 40)}> is never closed`);
      if (s.charCodeAt(this.i + 1) === 0x2f) this.close(open.pop()!);
      else {
        const n = this.open();
        if (!this.selfClosing) open.push(n);
      }
    }
  }

  /** The text of a simple element whose opening tag was read (empty for `<name/>`), through its closing tag. */
  private text(name: string): string {
    if (this.selfClosing) return '';
    const s = this.s;
    const start = this.i;
    const lt = s.indexOf('<', start);
    if (lt < 0) this.fail(`<${quote(name, 40)}> is never closed`);
    let v: string;
    if (s.charCodeAt(lt + 1) === 0x2f) {
      v = s.slice(start, lt);
      if (v.includes('&')) v = decodeEntities(v);
      this.i = lt;
    } else {
      // comments, CDATA or processing instructions inside: the text is the parts between them
      v = '';
      for (;;) {
        const at = s.indexOf('<', this.i);
        if (at < 0) this.fail(`<${quote(name, 40)}> is never closed`);
        const part = s.slice(this.i, at);
        v += part.includes('&') ? decodeEntities(part) : part;
        this.i = at;
        if (s.startsWith('</', at)) break;
        if (s.startsWith('<![CDATA[', at)) {
          const end = s.indexOf(']]>', at + 9);
          if (end < 0) this.fail('CDATA that never ends');
          v += s.slice(at + 9, end);
          this.i = end + 3;
        } else if (s.startsWith('<!--', at)) this.skipPast('-->', at + 4);
        else if (s.startsWith('<?', at)) this.skipPast('?>', at + 2);
        else this.fail(`an element inside <${quote(name, 40)}>, which holds a value`);
      }
    }
    this.close(name);
    return v.includes('\n') && v.trim() === '' ? '' : v;
  }

  /**
   * The shared object for the content of a structure whose opening tag was read: looked up by its
   * text up to `</name>`, read by `read` only the first time that text is seen.
   */
  private struct<T>(kind: string, name: string, read: () => T, idTag?: string): T {
    const s = this.s;
    const start = this.i;
    const end = s.indexOf(`</${name}`, start);
    if (end < 0) this.fail(`<${name}> is never closed`);
    // a short text to find it by (an AMI's id), so that the whole text is compared, not hashed
    let id = '';
    if (idTag !== undefined) {
      const at = s.indexOf(idTag, start);
      if (at >= 0 && at < end) {
        const lt = s.indexOf('<', at + idTag.length);
        if (lt > 0 && lt < end) id = s.slice(at + idTag.length, lt);
      }
    }
    let fresh: T | undefined;
    let readEnd = -1;
    const v = this.ctx.interner.shared(kind, s.slice(start, end), () => {
      fresh = read();
      readEnd = this.i;
      // shared only when its text is exactly what was read (nothing named like its end inside)
      return readEnd === end ? fresh : undefined;
    }, id);
    if (readEnd < 0) this.i = end; // seen before: the shared object
    this.close(name);
    return readEnd < 0 ? v! : fresh!;
  }

  /** Reads the children of a structure, handing each known one to `field`; skips the others. */
  private children(name: string, field: (child: string) => boolean): void {
    const s = this.s;
    for (;;) {
      this.misc();
      if (this.i >= s.length) this.fail(`<${quote(name, 40)}> is never closed`);
      if (s.charCodeAt(this.i + 1) === 0x2f) return;
      const child = this.open();
      if (!field(child) && !this.selfClosing) this.skip(child);
    }
  }

  private item(): InstanceRecord {
    let seen = 0;
    let id: string | undefined;
    let type: string | undefined;
    let launch: string | undefined;
    let az: string | undefined;
    let zone: string | undefined;
    let state: InstanceRecord['State'];
    let owner: string | undefined;
    let tags: Tag[] | undefined;
    let image: ImageMetadata | undefined;
    let operator: InstanceRecord['Operator'];
    const s = this.s;
    for (;;) {
      this.misc();
      if (this.i >= s.length) this.fail('an <item> is never closed');
      if (s.charCodeAt(this.i + 1) === 0x2f) {
        this.close('item');
        break;
      }
      const name = this.open();
      const bit = ITEM_FIELDS.get(name);
      if (bit === undefined) {
        if (!this.selfClosing) this.skip(name);
        continue;
      }
      if (seen & bit) this.fail(`an <item> with two <${name}> elements`);
      seen |= bit;
      switch (bit) {
        case 1: id = this.text(name); break;
        case 2: type = this.text(name); break;
        case 4: launch = this.text(name); break;
        case 8: az = this.text(name); break;
        case 16: zone = this.text(name); break;
        case 32: state = this.selfClosing ? {} : this.struct('state', name, () => this.state(name)); break;
        case 64: owner = this.text(name); break;
        case 128: tags = this.selfClosing ? [] : this.tags(name); break;
        case 256: image = this.selfClosing ? {} : this.struct('image', name, () => this.image(name), '<imageId>'); break;
        default: operator = this.selfClosing ? {} : this.struct('operator', name, () => this.operator(name));
      }
    }
    return this.record(seen, id, type, launch, az, zone, state, owner, tags, image, operator);
  }

  /** The record, in the key order of toRecord. */
  private record(seen: number, id: string | undefined, type: string | undefined, launch: string | undefined, az: string | undefined, zone: string | undefined, state: InstanceRecord['State'], owner: string | undefined, tags: Tag[] | undefined, image: ImageMetadata | undefined, operator: InstanceRecord['Operator']): InstanceRecord {
    const { interner } = this.ctx;
    if (seen === ALL_FIELDS) {
      // every field there (the usual case): one object of one shape, its fields in the object itself
      return {
        accountId: this.ctx.accountId, region: this.ctx.region, InstanceId: flat(id!), InstanceType: interner.intern(type!),
        LaunchTime: isoTimestamp(launch!, 'launchTime'), AvailabilityZone: interner.intern(az!), ZoneId: interner.intern(zone!), State: state,
        OwnerId: interner.intern(owner!), Tags: tags, ImageMetadata: image, Operator: operator,
      };
    }
    const r: InstanceRecord = { accountId: this.ctx.accountId, region: this.ctx.region };
    if (seen === 0) return r;
    if (id !== undefined) r.InstanceId = flat(id);
    if (type !== undefined) r.InstanceType = interner.intern(type);
    if (launch !== undefined) r.LaunchTime = isoTimestamp(launch, 'launchTime');
    if (az !== undefined) r.AvailabilityZone = interner.intern(az);
    if (zone !== undefined) r.ZoneId = interner.intern(zone);
    if (state !== undefined) r.State = state;
    if (owner !== undefined) r.OwnerId = interner.intern(owner);
    if (tags !== undefined) r.Tags = tags;
    if (image !== undefined) r.ImageMetadata = image;
    if (operator !== undefined) r.Operator = operator;
    return r;
  }

  private state(name: string): NonNullable<InstanceRecord['State']> {
    let code: string | undefined;
    let stateName: string | undefined;
    this.children(name, (child) => {
      if (child === 'code') code = this.once(code, child);
      else if (child === 'name') stateName = this.once(stateName, child);
      else return false;
      return true;
    });
    const st: NonNullable<InstanceRecord['State']> = {};
    if (code !== undefined) st.Code = Number(code);
    if (stateName !== undefined) st.Name = this.ctx.interner.intern(stateName);
    return st;
  }

  /** The text of a field that must not be there twice. */
  private once(prev: string | undefined, name: string): string {
    if (prev !== undefined) this.fail(`two <${quote(name, 40)}> elements where one is allowed`);
    return this.text(name);
  }

  private tags(name: string): Tag[] {
    const out: Tag[] = [];
    this.children(name, (child) => {
      if (child !== 'item') return false;
      if (this.selfClosing) out.push(this.ctx.interner.tag(undefined, undefined));
      else {
        let key: string | undefined;
        let value: string | undefined;
        this.children('item', (f) => {
          if (f === 'key') key = this.once(key, f);
          else if (f === 'value') value = this.once(value, f);
          else return false;
          return true;
        });
        this.close('item');
        out.push(this.ctx.interner.tag(key, value));
      }
      return true;
    });
    this.close(name);
    return out.length > 1 ? out.sort(byTagKey) : out;
  }

  private image(name: string): ImageMetadata {
    const f: Record<string, string | undefined> = {};
    let marks: ImageMetadata['ImageWatermarks'];
    this.children(name, (child) => {
      switch (child) {
        case 'imageId': case 'name': case 'imageOwnerId': case 'imageState': case 'imageOwnerAlias': case 'creationDate': case 'deprecationTime': case 'imageAllowed': case 'isPublic':
          f[child] = this.once(f[child], child);
          return true;
        case 'imageWatermarkSet':
          if (marks !== undefined) this.fail('two <imageWatermarkSet> elements');
          marks = this.selfClosing ? [] : this.watermarks(child);
          return true;
        default:
          return false;
      }
    });
    const i = (v: string | undefined): string | undefined => (v === undefined ? undefined : this.ctx.interner.intern(v));
    const im: ImageMetadata = {};
    if (f.imageId !== undefined) im.ImageId = i(f.imageId);
    if (f.name !== undefined) im.Name = i(f.name);
    if (f.imageOwnerId !== undefined) im.OwnerId = i(f.imageOwnerId);
    if (f.imageState !== undefined) im.State = i(f.imageState);
    if (f.imageOwnerAlias !== undefined) im.ImageOwnerAlias = i(f.imageOwnerAlias);
    if (f.creationDate !== undefined) im.CreationDate = i(f.creationDate);
    if (f.deprecationTime !== undefined) im.DeprecationTime = i(f.deprecationTime);
    if (f.imageAllowed !== undefined) im.ImageAllowed = bool(f.imageAllowed);
    if (f.isPublic !== undefined) im.IsPublic = bool(f.isPublic);
    if (marks !== undefined) im.ImageWatermarks = marks;
    return im;
  }

  private watermarks(name: string): NonNullable<ImageMetadata['ImageWatermarks']> {
    const out: NonNullable<ImageMetadata['ImageWatermarks']> = [];
    const intern = (v: string): string => this.ctx.interner.intern(v);
    this.children(name, (child) => {
      if (child !== 'item') return false;
      const f: Record<string, string | undefined> = {};
      if (!this.selfClosing) {
        this.children('item', (k) => {
          if (k !== 'watermarkKey' && k !== 'sourceImageRegion' && k !== 'sourceImageId' && k !== 'sourceImageCreationTime' && k !== 'watermarkCreationTime') return false;
          f[k] = this.once(f[k], k);
          return true;
        });
        this.close('item');
      }
      const w: ImageWatermark = {};
      if (f.watermarkKey !== undefined) w.WatermarkKey = intern(f.watermarkKey);
      if (f.sourceImageRegion !== undefined) w.SourceImageRegion = intern(f.sourceImageRegion);
      if (f.sourceImageId !== undefined) w.SourceImageId = intern(f.sourceImageId);
      if (f.sourceImageCreationTime !== undefined) w.SourceImageCreationTime = isoTimestamp(f.sourceImageCreationTime, 'sourceImageCreationTime');
      if (f.watermarkCreationTime !== undefined) w.WatermarkCreationTime = isoTimestamp(f.watermarkCreationTime, 'watermarkCreationTime');
      out.push(w);
      return true;
    });
    this.close(name);
    return out;
  }

  private operator(name: string): NonNullable<InstanceRecord['Operator']> {
    let managed: string | undefined;
    let principal: string | undefined;
    let hidden: string | undefined;
    this.children(name, (child) => {
      if (child === 'managed') managed = this.once(managed, child);
      else if (child === 'principal') principal = this.once(principal, child);
      else if (child === 'hiddenByDefault') hidden = this.once(hidden, child);
      else return false;
      return true;
    });
    const op: NonNullable<InstanceRecord['Operator']> = {};
    if (managed !== undefined) op.Managed = bool(managed);
    if (principal !== undefined) op.Principal = this.ctx.interner.intern(principal);
    if (hidden !== undefined) op.HiddenByDefault = bool(hidden);
    return op;
  }
}
