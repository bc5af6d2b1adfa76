/**
 * The rules engine: instance records + settings + as-of time -> findings, with waivers applied.
 * Pure: no clock, no I/O; the same input gives the same output, byte for byte.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { AllowedImagesState, CoverageEntry, Finding, InstanceRecord, RuleInfo, Severity, WaiverRef, WaiverSpec, WaiverStatus } from '../model/types.js';
import { SEVERITY_RANK } from '../model/types.js';
import { RULES } from './registry.js';
import { fmtDate, parseDate } from './dates.js';
import type { RecordView, RuleContext } from './types.js';

export interface RuleSettings {
  severity?: Severity | 'off';
  [option: string]: unknown;
}

export interface EvalSettings {
  trustedAccounts: string[];
  trustedOwnerAliases: string[];
  /** Per rule: severity override ('off' switches the rule off) and options. */
  rules: Record<string, RuleSettings>;
  /** Rule options that apply to every rule that has them (per-rule settings win). */
  options: Record<string, unknown>;
  waivers: WaiverSpec[];
  includeTerminated: boolean;
}

export const DEFAULT_SETTINGS: EvalSettings = {
  trustedAccounts: [],
  trustedOwnerAliases: ['amazon', 'aws-marketplace'],
  rules: {},
  options: {},
  waivers: [],
  includeTerminated: false,
};

export interface Evaluation {
  findings: Finding[];
  waivers: WaiverStatus[];
  rules: RuleInfo[];
  instancesEvaluated: number;
  instancesTerminatedSkipped: number;
}

const ACCOUNT_RE = /^\d{12}$/;
const GONE_STATES = new Set(['terminated', 'shutting-down']);

export function findingId(ruleId: string, accountId: string, region: string, instanceId: string, imageId: string | null): string {
  return createHash('sha256').update([ruleId, accountId, region, instanceId, imageId ?? ''].join('\u0000')).digest('hex').slice(0, 20);
}

/** Parses each distinct date string once: AMIs repeat across thousands of instances. */
function cachedParser(): (raw: string | undefined) => ReturnType<typeof parseDate> {
  const cache = new Map<string, ReturnType<typeof parseDate>>();
  return (raw) => {
    if (raw === undefined || raw === null) return null;
    let v = cache.get(raw);
    if (v === undefined) {
      v = parseDate(raw);
      cache.set(raw, v);
    }
    return v;
  };
}

export function viewOf(rec: InstanceRecord, allowed: AllowedImagesState, parse: (raw: string | undefined) => ReturnType<typeof parseDate> = parseDate): RecordView {
  const m = rec.ImageMetadata;
  const alias = m?.ImageOwnerAlias ?? null;
  const aliasIsAccount = alias !== null && ACCOUNT_RE.test(alias);
  return {
    rec,
    instanceAccount: rec.OwnerId && ACCOUNT_RE.test(rec.OwnerId) ? rec.OwnerId : rec.accountId,
    imageId: m?.ImageId ?? null,
    imageOwner: m?.OwnerId ?? (aliasIsAccount ? alias : null),
    ownerAlias: alias !== null && !aliasIsAccount ? alias : null,
    state: m?.State ?? null,
    deprecation: parse(m?.DeprecationTime),
    creation: parse(m?.CreationDate),
    allowedImagesState: allowed,
    bare: !m || Object.entries(m).every(([k, v]) => k === 'ImageId' || v === undefined || v === null || v === ''),
  };
}

/** When a waiver stops applying: a bare date means through the end of that day, UTC. */
export function waiverExpiry(expires: string): DateTime | null {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(expires);
  const d = DateTime.fromISO(expires, { zone: 'utc' });
  if (!d.isValid) return null;
  return dateOnly ? d.plus({ days: 1 }) : d.toUTC();
}

export function waiverIdOf(w: Omit<WaiverSpec, 'id'> & { id?: string }): string {
  if (w.id) return w.id;
  const key = JSON.stringify([w.ruleId, w.accountId, w.region, w.instanceId, w.imageId, w.tag, w.expires, w.reason]);
  return 'w-' + createHash('sha256').update(key).digest('hex').slice(0, 10);
}

function waiverMatches(w: WaiverSpec, f: Finding, rec: InstanceRecord): boolean {
  if (w.ruleId !== undefined && w.ruleId !== f.ruleId) return false;
  if (w.accountId !== undefined && w.accountId !== f.accountId) return false;
  if (w.region !== undefined && w.region !== f.region) return false;
  if (w.instanceId !== undefined && w.instanceId !== f.instanceId) return false;
  if (w.imageId !== undefined && w.imageId !== f.imageId) return false;
  if (w.tag !== undefined) {
    const eq = w.tag.indexOf('=');
    const key = eq < 0 ? w.tag : w.tag.slice(0, eq);
    const value = eq < 0 ? null : w.tag.slice(eq + 1);
    if (!(rec.Tags ?? []).some((t) => t.Key === key && (value === null || t.Value === value))) return false;
  }
  return true;
}

