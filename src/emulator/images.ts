/**
 * The publisher's EC2 actions of the local endpoint (`ami-audit images`): DescribeImageAttribute
 * (launchPermission, lastLaunchedTime, deregistrationProtection), GetImageBlockPublicAccessState,
 * CreateImageUsageReport, DescribeImageUsageReports, DescribeImageUsageReportEntries and
 * GetImageAncestry, on the EC2 Query protocol with the element names of the EC2 service model
 * (botocore `ec2/2016-11-15/service-2.json`; see docs/publisher.md).
 *
 * Usage reports are asynchronous, as in AWS: a report is `pending` for its image's
 * `usageReportPolls` DescribeImageUsageReports answers that list it (default 2), then `available`;
 * an image with `usageReportPolls: -1` has reports that stay pending. A report's entries count, per
 * consumer account, the instances of the fleet that run the image and the launch templates whose
 * newest versions name it, plus the image's declared `usage` (accounts the fleet does not hold).
 * An image has at most one pending report: another CreateImageUsageReport for it is refused with
 * ResourceLimitExceeded until that one is available (a repeated ClientToken answers the same report).
 */
import { createHash } from 'node:crypto';
import type { Fleet, FleetImage } from './fleet.js';
import { ApiError, filterParams, listParam, type Ec2Call } from './ec2.js';
import { el } from './xml.js';

const AMI_ID_RE = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const REPORT_ID_RE = /^amiur-[0-9a-f]{17}$/;
const USAGE_TYPES = ['ec2:Instance', 'ec2:LaunchTemplate'] as const;
const ATTRIBUTES = new Set(['description', 'kernel', 'ramdisk', 'launchPermission', 'productCodes', 'blockDeviceMapping', 'sriovNetSupport', 'bootMode', 'tpmSupport', 'uefiData', 'lastLaunchedTime', 'imdsSupport', 'deregistrationProtection']);
/** Launch template versions a usage report checks by default (the model's documented default). */
const DEFAULT_VERSION_DEPTH = 20;
const REPORT_LIFETIME_MS = 30 * 86_400_000;
const DEFAULT_PAGE = 1000;

interface UsageReport {
  reportId: string;
  imageId: string;
  ownerId: string;
  region: string;
  types: { type: string; depth: number | null }[];
  accountIds: string[];
  createdMs: number;
  polls: number;
  entries: { resourceType: string; accountId: string; count: number }[];
}

/** The endpoint's usage reports, per fleet (they live as long as the endpoint). */
const REPORTS = new WeakMap<Fleet, Map<string, UsageReport>>();

function reportsOf(fleet: Fleet): Map<string, UsageReport> {
  let m = REPORTS.get(fleet);
  if (!m) REPORTS.set(fleet, (m = new Map()));
  return m;
}

/** An image the caller owns in the call's region; InvalidAMIID.* otherwise, as EC2 answers. */
function ownedImage(fleet: Fleet, call: Ec2Call, id: string | null, param = 'ImageId'): FleetImage {
  if (id === null || id === '') throw new ApiError('MissingParameter', `The request must contain the parameter ${param}`);
  if (!AMI_ID_RE.test(id)) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
  const img = (fleet.images ?? []).find((i) => i.imageId === id && (!i.regions || i.regions.includes(call.region)));
  const visible = img && (img.ownerId === call.accountId || (img.public ?? img.ownerAlias !== undefined) || (img.sharedWith ?? []).includes(call.accountId));
  if (!img || !visible || img.state === 'deregistered') throw new ApiError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
  if (img.ownerId !== call.accountId) throw new ApiError('AuthFailure', `Not authorized for image:${id}`);
  return img;
}

