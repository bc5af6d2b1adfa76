/** EC2 Query-protocol actions of the local endpoint, answered from the fleet. */
import { createHash } from 'node:crypto';
import type { Fleet, FleetAccount, FleetInstance } from './fleet.js';
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
 * tokens. Tokens carry no position; a cursor per account|region|action does. A token this fault
 * did not issue goes to the normal paginator (which refuses foreign tokens).
 */
function brokenPage<T>(call: Ec2Call, paging: BrokenPaging, action: string, items: T[], max: number): { items: T[]; next: string | null } | null {
  const key = `${call.accountId}|${call.region}|${action}`;
  const token = call.params.get('NextToken');
  if (paging.mode === 'empty-forever') {
    const prefix = tokenFor(`empty-forever|${key}`).slice(0, 32);
    if (token && !token.startsWith(prefix)) return null;
    paging.serial.n += 1;
    return { items: [], next: prefix + paging.serial.n.toString(36).padStart(8, '0') };
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
    throw new ApiError('InvalidParameterValue', `Value ( ${raw} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`);
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

function imageXml(i: FleetInstance, flip: boolean): string {
  const m = i.ImageMetadata;
  if (!m) return '';
  const parts = [
    el('imageId', m.ImageId), el('name', m.Name), el('imageOwnerId', m.OwnerId), el('imageState', m.State),
    el('imageOwnerAlias', m.ImageOwnerAlias), el('creationDate', m.CreationDate), el('deprecationTime', m.DeprecationTime),
    el('imageAllowed', m.ImageAllowed), el('isPublic', m.IsPublic),
  ];
  if (m.ImageWatermarks) {
    parts.push(`<imageWatermarkSet>${m.ImageWatermarks.map((w) => `<item>${el('watermarkKey', w.WatermarkKey)}${el('sourceImageRegion', w.SourceImageRegion)}${el('sourceImageId', w.SourceImageId)}${el('sourceImageCreationTime', w.SourceImageCreationTime)}${el('watermarkCreationTime', w.WatermarkCreationTime)}</item>`).join('')}</imageWatermarkSet>`);
  }
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

export function getAllowedImagesSettings(call: Ec2Call): string {
  const state = call.account?.allowedImages?.[call.region] ?? 'disabled';
  return `<state>${state}</state>${state === 'disabled' ? '' : '<imageCriterionSet><item><imageProviderSet><item>amazon</item></imageProviderSet></item></imageCriterionSet>'}<managedBy>account</managedBy>`;
}
