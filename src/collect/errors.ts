/** Turning what the SDK throws into the error code and message a coverage entry records. */
import { redact } from './secrets.js';

export interface ScopeError { code: string; message: string; retries: number }

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const PARSE_FAILURE = /Deserialization error|XML parse error|char '.*' is not expected|Unexpected end|not well-formed|Invalid XML|unclosed|closing tag/i;
/** The SDK's hint appended to deserialization errors: it points at a field no user can see. */
const SDK_HINT = /\s*Deserialization error: to see the raw response, inspect the hidden field \{error\}\.\$response on this object\.?/;
/** Messages longer than this are cut before they are redacted and shortened to one line. */
const MAX_RAW_MESSAGE = 65_536;
/** Control characters (ANSI escapes start with one) and the invisible and bidi ones. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g;

interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { attempts?: number; httpStatusCode?: number };
  $fault?: string;
}

/** The code an error is recorded under (no message work: cheap enough for classification). */
export function errorCode(e: unknown): string {
  const err = e as SdkErrorLike | undefined;
  let code = err?.name ?? 'Error';
  const message = typeof err?.message === 'string' ? err.message : '';
  const status = err?.$metadata?.httpStatusCode;
  if (err?.code && NETWORK_CODES.has(err.code)) code = err.code;
  else if (code === 'AbortError') code = 'Interrupted';
  else if (code === 'TimeoutError' || (/timed? ?out/i.test(message) && (code === 'Error' || code === 'RequestTimeout'))) code = 'Timeout';
  else if (code === 'MalformedResponse' || /^HTTP\d{3}$/.test(code)) return code;
  else if (code === 'SyntaxError' || PARSE_FAILURE.test(message)) {
    // an error status whose body is not an AWS error document: the status is the news
    code = status !== undefined && status >= 300 ? `HTTP${status}` : 'MalformedResponse';
  } else if ((code === 'Unknown' || code === 'UnknownError') && status !== undefined) code = `HTTP${status}`;
  else if (code === 'Error' && /socket hang up/i.test(message)) code = 'ECONNRESET';
  return code.replace(/^(Client|Server)\./, '');
}

/**
 * A fault of this program (a TypeError and the like, thrown by no call), not an answer of AWS or
 * of the network: a scope records it as `InternalError`, with its message.
 */
export function isInternal(e: unknown): boolean {
  return (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError)
    && (e as SdkErrorLike).$metadata === undefined && (e as SdkErrorLike).code === undefined;
}

/**
 * The code, a one-line message and the retries of an error. The message never holds a
 * credential: every value the run registered (and anything shaped like a key id, a signature or a
 * session token) is masked before it is returned, so nothing downstream has to remember to.
 */
export function describeError(e: unknown): ScopeError {
  const err = e as SdkErrorLike | undefined;
  const retries = Math.max(0, (err?.$metadata?.attempts ?? 1) - 1);
  // Codes and messages come from the endpoint: no control or bidi characters reach a report.
  const code = isInternal(e) ? 'InternalError' : errorCode(e).replace(/[^\w.:-]+/g, '').slice(0, 100) || 'Error';
  let message = String(err?.message ?? e).replace(SDK_HINT, '');
  const status = err?.$metadata?.httpStatusCode;
  if (code.startsWith('HTTP') && status !== undefined && !/\bHTTP \d{3}\b/.test(message)) {
    // the SDK found no AWS error in the answer: say what it was
    message = message === 'Unknown' || message === '' ? `HTTP ${status}: the answer carries no AWS error code` : `HTTP ${status}: ${message}`;
  }
  if (message.length > MAX_RAW_MESSAGE) message = message.slice(0, MAX_RAW_MESSAGE);
  // One line and short: messages come from the service.
  message = redact(message).replace(CONTROL, ' ').replace(/\s+/g, ' ').trim().slice(0, 500);
  return { code, message, retries };
}

export const THROTTLING_CODES = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'EC2ThrottledException', 'RequestThrottled', 'TooManyRequestsException']);
export const SERVER_CODES = new Set(['InternalError', 'InternalFailure', 'ServerInternal', 'Unavailable', 'ServiceUnavailable']);

/** A 5xx answer that is not throttling: the service failed, not the request. */
export function isServerFailure(e: unknown): boolean {
  const code = errorCode(e);
  if (THROTTLING_CODES.has(code)) return false;
  if (SERVER_CODES.has(code)) return true;
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}
export const EXPIRED_CODES = new Set(['RequestExpired', 'ExpiredToken', 'ExpiredTokenException']);

/** The error a stopped run gives its calls and queued work (describeError reads it as Interrupted). */
export function abortError(message = 'The run was stopped before this call', cause?: unknown): Error {
  const e = Object.assign(new Error(message), { name: 'AbortError' });
  if (cause instanceof Error) (e as Error & { cause?: unknown }).cause = cause;
  return e;
}
