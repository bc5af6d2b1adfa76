/**
 * Credentials per audited account: STS AssumeRole, cached and refreshed before expiry so that
 * long runs do not fail half-way. One provider per account; concurrent callers share one call.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';

export interface AssumeOptions {
  roleArn: string;
  sessionName: string;
  externalId?: string;
  durationSeconds?: number;
  /** Runs the AssumeRole call under the run's STS concurrency limit. */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  now?: () => number;
}

/** Refresh when less than this share of the lifetime (at most 5 minutes) is left. */
const REFRESH_SHARE = 0.25;
const REFRESH_MAX_MS = 5 * 60_000;

export class AssumedCredentials {
  private current: (AwsCredentialIdentity & { issuedAt: number }) | null = null;
  private pending: Promise<AwsCredentialIdentity> | null = null;

  constructor(private readonly sts: STSClient, private readonly opts: AssumeOptions) {}

  private fresh(now: number): boolean {
    const c = this.current;
    if (!c?.expiration) return c !== null;
    const life = c.expiration.getTime() - c.issuedAt;
    const margin = Math.min(REFRESH_MAX_MS, life * REFRESH_SHARE);
    return c.expiration.getTime() - now > margin;
  }

  /** The provider handed to the account's EC2 clients. */
  readonly provider = async (): Promise<AwsCredentialIdentity> => {
    const now = (this.opts.now ?? Date.now)();
    if (this.fresh(now)) return this.current!;
    if (!this.pending) {
      this.pending = this.assume().finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  };

  /** Drops the cached credentials (after the service said they expired). */
  invalidate(): void {
    this.current = null;
  }

  private async assume(): Promise<AwsCredentialIdentity> {
    const issuedAt = (this.opts.now ?? Date.now)();
    const out = await this.opts.limit(() =>
      this.sts.send(new AssumeRoleCommand({
        RoleArn: this.opts.roleArn,
        RoleSessionName: this.opts.sessionName,
        ...(this.opts.externalId ? { ExternalId: this.opts.externalId } : {}),
        ...(this.opts.durationSeconds ? { DurationSeconds: this.opts.durationSeconds } : {}),
      })),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw Object.assign(new Error('AssumeRole returned no credentials'), { name: 'MalformedResponse' });
    this.current = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration, issuedAt };
    return this.current;
  }
}