/** DescribeImageAttribute: one attribute of an image the caller owns. */
export function describeImageAttribute(fleet: Fleet, call: Ec2Call): string {
  const attr = call.params.get('Attribute');
  if (attr === null) throw new ApiError('MissingParameter', 'The request must contain the parameter Attribute');
  if (!ATTRIBUTES.has(attr)) throw new ApiError('InvalidParameterValue', `Value (${attr}) for parameter attribute is invalid. Unknown attribute.`);
  const img = ownedImage(fleet, call, call.params.get('ImageId'));
  let body: string;
  if (attr === 'launchPermission') {
    const items = [
      ...(img.public ? ['<item><group>all</group></item>'] : []),
      ...(img.sharedWith ?? []).map((u) => `<item>${el('userId', u)}</item>`),
      ...(img.sharedWithOrganizations ?? []).map((a) => `<item>${el('organizationArn', a)}</item>`),
      ...(img.sharedWithOrganizationalUnits ?? []).map((a) => `<item>${el('organizationalUnitArn', a)}</item>`),
    ];
    body = items.length ? `<launchPermission>${items.join('')}</launchPermission>` : '<launchPermission/>';
  } else if (attr === 'lastLaunchedTime') {
    body = img.lastLaunchedTime ? `<lastLaunchedTime>${el('value', img.lastLaunchedTime)}</lastLaunchedTime>` : '<lastLaunchedTime/>';
  } else if (attr === 'deregistrationProtection') {
    body = `<deregistrationProtection>${el('value', img.deregistrationProtection ?? 'disabled')}</deregistrationProtection>`;
  } else {
    body = `<${attr}/>`;
  }
  return el('imageId', img.imageId) + body;
}

/** GetImageBlockPublicAccessState: the account's setting in the region (default `unblocked`). */
export function getImageBlockPublicAccessState(call: Ec2Call): string {
  const state = call.account?.imageBlockPublicAccess?.[call.region] ?? 'unblocked';
  return el('imageBlockPublicAccessState', state) + el('managedBy', 'account');
}

/** Reads `ResourceType.N.ResourceType` and `ResourceType.N.ResourceTypeOption.M.OptionName` / `OptionValue.K`. */
function usageTypes(params: URLSearchParams): { type: string; depth: number | null }[] {
  const byN = new Map<number, { type: string; options: Map<number, { name: string; values: string[] }> }>();
  for (const [k, v] of params) {
    const m = /^ResourceType\.(\d+)\.(?:(ResourceType)|ResourceTypeOption\.(\d+)\.(?:(OptionName)|OptionValue\.\d+))$/.exec(k);
    if (!m) continue;
    const t = byN.get(Number(m[1])) ?? { type: '', options: new Map() };
    byN.set(Number(m[1]), t);
    if (m[2]) t.type = v;
    else {
      const o = t.options.get(Number(m[3])) ?? { name: '', values: [] };
      t.options.set(Number(m[3]), o);
      if (m[4]) o.name = v;
      else o.values.push(v);
    }
  }
  if (byN.size === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter ResourceTypes');
  return [...byN.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => {
    if (!(USAGE_TYPES as readonly string[]).includes(t.type)) throw new ApiError('InvalidParameterValue', `Value (${t.type}) for parameter ResourceType is invalid. Valid values: ${USAGE_TYPES.join(', ')}.`);
    let depth: number | null = t.type === 'ec2:LaunchTemplate' ? DEFAULT_VERSION_DEPTH : null;
    for (const o of t.options.values()) {
      if (t.type !== 'ec2:LaunchTemplate' || o.name !== 'version-depth') throw new ApiError('InvalidParameterValue', `Value (${o.name}) for parameter OptionName is invalid. Options are valid only for ec2:LaunchTemplate: version-depth.`);
      const n = Number(o.values[0]);
      if (o.values.length !== 1 || !Number.isInteger(n) || n < 1 || n > 10000) throw new ApiError('InvalidParameterValue', `Value (${o.values.join(', ')}) for option version-depth is invalid. Expecting one integer between 1 and 10000.`);
      depth = n;
    }
    return { type: t.type, depth };
  });
}

/** What a report finds: per consumer account and resource type, from the fleet and the image's declared usage. */
function usageEntries(fleet: Fleet, img: FleetImage, region: string, types: UsageReport['types'], only: readonly string[]): UsageReport['entries'] {
  const counts = new Map<string, number>();
  const add = (type: string, accountId: string, n: number): void => {
    if (n <= 0 || accountId === img.ownerId || (only.length && !only.includes(accountId))) return;
    const k = `${type}|${accountId}`;
    counts.set(k, (counts.get(k) ?? 0) + n);
  };
  for (const t of types) {
    for (const a of fleet.accounts) {
      if (t.type === 'ec2:Instance') add(t.type, a.accountId, (a.instances?.[region] ?? []).filter((i) => i.ImageMetadata?.ImageId === img.imageId && i.State?.Name !== 'terminated').length);
      else add(t.type, a.accountId, (a.launchTemplates?.[region] ?? []).filter((lt) => [...lt.versions].sort((x, y) => y.number - x.number).slice(0, t.depth ?? DEFAULT_VERSION_DEPTH).some((v) => v.imageId === img.imageId)).length);
    }
    for (const u of img.usage ?? []) if (u.resourceType === t.type && (!u.regions || u.regions.includes(region))) add(t.type, u.accountId, u.count);
  }
  return [...counts.entries()].map(([k, count]) => {
    const [resourceType, accountId] = k.split('|') as [string, string];
    return { resourceType, accountId, count };
  }).sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.resourceType < b.resourceType ? -1 : 1));
}

