/** Keeps credentials out of everything ami-audit prints; the registry lives with the collector. */
export { addEnvironmentSecrets, addProxySecret, addSecret, redact, registerCredentials } from '../collect/secrets.js';
