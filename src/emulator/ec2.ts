/** EC2 Query-protocol actions of the local endpoint, answered from the fleet. */
import { createHash } from 'node:crypto';
import type { ImageWatermark } from '../model/types.js';
import type { Fleet, FleetAccount, FleetImage, FleetImageCriterion, FleetInstance, FleetLaunchTemplate, FleetLaunchTemplateVersion } from './fleet.js';
import { optInStatus } from './fleet.js';
import { el, esc } from './xml.js';
import type { FaultRule, PagingFault } from './faults.js';

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status?: number) {
    super(message);
  }
}

export interface Ec2Call {
  account: FleetAccount | undefined;
  accountId: string;
  region: string;
  params: URLSearchParams;
  disruptedZones: Set<string>;
  /** Varies element order between responses, as the API warns it may. */
  flip: boolean;
  /** A `paging` fault that breaks this call's pagination. */
  paging?: BrokenPaging;
  /** A `regions` fault that breaks this DescribeRegions answer. */
  regionsFault?: FaultRule;
}

/** Where a broken paginator is, per account|region|action. */
export interface PagingCursor { offset: number; pages: number }

export interface BrokenPaging {
  mode: PagingFault;
  /** Server-side cursors, keyed by account|region|action (the broken tokens carry no position). */
  cursors: Map<string, PagingCursor>;
  /** Numbers the tokens of `empty-forever`, so none repeats. */
  serial: { n: number };
}

const INSTANCE_ID_RE = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** Reads `Name.N` lists (1-based, flattened, as the ec2 protocol sends them). */
export function listParam(params: URLSearchParams, prefix: string): string[] {
  const out: [number, string][] = [];
  for (const [k, v] of params) {
    if (k.startsWith(prefix + '.')) {
      const n = Number(k.slice(prefix.length + 1));
      if (Number.isInteger(n)) out.push([n, v]);
    }
  }
  return out.sort((a, b) => a[0] - b[0]).map((x) => x[1]);
}

/** Reads `Filter.N.Name` / `Filter.N.Value.M`. */
export function filterParams(params: URLSearchParams): { name: string; values: string[] }[] {
  const byN = new Map<number, { name: string; values: [number, string][] }>();
  for (const [k, v] of params) {
    const m = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(k);
    if (!m) continue;
    const n = Number(m[1]);
    const f = byN.get(n) ?? { name: '', values: [] };
    if (m[2] === 'Name') f.name = v;
    else f.values.push([Number(m[3]), v]);
    byN.set(n, f);
  }
  return [...byN.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => ({ name: f.name, values: f.values.sort((a, b) => a[0] - b[0]).map((x) => x[1]) }));
}

function glob(pattern: string): RegExp {
  return new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
}

function launchTimeForms(t: string | undefined): string[] {
  if (!t) return [];
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return [t];
  const ms = d.toISOString();
  return [ms, ms.replace(/\.\d{3}Z$/, 'Z'), t];
}

const DIIM_FILTERS: Record<string, (i: FleetInstance) => (string | undefined)[]> = {
  'availability-zone': (i) => [i.AvailabilityZone],
  'instance-id': (i) => [i.InstanceId],
  'image-allowed': (i) => [i.ImageMetadata?.ImageAllowed === undefined ? undefined : String(i.ImageMetadata.ImageAllowed)],
  'instance-state-name': (i) => [i.State?.Name],
  'instance-type': (i) => [i.InstanceType],
  'launch-time': (i) => launchTimeForms(i.LaunchTime),
  // The model leaves open whether owner-* mean the instance's or the image's owner; the emulator
  // takes the image's, as the filters' wording (copied from DescribeImages) suggests.
  'owner-alias': (i) => [i.ImageMetadata?.ImageOwnerAlias],
  'owner-id': (i) => [i.ImageMetadata?.OwnerId],
  'tag-key': (i) => (i.Tags ?? []).map((t) => t.Key),
  'zone-id': (i) => [i.ZoneId],
};

function filterFn(name: string, values: string[], table: Record<string, (i: FleetInstance) => (string | undefined)[]>): (i: FleetInstance) => boolean {
  const res = values.map(glob);
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return (i) => (i.Tags ?? []).some((t) => t.Key === key && t.Value !== undefined && res.some((r) => r.test(t.Value!)));
  }
  const get = table[name];
  if (!get) throw new ApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
  return (i) => get(i).some((v) => v !== undefined && res.some((r) => r.test(v)));
}

function instancesOf(call: Ec2Call): FleetInstance[] {
  return call.account?.instances?.[call.region] ?? [];
}

