/**
 * Fault injection for the local endpoint: added latency, per account x region x action token
 * buckets, and error rules (see docs/emulator.md for the file format).
 */
import { UserError } from '../model/errors.js';

export type FaultKind = 'error' | 'malformed' | 'truncated' | 'reset' | 'hang';

export interface FaultRule {
  /** `ec2` or `sts`; any when absent. */
  service?: 'ec2' | 'sts';
  /** API action, e.g. DescribeInstanceImageMetadata; any when absent. */
  action?: string;
  /** Account the call acts as; any when absent. */
  account?: string;
  /** Region of the call's credential scope; any when absent. */
  region?: string;
  /** What happens: an AWS error (default when `error` is set), or a broken response. */
  kind?: FaultKind;
  /** Error code to answer, e.g. InternalError, UnauthorizedOperation, AccessDenied. */
  error?: string;
  message?: string;
  /** HTTP status; the code's usual status when absent. */
  status?: number;
  /** Only the first N matching calls fail; every matching call when absent. */
  count?: number;
  /** Added latency for matching calls, in ms. */
  latencyMs?: number;
  /** Marks an Availability Zone as disrupted in this account and region. */
  disruptedZone?: string;
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
  latencyMs?: { ec2?: number; sts?: number };
  /** Caps the lifetime of credentials AssumeRole issues (to test refresh on long runs). */
  credentialLifetimeSeconds?: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { capacity: 100, refillPerSecond: 20 };

const STATUS: Record<string, number> = {
  RequestLimitExceeded: 503, InternalError: 500, InternalFailure: 500, ServerInternal: 500, Unavailable: 503, ServiceUnavailable: 503,
  UnauthorizedOperation: 403, AccessDenied: 403, AuthFailure: 401, OptInRequired: 401, DryRunOperation: 412, RegionDisabledException: 403,
};

export function statusFor(code: string): number {
  return STATUS[code] ?? 400;
}

export interface CallContext { service: 'ec2' | 'sts'; action: string; account: string; region: string }

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
    return (!r.service || r.service === c.service) && (!r.action || r.action === c.action) && (!r.account || r.account === c.account) && (!r.region || r.region === c.region);
  }

  /** Extra latency for this call. */
  latency(c: CallContext): number {
    let ms = this.plan.latencyMs?.[c.service] ?? 0;
    for (const r of this.rules) if (r.latencyMs && !r.error && !r.kind && this.matches(r, c)) ms += r.latencyMs;
    return ms;
  }

  /** The fault rule that fires for this call, counting it against the rule's `count`. */
  fault(c: CallContext): FaultRule | null {
    for (const r of this.rules) {
      if (r.disruptedZone || (!r.error && !r.kind) || !this.matches(r, c)) continue;
      const n = this.hits.get(r) ?? 0;
      if (r.count !== undefined && n >= r.count) continue;
      this.hits.set(r, n + 1);
      return r;
    }
    return null;
  }

  disruptedZones(account: string, region: string): Set<string> {
    const zones = new Set<string>();
    for (const r of this.rules) if (r.disruptedZone && (!r.account || r.account === account) && (!r.region || r.region === region)) zones.add(r.disruptedZone);
    return zones;
  }

  /** Takes a token from the call's bucket; false when the bucket is empty. */
  take(c: CallContext): boolean {
    if (!this.throttle || c.service !== 'ec2') return true;
    const key = `${c.account}|${c.region}|${c.action}`;
    const now = this.clock();
    const o = this.throttle.overrides?.find((x) => (!x.account || x.account === c.account) && (!x.region || x.region === c.region) && (!x.action || x.action === c.action));
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
  (p.rules ?? []).forEach((r, i) => {
    if (typeof r !== 'object' || r === null) fail(`rules[${i}]`, 'expected an object');
    if (r.kind && !['error', 'malformed', 'truncated', 'reset', 'hang'].includes(r.kind)) fail(`rules[${i}].kind`, 'expected error, malformed, truncated, reset or hang');
    if (r.kind === 'error' && !r.error) fail(`rules[${i}].error`, 'an error rule needs an error code');
    if (r.count !== undefined && !(Number.isInteger(r.count) && r.count >= 0)) fail(`rules[${i}].count`, 'expected a whole number');
    if (!r.error && !r.kind && !r.latencyMs && !r.disruptedZone) fail(`rules[${i}]`, 'expected one of error, kind, latencyMs or disruptedZone');
  });
  if (p.throttle && !(p.throttle.capacity >= 1 && p.throttle.refillPerSecond > 0)) fail('throttle', 'expected {capacity >= 1, refillPerSecond > 0} or null');
  (p.throttle?.overrides ?? []).forEach((o, i) => {
    if (!(o.capacity >= 1 && o.refillPerSecond > 0)) fail(`throttle.overrides[${i}]`, 'expected {account?, region?, action?, capacity >= 1, refillPerSecond > 0}');
  });
  return p;
}
