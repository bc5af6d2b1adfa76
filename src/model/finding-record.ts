/**
 * A finding as the JSON report (schemaVersion 4) stores it: its id, rule, severity, scope, instance
 * and AMI ids, message and history, and nothing it can take from what it refers to. The instance's
 * name, state and tag values come from `instances[]` (account, region, instance id), the AMI's name,
 * owner and alias from the plan's `images[]` (image id), the remediation from `rules[]` (rule id),
 * a waiver from `waivers[]` (its id) and `lastSeenAt` from the run's as-of. A field is written only
 * where those give another value than the finding holds (a record without an instance id, a
 * finding about a resource, a report edited by hand), so that reading a record back always gives
 * the finding that was written. Pure.
 */
import type { Finding, FindingKeys, FindingResource, ImagePlanEntry, InstanceRecord, Report, RuleInfo, WaiverRef } from './types.js';

/** One finding of a version 4 report's `findings[]`. */
export interface FindingRecord extends FindingKeys {
  /** Present only where the references do not give it (see the module's comment). */
  instanceName?: string | null;
  instanceState?: string | null;
  tags?: (string | null)[];
  imageName?: string | null;
  imageOwnerId?: string | null;
  imageOwnerAlias?: string | null;
  resource?: FindingResource;
  message: string;
  remediation?: string;
  /** The waiver's id (its entry in `waivers[]`), or the whole reference when `waivers[]` has no such entry; absent: none. */
  waiver?: string | WaiverRef;
  expiredWaiver?: string | WaiverRef;
  firstSeenAt?: string;
  /** Absent when it is the run's as-of (always, in a report ami-audit wrote). */
  lastSeenAt?: string;
  ageDays?: number;
  dueAt?: string | null;
  overdue?: boolean;
  lifecycle?: Finding['lifecycle'];
  reopenedCount?: number;
  escalatedFrom?: Finding['escalatedFrom'];
  escalatedAt?: string;
}

/** What a finding record refers to. */
export interface FindingRefs {
  /** The one instance of this account, region and id; undefined when there is none, or more than one. */
  instance(accountId: string, region: string, instanceId: string): InstanceRecord | undefined;
  image(imageId: string | null): Pick<ImagePlanEntry, 'name' | 'ownerId' | 'ownerAlias'> | undefined;
  rule(ruleId: string): Pick<RuleInfo, 'remediation'> | undefined;
  waiver(id: string): WaiverRef | undefined;
  tagColumns: readonly string[];
  asOf: string | undefined;
}

type RefSource = Partial<Pick<Report, 'instances' | 'images' | 'rules' | 'waivers' | 'tagColumns'>> & { run?: { asOf?: string } };

const AMBIGUOUS = Symbol('ambiguous');
const NULL_IMAGE = '\u0000null';

/** Instances by account, region and instance id: the one record, or every record of a key that has more than one. */
type InstanceIndex = Map<string, Map<string, Map<string, InstanceRecord | InstanceRecord[]>>>;

const INDEXES = new WeakMap<readonly InstanceRecord[], { length: number; index: InstanceIndex }>();

/**
 * The index of a list of instance records, made once per list (the JSON, OCSF and ASFF renderers
 * of one report share it; a list that grew since is indexed again). Records without an instance id
 * are left out.
 */
export function instanceIndex(list: readonly InstanceRecord[]): InstanceIndex {
  const known = INDEXES.get(list);
  if (known && known.length === list.length) return known.index;
  const index: InstanceIndex = new Map();
  for (const r of list) {
    if (typeof r?.InstanceId !== 'string' || r.InstanceId === '') continue;
    let regions = index.get(r.accountId);
    if (!regions) index.set(r.accountId, (regions = new Map()));
    let ids = regions.get(r.region);
    if (!ids) regions.set(r.region, (ids = new Map()));
    const had = ids.get(r.InstanceId);
    ids.set(r.InstanceId, had === undefined ? r : Array.isArray(had) ? [...had, r] : [had, r]);
  }
  INDEXES.set(list, { length: list.length, index });
  return index;
}

/** The records of this account, region and instance id in the index: one, several (in list order), or none. */
export function indexedInstance(index: InstanceIndex, accountId: string, region: string, instanceId: string): InstanceRecord | InstanceRecord[] | undefined {
  return index.get(accountId)?.get(region)?.get(instanceId);
}

