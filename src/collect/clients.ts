/**
 * AWS clients for a run: one shared request handler (keep-alive agents, proxies from the
 * environment, a deadline per attempt), one EC2 client per account x region, the SDK's retry
 * strategy with the run's attempts and mode, and the answer check on every client.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, sep } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { STSClient } from '@aws-sdk/client-sts';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { UserError } from '../model/errors.js';
import { addProxySecret, redact, registerCredentials } from './secrets.js';
import { AuditRequestHandler, ProxyConfigError } from './transport.js';
import { addAnswerCheck } from './wire.js';
import { metadataSettings } from './credentials.js';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
type StsSdk = typeof import('@aws-sdk/client-sts');
type OrganizationsSdk = typeof import('@aws-sdk/client-organizations');
type AutoScalingSdk = typeof import('@aws-sdk/client-auto-scaling');
type SsmSdk = typeof import('@aws-sdk/client-ssm');
type ProviderSdk = typeof import('@aws-sdk/credential-provider-node');

/**
 * The SDK's packages, each loaded when first used, with require: they are CommonJS bundles, and
 * an ES import of one parses it a second time to tell its format (for the 2 MB of EC2's, 0.4 s
 * of CPU at every start; see docs/performance.md); a scan that needs neither Organizations nor
 * Auto Scaling does not load them. Run from the TypeScript sources (the tests), they are ES
 * imports, so that the tests and ami-audit share one copy of the SDK.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const loaded: Partial<Record<string, unknown>> = FROM_SOURCE
  ? {
    '@aws-sdk/client-ec2': await import('@aws-sdk/client-ec2'),
    '@aws-sdk/client-sts': await import('@aws-sdk/client-sts'),
    '@aws-sdk/client-organizations': await import('@aws-sdk/client-organizations'),
    '@aws-sdk/client-auto-scaling': await import('@aws-sdk/client-auto-scaling'),
    '@aws-sdk/client-ssm': await import('@aws-sdk/client-ssm'),
    '@aws-sdk/credential-provider-node': await import('@aws-sdk/credential-provider-node'),
  }
  : {};
const requireSdk = createRequire(import.meta.url);
const sdkPackage = <T>(name: string): T => (loaded[name] ??= requireSdk(name)) as T;

export const sdk = {
  get ec2(): Ec2Sdk { return sdkPackage('@aws-sdk/client-ec2'); },
  get sts(): StsSdk { return sdkPackage('@aws-sdk/client-sts'); },
  get organizations(): OrganizationsSdk { return sdkPackage('@aws-sdk/client-organizations'); },
  get autoScaling(): AutoScalingSdk { return sdkPackage('@aws-sdk/client-auto-scaling'); },
  get ssm(): SsmSdk { return sdkPackage('@aws-sdk/client-ssm'); },
  get credentialProvider(): ProviderSdk { return sdkPackage('@aws-sdk/credential-provider-node'); },
};

/** A client, or how to make it when it is first needed. */
export type LazyClient<T> = T | (() => T);

/** The client of a LazyClient, made once, on the first call of the returned function. */
export function onFirstUse<T extends object>(c: LazyClient<T>): () => T {
  let made: T | null = null;
  return () => (made ??= typeof c === 'function' ? (c as () => T)() : c);
}

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

const noAppId = (): Promise<undefined> => Promise.resolve(undefined);

type AnyClient = EC2Client | STSClient | OrganizationsClient | AutoScalingClient | SSMClient;

