/**
 * The rules engine: instance records + settings + as-of time -> findings, with waivers applied.
 * Pure: no clock, no I/O; the same input gives the same output, byte for byte.
 */
import { createHash } from 'node:crypto';
import type { AllowedImagesState, CoverageEntry, Finding, ImageCriterion, ImageReference, InstanceRecord, RuleInfo, Severity, WaiverRef, WaiverSpec, WaiverStatus } from '../model/types.js';
import { SEVERITY_RANK } from '../model/types.js';
import { RULES } from './registry.js';
import { fmtDay, parseDate } from './dates.js';
import { expiryMs } from '../model/time.js';
import { cmp } from '../model/ids.js';
import { Interner } from '../model/intern.js';
import type { OrganizationView, RecordView, RuleContext, RuleHit } from './types.js';
import type { OwnedImage } from '../model/types.js';
import { ownedImageViews } from './owned.js';

export interface RuleSettings {
  /** The rule's base severity, or off. State-dependent severities (RuleMeta.severityStates other than `base`) keep theirs. */
  severity?: Severity | 'off';
  /** Severity by state name, for rules with RuleMeta.severityStates (not-allowed-ami: enabled, audit-mode, disabled, unknown). */
  severityByState?: Partial<Record<string, Severity>>;
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
  /**
   * Instance tag keys whose values every finding carries in `tags`, in this order (--tag-columns,
   * config report.tagColumns). Absent or empty: findings carry no `tags`.
   */
  tagColumns?: string[];
  /** `ami-audit images`: owned AMIs (ids, or name patterns with * and ?) that may be public (config `allowedPublicImages`). */
  allowedPublicImages?: string[];
}

export const DEFAULT_SETTINGS: EvalSettings = {
  trustedAccounts: [],
  trustedOwnerAliases: ['amazon', 'aws-marketplace'],
  rules: {},
  options: {},
  waivers: [],
  includeTerminated: false,
  tagColumns: [],
};

export interface Evaluation {
  findings: Finding[];
  waivers: WaiverStatus[];
  rules: RuleInfo[];
  instancesEvaluated: number;
  instancesTerminatedSkipped: number;
}

const ACCOUNT_RE = /^\d{12}$/;
export const GONE_STATES: ReadonlySet<string> = new Set(['terminated', 'shutting-down']);

/**
 * A finding's stable id: a hash of rule, account, region, instance key, image and, when the hit
 * has one, its reason key. Without a reason key the formula is the one of earlier versions, so
 * findings of old baselines keep their ids.
 */
export function findingId(ruleId: string, accountId: string, region: string, instanceId: string, imageId: string | null, reason?: string): string {
  const parts = [ruleId, accountId, region, instanceId, imageId ?? ''];
  if (reason !== undefined) parts.push(reason);
  // the first 10 bytes as 20 hex digits, a string of its own (a cut of the whole hex digest would keep it alive)
  return createHash('sha256').update(parts.join('\u0000')).digest().toString('hex', 0, 10);
}

/** JSON with every object's keys sorted: the same record gives the same text whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
    : v));
}

/**
 * What identifies a record in finding ids and in the report: its InstanceId, or for a record
 * without one a key from its content (a hash of its canonical JSON) plus an occurrence index for
 * identical records of one scope, so two such records never collapse into one finding.
 */
function recordKeys(): (rec: InstanceRecord) => { key: string; label: string } {
  const seen = new Map<string, number>();
  return (rec) => {
    if (typeof rec.InstanceId === 'string' && rec.InstanceId !== '') return { key: rec.InstanceId, label: rec.InstanceId };
    const hash = createHash('sha256').update(canonicalJson(rec)).digest('hex').slice(0, 16);
    const scoped = `${rec.accountId}|${rec.region}|${hash}`;
    const n = seen.get(scoped) ?? 0;
    seen.set(scoped, n + 1);
    const suffix = n === 0 ? '' : `#${n}`;
    return { key: `(record ${hash}${suffix})`, label: `(unknown: record ${hash.slice(0, 8)}${suffix})` };
  };
}