/** The references of a report (or of what a reader kept of one: `instances` may be a projection with the fields findings refer to). */
export function findingRefs(report: RefSource): FindingRefs {
  const list = Array.isArray(report.instances) ? report.instances : [];
  const images = new Map<string, ImagePlanEntry | typeof AMBIGUOUS>();
  for (const e of Array.isArray(report.images) ? report.images : []) {
    const k = e.imageId ?? NULL_IMAGE;
    images.set(k, images.has(k) ? AMBIGUOUS : e);
  }
  const rules = new Map<string, RuleInfo | typeof AMBIGUOUS>();
  for (const r of Array.isArray(report.rules) ? report.rules : []) rules.set(r.id, rules.has(r.id) ? AMBIGUOUS : r);
  const waivers = new Map<string, WaiverRef | typeof AMBIGUOUS>();
  for (const w of Array.isArray(report.waivers) ? report.waivers : []) waivers.set(w.id, waivers.has(w.id) ? AMBIGUOUS : w);
  const one = <T>(v: T | typeof AMBIGUOUS | undefined): T | undefined => (v === AMBIGUOUS ? undefined : v);
  return {
    instance: (accountId, region, instanceId) => {
      if (instanceId === '') return undefined;
      const found = indexedInstance(instanceIndex(list), accountId, region, instanceId);
      return Array.isArray(found) ? undefined : found;
    },
    image: (imageId) => one(images.get(imageId ?? NULL_IMAGE)),
    rule: (ruleId) => one(rules.get(ruleId)),
    waiver: (id) => one(waivers.get(id)),
    tagColumns: Array.isArray(report.tagColumns) ? report.tagColumns : [],
    asOf: typeof report.run?.asOf === 'string' ? report.run.asOf : undefined,
  };
}

/** The value of the instance's one tag with this key (null: none); undefined when it has the key more than once. */
function tagOf(rec: InstanceRecord, key: string): string | null | undefined {
  let found: string | null | undefined = null;
  let seen = false;
  for (const t of Array.isArray(rec.Tags) ? rec.Tags : []) {
    if (!t || t.Key !== key) continue;
    if (seen) return undefined;
    seen = true;
    found = typeof t.Value === 'string' ? t.Value : null;
  }
  return found;
}

/**
 * What a finding's references say of it: the instance's name, state and tag values (null, and
 * nulls, when no one instance has its account, region and id: a finding about a resource, a record
 * without an instance id), the AMI's name, owner and alias from the plan (null when the plan has no
 * entry), the rule's remediation (empty when the report has no such rule). Undefined where they
 * cannot tell (an instance with two tags of one key): such a field is always written.
 */
interface Derived {
  instanceName: string | null | undefined;
  instanceState: string | null | undefined;
  tags: (string | null)[] | undefined;
  imageName: string | null;
  imageOwnerId: string | null;
  imageOwnerAlias: string | null;
  remediation: string;
}

function derive(refs: FindingRefs, x: Pick<FindingRecord, 'accountId' | 'region' | 'instanceId' | 'imageId' | 'ruleId'>): Derived {
  const rec = x.instanceId === '' ? undefined : refs.instance(x.accountId, x.region, x.instanceId);
  let instanceName: string | null | undefined = null;
  let instanceState: string | null | undefined = null;
  let tags: (string | null)[] | undefined = refs.tagColumns.length ? refs.tagColumns.map(() => null) : undefined;
  if (rec) {
    instanceName = tagOf(rec, 'Name');
    const state = rec.State?.Name;
    instanceState = typeof state === 'string' ? state : state === undefined || state === null ? null : undefined;
    if (tags) {
      const values = refs.tagColumns.map((k) => tagOf(rec, k));
      tags = values.every((v) => v !== undefined) ? (values as (string | null)[]) : undefined;
    }
  }
  const img = refs.image(x.imageId);
  return {
    instanceName, instanceState, tags,
    imageName: img?.name ?? null, imageOwnerId: img?.ownerId ?? null, imageOwnerAlias: img?.ownerAlias ?? null,
    remediation: refs.rule(x.ruleId)?.remediation ?? '',
  };
}

const sameTags = (a: readonly (string | null)[] | undefined, b: readonly (string | null)[] | undefined): boolean =>
  a === undefined ? b === undefined : b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

const sameWaiver = (a: WaiverRef, b: WaiverRef | undefined): boolean =>
  b !== undefined && a.id === b.id && a.reason === b.reason && a.expires === b.expires && (a.ticket ?? null) === (b.ticket ?? null) && (a.approvedBy ?? null) === (b.approvedBy ?? null);

const waiverRef = (w: WaiverRef): WaiverRef => ({ id: w.id, reason: w.reason, expires: w.expires, ticket: w.ticket ?? null, approvedBy: w.approvedBy ?? null });

/**
 * The stored record of a finding: the fields its references give left out. Given a record (a
 * finding read back from a version 4 file without its references filled in), returns the same
 * record: what it leaves out stays out.
 */
