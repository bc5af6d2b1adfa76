/** Turning what the SDK throws into the error code and message a coverage entry records. */

export interface ScopeError { code: string; message: string; retries: number }

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

export function describeError(e: unknown): ScopeError {
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { attempts?: number }; $response?: unknown; $fault?: string } | undefined;
  const retries = Math.max(0, (err?.$metadata?.attempts ?? 1) - 1);
  let code = err?.name ?? 'Error';
  let message = String(err?.message ?? e);
  if (err?.code && NETWORK_CODES.has(err.code)) code = err.code;
  else if (code === 'AbortError') code = 'Interrupted';
  else if (code === 'TimeoutError' || /timed? ?out/i.test(message) && (code === 'Error' || code === 'RequestTimeout')) code = 'Timeout';
  else if (code === 'SyntaxError' || /Deserialization error|char '.*' is not expected|Unexpected end|not well-formed|Invalid XML|unclosed|closing tag/i.test(message)) {
    code = 'MalformedResponse';
  } else if (code === 'Error' && /socket hang up/i.test(message)) code = 'ECONNRESET';
  code = code.replace(/^(Client|Server)\./, '');
  // Keep messages to one line and short; they come from the service.
  message = message.replace(/\s+/g, ' ').trim().slice(0, 500);
  return { code, message, retries };
}

export const THROTTLING_CODES = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'EC2ThrottledException', 'RequestThrottled', 'TooManyRequestsException']);
export const SERVER_CODES = new Set(['InternalError', 'InternalFailure', 'ServerInternal', 'Unavailable', 'ServiceUnavailable']);

/** A 5xx answer that is not throttling: the service failed, not the request. */
export function isServerFailure(e: unknown): boolean {
  const d = describeError(e);
  if (THROTTLING_CODES.has(d.code)) return false;
  if (SERVER_CODES.has(d.code)) return true;
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}
export const EXPIRED_CODES = new Set(['RequestExpired', 'ExpiredToken', 'ExpiredTokenException']);