/** The engine's last check: no two findings share an id (a rule that can hit twice must give reason keys). */
export function checkUniqueIds(findings: readonly Finding[]): void {
  const seen = new Map<string, Finding>();
  for (const f of findings) {
    const other = seen.get(f.id);
    if (other) {
      throw new Error(`internal error: two findings share the id ${f.id} (${other.ruleId} and ${f.ruleId} on ${f.accountId}/${f.region}/${f.instanceId}); a rule that can hit one record twice must give each hit a reason key`);
    }
    seen.set(f.id, f);
  }
}

const NO_CRITERIA = { list: null, managedBy: null };

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

export function viewOf(rec: InstanceRecord, allowed: AllowedImagesState, parse: (raw: string | undefined) => ReturnType<typeof parseDate> = parseDate, criteria: { list: readonly ImageCriterion[] | null; managedBy: string | null } = NO_CRITERIA): RecordView {
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
    allowedImagesCriteria: criteria.list,
    allowedImagesManagedBy: criteria.managedBy,
    bare: !m || Object.entries(m).every(([k, v]) => k === 'ImageId' || v === undefined || v === null || v === ''),
    stateExplainsGaps: m?.State === 'deregistered' || m?.State === 'disabled',
  };
}

/**
 * When a waiver stops applying, in epoch ms (the strict parser of src/model/time.ts): a bare date
 * means through the end of that day, UTC; a date-time needs a zone designator. Null for anything else.
 */
export function waiverExpiry(expires: string): number | null {
  return expiryMs(expires);
}

export function waiverIdOf(w: Omit<WaiverSpec, 'id'> & { id?: string }): string {
  if (w.id) return w.id;
  const key = JSON.stringify([w.ruleId, w.accountId, w.region, w.instanceId, w.imageId, w.tag, w.expires, w.reason]);
  return 'w-' + createHash('sha256').update(key).digest('hex').slice(0, 10);
}

interface WaiverEntry { spec: WaiverSpec; order: number; expiry: number | null; tagKey: string | null; tagValue: string | null; matched: number }

function waiverMatches(w: WaiverEntry, f: Finding, rec: InstanceRecord): boolean {
  const s = w.spec;
  if (s.ruleId !== undefined && s.ruleId !== f.ruleId) return false;
  if (s.accountId !== undefined && s.accountId !== f.accountId) return false;
  if (s.region !== undefined && s.region !== f.region) return false;
  if (s.instanceId !== undefined && s.instanceId !== f.instanceId) return false;
  if (s.imageId !== undefined && s.imageId !== f.imageId) return false;
  if (w.tagKey !== null && !(rec.Tags ?? []).some((t) => t.Key === w.tagKey && (w.tagValue === null || t.Value === w.tagValue))) return false;
  return true;
}

/**
 * Waivers indexed by their most selective match key (instance, image, tag with value, account,
 * region, tag key alone, rule; waivers with none match everything), so a finding is checked only
 * against the waivers that could match it: each waiver sits in one bucket, and a finding's
 * candidates are the buckets of its own values, checked in configured order (the first active
 * waiver wins, the first expired one is reported, every match is counted, as before).
 */
class WaiverIndex {
  private readonly buckets = {
    instanceId: new Map<string, WaiverEntry[]>(), imageId: new Map<string, WaiverEntry[]>(), tagValue: new Map<string, WaiverEntry[]>(),
    accountId: new Map<string, WaiverEntry[]>(), region: new Map<string, WaiverEntry[]>(), tagKey: new Map<string, WaiverEntry[]>(), ruleId: new Map<string, WaiverEntry[]>(),
  };
  private readonly anything: WaiverEntry[] = [];

  constructor(readonly entries: WaiverEntry[]) {
    for (const w of entries) {
      const s = w.spec;
      const [field, value] = s.instanceId !== undefined ? ['instanceId', s.instanceId] as const
        : s.imageId !== undefined ? ['imageId', s.imageId] as const
          : w.tagKey !== null && w.tagValue !== null ? ['tagValue', `${w.tagKey}\u0000${w.tagValue}`] as const
            : s.accountId !== undefined ? ['accountId', s.accountId] as const
              : s.region !== undefined ? ['region', s.region] as const
                : w.tagKey !== null ? ['tagKey', w.tagKey] as const
                  : s.ruleId !== undefined ? ['ruleId', s.ruleId] as const : [null, null];
      if (field === null) {
        this.anything.push(w);
        continue;
      }
      const map = this.buckets[field];
      const list = map.get(value);
      if (list) list.push(w);
      else map.set(value, [w]);
    }
  }