export class ClientFactory {
  readonly handler: AuditRequestHandler;
  /**
   * EC2 clients by account and region, held weakly: a client serves its scope (and, with
   * --all-regions, the discovery in the home region before it) and is then let go, so that an
   * organisation's thousands of scopes do not keep their clients (about 14 KB each) to the end.
   */
  private readonly ec2 = new Map<string, WeakRef<EC2Client>>();
  private readonly ec2Gone = new FinalizationRegistry<string>((key) => {
    if (this.ec2.get(key)?.deref() === undefined) this.ec2.delete(key);
  });
  private readonly sts = new Map<string, STSClient>();
  private readonly chainLogger = new CredentialChainLogger();
  /**
   * The SDK's default credential chain, its warnings kept away from the terminal, asking instance
   * metadata with the run's settings (metadataSettings: short, one attempt, unless the
   * environment says otherwise).
   */
  private readonly quietDefaultProvider = (init: Record<string, unknown> = {}): AwsCredentialIdentityProvider => {
    const m = metadataSettings(process.env);
    return sdk.credentialProvider.defaultProvider({ ...init, timeout: m.timeoutMs, maxRetries: m.attempts - 1, logger: this.chainLogger } as Parameters<ProviderSdk['defaultProvider']>[0]);
  };

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
    const probe = new sdk.ec2.EC2Client(this.common(this.opts.region ?? 'us-east-1', { accessKeyId: 'probe', secretAccessKey: 'probe' }));
    addAnswerCheck(probe);
    const c = probe.config as unknown as Record<string, () => Promise<unknown>>;
    const read = async (k: string): Promise<unknown> => (typeof c[k] === 'function' ? c[k]!() : undefined);
    const appId = await read('userAgentAppId');
    this.shared = {
      useFipsEndpoint: await read('useFipsEndpoint'),
      useDualstackEndpoint: await read('useDualstackEndpoint'),
      // none set: a provider that says so (each client would otherwise look for one in the
      // environment and the config file again, failing twice, on every call)
      userAgentAppId: appId === undefined ? noAppId : appId,
      authSchemePreference: await read('authSchemePreference'),
      defaultsMode: await read('defaultsMode'),
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
    // a metadata setting that is not a number is said as such, before the chain runs
    if (!this.opts.credentials) metadataSettings(process.env);
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
      c = new sdk.sts.STSClient(this.common(region ?? this.opts.region, credentials ?? this.opts.credentials));
      addAnswerCheck(c);
      this.observe(c, 'caller', region ?? this.opts.region ?? 'default');
      if (!credentials && cache) this.sts.set(key, c);
    }
    return c;
  }

  /**
   * AWS Organizations client with the base credentials: discovery runs as the caller (the
   * management account or a delegated administrator). Organizations is a global service; the SDK
   * sends its calls to the partition's one endpoint whatever the home region.
   */
  organizationsClient(): OrganizationsClient {
    const c = new sdk.organizations.OrganizationsClient(this.common(this.opts.region, this.opts.credentials));
    this.observe(c, 'caller', this.opts.region ?? 'default');
    return c;
  }

  /** Auto Scaling client for one account and region (--references: the groups that launch a flagged AMI). */
  autoScalingClient(accountKey: string, region: string, credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined): AutoScalingClient {
    const c = new sdk.autoScaling.AutoScalingClient(this.common(region, credentials ?? this.opts.credentials));
    addAnswerCheck(c);
    this.observe(c, accountKey.split('|')[0]!, region);
    return c;
  }

  /**
   * SSM client for one account and region (--successors: the public parameters that name the
   * latest AMI of each family). AWS JSON 1.1: the SDK's JSON reading checks its answers.
   */
  ssmClient(accountKey: string, region: string, credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined): SSMClient {
    const c = new sdk.ssm.SSMClient(this.common(region, credentials ?? this.opts.credentials));
    this.observe(c, accountKey.split('|')[0]!, region);
    return c;
  }

  /** EC2 client for one account (by its credentials key) and region. */
  ec2Client(accountKey: string, region: string, credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined): EC2Client {
    const key = `${accountKey}|${region}`;
    let c = this.ec2.get(key)?.deref();
    if (!c) {
      c = new sdk.ec2.EC2Client(this.common(region, credentials ?? this.opts.credentials));
      addAnswerCheck(c);
      this.observe(c, accountKey.split('|')[0]!, region);
      this.ec2.set(key, new WeakRef(c));
      this.ec2Gone.register(c, key);
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

/**
 * The shared config and credentials files as the SDK finds them: AWS_CONFIG_FILE and
 * AWS_SHARED_CREDENTIALS_FILE when set (and not empty), else ~/.aws/config and ~/.aws/credentials
 * (home from HOME, USERPROFILE, HOMEDRIVE+HOMEPATH, then the OS), a leading ~/ expanded; `shown`
 * is how a message names each one.
 */
function sharedFiles(env: NodeJS.ProcessEnv): { kind: 'config' | 'credentials'; path: string; shown: string }[] {
  const home = env.HOME || env.USERPROFILE || (env.HOMEPATH ? `${env.HOMEDRIVE ?? `C:${sep}`}${env.HOMEPATH}` : homedir());
  const file = (kind: 'config' | 'credentials', given: string | undefined) => {
    const shown = given || `~/.aws/${kind}`;
    return { kind, path: shown.startsWith('~/') ? join(home, shown.slice(2)) : shown, shown };
  };
  return [file('config', env.AWS_CONFIG_FILE), file('credentials', env.AWS_SHARED_CREDENTIALS_FILE)];
}

/**
 * Whether the shared config or credentials file has a section for a profile, read as the SDK
 * reads them: `[profile NAME]` (or `[default]`) in the config file, `[NAME]` in the credentials
 * file. null: a file could not be read, so it cannot tell.
 */
function profileDefined(profile: string, env: NodeJS.ProcessEnv): boolean | null {
  const typed = /^([\w-]+)\s(["'])?([\w-@+.%:/]+)\2$/; // the SDK's "<type> <name>" section
  for (const f of sharedFiles(env)) {
    let text: string;
    try {
      text = readFileSync(f.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      return null;
    }
    for (const line of text.split(/\r?\n/)) {
      const t = line.split(/(^|\s)[;#]/)[0]!.trim();
      if (!t.startsWith('[') || !t.endsWith(']')) continue;
      const section = t.slice(1, -1);
      const m = typed.exec(section);
      if (f.kind === 'config' ? (section === 'default' && profile === 'default') || (m?.[1] === 'profile' && m[3] === profile) : !m && section === profile) return true;
    }
  }
  return false;
}

/** The one-line message for base credentials that could not be found. */
export function noCredentialsMessage(e: unknown, profileOption: string | undefined, env: NodeJS.ProcessEnv): string {
  const cause = String((e as Error)?.message ?? e).split('\n')[0]!.trim();
  const profile = profileOption ?? env.AWS_PROFILE;
  const source = profileOption ? '--profile' : 'AWS_PROFILE';
  const hint = 'set AWS_PROFILE or --profile to a configured profile, or use environment keys, SSO or an instance role';
  if (!profile) return `no AWS credentials found; tried: ${sourcesTried(env)}; ${hint}`;
  const defined = profileDefined(profile, env);
  const envKeys = env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? '; the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment are not used while a profile is named' : '';
  if (defined === false) {
    // The SDK's chain ends on "Could not load credentials from any providers" whatever the profile
    // lookup said, so whether the profile is there is read from the files themselves.
    const files = sharedFiles(env).map((f) => f.shown).join(' and ');
    return `${source}: the profile "${profile}" is not in the shared config or credentials file (${files}); run "aws configure list-profiles" to see the profiles${envKeys}`;
  }
  return `no AWS credentials found for the profile "${profile}" (${source}): ${cause}${envKeys}; ${hint}`;
}

/**
 * The sources of the SDK's default chain, in its order, with why each gave nothing, for a run with
 * no profile named: environment keys, the default profile of the shared files (which may hold
 * keys, SSO, credential_process or a role), web identity, then container credentials or, without
 * them, EC2 instance metadata.
 */
function sourcesTried(env: NodeJS.ProcessEnv): string {
  const set = (k: string): boolean => Boolean(env[k]);
  const keys = set('AWS_ACCESS_KEY_ID') || set('AWS_SECRET_ACCESS_KEY')
    ? `${set('AWS_ACCESS_KEY_ID') ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} not set beside ${set('AWS_ACCESS_KEY_ID') ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'}`
    : 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set';
  const files = sharedFiles(env).map((f) => f.shown).join(' and ');
  const defined = profileDefined('default', env);
  const profile = defined === false ? 'not there' : defined ? 'gave no credentials' : 'could not be read';
  const webIdentity = set('AWS_WEB_IDENTITY_TOKEN_FILE') ? 'AWS_WEB_IDENTITY_TOKEN_FILE gave no credentials' : 'AWS_WEB_IDENTITY_TOKEN_FILE not set';
  const containerUri = env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  const parts = [
    `environment variables (${keys})`,
    `the default profile in the shared config and credentials files (${files}: ${profile})`,
    `web identity (${webIdentity})`,
  ];
  if (containerUri) {
    // the SDK asks the container's endpoint instead of instance metadata
    parts.push(`container credentials (${env.AWS_CONTAINER_CREDENTIALS_FULL_URI ? 'AWS_CONTAINER_CREDENTIALS_FULL_URI' : 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'} set, no credentials from it)`);
    return parts.join(', ');
  }
  parts.push('container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set)');
  if (env.AWS_EC2_METADATA_DISABLED && env.AWS_EC2_METADATA_DISABLED !== 'false') {
    parts.push('EC2 instance metadata (not asked: AWS_EC2_METADATA_DISABLED is set)');
  } else {
    const m = metadataSettings(env);
    const endpoint = env.AWS_EC2_METADATA_SERVICE_ENDPOINT || (env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE?.toLowerCase() === 'ipv6' ? 'http://[fd00:ec2::254]' : 'http://169.254.169.254');
    parts.push(`EC2 instance metadata at ${endpoint} (no credentials within ${m.timeoutMs / 1000} s, ${m.attempts} attempt${m.attempts === 1 ? '' : 's'})`);
  }
  return parts.join(', ');
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
