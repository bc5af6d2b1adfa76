/**
 * Credentials per audited account: STS AssumeRole, cached and refreshed before expiry so that
 * long runs do not fail half-way. One provider per account; concurrent callers share one call.
 *
 * - Every AssumeRole takes the run's abort signal; a caller waiting for one (or for a place under
 *   the STS concurrency limit) is released at once when the run is interrupted.
 * - Credentials the service calls expired are renewed for a client with `renew(client)`: one new
 *   AssumeRole for the account, and the client's memoized identity is refreshed. (The SDK
 *   memoizes the identity per client and asks the provider again only within 5 minutes of its
 *   expiration, so dropping our cache alone would re-sign with the expired keys.)
 * - Credentials that arrive looking expired (the local clock is ahead of the service's) are
 *   given the lifetime that was asked for, counted from the local time of the call, instead of
 *   being assumed again for every request; `clockSkewSeconds` then holds the estimated skew.
 * - Every credential is registered as a secret in this thread as soon as it arrives.
 */
import type { STSClient } from '@aws-sdk/client-sts';
import { sdk } from './clients.js';
import type { AwsCredentialIdentity } from '@smithy/types';
import { registerCredentials } from './secrets.js';
import { abortError } from './errors.js';
import { MalformedResponseError } from './wire.js';
import { UserError } from '../model/errors.js';

/**
 * How the default credential chain asks the EC2 instance metadata service (IMDS), off EC2 the last
 * source it tries: the timeout of each request and the attempts, from AWS_METADATA_SERVICE_TIMEOUT
 * (seconds) and AWS_METADATA_SERVICE_NUM_ATTEMPTS as the AWS SDKs document them (the JavaScript
 * SDK does not read them itself). Unset: one attempt of 0.5 s a request, so that a machine off EC2
 * (where 169.254.169.254 never answers) learns in about a second, the IMDSv2 token request and
 * the IMDSv1 fallback included, that it has no credentials; on EC2 the service answers in
 * milliseconds.
 */
export interface MetadataSettings { timeoutMs: number; attempts: number }

/** The request timeout of the metadata lookup when AWS_METADATA_SERVICE_TIMEOUT is unset. */
export const METADATA_PROBE_TIMEOUT_MS = 500;

/** The metadata lookup's settings from the environment; a value that is not a number is a UserError naming it. */
export function metadataSettings(env: NodeJS.ProcessEnv): MetadataSettings {
  const read = (name: string, what: string, whole: boolean): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const n = Number(raw.trim());
    if (!Number.isFinite(n) || n < 1 || (whole && !Number.isInteger(n))) {
      throw new UserError(`${name}: ${JSON.stringify(raw.slice(0, 40))} is not ${what}; give 1 or more (the AWS SDKs' setting), or unset it`);
    }
    return n;
  };
  const seconds = read('AWS_METADATA_SERVICE_TIMEOUT', 'a number of seconds', false);
  const attempts = read('AWS_METADATA_SERVICE_NUM_ATTEMPTS', 'a whole number of attempts', true);
  return { timeoutMs: seconds === undefined ? METADATA_PROBE_TIMEOUT_MS : seconds * 1000, attempts: attempts ?? 1 };
}

export interface AssumeOptions {
  roleArn: string;
  sessionName: string;
  externalId?: string;
  /** Requested lifetime (AssumeRole DurationSeconds); the service's default, 3600, when absent. */
  durationSeconds?: number;
  /** Runs the AssumeRole call under the run's STS concurrency limit. */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The run's abort signal: an interrupted run assumes nothing more, and waiting callers are released. */
  signal?: AbortSignal;
  now?: () => number;
}

/** A client whose memoized identity can be refreshed (any SDK v3 client). */
export interface RenewableClient {
  config: { credentials: (options?: Record<string, unknown>) => Promise<AwsCredentialIdentity> };
}

/** Refresh when less than this share of the lifetime (at most 5 minutes) is left. */
const REFRESH_SHARE = 0.25;
const REFRESH_MAX_MS = 5 * 60_000;
/** AssumeRole's default DurationSeconds. */
const DEFAULT_DURATION_S = 3600;

interface Held extends AwsCredentialIdentity {
  /** Local time the AssumeRole call was sent. */
  issuedAt: number;
}

const NOT_ASSUMED = 'AssumeRole was not completed: the run was interrupted';

/** `p`, or a rejection as soon as `signal` aborts. */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError(NOT_ASSUMED));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(NOT_ASSUMED));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}