  /** The waivers that could match, in configured order. */
  candidates(f: Finding, rec: InstanceRecord): WaiverEntry[] {
    const lists: WaiverEntry[][] = [];
    const add = (list: WaiverEntry[] | undefined): void => {
      if (list) lists.push(list);
    };
    const b = this.buckets;
    add(b.instanceId.get(f.instanceId));
    if (f.imageId !== null) add(b.imageId.get(f.imageId));
    if ((b.tagValue.size > 0 || b.tagKey.size > 0) && rec.Tags) {
      // a record may carry one key twice (AWS does not, a hand-made dump might): each bucket once
      const keys = new Set<string>();
      const pairs = new Set<string>();
      for (const t of rec.Tags) {
        if (typeof t.Key !== 'string') continue;
        if (!keys.has(t.Key)) {
          keys.add(t.Key);
          add(b.tagKey.get(t.Key));
        }
        if (typeof t.Value !== 'string') continue;
        const kv = `${t.Key}\u0000${t.Value}`;
        if (!pairs.has(kv)) {
          pairs.add(kv);
          add(b.tagValue.get(kv));
        }
      }
    }
    add(b.accountId.get(f.accountId));
    add(b.region.get(f.region));
    add(b.ruleId.get(f.ruleId));
    if (this.anything.length) lists.push(this.anything);
    if (lists.length === 0) return [];
    if (lists.length === 1) return lists[0]!;
    return lists.flat().sort((x, y) => x.order - y.order);
  }
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
      defaultSeverity: r.meta.severity, remediation: r.meta.remediation, options, controls: r.meta.controls.map((x) => ({ ...x })),
    };
  });
}

/** Severity (highest first), rule, account, region, instance, id: the order of findings and of every diff bucket. */
export function compareFindings(a: FindingOrderKeys, b: FindingOrderKeys): number {
  return SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]
    || cmp(a.ruleId, b.ruleId) || cmp(a.accountId, b.accountId) || cmp(a.region, b.region) || cmp(a.instanceId, b.instanceId) || cmp(a.id, b.id);
}

export type FindingOrderKeys = Pick<Finding, 'id' | 'severity' | 'ruleId' | 'accountId' | 'region' | 'instanceId'>;


/**
 * The values of the named tags of a record, in the order named: null where the record has no such
 * tag (or its value is not a string). A key the record carries twice gives its first value. Keys
 * and values are data: compared as strings, never used as property names.
 */
export function tagValues(rec: InstanceRecord, keys: readonly string[]): (string | null)[] {
  const tags = Array.isArray(rec.Tags) ? rec.Tags : [];
  return keys.map((k) => {
    for (const t of tags) if (t && t.Key === k) return typeof t.Value === 'string' ? t.Value : null;
    return null;
  });
}

/** A hit's severity: the config's severity for its state, else the hit's own, else the rule's (overridable) base. */
function severityOf(hit: RuleHit, base: Severity, byState: Partial<Record<string, Severity>>): Severity {
  const stated = hit.state !== undefined && Object.hasOwn(byState, hit.state) ? byState[hit.state] : undefined;
  return stated ?? hit.severity ?? base;
}

/** The owned AMIs of an `ami-audit images` run and the organisation they are judged against. */
export interface OwnedInput { images: readonly OwnedImage[]; organization: OrganizationView }

