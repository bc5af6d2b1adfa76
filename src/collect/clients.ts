/**
 * AWS clients for a run: one shared request handler (keep-alive agents, proxies from the
 * environment, a deadline per attempt), one EC2 client per account x region, the SDK's retry
 * strategy with the run's attempts and mode, and the answer check on every client.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { UserError } from '../model/errors.js';
import { addProxySecret, redact, registerCredentials } from './secrets.js';
import { AuditRequestHandler, ProxyConfigError } from './transport.js';
import { addAnswerCheck } from './wire.js';

export interface ClientOptions {
  endpointUrl?: string;
  profile?: string;
  /** Region for STS and region discovery (the SDK's default chain when absent). */
  region?: string;
  maxAttempts: number;
  retryMode: 'standard' | 'adaptive';
  /** 0 or absent: no limit. */
  connectTimeoutSeconds?: number;
  /** Socket idle timeout (the AWS CLI's --cli-read-timeout); 0 or absent: no limit. */
  readTimeoutSeconds?: number;
  /**
   * Total time one attempt of a call may take, response body included; a passed deadline is a
   * transient `TimeoutError` (retried; `Timeout` in coverage). 0 or absent: no deadline.
   */
  callTimeoutSeconds?: number;
  verifySsl: boolean;
  caBundle?: string;
  maxSockets: number;
  /** Base credentials; the SDK's default chain (profiles, SSO, environment, instance roles) when absent. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** The environment HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read from; process.env when absent. */
  env?: NodeJS.ProcessEnv;
  /** Observes every API call (for --debug); the error text is redacted. */
  onCall?: (e: { action: string; accountId: string; region: string; status: number | string; attempts: number; ms: number; error?: string }) => void;
}

/**
 * Takes the warnings of the SDK's default credential chain (its multi-line "Multiple credential
 * sources detected" goes to console.warn otherwise) so they do not reach the terminal; a failure
 * is reported by resolveBaseCredentials in one line.
 */
class CredentialChainLogger {
  debug(): void {}
  info(): void {}
  trace(): void {}
  error(): void {}
  warn(): void {}
}

type AnyClient = EC2Client | STSClient;

export class ClientFactory {
  readonly handler: AuditRequestHandler;
  private readonly ec2 = new Map<string, EC2Client>();
  private readonly sts = new Map<string, STSClient>();
  private readonly chainLogger = new CredentialChainLogger();
  /** The SDK's default credential chain, its warnings kept away from the terminal. */
  private readonly quietDefaultProvider = (init: Record<string, unknown> = {}): AwsCredentialIdentityProvider =>
    defaultProvider({ ...init, logger: this.chainLogger } as Parameters<typeof defaultProvider>[0]);