function checkIds(ids: string[], pool: FleetInstance[]): FleetInstance[] {
  const bad = ids.find((id) => !INSTANCE_ID_RE.test(id));
  if (bad !== undefined) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${bad}"`);
  const byId = new Map(pool.map((i) => [i.InstanceId, i]));
  const missing = [...new Set(ids)].filter((id) => !byId.has(id));
  if (missing.length === 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
  if (missing.length > 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
  return [...new Set(ids)].map((id) => byId.get(id)!);
}

function fingerprint(call: Ec2Call, action: string): string {
  const p = new URLSearchParams(call.params);
  p.delete('NextToken');
  p.delete('MaxResults');
  return createHash('sha256').update(`${action}|${call.accountId}|${call.region}|${[...p].sort().join('&')}`).digest('base64url').slice(0, 16);
}

function tokenFor(what: string): string {
  return createHash('sha256').update(what).digest('base64url');
}

/**
 * A broken paginator: `same-token` gives every page that has a successor one fixed token,
 * `cycle` alternates two tokens and never ends, `empty-forever` answers empty pages with fresh
 * tokens, `repeat-forever` answers the first page again and again with fresh tokens. Tokens carry no position; a cursor per account|region|action does. A token this fault
 * did not issue goes to the normal paginator (which refuses foreign tokens).
 */
function brokenPage<T>(call: Ec2Call, paging: BrokenPaging, action: string, items: T[], max: number): { items: T[]; next: string | null } | null {
  const key = `${call.accountId}|${call.region}|${action}`;
  const token = call.params.get('NextToken');
  if (paging.mode === 'empty-forever' || paging.mode === 'repeat-forever') {
    const prefix = tokenFor(`${paging.mode}|${key}`).slice(0, 32);
    if (token && !token.startsWith(prefix)) return null;
    paging.serial.n += 1;
    return { items: paging.mode === 'empty-forever' ? [] : items.slice(0, max), next: prefix + paging.serial.n.toString(36).padStart(8, '0') };
  }
  const own = paging.mode === 'same-token' ? [tokenFor(`same-token|${key}`)] : [tokenFor(`cycle-a|${key}`), tokenFor(`cycle-b|${key}`)];
  if (token && !own.includes(token)) return null;
  const cursor = (token && paging.cursors.get(`${paging.mode}|${key}`)) || { offset: 0, pages: 0 };
  const end = Math.min(items.length, cursor.offset + max);
  const out = items.slice(cursor.offset, end);
  paging.cursors.set(`${paging.mode}|${key}`, { offset: end, pages: cursor.pages + 1 });
  if (paging.mode === 'same-token') return { items: out, next: end < items.length ? own[0]! : null };
  return { items: out, next: own[cursor.pages % 2]! };
}

function page<T>(call: Ec2Call, action: string, items: T[], max: number): { items: T[]; next: string | null } {
  const broken = call.paging ? brokenPage(call, call.paging, action, items, max) : null;
  if (broken) return broken;
  const token = call.params.get('NextToken');
  const fp = fingerprint(call, action);
  let offset = 0;
  if (token) {
    const m = /^([A-Za-z0-9_-]{16})\.(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m || m[1] !== fp || Number(m[2]) > items.length) throw new ApiError('InvalidPaginationToken', 'The specified pagination token is not valid or is expired');
    offset = Number(m[2]);
  }
  const end = Math.min(items.length, offset + max);
  return { items: items.slice(offset, end), next: end < items.length ? Buffer.from(`${fp}.${end}`).toString('base64url') : null };
}

function maxResults(params: URLSearchParams, min: number, max: number, dflt: number): number {
  const raw = params.get('MaxResults');
  if (raw === null) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ApiError('InvalidParameterValue', `Value ( ${raw} ) for parameter maxResults is invalid. ${max === Infinity ? `Expecting a value greater than or equal to ${min}` : `Expecting a value between ${min} and ${max}`}.`);
  }
  return n;
}

function tagSet(i: FleetInstance): string {
  const tags = i.Tags ?? [];
  if (tags.length === 0) return '<tagSet/>';
  return `<tagSet>${tags.map((t) => `<item>${el('key', t.Key)}${el('value', t.Value)}</item>`).join('')}</tagSet>`;
}

function stateXml(name: string, s: { Code?: number; Name?: string } | undefined): string {
  return s ? `<${name}>${el('code', s.Code)}${el('name', s.Name)}</${name}>` : '';
}

/** The `imageWatermarkSet` of DescribeImages and DescribeInstanceImageMetadata (the model's ImageWatermarkList). */
function watermarkSet(marks: readonly ImageWatermark[] | undefined): string {
  if (!marks?.length) return '';
  return `<imageWatermarkSet>${marks.map((w) => `<item>${el('watermarkKey', w.WatermarkKey)}${el('sourceImageRegion', w.SourceImageRegion)}${el('sourceImageId', w.SourceImageId)}${el('sourceImageCreationTime', w.SourceImageCreationTime)}${el('watermarkCreationTime', w.WatermarkCreationTime)}</item>`).join('')}</imageWatermarkSet>`;
}

function imageXml(i: FleetInstance, flip: boolean): string {
  const m = i.ImageMetadata;
  if (!m) return '';
  const parts = [
    el('imageId', m.ImageId), el('name', m.Name), el('imageOwnerId', m.OwnerId), el('imageState', m.State),
    el('imageOwnerAlias', m.ImageOwnerAlias), el('creationDate', m.CreationDate), el('deprecationTime', m.DeprecationTime),
    el('imageAllowed', m.ImageAllowed), el('isPublic', m.IsPublic),
  ];
  if (m.ImageWatermarks) parts.push(m.ImageWatermarks.length ? watermarkSet(m.ImageWatermarks) : '<imageWatermarkSet></imageWatermarkSet>');
  if (flip) parts.reverse();
  return `<imageMetadata>${parts.join('')}</imageMetadata>`;
}

function launchTimeXml(t: string | undefined): string {
  if (!t) return '';
  const d = new Date(t);
  return el('launchTime', Number.isNaN(d.getTime()) ? t : d.toISOString());
}

function metadataItem(i: FleetInstance, owner: string, flip: boolean): string {
  const op = i.Operator;
  const parts = [
    el('instanceId', i.InstanceId), el('instanceType', i.InstanceType), launchTimeXml(i.LaunchTime), el('availabilityZone', i.AvailabilityZone),
    el('zoneId', i.ZoneId), stateXml('instanceState', i.State), el('instanceOwnerId', i.OwnerId ?? owner), tagSet(i), imageXml(i, flip),
    op ? `<operator>${el('managed', op.Managed)}${el('principal', op.Principal)}${el('hiddenByDefault', op.HiddenByDefault)}</operator>` : '',
  ];
  if (flip) parts.reverse();
  return `<item>${parts.join('')}</item>`;
}

function zoneCheck(call: Ec2Call, named: FleetInstance[] | null): void {
  if (call.disruptedZones.size === 0) return;
  const hit = named === null ? [...call.disruptedZones][0] : named.find((i) => i.AvailabilityZone && call.disruptedZones.has(i.AvailabilityZone))?.AvailabilityZone;
  if (hit) throw new ApiError('Unavailable', `The service is unavailable in Availability Zone ${hit}. Try again with instance IDs in other Availability Zones.`);
}

export function describeInstanceImageMetadata(call: Ec2Call): string {
  const ids = listParam(call.params, 'InstanceId');
  const max = maxResults(call.params, 1, 1000, 1000);
  const pool = instancesOf(call);
  let items = ids.length ? checkIds(ids, pool) : pool;
  zoneCheck(call, ids.length ? items : null);
  for (const f of filterParams(call.params)) {
    const fn = filterFn(f.name, f.values, DIIM_FILTERS);
    items = items.filter(fn);
  }
  const p = page(call, 'DescribeInstanceImageMetadata', items, max);
  const owner = call.accountId;
  const set = p.items.length ? `<instanceImageMetadataSet>${p.items.map((i) => metadataItem(i, owner, call.flip)).join('')}</instanceImageMetadataSet>` : '<instanceImageMetadataSet/>';
  return set + el('nextToken', p.next);
}

const DI_FILTERS: Record<string, (i: FleetInstance) => (string | undefined)[]> = {
  'availability-zone': (i) => [i.AvailabilityZone],
  'instance-id': (i) => [i.InstanceId],
  'instance-state-name': (i) => [i.State?.Name],
  'instance-type': (i) => [i.InstanceType],
  'image-id': (i) => [i.ImageMetadata?.ImageId],
  'tag-key': (i) => (i.Tags ?? []).map((t) => t.Key),
};

export function describeInstances(call: Ec2Call): string {
  const ids = listParam(call.params, 'InstanceId');
  if (ids.length && call.params.has('MaxResults')) {
    throw new ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  const max = maxResults(call.params, 5, 1000, 1000);
  const pool = instancesOf(call);
  let items = ids.length ? checkIds(ids, pool) : pool;
  for (const f of filterParams(call.params)) items = items.filter(filterFn(f.name, f.values, DI_FILTERS));
  const p = page(call, 'DescribeInstances', items, max);
  const owner = call.accountId;
  const reservations = p.items.map((i, k) => `<item><reservationId>r-${createHash('md5').update(i.InstanceId ?? String(k)).digest('hex').slice(0, 17)}</reservationId><ownerId>${esc(i.OwnerId ?? owner)}</ownerId><groupSet/><instancesSet><item>${el('instanceId', i.InstanceId)}${el('imageId', i.ImageMetadata?.ImageId)}${stateXml('instanceState', i.State)}${el('instanceType', i.InstanceType)}${launchTimeXml(i.LaunchTime)}<placement>${el('availabilityZone', i.AvailabilityZone)}${el('availabilityZoneId', i.ZoneId)}<tenancy>default</tenancy></placement>${tagSet(i)}</item></instancesSet></item>`);
  return (reservations.length ? `<reservationSet>${reservations.join('')}</reservationSet>` : '<reservationSet/>') + el('nextToken', p.next);
}

type RegionItem = { name: string; status: string };

export function describeRegions(fleet: Fleet, call: Ec2Call): string {
  const all = call.params.get('AllRegions') === 'true';
  const names = listParam(call.params, 'RegionName');
  let regions: RegionItem[] = fleet.regions.map((r) => ({ name: r.name, status: optInStatus(fleet, call.account, r.name)! }));
  for (const n of names) if (!regions.some((r) => r.name === n)) throw new ApiError('InvalidParameterValue', `Invalid region: ${n}`);
  if (names.length) regions = regions.filter((r) => names.includes(r.name));
  else if (!all) regions = regions.filter((r) => r.status !== 'not-opted-in');
  for (const f of filterParams(call.params)) {
    const res = f.values.map(glob);
    const get = { 'opt-in-status': (r: { status: string }) => r.status, 'region-name': (r: { name: string }) => r.name, endpoint: (r: { name: string }) => `ec2.${r.name}.amazonaws.com` }[f.name];
    if (!get) throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    regions = regions.filter((r) => res.some((re) => re.test(get(r as { status: string; name: string }))));
  }
  regions = breakRegions(fleet, regions, call.regionsFault);
  const items = regions.map((r) => `<item>${el('regionName', r.name)}${el('regionEndpoint', `ec2.${r.name}.amazonaws.com`)}${el('optInStatus', r.status)}</item>`);
  return items.length ? `<regionInfo>${items.join('')}</regionInfo>` : '<regionInfo/>';
}

/** Applies a `regions` fault to the regions a DescribeRegions call would answer. */
function breakRegions(fleet: Fleet, regions: RegionItem[], fault: FaultRule | undefined): RegionItem[] {
  switch (fault?.regions) {
    case undefined: return regions;
    case 'empty': return [];
    case 'duplicate': return [...regions, ...regions];
    case 'inject': return [...regions, { name: fault.regionName ?? '', status: 'opt-in-not-required' }];
    case 'conflict': {
      const target = fleet.regions.find((r) => r.optIn) ?? fleet.regions[0]!;
      const both = [{ name: target.name, status: 'opted-in' }, { name: target.name, status: 'not-opted-in' }];
      const at = regions.findIndex((r) => r.name === target.name);
      return at < 0 ? [...regions, ...both] : [...regions.slice(0, at), ...both, ...regions.slice(at + 1)];
    }
  }
}

const stringSet = (name: string, values: string[] | undefined): string => (values ? `<${name}>${values.map((v) => el('item', v)).join('')}</${name}>` : '');

function criterionXml(c: FleetImageCriterion): string {
  return '<item>'
    + stringSet('imageProviderSet', c.ImageProviders)
    + stringSet('marketplaceProductCodeSet', c.MarketplaceProductCodes)
    + stringSet('imageNameSet', c.ImageNames)
    + (c.DeprecationTimeCondition ? `<deprecationTimeCondition>${el('maximumDaysSinceDeprecated', c.DeprecationTimeCondition.MaximumDaysSinceDeprecated)}</deprecationTimeCondition>` : '')
    + (c.CreationDateCondition ? `<creationDateCondition>${el('maximumDaysSinceCreated', c.CreationDateCondition.MaximumDaysSinceCreated)}</creationDateCondition>` : '')
    + (c.ImageWatermarks ? `<imageWatermarkSet>${c.ImageWatermarks.map((w) => `<item>${el('watermarkKey', w.WatermarkKey)}${el('sourceImageRegion', w.SourceImageRegion)}${el('maximumDaysSinceSourceImageCreated', w.MaximumDaysSinceSourceImageCreated)}${el('maximumDaysSinceWatermarkCreated', w.MaximumDaysSinceWatermarkCreated)}</item>`).join('')}</imageWatermarkSet>` : '')
    + '</item>';
}

/**
 * The region's Allowed AMIs settings: the state, the fleet's criteria (sent whatever the state,
 * as AWS keeps them while disabled; without any, a region that is not `disabled` answers
 * `{ImageProviders: [amazon]}`) and who manages them (default `account`).
 */
export function getAllowedImagesSettings(call: Ec2Call): string {
  const state = call.account?.allowedImages?.[call.region] ?? 'disabled';
  const criteria = call.account?.allowedImagesCriteria?.[call.region] ?? (state === 'disabled' ? undefined : [{ ImageProviders: ['amazon'] }]);
  const set = criteria === undefined ? '' : criteria.length ? `<imageCriterionSet>${criteria.map(criterionXml).join('')}</imageCriterionSet>` : '<imageCriterionSet/>';
  return `<state>${state}</state>${set}${el('managedBy', call.account?.allowedImagesManagedBy?.[call.region] ?? 'account')}`;
}

// ---- DescribeImageReferences ---------------------------------------------------------------

const AMI_ID_RE = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const REFERENCE_TYPES = ['ec2:Instance', 'ec2:LaunchTemplate', 'ssm:Parameter', 'imagebuilder:ImageRecipe', 'imagebuilder:ContainerRecipe'] as const;
type ReferenceType = (typeof REFERENCE_TYPES)[number];
const INSTANCE_STATES = ['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'];
const DEFAULT_VERSION_DEPTH = 10;
/** DescribeImageReferences documents no default page size; the emulator uses this one. */
const DEFAULT_REFERENCE_PAGE = 1000;

/** The ARN partition of a region. */
function partition(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}

/** Reads `ResourceType.N.ResourceType` and `ResourceType.N.ResourceTypeOption.M.OptionName/OptionValue.K`. */
function resourceTypeParams(params: URLSearchParams): { type: string; options: { name: string; values: string[] }[] }[] {
  const byN = new Map<number, { type: string; options: Map<number, { name: string; values: [number, string][] }> }>();
  for (const [k, v] of params) {
    const m = /^ResourceType\.(\d+)\.(?:(ResourceType)|ResourceTypeOption\.(\d+)\.(?:(OptionName)|OptionValue\.(\d+)))$/.exec(k);
    if (!m) continue;
    const t = byN.get(Number(m[1])) ?? { type: '', options: new Map() };
    byN.set(Number(m[1]), t);
    if (m[2]) t.type = v;
    else {
      const o = t.options.get(Number(m[3])) ?? { name: '', values: [] };
      t.options.set(Number(m[3]), o);
      if (m[4]) o.name = v;
      else o.values.push([Number(m[5]), v]);
    }
  }
  return [...byN.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => ({
    type: t.type,
    options: [...t.options.entries()].sort((a, b) => a[0] - b[0]).map(([, o]) => ({ name: o.name, values: o.values.sort((a, b) => a[0] - b[0]).map((x) => x[1]) })),
  }));
}

interface ReferenceScope { states: Set<string> | null; depth: number }

/** Which resource types a call asks about, with their options (ResourceTypes' options take precedence over the defaults). */
function referenceScopes(params: URLSearchParams): Map<ReferenceType, ReferenceScope> {
  const all = params.get('IncludeAllResourceTypes') === 'true';
  const asked = resourceTypeParams(params);
  if (!all && asked.length === 0) throw new ApiError('MissingParameter', 'Either IncludeAllResourceTypes or ResourceTypes must be specified.');
  const scopes = new Map<ReferenceType, ReferenceScope>();
  if (all) for (const t of REFERENCE_TYPES) scopes.set(t, { states: null, depth: DEFAULT_VERSION_DEPTH });
  for (const a of asked) {
    if (!(REFERENCE_TYPES as readonly string[]).includes(a.type)) {
      throw new ApiError('InvalidParameterValue', `Value (${a.type}) for parameter ResourceType is invalid. Valid values: ${REFERENCE_TYPES.join(', ')}.`);
    }
    const type = a.type as ReferenceType;
    const scope: ReferenceScope = { states: null, depth: DEFAULT_VERSION_DEPTH };
    for (const o of a.options) {
      const allowed = type === 'ec2:Instance' ? 'state-name' : type === 'ec2:LaunchTemplate' ? 'version-depth' : null;
      if (o.name !== allowed) {
        throw new ApiError('InvalidParameterValue', allowed
          ? `Value (${o.name}) for parameter OptionName is invalid. Valid value for ${type}: ${allowed}.`
          : `ResourceTypeOptions are valid only for ec2:Instance and ec2:LaunchTemplate, not ${type}.`);
      }
      if (o.values.length === 0) throw new ApiError('MissingParameter', `The request must contain the parameter OptionValues for ${o.name}.`);
      if (o.name === 'state-name') {
        const bad = o.values.find((v) => !INSTANCE_STATES.includes(v));
        if (bad !== undefined) throw new ApiError('InvalidParameterValue', `Value (${bad}) for option state-name is invalid. Valid values: ${INSTANCE_STATES.join(', ')}.`);
        scope.states = new Set(o.values);
      } else {
        const n = Number(o.values[0]);
        if (o.values.length !== 1 || !/^\d+$/.test(o.values[0]!) || n < 1 || n > 10000) {
          throw new ApiError('InvalidParameterValue', `Value (${o.values.join(', ')}) for option version-depth is invalid. Expecting one integer between 1 and 10000.`);
        }
        scope.depth = n;
      }
    }
    scopes.set(type, scope);
  }
  return new Map(REFERENCE_TYPES.filter((t) => scopes.has(t)).map((t) => [t, scopes.get(t)!]));
}

interface ImageReferenceItem { imageId: string; type: ReferenceType; arn: string }

/**
 * DescribeImageReferences: the resources of the caller's account and region that reference each
 * image, per image in request order, then per type (instances, launch templates, SSM parameters,
 * image recipes, container recipes), then in fleet order. A launch template appears once per
 * image however many of its checked versions name it.
 */
export function describeImageReferences(call: Ec2Call): string {
  const ids = [...new Set(listParam(call.params, 'ImageId'))];
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter ImageId');
  if (ids.length > 10) throw new ApiError('InvalidParameterValue', `Value (${ids.length}) for parameter ImageIds is invalid. Specify between 1 and 10 image IDs.`);
  const bad = ids.find((id) => !AMI_ID_RE.test(id));
  if (bad !== undefined) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${bad}" (expecting "ami-...")`);
  const scopes = referenceScopes(call.params);
  const max = maxResults(call.params, 5, Infinity, DEFAULT_REFERENCE_PAGE);
  const a = call.account;
  const r = call.region;
  const base = partition(r);
  const acct = call.accountId;
  const items: ImageReferenceItem[] = [];
  for (const id of ids) {
    for (const [type, scope] of scopes) {
      if (type === 'ec2:Instance') {
        for (const i of a?.instances?.[r] ?? []) {
          if (i.ImageMetadata?.ImageId !== id || !i.InstanceId) continue;
          if (scope.states && !scope.states.has(i.State?.Name ?? '')) continue;
          items.push({ imageId: id, type, arn: `arn:${base}:ec2:${r}:${acct}:instance/${i.InstanceId}` });
        }
      } else if (type === 'ec2:LaunchTemplate') {
        for (const t of a?.launchTemplates?.[r] ?? []) {
          const newest = [...t.versions].sort((x, y) => y.number - x.number).slice(0, scope.depth);
          if (newest.some((v) => v.imageId === id)) items.push({ imageId: id, type, arn: `arn:${base}:ec2:${r}:${acct}:launch-template/${t.id}` });
        }
      } else if (type === 'ssm:Parameter') {
        for (const p of a?.ssmParameters?.[r] ?? []) {
          if (p.value === id) items.push({ imageId: id, type, arn: `arn:${base}:ssm:${r}:${acct}:parameter/${p.name.replace(/^\/+/, '')}` });
        }
      } else {
        const image = type === 'imagebuilder:ImageRecipe';
        for (const x of (image ? a?.imageRecipes : a?.containerRecipes)?.[r] ?? []) {
          if (x.parentImage === id) items.push({ imageId: id, type, arn: `arn:${base}:imagebuilder:${r}:${acct}:${image ? 'image-recipe' : 'container-recipe'}/${x.name}/${x.version}` });
        }
      }
    }
  }
  const p = page(call, 'DescribeImageReferences', items, max);
  const set = p.items.length
    ? `<imageReferenceSet>${p.items.map((x) => `<item>${el('imageId', x.imageId)}${el('resourceType', x.type)}${el('arn', x.arn)}</item>`).join('')}</imageReferenceSet>`
    : '<imageReferenceSet/>';
  return set + el('nextToken', p.next);
}

// ---- DescribeLaunchTemplateVersions ---------------------------------------------------------

const LT_ID_RE = /^lt-[0-9a-f]{17}$/;
const ALL_TEMPLATES_MESSAGE = 'To describe the launch template data for all your launch templates, for \u2018--versions\u2019 specify \u2018$Latest\u2019, \u2018$Default\u2019, or both, and omit \u2018--launch-template-id\u2019, \u2018--launch-template-name\u2019, and version numbers. To describe the launch template data for a specific launch template, specify \u2018--launch-template-id\u2019 or \u2018--launch-template-name\u2019, and for \u2018--versions\u2019 specify one or more of the following values: \u2018$Latest\u2019, \u2018$Default\u2019, or one or more version numbers.';

type TemplateVersion = { t: FleetLaunchTemplate; v: FleetLaunchTemplateVersion };

function versionOf(t: FleetLaunchTemplate, spec: string): FleetLaunchTemplateVersion {
  const n = spec === '$Latest' ? Math.max(...t.versions.map((v) => v.number)) : spec === '$Default' ? t.defaultVersion : Number(spec);
  const v = t.versions.find((x) => x.number === n);
  if (!v) throw new ApiError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${spec} for launch template ${t.id}.`);
  return v;
}

const LTV_FILTERS: Record<string, (x: TemplateVersion) => (string | undefined)[]> = {
  'image-id': (x) => [x.v.imageId],
  'is-default-version': (x) => [String(x.v.number === x.t.defaultVersion)],
  'create-time': (x) => launchTimeForms(x.v.createTime),
};

/**
 * DescribeLaunchTemplateVersions for one template (by id or name: the versions asked for in
 * request order, or every version newest first, within MinVersion..MaxVersion), or for every
 * template of the account and region ($Latest and/or $Default only).
 */
export function describeLaunchTemplateVersions(call: Ec2Call): string {
  const p = call.params;
  const id = p.get('LaunchTemplateId');
  const name = p.get('LaunchTemplateName');
  const versions = listParam(p, 'LaunchTemplateVersion');
  const max = maxResults(p, 1, 200, Infinity);
  const templates = call.account?.launchTemplates?.[call.region] ?? [];
  if (id !== null && name !== null) throw new ApiError('InvalidParameterCombination', 'Specify either the launch template ID or the launch template name, but not both.');
  for (const v of versions) {
    if (!/^(\$Latest|\$Default|[1-9]\d*)$/.test(v)) throw new ApiError('InvalidParameterValue', `Value (${v}) for parameter versions is invalid. Expecting $Latest, $Default or a version number.`);
  }
  let items: TemplateVersion[];
  if (id === null && name === null) {
    if (versions.length === 0) throw new ApiError('MissingParameter', ALL_TEMPLATES_MESSAGE);
    if (versions.some((v) => v !== '$Latest' && v !== '$Default')) throw new ApiError('InvalidParameterValue', ALL_TEMPLATES_MESSAGE);
    items = [];
    for (const t of templates) {
      const seen = new Set<number>();
      for (const v of versions) {
        const ver = versionOf(t, v);
        if (!seen.has(ver.number)) items.push({ t, v: ver });
        seen.add(ver.number);
      }
    }
  } else {
    let t: FleetLaunchTemplate | undefined;
    if (id !== null) {
      if (!LT_ID_RE.test(id)) throw new ApiError('InvalidLaunchTemplateId.Malformed', `The launch template ID '${id}' is malformed. Specify the launch template ID in the form lt-xxxxxxxxxxxxxxxxx.`);
      t = templates.find((x) => x.id === id);
      if (!t) throw new ApiError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
    } else {
      t = templates.find((x) => x.name === name);
      if (!t) throw new ApiError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`);
    }
    const tpl = t;
    if (versions.length) {
      const seen = new Set<number>();
      items = [];
      for (const v of versions) {
        const ver = versionOf(tpl, v);
        if (!seen.has(ver.number)) items.push({ t: tpl, v: ver });
        seen.add(ver.number);
      }
    } else {
      const bound = (key: string): number | null => {
        const raw = p.get(key);
        if (raw === null) return null;
        if (!/^\d+$/.test(raw)) throw new ApiError('InvalidParameterValue', `Value (${raw}) for parameter ${key} is invalid. Expecting a version number.`);
        return Number(raw);
      };
      const lo = bound('MinVersion') ?? 1;
      const hi = bound('MaxVersion') ?? Infinity;
      items = [...tpl.versions].sort((x, y) => y.number - x.number).filter((v) => v.number >= lo && v.number <= hi).map((v) => ({ t: tpl, v }));
    }
  }
  for (const f of filterParams(p)) {
    const get = LTV_FILTERS[f.name];
    if (!get) throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    const res = f.values.map(glob);
    items = items.filter((x) => get(x).some((v) => v !== undefined && res.some((re) => re.test(v))));
  }
  const pg = page(call, 'DescribeLaunchTemplateVersions', items, max);
  const set = pg.items.length
    ? `<launchTemplateVersionSet>${pg.items.map(({ t, v }) => `<item>${el('launchTemplateId', t.id)}${el('launchTemplateName', t.name)}${el('versionNumber', v.number)}${v.createTime ? el('createTime', new Date(v.createTime).toISOString()) : ''}${el('defaultVersion', v.number === t.defaultVersion)}<launchTemplateData>${el('imageId', v.imageId)}</launchTemplateData></item>`).join('')}</launchTemplateVersionSet>`
    : '<launchTemplateVersionSet/>';
  return set + el('nextToken', pg.next);
}

