/**
 * AWS clients for a run: one shared keep-alive HTTP handler, one EC2 client per account x region,
 * and the SDK's retry strategy with the run's attempts and mode.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { readFileSync } from 'node:fs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { UserError } from '../model/errors.js';

export interface ClientOptions {
  endpointUrl?: string;
  profile?: string;
  /** Region for STS and region discovery (the SDK's default chain when absent). */
  region?: string;
  maxAttempts: number;
  retryMode: 'standard' | 'adaptive';
  /** 0 or absent: no limit. */
  connectTimeoutSeconds?: number;
  /** 0 or absent: no limit. */
  readTimeoutSeconds?: number;
  verifySsl: boolean;
  caBundle?: string;
  maxSockets: number;
  /** Base credentials; the SDK's default chain (profiles, SSO, environment, instance roles) when absent. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Observes every API call (for --debug). */
  onCall?: (e: { action: string; accountId: string; region: string; status: number | string; attempts: number; ms: number; error?: string }) => void;
}

export class ClientFactory {
  readonly handler: NodeHttpHandler;
  private readonly ec2 = new Map<string, EC2Client>();
  private readonly sts = new Map<string, STSClient>();

  constructor(readonly opts: ClientOptions) {
    let ca: Buffer | undefined;
    if (opts.caBundle) {
      try {
        ca = readFileSync(opts.caBundle);
      } catch (e) {
        throw new UserError(`--ca-bundle: cannot read ${opts.caBundle} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    }
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets, keepAliveMsecs: 10_000 };
    this.handler = new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOpts),
      httpsAgent: new HttpsAgent({ ...agentOpts, rejectUnauthorized: opts.verifySsl, ...(ca ? { ca } : {}) }),
      connectionTimeout: opts.connectTimeoutSeconds ? opts.connectTimeoutSeconds * 1000 : undefined,
      socketTimeout: opts.readTimeoutSeconds ? opts.readTimeoutSeconds * 1000 : undefined,
    });
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
      ...(credentials ? { credentials } : {}),
      requestHandler: this.handler,
      maxAttempts: this.opts.maxAttempts,
      retryMode: this.opts.retryMode,
    };
  }

  /** STS client with the base credentials (or the given ones), cached per region. */
  stsClient(region?: string, credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider, cache = true): STSClient {
    const key = `${region ?? ''}|${credentials ? 'custom' : 'base'}`;
    let c = this.sts.get(key);
    if (!c) {
      c = new STSClient(this.common(region ?? this.opts.region, credentials ?? this.opts.credentials));
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
      this.observe(c, accountKey.split('|')[0]!, region);
      this.ec2.set(key, c);
    }
    return c;
  }

  /** Reports each call's outcome (never its payload) to onCall. */
  observe(client: EC2Client | STSClient, accountId: string, region: string): void {
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
        onCall({ action: String(context.commandName).replace(/Command$/, ''), accountId, region, status: err.$metadata?.httpStatusCode ?? 'no-response', attempts: err.$metadata?.attempts ?? 1, ms: Date.now() - t, error: `${err.name}: ${err.message}` });
        throw e;
      }
    }, { step: 'initialize', name: 'amiAuditObserve' });
  }

  destroy(): void {
    this.handler.destroy();
  }
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