function ref(w: WaiverSpec): WaiverRef {
  return { id: w.id, reason: w.reason, expires: w.expires, ticket: w.ticket ?? null, approvedBy: w.approvedBy ?? null };
}

export function ruleInfos(settings: EvalSettings): RuleInfo[] {
  return RULES.map((r) => {
    const s = settings.rules[r.meta.id] ?? {};
    const options: Record<string, unknown> = {};
    for (const [k, o] of Object.entries(r.meta.options ?? {})) options[k] = s[k] ?? settings.options[k] ?? o.default;
    return {
      id: r.meta.id, title: r.meta.title, description: r.meta.description, severity: s.severity ?? r.meta.severity,
      defaultSeverity: r.meta.severity, remediation: r.meta.remediation, options,
    };
  });
}

export function compareFindings(a: Finding, b: Finding): number {
  return SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]
    || cmp(a.ruleId, b.ruleId) || cmp(a.accountId, b.accountId) || cmp(a.region, b.region) || cmp(a.instanceId, b.instanceId) || cmp(a.id, b.id);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function evaluate(instances: InstanceRecord[], coverage: CoverageEntry[], settings: EvalSettings, asOf: DateTime): Evaluation {
  const infos = ruleInfos(settings);
  const allowed = new Map(coverage.map((c) => [`${c.accountId}|${c.region}`, c.allowedImagesState]));
  const trustedAccounts = new Set(settings.trustedAccounts);
  const trustedOwnerAliases = new Set(settings.trustedOwnerAliases);
  const waivers = settings.waivers.map((w) => ({ spec: w, expiry: waiverExpiry(w.expires), matched: 0 }));
  const findings: Finding[] = [];
  let evaluated = 0;
  let skipped = 0;
  const active = RULES.map((rule, i) => ({
    rule, info: infos[i]!,
    ctx: { asOf, asOfMs: asOf.toMillis(), options: infos[i]!.options, trustedAccounts, trustedOwnerAliases, fmt: fmtDate } satisfies RuleContext,
  })).filter((x) => x.info.severity !== 'off');
  const parse = cachedParser();

  for (const rec of instances) {
    if (!settings.includeTerminated && GONE_STATES.has(rec.State?.Name ?? '')) {
      skipped += 1;
      continue;
    }
    evaluated += 1;
    const view = viewOf(rec, allowed.get(`${rec.accountId}|${rec.region}`) ?? 'unknown', parse);
    for (const { rule, ctx } of active) {
      for (const hit of rule.evaluate(view, ctx)) {
        const overridden = settings.rules[rule.meta.id]?.severity;
        const severity = (overridden && overridden !== 'off' ? overridden : hit.severity ?? rule.meta.severity) as Severity;
        const instanceId = rec.InstanceId ?? '(unknown)';
        const f: Finding = {
          id: findingId(rule.meta.id, rec.accountId, rec.region, instanceId, view.imageId),
          ruleId: rule.meta.id, severity, accountId: rec.accountId, region: rec.region, instanceId,
          instanceName: rec.Tags?.find((t) => t.Key === 'Name')?.Value ?? null, imageId: view.imageId,
          imageName: rec.ImageMetadata?.Name ?? null, imageOwnerId: view.imageOwner, imageOwnerAlias: view.ownerAlias,
          instanceState: rec.State?.Name ?? null, message: hit.message, remediation: rule.meta.remediation, waiver: null, expiredWaiver: null,
        };
        let expired: (typeof waivers)[number] | null = null;
        for (const w of waivers) {
          if (!waiverMatches(w.spec, f, rec)) continue;
          w.matched += 1;
          if (w.expiry && asOf < w.expiry) {
            if (!f.waiver) f.waiver = ref(w.spec);
          } else if (!expired) expired = w;
        }
        if (!f.waiver && expired) {
          f.expiredWaiver = ref(expired.spec);
          f.message += ` Waiver ${expired.spec.id} expired ${expired.spec.expires}; it no longer applies.`;
        }
        findings.push(f);
      }
    }
  }
  // Two records of one instance (e.g. overlapping dumps) must not give two findings with one id.
  const byId = new Map<string, Finding>();
  for (const f of findings) if (!byId.has(f.id) || cmpMessage(f, byId.get(f.id)!) < 0) byId.set(f.id, f);
  const unique = [...byId.values()].sort(compareFindings);
  return {
    findings: unique,
    waivers: waivers.map((w) => {
      const { id, reason, expires, ticket, approvedBy, ...match } = w.spec;
      return {
        id, reason, expires, ticket: ticket ?? null, approvedBy: approvedBy ?? null,
        status: w.expiry && asOf < w.expiry ? 'active' as const : 'expired' as const, matchedFindings: w.matched, match,
      };
    }).sort((a, b) => cmp(a.id, b.id)),
    rules: infos,
    instancesEvaluated: evaluated,
    instancesTerminatedSkipped: skipped,
  };
}

function cmpMessage(a: Finding, b: Finding): number {
  return cmp(a.message, b.message);
}
