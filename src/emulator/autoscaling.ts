/**
 * Amazon EC2 Auto Scaling (2011-01-01, AWS Query protocol) on the local endpoint:
 * DescribeAutoScalingGroups, answered from the fleet's `autoScalingGroups`.
 */
import { createHash } from 'node:crypto';
import type { FleetAccount, FleetAutoScalingGroup, FleetInstance, FleetLaunchTemplate, FleetLaunchTemplateSpec } from './fleet.js';
import { ApiError } from './ec2.js';
import { el, esc, XML_DECL } from './xml.js';

export const AUTOSCALING_NS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
export const AUTOSCALING_VERSION = '2011-01-01';
export const AUTOSCALING_ACTIONS: ReadonlySet<string> = new Set(['DescribeAutoScalingGroups']);

const DEFAULT_MAX_RECORDS = 50;
const MAX_MAX_RECORDS = 100;
const DEFAULT_CREATED_TIME = '2024-01-01T00:00:00Z';

/** A success answer: the Result wrapper is mandatory (without it the SDK silently returns {}). */
export function autoscalingResponse(action: string, requestId: string, body: string): string {
  return `${XML_DECL}<${action}Response xmlns="${AUTOSCALING_NS}"><${action}Result>${body}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

/** An error answer: `ErrorResponse/Error{Type,Code,Message}` with the RequestId beside Error. */
export function autoscalingError(code: string, message: string, requestId: string, type: 'Sender' | 'Receiver' = 'Sender'): string {
  return `${XML_DECL}<ErrorResponse xmlns="${AUTOSCALING_NS}"><Error><Type>${type}</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

export interface AutoScalingCall {
  account: FleetAccount | undefined;
  accountId: string;
  region: string;
  action: string;
  params: URLSearchParams;
}

/** Answers one Auto Scaling call (the body inside the Result wrapper); throws ApiError. */
export function autoscalingCall(call: AutoScalingCall): string {
  if (!AUTOSCALING_ACTIONS.has(call.action)) throw new ApiError('InvalidAction', `Could not find operation ${call.action} for version ${AUTOSCALING_VERSION}`);
  if (call.params.get('Version') !== AUTOSCALING_VERSION) throw new ApiError('InvalidAction', `Could not find operation ${call.action} for version ${call.params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`);
  return describeAutoScalingGroups(call);
}

/** Reads `Name.member.N` lists (1-based, as the awsQuery protocol sends them). */
function memberList(params: URLSearchParams, prefix: string): string[] {
  const out: [number, string][] = [];
  for (const [k, v] of params) {
    const m = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.member\\.(\\d+)$`).exec(k);
    if (m) out.push([Number(m[1]), v]);
  }
  return out.sort((a, b) => a[0] - b[0]).map((x) => x[1]);
}

/** Reads `Filters.member.N.Name` / `Filters.member.N.Values.member.M`. */
function filters(params: URLSearchParams): { name: string; values: string[] }[] {
  const byN = new Map<number, { name: string; values: [number, string][] }>();
  for (const [k, v] of params) {
    const m = /^Filters\.member\.(\d+)\.(?:(Name)|Values\.member\.(\d+))$/.exec(k);
    if (!m) continue;
    const f = byN.get(Number(m[1])) ?? { name: '', values: [] };
    byN.set(Number(m[1]), f);
    if (m[2]) f.name = v;
    else f.values.push([Number(m[3]), v]);
  }
  return [...byN.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => ({ name: f.name, values: f.values.sort((a, b) => a[0] - b[0]).map((x) => x[1]) }));
}

function validation(message: string): ApiError {
  return new ApiError('ValidationError', message);
}

function maxRecords(params: URLSearchParams): number {
  const raw = params.get('MaxRecords');
  if (raw === null) return DEFAULT_MAX_RECORDS;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw)) throw validation(`1 validation error detected: Value '${raw}' at 'maxRecords' failed to satisfy constraint: Member must be an integer`);
  if (n < 1) throw validation(`1 validation error detected: Value '${raw}' at 'maxRecords' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  if (n > MAX_MAX_RECORDS) throw validation(`1 validation error detected: Value '${raw}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to ${MAX_MAX_RECORDS}`);
  return n;
}

/** Binds a token to the account, region and the request's parameters (all but NextToken and MaxRecords). */
function fingerprint(call: AutoScalingCall): string {
  const p = new URLSearchParams(call.params);
  p.delete('NextToken');
  p.delete('MaxRecords');
  return createHash('sha256').update(`autoscaling|${call.action}|${call.accountId}|${call.region}|${[...p].sort().join('&')}`).digest('base64url').slice(0, 16);
}

function groupArn(call: AutoScalingCall, name: string): string {
  const h = createHash('sha256').update(`${call.accountId}|${call.region}|${name}`).digest('hex');
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16]!, 16) % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  const partition = call.region.startsWith('cn-') ? 'aws-cn' : call.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:autoscaling:${call.region}:${call.accountId}:autoScalingGroup:${uuid}:autoScalingGroupName/${name}`;
}

/** The template a specification names, when the account and region have it. */
function templateOf(spec: FleetLaunchTemplateSpec, templates: FleetLaunchTemplate[]): FleetLaunchTemplate | undefined {
  return templates.find((t) => (spec.id !== undefined ? t.id === spec.id : t.name === spec.name));
}

/** A LaunchTemplateSpecification as Auto Scaling answers it: id and name both (when the template exists), Version as set, `$Default` when unset. */
function specXml(spec: FleetLaunchTemplateSpec, templates: FleetLaunchTemplate[], version = spec.version ?? '$Default'): string {
  const t = templateOf(spec, templates);
  return el('LaunchTemplateId', spec.id ?? t?.id) + el('LaunchTemplateName', spec.name ?? t?.name) + el('Version', version);
}

/** The version number an instance launched from: the group's Version resolved against the template. */
function resolvedVersion(spec: FleetLaunchTemplateSpec, templates: FleetLaunchTemplate[]): string {
  const v = spec.version ?? '$Default';
  const t = templateOf(spec, templates);
  if (!t) return v;
  if (v === '$Latest') return String(Math.max(...t.versions.map((x) => x.number)));
  if (v === '$Default') return String(t.defaultVersion);
  return v;
}

const LIFECYCLE: Record<string, string> = {
  pending: 'Pending', running: 'InService', stopping: 'InService', stopped: 'InService', 'shutting-down': 'Terminating', terminated: 'Terminated',
};

function instanceXml(i: FleetInstance, spec: FleetLaunchTemplateSpec | undefined, templates: FleetLaunchTemplate[]): string {
  const state = i.State?.Name ?? 'running';
  const lt = spec ? `<LaunchTemplate>${specXml(spec, templates, resolvedVersion(spec, templates))}</LaunchTemplate>` : '';
  return `<member>${el('InstanceId', i.InstanceId)}${el('InstanceType', i.InstanceType)}${el('AvailabilityZone', i.AvailabilityZone)}${el('LifecycleState', LIFECYCLE[state] ?? 'InService')}`
    + `${el('HealthStatus', state === 'running' || state === 'pending' ? 'Healthy' : 'Unhealthy')}${lt}<ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>`;
}

function groupXml(call: AutoScalingCall, g: FleetAutoScalingGroup, includeInstances: boolean): string {
  const region = call.region;
  const templates = call.account?.launchTemplates?.[region] ?? [];
  const byId = new Map((call.account?.instances?.[region] ?? []).map((i) => [i.InstanceId, i]));
  const members = (g.instanceIds ?? []).map((id) => byId.get(id)).filter((i): i is FleetInstance => i !== undefined);
  const desired = g.desiredCapacity ?? members.length;
  const min = g.minSize ?? desired;
  const max = g.maxSize ?? Math.max(desired, 1);
  const zones = [...new Set(members.map((i) => i.AvailabilityZone).filter((z): z is string => Boolean(z)))];
  if (zones.length === 0) zones.push(`${region}a`);
  const spec = g.launchTemplate ?? g.mixedInstancesPolicy?.launchTemplate;
  let template = '';
  if (g.launchTemplate) template = `<LaunchTemplate>${specXml(g.launchTemplate, templates)}</LaunchTemplate>`;
  if (g.mixedInstancesPolicy) {
    const m = g.mixedInstancesPolicy;
    const overrides = m.overrides
      ? `<Overrides>${m.overrides.map((o) => `<member>${el('InstanceType', o.instanceType)}${o.launchTemplate ? `<LaunchTemplateSpecification>${specXml(o.launchTemplate, templates)}</LaunchTemplateSpecification>` : ''}${el('ImageId', o.imageId)}</member>`).join('')}</Overrides>`
      : '';
    template = `<MixedInstancesPolicy><LaunchTemplate><LaunchTemplateSpecification>${specXml(m.launchTemplate, templates)}</LaunchTemplateSpecification>${overrides}</LaunchTemplate></MixedInstancesPolicy>`;
  }
  const tags = g.tags?.length
    ? `<Tags>${g.tags.map((t) => `<member>${el('ResourceId', g.name)}<ResourceType>auto-scaling-group</ResourceType>${el('Key', t.key)}${el('Value', t.value)}<PropagateAtLaunch>true</PropagateAtLaunch></member>`).join('')}</Tags>`
    : '<Tags/>';
  const instances = includeInstances ? (members.length ? `<Instances>${members.map((i) => instanceXml(i, spec, templates)).join('')}</Instances>` : '<Instances/>') : '';
  return `<member>${el('AutoScalingGroupName', g.name)}${el('AutoScalingGroupARN', groupArn(call, g.name))}${template}`
    + `${el('MinSize', min)}${el('MaxSize', max)}${el('DesiredCapacity', desired)}<DefaultCooldown>300</DefaultCooldown>`
    + `<AvailabilityZones>${zones.map((z) => el('member', z)).join('')}</AvailabilityZones><HealthCheckType>EC2</HealthCheckType><HealthCheckGracePeriod>300</HealthCheckGracePeriod>`
    + `${instances}${el('CreatedTime', new Date(g.createdTime ?? DEFAULT_CREATED_TIME).toISOString())}${tags}</member>`;
}

function filterFn(f: { name: string; values: string[] }): (g: FleetAutoScalingGroup) => boolean {
  const tags = (g: FleetAutoScalingGroup) => g.tags ?? [];
  if (f.name === 'tag-key') return (g) => tags(g).some((t) => f.values.includes(t.key));
  if (f.name === 'tag-value') return (g) => tags(g).some((t) => f.values.includes(t.value));
  if (f.name.startsWith('tag:')) {
    const key = f.name.slice(4);
    return (g) => tags(g).some((t) => t.key === key && f.values.includes(t.value));
  }
  throw validation(`Filter name '${f.name}' is invalid. Valid filter names: tag-key, tag-value, tag:<key>.`);
}

/**
 * DescribeAutoScalingGroups: the account's groups in the region, in name order, filtered by
 * AutoScalingGroupNames.member.N (names that do not exist are left out) and Filters (AND-ed,
 * values OR-ed), MaxRecords a page (1-100, default 50), opaque NextTokens bound to the request,
 * Instances unless IncludeInstances=false.
 */
function describeAutoScalingGroups(call: AutoScalingCall): string {
  const p = call.params;
  const max = maxRecords(p);
  const names = memberList(p, 'AutoScalingGroupNames');
  const limit = p.has('MaxRecords') ? max : DEFAULT_MAX_RECORDS;
  if (names.length > limit) throw validation(`The number of AutoScalingGroupNames (${names.length}) exceeds the limit of ${limit}. Use MaxRecords to raise it (up to ${MAX_MAX_RECORDS}).`);
  const badName = names.find((n) => n.length < 1 || n.length > 255);
  if (badName !== undefined) throw validation(`1 validation error detected: Value '${badName}' at 'autoScalingGroupNames' failed to satisfy constraint: Member must have length between 1 and 255`);
  let groups = [...(call.account?.autoScalingGroups?.[call.region] ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (names.length) groups = groups.filter((g) => names.includes(g.name));
  for (const f of filters(p)) groups = groups.filter(filterFn(f));

  const fp = fingerprint(call);
  const token = p.get('NextToken');
  let offset = 0;
  if (token !== null) {
    const m = /^([A-Za-z0-9_-]{16})\.(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m || m[1] !== fp || Number(m[2]) > groups.length) throw new ApiError('InvalidNextToken', 'The token is invalid or has expired.');
    offset = Number(m[2]);
  }
  const end = Math.min(groups.length, offset + max);
  const includeInstances = p.get('IncludeInstances') !== 'false';
  const page = groups.slice(offset, end);
  const list = page.length ? `<AutoScalingGroups>${page.map((g) => groupXml(call, g, includeInstances)).join('')}</AutoScalingGroups>` : '<AutoScalingGroups/>';
  return list + (end < groups.length ? el('NextToken', Buffer.from(`${fp}.${end}`).toString('base64url')) : '');
}
