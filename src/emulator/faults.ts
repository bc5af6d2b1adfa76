/**
 * Fault injection for the local endpoint: added latency, per account x region x action token
 * buckets, error rules, broken responses, broken paginators, broken DescribeRegions answers and
 * clock skew, for EC2, STS and Organizations calls (see docs/emulator.md for the file format).
 */
import { UserError } from '../model/errors.js';

export const FAULT_KINDS = ['error', 'malformed', 'truncated', 'reset', 'hang', 'raw', 'empty', 'wrong-root', 'error-200', 'trickle', 'echo-auth'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How a `paging` rule breaks DescribeInstanceImageMetadata / DescribeInstances pagination. */
export const PAGING_FAULTS = ['same-token', 'cycle', 'empty-forever', 'repeat-forever'] as const;
export type PagingFault = (typeof PAGING_FAULTS)[number];

/** How a `regions` rule breaks DescribeRegions answers. */
export const REGIONS_FAULTS = ['empty', 'duplicate', 'conflict', 'inject'] as const;
export type RegionsFault = (typeof REGIONS_FAULTS)[number];

/** Actions a `paging` rule applies to. */
export const PAGED_ACTIONS: ReadonlySet<string> = new Set(['DescribeInstanceImageMetadata', 'DescribeInstances']);

/** The services the endpoint serves. */
export type Service = 'ec2' | 'sts' | 'organizations' | 'autoscaling' | 'ssm';
export const SERVICES: readonly Service[] = ['ec2', 'sts', 'organizations', 'autoscaling', 'ssm'];

/** Services added after the fault format: a rule without `service` reaches them only by naming the call's `action`. */
const NAMED_ONLY: ReadonlySet<Service> = new Set(['organizations', 'autoscaling', 'ssm']);

export interface FaultRule {
  /**
   * `ec2`, `sts`, `organizations`, `autoscaling` or `ssm`; when absent, EC2 and STS calls (Organizations,
   * Auto Scaling and SSM calls only when the rule names their `action`).
   */
  service?: Service;
  /** API action, e.g. DescribeInstanceImageMetadata, ListAccounts or DescribeAutoScalingGroups; any when absent. */
  action?: string;
  /** Account the call acts as; any when absent. */
  account?: string;
  /** Region of the call's credential scope; any when absent. */
  region?: string;
  /** What happens: an AWS error (default when `error` is set), or a broken response. */
  kind?: FaultKind;
  /** Error code to answer, e.g. InternalError, UnauthorizedOperation, AccessDenied (also the code of `error-200` and `echo-auth`). */
  error?: string;
  message?: string;
  /** HTTP status; the code's usual status when absent (`raw`: 200, `echo-auth`: 403). */
  status?: number;
  /** `raw`: the body, sent verbatim except for the placeholders `{action}` and `{requestId}`. */
  body?: string;
  /** `raw`: the content-type header; `text/xml;charset=UTF-8` when absent. */
  contentType?: string;
  /** `trickle`: milliseconds between two bytes; 1000 when absent. */
  intervalMs?: number;
  /** Breaks the pagination of DescribeInstanceImageMetadata and DescribeInstances calls that match. */
  paging?: PagingFault;
  /** Breaks the answer of DescribeRegions calls that match. */
  regions?: RegionsFault;
  /** `regions: inject`: the name of the region item added. */
  regionName?: string;
  /** Only the first N matching calls fail; every matching call when absent. */
  count?: number;
  /** Added latency for matching calls, in ms. */
  latencyMs?: number;
  /** Marks an Availability Zone as disrupted in this account and region. */
  disruptedZone?: string;
  /**
   * Organizations: once a matching call has been answered, this member account moves to the
   * parent `toParent` (a root or OU id), as an account moved between OUs while a walk runs.
   */
  moveAccount?: string;
  /** `moveAccount`: the root or OU id the account moves to. */
  toParent?: string;
}

export interface ThrottleSettings {
  capacity: number;
  refillPerSecond: number;
  /** Other buckets for some accounts, regions or actions (the first that matches wins). */
  overrides?: (Pick<FaultRule, 'account' | 'region' | 'action'> & { capacity: number; refillPerSecond: number })[];
}

export interface FaultPlan {
  rules?: FaultRule[];
  /** Token buckets per account x region x action; default 100 tokens, 20/s. */
  throttle?: ThrottleSettings | null;
  /** Added latency per service, in ms. */
  latencyMs?: { ec2?: number; sts?: number; organizations?: number; autoscaling?: number; ssm?: number };
  /** Caps the lifetime of credentials AssumeRole issues (to test refresh on long runs). */
  credentialLifetimeSeconds?: number;
  /**
   * AssumeRole answers an Expiration this many seconds earlier than the expiry the endpoint
   * enforces, as if the client's clock were ahead of the service's.
   */
  clockSkewSeconds?: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { capacity: 100, refillPerSecond: 20 };

const STATUS: Record<string, number> = {
  RequestLimitExceeded: 503, InternalError: 500, InternalFailure: 500, ServerInternal: 500, Unavailable: 503, ServiceUnavailable: 503,
  UnauthorizedOperation: 403, AccessDenied: 403, AuthFailure: 401, OptInRequired: 401, DryRunOperation: 412, RegionDisabledException: 403,
  // Organizations (JSON 1.1): ServiceException is its only server fault; AccessDeniedException,
  // TooManyRequestsException and the others are 400.
  ServiceException: 500, MissingAuthenticationTokenException: 403,
  // SSM (JSON 1.1): InternalServerError is 500; AccessDeniedException, ThrottlingException and ValidationException 400.
  InternalServerError: 500,
};

export function statusFor(code: string): number {
  return STATUS[code] ?? 400;
}

export interface CallContext { service: Service; action: string; account: string; region: string }

/** Holds the plan's mutable state: rule hit counters and token buckets. */
export class FaultState {
  private readonly hits = new Map<FaultRule, number>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  readonly rules: FaultRule[];
  throttle: ThrottleSettings | null;

  constructor(readonly plan: FaultPlan, private readonly clock: () => number = () => performance.now()) {
    this.rules = plan.rules ?? [];
    this.throttle = plan.throttle === undefined ? DEFAULT_THROTTLE : plan.throttle;
  }

  private matches(r: FaultRule, c: CallContext): boolean {
    // Rules predate Organizations and Auto Scaling: one without `service` reaches their calls only by naming the action.
    if (NAMED_ONLY.has(c.service) && r.service !== c.service && !r.action) return false;
    return (!r.service || r.service === c.service) && (!r.action || r.action === c.action) && (!r.account || r.account === c.account) && (!r.region || r.region === c.region);
  }

  /** Extra latency for this call. */
  latency(c: CallContext): number {
    let ms = this.plan.latencyMs?.[c.service] ?? 0;
    for (const r of this.rules) if (r.latencyMs && !r.error && !r.kind && this.matches(r, c)) ms += r.latencyMs;
    return ms;
  }

  /** The first rule that `applies` and matches this call and has calls left, counting this call against its `count`. */
  private fire(c: CallContext, applies: (r: FaultRule) => boolean): FaultRule | null {
    for (const r of this.rules) {
      if (r.disruptedZone || !applies(r) || !this.matches(r, c)) continue;
      const n = this.hits.get(r) ?? 0;
      if (r.count !== undefined && n >= r.count) continue;
      this.hits.set(r, n + 1);
      return r;
    }
    return null;
  }

  /** The fault rule that fires for this call, counting it against the rule's `count`. */
  fault(c: CallContext): FaultRule | null {
    return this.fire(c, (r) => Boolean(r.error || r.kind));
  }

  /** The `paging` rule that breaks this call's pagination, if any (DescribeInstanceImageMetadata and DescribeInstances only). */
  paging(c: CallContext): FaultRule | null {
    if (c.service !== 'ec2' || !PAGED_ACTIONS.has(c.action)) return null;
    return this.fire(c, (r) => r.paging !== undefined && !r.error && !r.kind);
  }

  /** The `moveAccount` rule to apply once this Organizations call is answered, if any. */
  move(c: CallContext): FaultRule | null {
    if (c.service !== 'organizations') return null;
    return this.fire(c, (r) => r.moveAccount !== undefined && !r.error && !r.kind);
  }

  /** The `regions` rule that breaks this DescribeRegions answer, if any. */
  regions(c: CallContext): FaultRule | null {
    if (c.service !== 'ec2' || c.action !== 'DescribeRegions') return null;
    return this.fire(c, (r) => r.regions !== undefined && !r.error && !r.kind);
  }

  disruptedZones(account: string, region: string): Set<string> {
    const zones = new Set<string>();
    for (const r of this.rules) if (r.disruptedZone && (!r.account || r.account === account) && (!r.region || r.region === region)) zones.add(r.disruptedZone);
    return zones;
  }

  /**
   * Takes a token from the call's bucket; false when the bucket is empty. EC2 and Auto Scaling
   * calls all have buckets (per account, region and action); an Organizations call only when an
   * override names its action (one bucket per account and action: the service is global); STS
   * calls never.
   */
  take(c: CallContext): boolean {
    if (!this.throttle || c.service === 'sts') return true;
    const org = c.service === 'organizations';
    const key = org ? `${c.account}|global|${c.action}` : `${c.service}|${c.account}|${c.region}|${c.action}`;
    const now = this.clock();
    const o = this.throttle.overrides?.find((x) => (!x.account || x.account === c.account) && (!x.region || x.region === c.region) && (org ? x.action === c.action : !x.action || x.action === c.action));
    if (org && !o) return true;
    const { capacity, refillPerSecond } = o ?? this.throttle;
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * refillPerSecond);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

/** Parses `CAPACITY,REFILL_PER_S` as given to --throttle; `off` disables throttling. */
export function parseThrottle(text: string): ThrottleSettings | null {
  if (text === 'off' || text === 'none') return null;
  const m = /^(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) <= 0) throw new UserError(`--throttle: expected CAPACITY,REFILL_PER_SECOND such as 100,20 (or off), got "${text}"`);
  return { capacity: Number(m[1]), refillPerSecond: Number(m[2]) };
}

/** Checks a parsed faults document. */
export function validateFaults(doc: unknown, file = 'faults'): FaultPlan {
  const fail = (path: string, what: string): never => {
    throw new UserError(`${file}: ${path}: ${what}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('(root)', 'expected a JSON object');
  const p = doc as FaultPlan;
  if (p.rules !== undefined && !Array.isArray(p.rules)) fail('rules', 'expected an array');
  const list = (xs: readonly string[]): string => `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
  (p.rules ?? []).forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) fail(`rules[${i}]`, 'expected an object');
    for (const k of ['service', 'action', 'account', 'region', 'error', 'message', 'body', 'contentType', 'regionName', 'disruptedZone', 'moveAccount', 'toParent'] as const) {
      if (r[k] !== undefined && typeof r[k] !== 'string') fail(`rules[${i}].${k}`, 'expected a string');
    }
    if (r.service !== undefined && !(SERVICES as readonly string[]).includes(r.service)) fail(`rules[${i}].service`, `expected ${list(SERVICES)}`);
    if (r.kind !== undefined && !(FAULT_KINDS as readonly string[]).includes(r.kind)) fail(`rules[${i}].kind`, `expected ${list(FAULT_KINDS)}`);
    if (r.kind === 'error' && !r.error) fail(`rules[${i}].error`, 'an error rule needs an error code');
    if (r.kind === 'raw' && typeof r.body !== 'string') fail(`rules[${i}].body`, 'a raw rule needs a body (a string)');
    if (r.status !== undefined && !(Number.isInteger(r.status) && r.status >= 100 && r.status <= 599)) fail(`rules[${i}].status`, 'expected an HTTP status (100-599)');
    if (r.intervalMs !== undefined && !(typeof r.intervalMs === 'number' && Number.isFinite(r.intervalMs) && r.intervalMs >= 1)) fail(`rules[${i}].intervalMs`, 'expected a number of milliseconds >= 1');
    if (r.count !== undefined && !(Number.isInteger(r.count) && r.count >= 0)) fail(`rules[${i}].count`, 'expected a whole number');
    if (r.latencyMs !== undefined && !(typeof r.latencyMs === 'number' && r.latencyMs >= 0)) fail(`rules[${i}].latencyMs`, 'expected a number of milliseconds');
    if (r.paging !== undefined && !(PAGING_FAULTS as readonly string[]).includes(r.paging)) fail(`rules[${i}].paging`, `expected ${list(PAGING_FAULTS)}`);
    if (r.regions !== undefined && !(REGIONS_FAULTS as readonly string[]).includes(r.regions)) fail(`rules[${i}].regions`, `expected ${list(REGIONS_FAULTS)}`);
    if (r.regions === 'inject' && !r.regionName) fail(`rules[${i}].regionName`, 'a regions: inject rule needs a regionName');
    if (r.moveAccount !== undefined && !/^\d{12}$/.test(r.moveAccount)) fail(`rules[${i}].moveAccount`, 'expected a 12-digit account id');
    if (r.moveAccount !== undefined && !r.toParent) fail(`rules[${i}].toParent`, 'a moveAccount rule needs toParent (a root or OU id)');
    if (r.toParent !== undefined && r.moveAccount === undefined) fail(`rules[${i}].moveAccount`, 'toParent goes with moveAccount');
    const effects = [r.error || r.kind ? 'error/kind' : '', r.paging ? 'paging' : '', r.regions ? 'regions' : '', r.disruptedZone ? 'disruptedZone' : '', r.moveAccount ? 'moveAccount' : ''].filter(Boolean);
    if (effects.length > 1) fail(`rules[${i}]`, `a rule has one effect; this one has ${effects.join(' and ')} (write one rule for each)`);
    if (effects.length === 0 && !r.latencyMs) fail(`rules[${i}]`, 'expected one of error, kind, paging, regions, latencyMs, disruptedZone or moveAccount');
  });
  if (p.clockSkewSeconds !== undefined && !(typeof p.clockSkewSeconds === 'number' && Number.isFinite(p.clockSkewSeconds))) fail('clockSkewSeconds', 'expected a number of seconds');
  if (p.credentialLifetimeSeconds !== undefined && !(typeof p.credentialLifetimeSeconds === 'number' && p.credentialLifetimeSeconds > 0)) fail('credentialLifetimeSeconds', 'expected a number of seconds > 0');
  if (p.throttle && !(p.throttle.capacity >= 1 && p.throttle.refillPerSecond > 0)) fail('throttle', 'expected {capacity >= 1, refillPerSecond > 0} or null');
  (p.throttle?.overrides ?? []).forEach((o, i) => {
    if (!(o.capacity >= 1 && o.refillPerSecond > 0)) fail(`throttle.overrides[${i}]`, 'expected {account?, region?, action?, capacity >= 1, refillPerSecond > 0}');
  });
  return p;
}
