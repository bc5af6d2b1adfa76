/** Keeps credentials out of everything ami-audit prints: errors, progress and --debug lines. */

const secrets = new Set<string>();

/** Registers a value that must never be printed (secret keys, session tokens, external ids). */
export function addSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** Registers the credentials the environment holds. */
export function addEnvironmentSecrets(env: NodeJS.ProcessEnv): void {
  for (const k of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN', 'AWS_ACCESS_KEY_ID']) addSecret(env[k]);
}

const KEY_ID = /\b(AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g;

export function redact(text: string): string {
  // user:password@ in URLs
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1[REDACTED]@');
  for (const s of secrets) out = out.split(s).join('[REDACTED]');
  return out.replace(KEY_ID, (m) => `${m.slice(0, 4)}****`);
}
