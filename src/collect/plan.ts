/**
 * Planning one account before any of its regions is scanned: which credentials reach it (and
 * whether they really belong to it), and which regions it has: scanned, skipped with a reason, or,
 * when the account cannot be planned, the one failure to record against each region it would have
 * had. Every region the user named ends in one of those; none can vanish.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { sdk } from './clients.js';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { ScopeFailure } from '../model/types.js';
import { describeError } from './errors.js';
import { accountOfArn, REGION_RE } from '../model/ids.js';
import { MalformedResponseError } from './wire.js';
import { termSafe } from '../model/text.js';

export interface RegionPlan {
  /** Regions to scan. */
  scan: string[];
  /** Regions recorded as skipped, with the reason (`not-enabled`, `not-offered`) and what DescribeRegions said. */
  skipped: { region: string; reason: string; message: string }[];
  /** Regions the answer said something impossible about (an unknown opt-in status, a region every account has missing or not enabled). */
  failed: { region: string; failure: ScopeFailure }[];
}

/**
 * The commercial regions every account has without opting in (those launched before March 2019):
 * DescribeRegions cannot truthfully leave one out or call it not enabled.
 */
export const DEFAULT_ENABLED_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1',
  'eu-north-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2',
]);

export type AccountPlan =
  | { ok: true; accountKey: string; provider: AwsCredentialIdentityProvider | undefined; regions: RegionPlan }
  | { ok: false; failure: ScopeFailure };

const ENABLED = new Set(['opt-in-not-required', 'opted-in']);
const KNOWN_STATUSES = new Set([...ENABLED, 'not-opted-in']);

/**
 * An account's regions by DescribeRegions(AllRegions). With regions named by the user, only those,
 * each ending scanned or skipped (`not-offered` when the answer does not list it, `not-enabled`
 * when its opt-in status is not enabled). An answer that lists no region, or a name that is not a
 * region, is not an answer: it throws (MalformedResponse).
 */
export function planRegions(answer: { RegionName?: string; OptInStatus?: string }[] | undefined, named: readonly string[], defaultEnabled: ReadonlySet<string> = new Set()): RegionPlan {
  const status = new Map<string, string>();
  for (const r of answer ?? []) {
    const name = r.RegionName ?? '';
    if (!REGION_RE.test(name)) throw new MalformedResponseError(`DescribeRegions listed ${JSON.stringify(termSafe(name, 40))}, which is not a region name`);
    const st = r.OptInStatus ?? 'opt-in-not-required';
    // A region listed twice with different statuses is scanned: the call itself then says whether it is enabled.
    const prev = status.get(name);
    if (prev === undefined || (!ENABLED.has(prev) && ENABLED.has(st))) status.set(name, st);
  }
  if (status.size === 0) throw new MalformedResponseError('DescribeRegions listed no regions at all');
  const plan: RegionPlan = { scan: [], skipped: [], failed: [] };
  const impossible = (region: string, what: string): void => {
    plan.failed.push({ region, failure: { action: 'DescribeRegions', code: 'MalformedResponse', message: `DescribeRegions ${what}: the answer cannot be right, so the region was not audited` } });
  };
  const wanted = named.length ? [...new Set(named)] : [...status.keys()];
  for (const region of wanted.sort()) {
    const st = status.get(region);
    if (st === undefined) {
      if (defaultEnabled.has(region)) impossible(region, `does not list ${region}, a region every account has`);
      else plan.skipped.push({ region, reason: 'not-offered', message: 'DescribeRegions does not list this region for the account: it is not offered to it.' });
    } else if (!KNOWN_STATUSES.has(st)) impossible(region, `gives ${region} the opt-in status ${JSON.stringify(termSafe(st, 40))}, which is not one AWS uses`);
    else if (ENABLED.has(st)) plan.scan.push(region);
    else if (defaultEnabled.has(region)) impossible(region, `calls ${region} not enabled, a region every account has without opting in`);
    else plan.skipped.push({ region, reason: 'not-enabled', message: `The region is not enabled in this account (opt-in status ${termSafe(st, 40)}).` });
  }
  return plan;
}

export async function discoverRegions(client: EC2Client, named: readonly string[], limit: <T>(fn: () => Promise<T>) => Promise<T>, signal: AbortSignal | undefined, defaultEnabled?: ReadonlySet<string>): Promise<RegionPlan> {
  const out = await limit(() => client.send(new sdk.ec2.DescribeRegionsCommand({ AllRegions: true }), { abortSignal: signal }));
  return planRegions(out.Regions, named, defaultEnabled);
}

export function failureOf(action: string, e: unknown, prefix = ''): ScopeFailure {
  const d = describeError(e);
  return { action, code: d.code, message: `${prefix}${d.message}` };
}

export interface PlanContext {
  accountId: string;
  /** The role to assume, or undefined for the caller's own account reached with the base credentials. */
  creds: { provider: AwsCredentialIdentityProvider; roleArn: string; assumedArn: () => string | null } | null;
  /** EC2 client for region discovery in the home region with these credentials. */
  discoveryClient: (provider: AwsCredentialIdentityProvider | undefined) => EC2Client;
  homeRegion: string;
  /** Regions every account of the home region's partition has (DEFAULT_ENABLED_REGIONS in aws). */
  defaultEnabled: ReadonlySet<string>;
  allRegions: boolean;
  /** Regions the user named (--regions). */
  named: readonly string[];
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
  /** The cause to record when the run's signal has stopped it. */
  stopCause: () => ScopeFailure;
}

/** Credentials (with the identity check), then regions. Never throws. */
export async function planAccount(ctx: PlanContext): Promise<AccountPlan> {
  const accountKey = `${ctx.accountId}|${ctx.creds?.roleArn ?? 'base'}`;
  const stopped = (): AccountPlan => ({ ok: false, failure: ctx.stopCause() });
  if (ctx.creds) {
    try {
      await ctx.creds.provider();
    } catch (e) {
      if (ctx.signal?.aborted) return stopped();
      return { ok: false, failure: failureOf('AssumeRole', e, `AssumeRole ${ctx.creds.roleArn}: `) };
    }
    // The credentials must belong to the account they are to audit: anything else would file
    // another account's instances under this one and report this one covered.
    const arn = ctx.creds.assumedArn();
    const actual = accountOfArn(arn);
    if (actual !== ctx.accountId) {
      return {
        ok: false,
        failure: {
          action: 'AssumeRole', code: 'IdentityMismatch',
          message: `AssumeRole ${ctx.creds.roleArn} gave credentials of ${actual ? `account ${actual}` : `an unrecognised identity (${termSafe(arn ?? 'none', 120)})`}, not of ${ctx.accountId}: nothing was audited under ${ctx.accountId}. Check the role ARN configured for it.`,
        },
      };
    }
  }
  const provider = ctx.creds?.provider;
  if (!ctx.allRegions) return { ok: true, accountKey, provider, regions: { scan: [...ctx.named], skipped: [], failed: [] } };
  try {
    const regions = await discoverRegions(ctx.discoveryClient(provider), ctx.named, ctx.limit, ctx.signal, ctx.defaultEnabled);
    return { ok: true, accountKey, provider, regions };
  } catch (e) {
    if (ctx.signal?.aborted) return stopped();
    return { ok: false, failure: failureOf('DescribeRegions', e, `DescribeRegions in ${ctx.homeRegion}: `) };
  }
}