/** The findings of a run as of `asOfMs` (epoch milliseconds, UTC: the caller converts its as-of once). */
export function evaluate(instances: InstanceRecord[], coverage: CoverageEntry[], settings: EvalSettings, asOfMs: number, references: readonly ImageReference[] = [], owned: OwnedInput | null = null): Evaluation {
  const infos = ruleInfos(settings);
  const allowed = new Map(coverage.map((c) => [`${c.accountId}|${c.region}`, c.allowedImagesState]));
  const criteria = new Map(coverage.filter((c) => Array.isArray(c.allowedImagesCriteria)).map((c) => [`${c.accountId}|${c.region}`, { list: c.allowedImagesCriteria!, managedBy: c.allowedImagesManagedBy ?? null }]));
  const trustedAccounts = new Set(settings.trustedAccounts);
  const trustedOwnerAliases = new Set(settings.trustedOwnerAliases);
  const waivers = new WaiverIndex(settings.waivers.map((w, order) => {
    const eq = w.tag === undefined ? -1 : w.tag.indexOf('=');
    return {
      spec: w, order, expiry: waiverExpiry(w.expires), matched: 0,
      tagKey: w.tag === undefined ? null : eq < 0 ? w.tag : w.tag.slice(0, eq), tagValue: w.tag === undefined || eq < 0 ? null : w.tag.slice(eq + 1),
    };
  }));
  const findings: Finding[] = [];
  // findings of one rule on one AMI mostly say the same: one copy of each message, not a tree of pieces each
  const messages = new Interner();
  let evaluated = 0;
  let skipped = 0;
  const active = RULES.map((rule, i) => {
    const s = settings.rules[rule.meta.id] ?? {};
    return {
      rule, info: infos[i]!,
      base: (s.severity && s.severity !== 'off' ? s.severity : rule.meta.severity) as Severity,
      byState: s.severityByState ?? {},
      ctx: { asOfMs, options: infos[i]!.options, trustedAccounts, trustedOwnerAliases, fmt: fmtDay } satisfies RuleContext,
    };
  }).filter((x) => x.info.severity !== 'off');
  const parse = cachedParser();
  const keyOf = recordKeys();
  const seenInstances = new Set<string>();
  const tagColumns = settings.tagColumns ?? [];
  // The first record of each AMI in each scope: the AMI's metadata for the rules about references.
  const imageViews = new Map<string, RecordView>();

  /** Waivers for a new finding: the first active one waives it; an expired one is noted. */
  const applyWaivers = (f: Finding, rec: InstanceRecord): void => {
    let expired: WaiverEntry | null = null;
    for (const w of waivers.candidates(f, rec)) {
      if (!waiverMatches(w, f, rec)) continue;
      w.matched += 1;
      if (w.expiry !== null && asOfMs < w.expiry) {
        if (!f.waiver) f.waiver = ref(w.spec);
      } else if (!expired) expired = w;
    }
    if (!f.waiver && expired) {
      f.expiredWaiver = ref(expired.spec);
      f.message += ` Waiver ${expired.spec.id} expired ${expired.spec.expires}; it no longer applies.`;
    }
  };

  for (const rec of instances) {
    // Two records of one instance (overlapping dumps, a page served twice): the first counts.
    if (typeof rec.InstanceId === 'string' && rec.InstanceId !== '') {
      const k = `${rec.accountId}|${rec.region}|${rec.InstanceId}`;
      if (seenInstances.has(k)) continue;
      seenInstances.add(k);
    }
    const gone = !settings.includeTerminated && GONE_STATES.has(rec.State?.Name ?? '');
    if (gone && !references.length) {
      skipped += 1;
      continue;
    }
    const view = viewOf(rec, allowed.get(`${rec.accountId}|${rec.region}`) ?? 'unknown', parse, criteria.get(`${rec.accountId}|${rec.region}`));
    // a terminated instance still tells what its AMI is: a launch template may launch it again
    if (references.length && view.imageId !== null) {
      const k = `${rec.accountId}|${rec.region}|${view.imageId}`;
      if (!imageViews.has(k)) imageViews.set(k, view);
    }
    if (gone) {
      skipped += 1;
      continue;
    }
    evaluated += 1;
    const { key: recKey, label } = keyOf(rec);
    const tags = tagColumns.length ? tagValues(rec, tagColumns) : null;
    for (const { rule, ctx, base, byState } of active) {
      for (const hit of rule.evaluate(view, ctx)) {
        const severity = severityOf(hit, base, byState);
        const f: Finding = {
          id: findingId(rule.meta.id, rec.accountId, rec.region, recKey, view.imageId, hit.key),
          ruleId: rule.meta.id, severity, accountId: rec.accountId, region: rec.region, instanceId: label,
          instanceName: rec.Tags?.find((t) => t.Key === 'Name')?.Value ?? null, imageId: view.imageId,
          imageName: rec.ImageMetadata?.Name ?? null, imageOwnerId: view.imageOwner, imageOwnerAlias: view.ownerAlias,
          instanceState: rec.State?.Name ?? null, ...(tags ? { tags: [...tags] } : {}), message: messages.intern(hit.message), remediation: rule.meta.remediation, waiver: null, expiredWaiver: null,
        };
        applyWaivers(f, rec);
        findings.push(f);
      }
    }
  }
  // Resources that will launch a flagged AMI again: findings whose subject is the resource.
  const byReference = active.filter((a) => a.rule.evaluateReference);
  for (const r of byReference.length ? references : []) {
    const view = imageViews.get(`${r.accountId}|${r.region}|${r.imageId}`);
    if (!view) continue; // no instance of the scope carries the AMI's metadata: nothing to judge it by
    const holder = { accountId: r.accountId, region: r.region, Tags: [] } as unknown as InstanceRecord;
    for (const { rule, ctx, base, byState } of byReference) {
      for (const hit of rule.evaluateReference!(r, view, ctx)) {
        const f: Finding = {
          id: findingId(rule.meta.id, r.accountId, r.region, r.arn, r.imageId, hit.key),
          ruleId: rule.meta.id, severity: severityOf(hit, base, byState), accountId: r.accountId, region: r.region, instanceId: '',
          instanceName: null, imageId: r.imageId, imageName: view.rec.ImageMetadata?.Name ?? null, imageOwnerId: view.imageOwner, imageOwnerAlias: view.ownerAlias,
          instanceState: null, ...(tagColumns.length ? { tags: tagColumns.map(() => null) } : {}), message: messages.intern(hit.message), remediation: rule.meta.remediation,
          waiver: null, expiredWaiver: null,
          resource: { type: r.resourceType, arn: r.arn, name: r.name, version: r.version, usedBy: [...r.usedBy], ...(r.usedByUnknown ? { usedByUnknown: true as const } : {}) },
        };
        applyWaivers(f, holder);
        findings.push(f);
      }
    }
  }
  // AMIs the audited accounts own (ami-audit images): findings whose subject is the image.
  const byOwned = active.filter((a) => a.rule.evaluateOwnedImage);
  const views = byOwned.length && owned ? ownedImageViews(owned.images, owned.organization, { trustedAccounts, trustedOwnerAliases, allowedPublicImages: settings.allowedPublicImages ?? [] }, asOfMs) : [];
  for (const v of views) {
    const img = v.image;
    const holder = { accountId: img.accountId, region: img.region, Tags: [] } as unknown as InstanceRecord;
    const arn = `arn:${img.region.startsWith('cn-') ? 'aws-cn' : img.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws'}:ec2:${img.region}::image/${img.imageId}`;
    for (const { rule, ctx, base, byState } of byOwned) {
      for (const hit of rule.evaluateOwnedImage!(v, ctx)) {
        const f: Finding = {
          id: findingId(rule.meta.id, img.accountId, img.region, arn, img.imageId, hit.key),
          ruleId: rule.meta.id, severity: severityOf(hit, base, byState), accountId: img.accountId, region: img.region, instanceId: '',
          instanceName: null, imageId: img.imageId, imageName: img.name, imageOwnerId: img.accountId, imageOwnerAlias: null,
          instanceState: null, ...(tagColumns.length ? { tags: tagColumns.map(() => null) } : {}), message: messages.intern(hit.message), remediation: rule.meta.remediation,
          waiver: null, expiredWaiver: null,
          resource: { type: 'ec2:Image', arn, name: img.name, version: null, usedBy: [] },
        };
        applyWaivers(f, holder);
        findings.push(f);
      }
    }
  }
  checkUniqueIds(findings);
  return {
    findings: findings.sort(compareFindings),
    waivers: waivers.entries.map((w) => {
      const { id, reason, expires, ticket, approvedBy, ...match } = w.spec;
      return {
        id, reason, expires, ticket: ticket ?? null, approvedBy: approvedBy ?? null,
        status: w.expiry !== null && asOfMs < w.expiry ? 'active' as const : 'expired' as const, matchedFindings: w.matched, match,
      };
    }).sort((a, b) => cmp(a.id, b.id)),
    rules: infos,
    instancesEvaluated: evaluated,
    instancesTerminatedSkipped: skipped,
  };
}