  constructor(readonly opts: ClientOptions) {
    let ca: Buffer | undefined;
    if (opts.caBundle) {
      try {
        ca = readFileSync(opts.caBundle);
      } catch (e) {
        throw new UserError(`--ca-bundle: cannot read ${opts.caBundle} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    const env = opts.env ?? process.env;
    for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) addProxySecret(env[k]);
    try {
      this.handler = new AuditRequestHandler({
        maxSockets: opts.maxSockets,
        verifySsl: opts.verifySsl,
        ca,
        connectTimeoutMs: opts.connectTimeoutSeconds ? opts.connectTimeoutSeconds * 1000 : undefined,
        socketTimeoutMs: opts.readTimeoutSeconds ? opts.readTimeoutSeconds * 1000 : undefined,
        callTimeoutMs: opts.callTimeoutSeconds ? opts.callTimeoutSeconds * 1000 : undefined,
        env,
      });
    } catch (e) {
      if (e instanceof ProxyConfigError) throw new UserError(redact(e.message));
      throw e;
    }
    if (opts.credentials && typeof opts.credentials !== 'function') registerCredentials(opts.credentials);
  }

  /** Settings every client would otherwise look up again in the environment and shared config. */
  private shared: Record<string, unknown> = {};

  /**
   * Resolves, once, the settings the SDK reads from the environment and the shared config file
   * for every new client (FIPS, dual-stack, app id, auth scheme preference), so that the
   * thousands of clients of a large run do not each repeat those look-ups.
   */
  async resolveShared(): Promise<void> {
    const probe = new EC2Client(this.common(this.opts.region ?? 'us-east-1', { accessKeyId: 'probe', secretAccessKey: 'probe' }));
    addAnswerCheck(probe);
    const c = probe.config as unknown as Record<string, () => Promise<unknown>>;
    const read = async (k: string): Promise<unknown> => (typeof c[k] === 'function' ? c[k]!() : undefined);
    this.shared = {
      useFipsEndpoint: await read('useFipsEndpoint'),
      useDualstackEndpoint: await read('useDualstackEndpoint'),
      userAgentAppId: await read('userAgentAppId'),
      authSchemePreference: await read('authSchemePreference'),
    };
    for (const k of Object.keys(this.shared)) if (this.shared[k] === undefined) delete this.shared[k];
  }

  private common(region: string | undefined, credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined) {
    return {
      ...this.shared,
      ...(region ? { region } : {}),
      ...(this.opts.endpointUrl ? { endpoint: this.opts.endpointUrl } : {}),
      ...(this.opts.profile ? { profile: this.opts.profile } : {}),
      ...(credentials ? { credentials } : { credentialDefaultProvider: this.quietDefaultProvider }),
      requestHandler: this.handler,
      maxAttempts: this.opts.maxAttempts,
      retryMode: this.opts.retryMode,
    };
  }

  /**
   * The base credentials (as given, or from the SDK's default chain), registered as secrets.
   * Throws a UserError with a one-line message when there are none; it names the profile that
   * was asked for, if any.
   */
  async resolveBaseCredentials(): Promise<AwsCredentialIdentity> {
    const probe = this.stsClient(undefined, undefined, false);
    try {
      const id = await probe.config.credentials();
      registerCredentials(id);
      return id;
    } catch (e) {
      // the SDK's credential chain reads process.env, whatever env the proxies come from
      throw new UserError(redact(noCredentialsMessage(e, this.opts.profile, process.env)));
    }
  }

  /** STS client with the base credentials (or the given ones), cached per region. */
  stsClient(region?: string, credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider, cache = true): STSClient {
    const key = `${region ?? ''}|${credentials ? 'custom' : 'base'}`;
    let c = this.sts.get(key);
    if (!c) {
      c = new STSClient(this.common(region ?? this.opts.region, credentials ?? this.opts.credentials));
      addAnswerCheck(c);
      this.observe(c, 'caller', region ?? this.opts.region ?? 'default');
      if (!credentials && cache) this.sts.set(key, c);
    }
    return c;
  }

  /** EC2 client for one account (by its credentials key) and region. */
  ec2Client(accountKey: string, region: string, credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined): EC2Client {
    const key = `${accountKey}|${region}`;
    let c = this.ec2.get(key);
    if (!c) {
      c = new EC2Client(this.common(region, credentials ?? this.opts.credentials));
      addAnswerCheck(c);
      this.observe(c, accountKey.split('|')[0]!, region);
      this.ec2.set(key, c);
    }
    return c;
  }

  /** Reports each call's outcome (never its payload; the error text redacted) to onCall. */
  observe(client: AnyClient, accountId: string, region: string): void {
    const onCall = this.opts.onCall;
    if (!onCall) return;
    const stack = client.middlewareStack as unknown as { add: (mw: (next: (a: unknown) => Promise<{ output: unknown }>, context: { commandName?: string }) => (a: unknown) => Promise<{ output: unknown }>, o: object) => void };
    stack.add((next, context) => async (args) => {
      const t = Date.now();
      try {
        const out = await next(args);
        const md = (out.output as { $metadata?: { httpStatusCode?: number; attempts?: number } }).$metadata;
        onCall({ action: String(context.commandName).replace(/Command$/, ''), accountId, region, status: md?.httpStatusCode ?? 200, attempts: md?.attempts ?? 1, ms: Date.now() - t });
        return out;
      } catch (e) {
        const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
        const text = redact(`${err.name}: ${String(err.message).slice(0, 65_536)}`);
        onCall({ action: String(context.commandName).replace(/Command$/, ''), accountId, region, status: err.$metadata?.httpStatusCode ?? 'no-response', attempts: err.$metadata?.attempts ?? 1, ms: Date.now() - t, error: text });
        throw e;
      }
    }, { step: 'initialize', name: 'amiAuditObserve' });
  }

  destroy(): void {
    this.handler.destroy();
  }
}

/** Whether the shared config or credentials file defines a profile (null: cannot tell). */
function profileDefined(profile: string, env: NodeJS.ProcessEnv): boolean | null {
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  const files = [env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'), env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials')];
  const name = profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const section = new RegExp(`^\\s*\\[\\s*(?:profile\\s+)?${name}\\s*\\]`, 'm');
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return null;
    }
    if (section.test(text)) return true;
  }
  return false;
}

/** The one-line message for base credentials that could not be found. */
export function noCredentialsMessage(e: unknown, profileOption: string | undefined, env: NodeJS.ProcessEnv): string {
  const cause = String((e as Error)?.message ?? e).split('\n')[0]!.trim();
  const profile = profileOption ?? env.AWS_PROFILE;
  const source = profileOption ? '--profile' : 'AWS_PROFILE';
  const hint = 'set AWS_PROFILE or --profile to a configured profile, or use environment keys, SSO or an instance role';
  if (!profile) return `no AWS credentials found (${cause}); ${hint}`;
  const defined = profileDefined(profile, env);
  const envKeys = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? '; the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment are not used while a profile is named' : '';
  if (defined === false) return `no AWS credentials found: the profile "${profile}" (${source}) is not defined in the shared config or credentials file${envKeys}; ${hint}`;
  return `no AWS credentials found for the profile "${profile}" (${source}): ${cause}${envKeys}; ${hint}`;
}

export function isLoopback(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const h = new URL(url).hostname;
    return h === 'localhost' || h === '[::1]' || h === '::1' || /^127\./.test(h);
  } catch {
    return false;
  }
}