export function toFindingRecord(f: Finding, refs: FindingRefs): FindingRecord {
  const d = derive(refs, f);
  const r = { id: f.id, ruleId: f.ruleId, severity: f.severity, accountId: f.accountId, region: f.region, instanceId: f.instanceId, imageId: f.imageId } as FindingRecord;
  const given = (v: unknown): boolean => v !== undefined;
  if (given(f.instanceName) && (d.instanceName === undefined || d.instanceName !== f.instanceName)) r.instanceName = f.instanceName;
  if (given(f.instanceState) && (d.instanceState === undefined || d.instanceState !== f.instanceState)) r.instanceState = f.instanceState;
  if (f.tags !== undefined && !(d.tags !== undefined && sameTags(d.tags, f.tags))) r.tags = [...f.tags];
  if (given(f.imageName) && d.imageName !== f.imageName) r.imageName = f.imageName;
  if (given(f.imageOwnerId) && d.imageOwnerId !== f.imageOwnerId) r.imageOwnerId = f.imageOwnerId;
  if (given(f.imageOwnerAlias) && d.imageOwnerAlias !== f.imageOwnerAlias) r.imageOwnerAlias = f.imageOwnerAlias;
  if (f.resource !== undefined) r.resource = f.resource;
  r.message = f.message;
  if (given(f.remediation) && d.remediation !== f.remediation) r.remediation = f.remediation;
  const stored = (w: WaiverRef | string): string | WaiverRef => (typeof w === 'string' ? w : sameWaiver(w, refs.waiver(w.id)) ? w.id : waiverRef(w));
  if (f.waiver) r.waiver = stored(f.waiver);
  if (f.expiredWaiver) r.expiredWaiver = stored(f.expiredWaiver);
  if (f.firstSeenAt !== undefined) r.firstSeenAt = f.firstSeenAt;
  // the last sight is this run's as-of: a record with a first sight reads it from the run
  if (f.lastSeenAt !== undefined && !(f.lastSeenAt === refs.asOf && f.firstSeenAt !== undefined)) r.lastSeenAt = f.lastSeenAt;
  if (f.ageDays !== undefined) r.ageDays = f.ageDays;
  if (f.dueAt !== undefined) r.dueAt = f.dueAt;
  if (f.overdue !== undefined) r.overdue = f.overdue;
  if (f.lifecycle !== undefined) r.lifecycle = f.lifecycle;
  if (f.reopenedCount !== undefined) r.reopenedCount = f.reopenedCount;
  if (f.escalatedFrom !== undefined) r.escalatedFrom = f.escalatedFrom;
  if (f.escalatedAt !== undefined) r.escalatedAt = f.escalatedAt;
  return r;
}

/**
 * A finding again from its record and what it refers to (see Derived). A waiver id that
 * `waivers[]` does not hold reads as a waiver of that id with no reason or expiry.
 */
export function fromFindingRecord(r: FindingRecord, refs: FindingRefs): Finding {
  const has = (k: keyof FindingRecord): boolean => Object.prototype.hasOwnProperty.call(r, k);
  const d = derive(refs, r);
  const waiver = (w: string | WaiverRef | null | undefined): WaiverRef | null => {
    if (w === undefined || w === null) return null;
    if (typeof w !== 'string') return waiverRef(w);
    const known = refs.waiver(w);
    return known ? waiverRef(known) : { id: w, reason: '', expires: '', ticket: null, approvedBy: null };
  };
  const tags = has('tags') ? r.tags : d.tags ?? refs.tagColumns.map(() => null);
  const f: Finding = {
    id: r.id, ruleId: r.ruleId, severity: r.severity, accountId: r.accountId, region: r.region, instanceId: r.instanceId,
    instanceName: has('instanceName') ? r.instanceName ?? null : d.instanceName ?? null,
    imageId: r.imageId,
    imageName: has('imageName') ? r.imageName ?? null : d.imageName,
    imageOwnerId: has('imageOwnerId') ? r.imageOwnerId ?? null : d.imageOwnerId,
    imageOwnerAlias: has('imageOwnerAlias') ? r.imageOwnerAlias ?? null : d.imageOwnerAlias,
    instanceState: has('instanceState') ? r.instanceState ?? null : d.instanceState ?? null,
    ...(tags !== undefined && (has('tags') || refs.tagColumns.length) ? { tags: [...tags] } : {}),
    message: r.message,
    remediation: has('remediation') ? r.remediation ?? '' : d.remediation,
    waiver: waiver(r.waiver),
    expiredWaiver: waiver(r.expiredWaiver),
  };
  if (r.resource !== undefined) f.resource = r.resource;
  if (r.firstSeenAt !== undefined) f.firstSeenAt = r.firstSeenAt;
  if (r.lastSeenAt !== undefined) f.lastSeenAt = r.lastSeenAt;
  else if (r.firstSeenAt !== undefined && refs.asOf !== undefined) f.lastSeenAt = refs.asOf;
  if (r.ageDays !== undefined) f.ageDays = r.ageDays;
  if (r.dueAt !== undefined) f.dueAt = r.dueAt;
  if (r.overdue !== undefined) f.overdue = r.overdue;
  if (r.lifecycle !== undefined) f.lifecycle = r.lifecycle;
  if (r.reopenedCount !== undefined) f.reopenedCount = r.reopenedCount;
  if (r.escalatedFrom !== undefined) f.escalatedFrom = r.escalatedFrom;
  if (r.escalatedAt !== undefined) f.escalatedAt = r.escalatedAt;
  return f;
}

/** The findings of a report as its JSON stores them. */
export function* findingRecords(report: RefSource & Pick<Report, 'findings'>, refs: FindingRefs = findingRefs(report)): Generator<FindingRecord> {
  for (const f of report.findings) yield toFindingRecord(f, refs);
}