/** CreateImageUsageReport: a new report of an image the caller owns, pending at first. */
export function createImageUsageReport(fleet: Fleet, call: Ec2Call, nowMs: number): string {
  const img = ownedImage(fleet, call, call.params.get('ImageId'));
  const types = usageTypes(call.params);
  const accountIds = listParam(call.params, 'AccountId');
  if (accountIds.length > 200) throw new ApiError('InvalidParameterValue', `Value (${accountIds.length}) for parameter AccountIds is invalid. Specify at most 200 account IDs.`);
  const bad = accountIds.find((a) => !/^\d{12}$/.test(a));
  if (bad !== undefined) throw new ApiError('InvalidParameterValue', `Value (${bad}) for parameter AccountId is invalid. Expecting a 12-digit account ID.`);
  const reports = reportsOf(fleet);
  const token = call.params.get('ClientToken');
  const reportId = 'amiur-' + createHash('sha256').update(`${call.accountId}|${call.region}|${img.imageId}|${token ?? reports.size + '|' + nowMs}`).digest('hex').slice(0, 17);
  if (!reports.has(reportId)) {
    // EC2 allows one in-progress (pending) usage report per AMI and region (User Guide, "View your
    // AMI usage", Report quotas); the refusal's code is not documented: see docs/emulator.md
    const pending = [...reports.values()].find((r) => r.imageId === img.imageId && r.ownerId === call.accountId && r.region === call.region && nowMs - r.createdMs < REPORT_LIFETIME_MS && stateOf(fleet, r) === 'pending');
    if (pending) throw new ApiError('ResourceLimitExceeded', `The image ${img.imageId} already has a usage report in progress (${pending.reportId}); only one pending usage report per image is allowed.`);
    reports.set(reportId, {
      reportId, imageId: img.imageId, ownerId: call.accountId, region: call.region, types, accountIds, createdMs: nowMs, polls: 0,
      entries: usageEntries(fleet, img, call.region, types, accountIds),
    });
  }
  return el('reportId', reportId);
}