export class AssumedCredentials {
  private current: Held | null = null;
  private pending: Promise<Held> | null = null;
  /**
   * The estimated offset of the local clock from the service's, in seconds (positive: the local
   * clock is ahead), when credentials arrived looking expired; null otherwise.
   */
  clockSkewSeconds: number | null = null;
  /** The assumed-role ARN the last AssumeRole returned (who the credentials belong to). */
  assumedRoleArn: string | null = null;
  /** How many AssumeRole calls this account made. */
  assumeCount = 0;

  constructor(private readonly sts: STSClient, private readonly opts: AssumeOptions) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private fresh(now: number): boolean {
    const c = this.current;
    if (!c?.expiration) return c !== null;
    const life = c.expiration.getTime() - c.issuedAt;
    const margin = Math.min(REFRESH_MAX_MS, life * REFRESH_SHARE);
    return c.expiration.getTime() - now > margin;
  }

  /** The provider handed to the account's EC2 clients. */
  readonly provider = async (): Promise<AwsCredentialIdentity> => {
    if (this.fresh(this.now())) return this.current!;
    return this.shared();
  };

  /** The assume in flight, or a new one; every caller is released at once on interrupt. */
  private shared(): Promise<Held> {
    if (!this.pending) {
      const p = this.assume();
      this.pending = p;
      p.then(
        () => this.settle(p),
        () => this.settle(p),
      );
    }
    return abortable(this.pending, this.opts.signal);
  }

  private settle(p: Promise<Held>): void {
    if (this.pending === p) this.pending = null;
  }

  /**
   * After the service refused `client`'s credentials as expired: makes the client sign its next
   * request with fresh credentials. Assumes the role again only if the client's credentials are
   * still the current ones, so that any number of scopes renewing together cause one AssumeRole
   * for the account; then refreshes the client's memoized identity.
   */
  async renew(client: RenewableClient): Promise<void> {
    const signal = this.opts.signal;
    const used = await abortable(client.config.credentials(), signal);
    if (this.pending) await abortable(this.pending, signal);
    else if (!this.current || this.current.accessKeyId === used.accessKeyId) {
      this.current = null;
      await this.shared();
    }
    // the SDK's memoized provider passes forceRefresh on to ours, which answers from the cache
    await abortable(client.config.credentials({ forceRefresh: true }), signal);
  }

  private async assume(): Promise<Held> {
    const signal = this.opts.signal;
    if (signal?.aborted) throw abortError(NOT_ASSUMED);
    const { out, issuedAt } = await this.opts.limit(async () => {
      // dropped at once if the run was interrupted while this waited for its turn
      if (signal?.aborted) throw abortError(NOT_ASSUMED);
      const issuedAt = this.now();
      this.assumeCount += 1;
      const out = await this.sts.send(new sdk.sts.AssumeRoleCommand({
        RoleArn: this.opts.roleArn,
        RoleSessionName: this.opts.sessionName,
        ...(this.opts.externalId ? { ExternalId: this.opts.externalId } : {}),
        ...(this.opts.durationSeconds ? { DurationSeconds: this.opts.durationSeconds } : {}),
      }), signal ? { abortSignal: signal } : undefined);
      return { out, issuedAt };
    });
    const c = out.Credentials;
    registerCredentials({ accessKeyId: c?.AccessKeyId, secretAccessKey: c?.SecretAccessKey, sessionToken: c?.SessionToken });
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new MalformedResponseError('AssumeRole returned no credentials');
    this.assumedRoleArn = out.AssumedRoleUser?.Arn ?? null;
    const held: Held = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: this.effectiveExpiration(c.Expiration, issuedAt), issuedAt };
    this.current = held;
    return held;
  }

  /**
   * The expiration to go by. Credentials whose Expiration is at or before the local time plus
   * the refresh margin on arrival would be assumed again for every request; they are valid for the
   * requested duration from the service's point of view, so that is counted from the local time
   * the call was sent (the earliest they can have been issued).
   */
  private effectiveExpiration(reported: Date | undefined, issuedAt: number): Date | undefined {
    const at = reported?.getTime();
    if (at === undefined || Number.isNaN(at)) return reported;
    const duration = (this.opts.durationSeconds ?? DEFAULT_DURATION_S) * 1000;
    const margin = Math.min(REFRESH_MAX_MS, duration * REFRESH_SHARE);
    if (at > this.now() + margin) return reported;
    const effective = issuedAt + duration;
    this.clockSkewSeconds = Math.round((effective - at) / 1000);
    return new Date(effective);
  }
}