// ---- DescribeImages (--successors) ----------------------------------------------------------

const DAY_MS = 86_400_000;
const IMAGE_FILTERS = new Set(['name', 'state', 'architecture', 'owner-id', 'owner-alias', 'image-id', 'is-public', 'image-allowed']);

/** The criteria in force in the caller's region (as GetAllowedImagesSettings answers them). */
function criteriaOf(call: Ec2Call): FleetImageCriterion[] {
  return call.account?.allowedImagesCriteria?.[call.region] ?? [{ ImageProviders: ['amazon'] }];
}

/**
 * Whether an image meets the region's Allowed AMIs criteria: any one criterion, every parameter it
 * names; the account's own images always. Product codes and the fleet images' watermarks are not
 * modelled: a criterion that names product codes or watermark filters matches no image.
 */
export function imageMeetsCriteria(criteria: readonly FleetImageCriterion[], img: FleetImage, accountId: string, nowMs: number): boolean {
  if (img.ownerId === accountId) return true;
  return criteria.some((c) => {
    if (c.ImageProviders && !c.ImageProviders.some((p) => p === img.ownerId || p === img.ownerAlias)) return false;
    if (c.ImageNames && !c.ImageNames.some((n) => glob(n).test(img.name))) return false;
    if (c.MarketplaceProductCodes || c.ImageWatermarks) return false;
    if (c.CreationDateCondition && nowMs - Date.parse(img.creationDate) > c.CreationDateCondition.MaximumDaysSinceCreated * DAY_MS) return false;
    const dep = img.deprecationTime ? Date.parse(img.deprecationTime) : null;
    if (c.DeprecationTimeCondition && dep !== null && dep <= nowMs && nowMs - dep > c.DeprecationTimeCondition.MaximumDaysSinceDeprecated * DAY_MS) return false;
    return true;
  });
}