function stateOf(fleet: Fleet, r: UsageReport): string {
  const polls = (fleet.images ?? []).find((i) => i.imageId === r.imageId)?.usageReportPolls ?? 2;
  return polls < 0 || r.polls < polls ? 'pending' : 'available';
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function pageOf<T>(call: Ec2Call, action: string, items: T[]): { items: T[]; next: string | null } {
  const raw = call.params.get('MaxResults');
  const max = raw === null ? DEFAULT_PAGE : Number(raw);
  if (raw !== null && (!Number.isInteger(max) || max < 1)) throw new ApiError('InvalidParameterValue', `Value ( ${raw} ) for parameter maxResults is invalid. Expecting a value greater than or equal to 1.`);
  const token = call.params.get('NextToken');
  const key = createHash('sha256').update(`${action}|${call.accountId}|${call.region}|${[...call.params].filter(([k]) => k !== 'NextToken' && k !== 'MaxResults').sort().join('&')}`).digest('base64url').slice(0, 16);
  let offset = 0;
  if (token) {
    const m = /^([A-Za-z0-9_-]{16})\.(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m || m[1] !== key || Number(m[2]) > items.length) throw new ApiError('InvalidPaginationToken', 'The specified pagination token is not valid or is expired');
    offset = Number(m[2]);
  }
  const end = Math.min(items.length, offset + max);
  return { items: items.slice(offset, end), next: end < items.length ? Buffer.from(`${key}.${end}`).toString('base64url') : null };
}

/** The caller's reports in the region, narrowed by ImageId.N, ReportId.N and the filters. */
function selectReports(fleet: Fleet, call: Ec2Call, nowMs: number, filterNames: ReadonlySet<string>): UsageReport[] {
  const ids = listParam(call.params, 'ReportId');
  const images = listParam(call.params, 'ImageId');
  const badReport = ids.find((x) => !REPORT_ID_RE.test(x));
  if (badReport !== undefined) throw new ApiError('InvalidParameterValue', `Value (${badReport}) for parameter ReportId is invalid.`);
  const badImage = images.find((x) => !AMI_ID_RE.test(x));
  if (badImage !== undefined) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${badImage}" (expecting "ami-...")`);
  const mine = [...reportsOf(fleet).values()].filter((r) => r.ownerId === call.accountId && r.region === call.region && nowMs - r.createdMs < REPORT_LIFETIME_MS);
  const missing = ids.find((id) => !mine.some((r) => r.reportId === id));
  if (missing !== undefined) throw new ApiError('InvalidImageUsageReportId.NotFound', `The image usage report ID '${missing}' does not exist`);
  let out = mine.filter((r) => (!ids.length || ids.includes(r.reportId)) && (!images.length || images.includes(r.imageId)));
  for (const f of filterParams(call.params)) {
    if (!filterNames.has(f.name)) throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    if (f.name === 'state') out = out.filter((r) => f.values.includes(stateOf(fleet, r)));
    else if (f.name === 'creation-time') out = out.filter((r) => f.values.some((v) => new RegExp(`^${v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(iso(r.createdMs))));
  }
  return out.sort((a, b) => a.createdMs - b.createdMs || (a.reportId < b.reportId ? -1 : 1));
}

/** DescribeImageUsageReports: each listed report counts one poll towards `available`. */
export function describeImageUsageReports(fleet: Fleet, call: Ec2Call, nowMs: number): string {
  const p = pageOf(call, 'DescribeImageUsageReports', selectReports(fleet, call, nowMs, new Set(['state', 'creation-time'])));
  const items = p.items.map((r) => {
    const state = stateOf(fleet, r);
    r.polls += 1;
    const types = r.types.map((t) => `<item>${el('resourceType', t.type)}${t.depth !== null ? `<resourceTypeOptionSet><item>${el('optionName', 'version-depth')}<optionValueSet>${el('item', t.depth)}</optionValueSet></item></resourceTypeOptionSet>` : ''}</item>`).join('');
    return `<item>${el('imageId', r.imageId)}${el('reportId', r.reportId)}<resourceTypeSet>${types}</resourceTypeSet>`
      + (r.accountIds.length ? `<accountIdSet>${r.accountIds.map((a) => el('item', a)).join('')}</accountIdSet>` : '')
      + `${el('state', state)}${el('creationTime', iso(r.createdMs))}${el('expirationTime', iso(r.createdMs + REPORT_LIFETIME_MS))}<tagSet/></item>`;
  });
  return (items.length ? `<imageUsageReportSet>${items.join('')}</imageUsageReportSet>` : '<imageUsageReportSet/>') + el('nextToken', p.next);
}

/** DescribeImageUsageReportEntries: the entries of the caller's available reports. */
export function describeImageUsageReportEntries(fleet: Fleet, call: Ec2Call, nowMs: number): string {
  const reports = selectReports(fleet, call, nowMs, new Set(['account-id', 'creation-time', 'resource-type'])).filter((r) => stateOf(fleet, r) === 'available');
  let entries = reports.flatMap((r) => r.entries.map((e) => ({ r, e })));
  for (const f of filterParams(call.params)) {
    if (f.name === 'account-id') entries = entries.filter((x) => f.values.includes(x.e.accountId));
    if (f.name === 'resource-type') entries = entries.filter((x) => f.values.includes(x.e.resourceType));
  }
  const p = pageOf(call, 'DescribeImageUsageReportEntries', entries);
  const items = p.items.map(({ r, e }) => `<item>${el('resourceType', e.resourceType)}${el('reportId', r.reportId)}${el('usageCount', e.count)}${el('accountId', e.accountId)}${el('imageId', r.imageId)}${el('reportCreationTime', iso(r.createdMs))}</item>`);
  return (items.length ? `<imageUsageReportEntrySet>${items.join('')}</imageUsageReportEntrySet>` : '<imageUsageReportEntrySet/>') + el('nextToken', p.next);
}

/**
 * GetImageAncestry: the image, then its source, and so on (`sourceImageId` and `sourceImageRegion`
 * of the fleet's images) to the root; a source the fleet does not hold ends the chain (the last
 * entry names it). A cycle in the fleet ends where an image repeats.
 */
export function getImageAncestry(fleet: Fleet, call: Ec2Call): string {
  const start = ownedImage(fleet, call, call.params.get('ImageId'));
  const entries: string[] = [];
  const seen = new Set<string>();
  let cur: FleetImage | undefined = start;
  while (cur && !seen.has(cur.imageId)) {
    seen.add(cur.imageId);
    entries.push(`<item>${el('creationDate', new Date(cur.creationDate).toISOString())}${el('imageId', cur.imageId)}${el('imageOwnerAlias', cur.ownerAlias)}${el('sourceImageId', cur.sourceImageId)}${el('sourceImageRegion', cur.sourceImageRegion)}</item>`);
    const src: string | undefined = cur.sourceImageId;
    cur = src === undefined ? undefined : (fleet.images ?? []).find((i) => i.imageId === src);
  }
  return `<imageAncestryEntrySet>${entries.join('')}</imageAncestryEntrySet>`;
}

/** The actions of this module, as the endpoint dispatches them. */
export const PUBLISHER_ACTIONS: readonly string[] = [
  'DescribeImageAttribute', 'GetImageBlockPublicAccessState', 'CreateImageUsageReport', 'DescribeImageUsageReports', 'DescribeImageUsageReportEntries', 'GetImageAncestry',
];

export function publisherAction(fleet: Fleet, action: string, call: Ec2Call, nowMs: number): string {
  switch (action) {
    case 'DescribeImageAttribute': return describeImageAttribute(fleet, call);
    case 'GetImageBlockPublicAccessState': return getImageBlockPublicAccessState(call);
    case 'CreateImageUsageReport': return createImageUsageReport(fleet, call, nowMs);
    case 'DescribeImageUsageReports': return describeImageUsageReports(fleet, call, nowMs);
    case 'DescribeImageUsageReportEntries': return describeImageUsageReportEntries(fleet, call, nowMs);
    case 'GetImageAncestry': return getImageAncestry(fleet, call);
    default: throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  }
}
