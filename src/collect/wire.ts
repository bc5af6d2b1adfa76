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
import type { HttpResponse } from '@smithy/types';
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
  addRelativeTo: (mw: unknown, options: { relation: 'after'; toMiddleware: string; name: string; override?: boolean }) => void;
}

/**
 * Adds the answer check to a client: every response is read into a Uint8Array (when the request
 * handler did not already) and checked before the SDK's deserializer sees it.
 */
export function addAnswerCheck(client: { middlewareStack: unknown; config: unknown }): void {
  const collector = (client.config as { streamCollector?: StreamCollector }).streamCollector;
  const stack = client.middlewareStack as MiddlewareStackLike;
  stack.addRelativeTo(
    (next: (a: unknown) => Promise<{ response: unknown }>, context: { commandName?: string }) => async (args: unknown) => {
      const out = await next(args);
      const res = out.response as HttpResponse;
      let body = res.body as unknown;
      if (!(body instanceof Uint8Array)) {
        body = body == null ? new Uint8Array(0) : collector ? await collector(body) : new Uint8Array(0);
        res.body = body;
      }
      checkAnswer(res, body as Uint8Array, context.commandName ?? 'UnknownCommand');
      return out;
    },
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'amiAuditAnswerCheck', override: true },
  );
}