function imageItem(img: FleetImage, allowed: boolean | undefined, flip: boolean): string {
  const pub = img.public ?? img.ownerAlias !== undefined;
  const head = el('imageId', img.imageId) + el('imageLocation', `${img.ownerAlias ?? img.ownerId}/${img.name}`) + el('imageState', img.state ?? 'available') + el('imageOwnerId', img.ownerId);
  const rest = el('creationDate', img.creationDate) + el('isPublic', pub) + el('architecture', img.architecture) + el('imageType', 'machine')
    + el('imageOwnerAlias', img.ownerAlias) + el('name', img.name) + el('rootDeviceType', 'ebs') + el('rootDeviceName', '/dev/xvda')
    + el('virtualizationType', 'hvm') + el('hypervisor', 'xen') + el('deprecationTime', img.deprecationTime) + el('imageAllowed', allowed)
    + el('deregistrationProtection', img.deregistrationProtection ?? 'disabled') + el('lastLaunchedTime', img.lastLaunchedTime) + el('sourceImageId', img.sourceImageId) + el('sourceImageRegion', img.sourceImageRegion)
    + watermarkSet(img.imageWatermarks);
  return `<item>${flip ? rest + head : head + rest}</item>`;
}

/**
 * DescribeImages: `Owner.N` (account ids, `self`, `amazon`, `aws-marketplace`, `aws-backup-vault`),
 * `ImageId.N`, `ExecutableBy.N` (ignored), `Filter.N` (name, state, architecture, owner-id, owner-alias,
 * image-id, is-public, image-allowed; `*` and `?` in values), `IncludeDeprecated`, `IncludeDisabled`,
 * `MaxResults` (5-1000) and `NextToken`. What the caller sees: public images, its own, those shared
 * with it. Deprecated images only when named by id, owned by the caller, or with IncludeDeprecated;
 * disabled ones only with IncludeDisabled; deregistered ones only when named by id. With Allowed AMIs
 * `enabled` in the region only allowed images are returned; in `audit-mode` and `enabled`, each says
 * `imageAllowed`. An id that is not in the catalogue is InvalidAMIID.NotFound.
 */
