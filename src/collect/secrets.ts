/**
 * Keeps credentials out of everything ami-audit stores or prints: coverage messages, progress,
 * --debug lines and the reports.
 *
 * Two layers: a registry of the values this run holds (base credentials, every AssumeRole result,
 * external ids, proxy passwords), and patterns that mask credential-shaped text whatever the
 * registry holds (the SigV4 `Credential=` scope and `Signature=`, a quoted
 * `x-amz-security-token` header or query parameter, AWS key ids, a password in a URL).
 *
 * The registry is per thread: a worker thread registers the credentials it holds itself.
 */

const MASK = '[REDACTED]';

const secrets = new Set<string>();
/** The registry as one pattern, longest value first; rebuilt after the registry changed. */
let registryPattern: RegExp | null = null;
let dirty = false;

/** Registers a value that must never be printed (secret keys, session tokens, external ids). */
export function addSecret(value: string | undefined | null, minLength = 4): void {
  if (typeof value !== 'string' || value.length < minLength || secrets.has(value)) return;
  secrets.add(value);
  dirty = true;
}

/** Registers the credentials the environment holds. */
export function addEnvironmentSecrets(env: NodeJS.ProcessEnv): void {
  // AMI_AUDIT_SHARD_KEY: the HMAC key of shard reports (src/report/shard.ts)
  for (const k of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ACCESS_KEY_ID', 'AMI_AUDIT_SHARD_KEY']) addSecret(env[k]);
  // a proxy's password (the user part is kept: it helps to tell proxies apart)
  for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) addProxySecret(env[k]);
}

/** Registers the password of a proxy URL. */
export function addProxySecret(url: string | undefined): void {
  if (!url) return;
  try {
    const u = new URL(url.includes('://') ? url : `http://${url}`);
    if (u.password) {
      addSecret(u.password);
      addSecret(decodeURIComponent(u.password));
    }
  } catch {
    // not a URL: nothing to register
  }
}

/**
 * Registers credentials the run holds: the access key id, the secret and the session token.
 * Values shorter than 8 characters are placeholders (a local endpoint's `test`), not secrets,
 * and would mask ordinary words.
 */
export function registerCredentials(identity: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string } | null | undefined): void {
  if (!identity) return;
  addSecret(identity.accessKeyId, 8);
  addSecret(identity.secretAccessKey, 8);
  addSecret(identity.sessionToken, 8);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function registry(): RegExp | null {
  if (dirty) {
    dirty = false;
    registryPattern = secrets.size ? new RegExp([...secrets].sort((a, b) => b.length - a.length).map(escapeRe).join('|'), 'g') : null;
  }
  return registryPattern;
}

/** user:password@ (or token@) in URLs. */
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;
/** The SigV4 credential scope (`Credential=AKIA…/20260101/us-east-1/ec2/aws4_request`, also X-Amz-Credential=…%2F…). */
const CREDENTIAL = /(\bCredential=)[^/\s,&'"]+/gi;
/** A SigV4 signature (`Signature=` in the Authorization header, `X-Amz-Signature=` in a query). */
const SIGNATURE = /(\bSignature=)[0-9a-f]{16,}/gi;
/** The session token as a header in a quoted canonical request, or as a query parameter. */
const TOKEN_HEADER = /(\bx-amz-security-token\s*:\s*)[^\s'"]+/gi;
const TOKEN_PARAM = /(\bX-Amz-Security-Token=)[^\s&'"]+/gi;
/** AWS access key ids and other credential-like unique ids: the prefix stays, the rest is masked. */
const KEY_ID = /\b(AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{12,}\b/g;
/** A cheap test: text without any of these cannot match a header-shaped pattern. */
const MAYBE_HEADER = /credential=|signature=|security-token|:\/\/[^/\s]*@/i;

/** Masks every registered value and every credential-shaped string in `text`. */
export function redact(text: string): string {
  let out = text;
  const reg = registry();
  if (reg) out = out.replace(reg, MASK);
  if (MAYBE_HEADER.test(out)) {
    out = out
      .replace(URL_USERINFO, `$1${MASK}@`)
      .replace(CREDENTIAL, `$1${MASK}`)
      .replace(SIGNATURE, `$1${MASK}`)
      .replace(TOKEN_HEADER, `$1${MASK}`)
      .replace(TOKEN_PARAM, `$1${MASK}`);
  }
  return out.replace(KEY_ID, (m) => `${m.slice(0, 4)}****`);
}