export function describeImages(fleet: Fleet, call: Ec2Call, nowMs: number): string {
  const p = call.params;
  const owners = listParam(p, 'Owner');
  const ids = listParam(p, 'ImageId');
  const bad = ids.find((id) => !AMI_ID_RE.test(id));
  if (bad !== undefined) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${bad}" (expecting "ami-...")`);
  const filters = filterParams(p);
  for (const f of filters) if (!IMAGE_FILTERS.has(f.name)) throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
  const includeDeprecated = p.get('IncludeDeprecated') === 'true';
  const includeDisabled = p.get('IncludeDisabled') === 'true';
  const max = p.get('MaxResults') === null ? Infinity : maxResults(p, 5, 1000, 1000);
  if (p.get('MaxResults') !== null && ids.length) throw new ApiError('InvalidParameterCombination', 'The parameter imageIdsSet cannot be used with the parameter maxResults');
  const caller = call.accountId;
  const inRegion = (fleet.images ?? []).filter((i) => !i.regions || i.regions.includes(call.region));
  const visible = inRegion.filter((i) => i.ownerId === caller || (i.public ?? i.ownerAlias !== undefined) || (i.sharedWith ?? []).includes(caller));
  if (ids.length) {
    const known = new Set(visible.map((i) => i.imageId));
    const missing = [...new Set(ids)].filter((id) => !known.has(id));
    if (missing.length) throw new ApiError('InvalidAMIID.NotFound', `The image id${missing.length > 1 ? 's' : ''} '[${missing.join(', ')}]' do${missing.length > 1 ? '' : 'es'} not exist`);
  }
  const state = call.account?.allowedImages?.[call.region] ?? 'disabled';
  const criteria = criteriaOf(call);
  const allowed = (i: FleetImage): boolean | undefined => (state === 'disabled' ? undefined : imageMeetsCriteria(criteria, i, caller, nowMs));
  const table: Record<string, (i: FleetImage) => (string | undefined)[]> = {
    name: (i) => [i.name], state: (i) => [i.state ?? 'available'], architecture: (i) => [i.architecture], 'owner-id': (i) => [i.ownerId],
    'owner-alias': (i) => [i.ownerAlias], 'image-id': (i) => [i.imageId], 'is-public': (i) => [String(i.public ?? i.ownerAlias !== undefined)],
    'image-allowed': (i) => [String(allowed(i) ?? true)],
  };
  const items = visible.filter((i) => {
    const named = ids.includes(i.imageId);
    if (ids.length && !named) return false;
    if (owners.length && !owners.some((o) => o === i.ownerId || (o === 'self' && i.ownerId === caller) || o === i.ownerAlias)) return false;
    const st = i.state ?? 'available';
    if (st === 'deregistered' && !named) return false;
    if (st === 'disabled' && !includeDisabled) return false;
    const deprecated = i.deprecationTime !== undefined && Date.parse(i.deprecationTime) <= nowMs;
    if (deprecated && !named && i.ownerId !== caller && !includeDeprecated) return false;
    if (state === 'enabled' && allowed(i) === false) return false;
    return filters.every((f) => f.values.some((v) => table[f.name]!(i).some((x) => x !== undefined && glob(v).test(x))));
  }).sort((a, b) => (a.imageId < b.imageId ? -1 : a.imageId > b.imageId ? 1 : 0));
  const pg = max === Infinity ? { items, next: null } : page(call, 'DescribeImages', items, max);
  const set = pg.items.length ? `<imagesSet>${pg.items.map((i) => imageItem(i, allowed(i), call.flip)).join('')}</imagesSet>` : '<imagesSet/>';
  return set + el('nextToken', pg.next);
}
