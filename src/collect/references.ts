/**
 * `--references`: what will launch a flagged AMI again. After a scope's instances are listed, its
 * AMIs that are deprecated, deregistered, disabled or not allowed are looked up with
 * DescribeImageReferences (at most 10 ids a call, every page), for launch templates (the latest
 * `versionDepth` versions), SSM parameters and Image Builder recipes. Launch templates are then
 * mapped to the Auto Scaling groups that launch from them (DescribeAutoScalingGroups, every page):
 * a group counts when the version it names (`$Latest`, `$Default` or a number; `$Default` when it
 * names none) resolves to the AMI (DescribeLaunchTemplateVersions). Calls grow with flagged AMIs
 * and the templates that reference them, never with instances.
 *
 * A lookup that fails is never "no references": the scope's reference coverage is `error` with
 * the code, the scope becomes partial, and the references found before the failure are kept.
 */
import type { EC2Client, ImageReferenceResourceType } from '@aws-sdk/client-ec2';
import type { AutoScalingClient, LaunchTemplateSpecification } from '@aws-sdk/client-auto-scaling';
import { onFirstUse, sdk, type LazyClient } from './clients.js';
import type { ImageReference, InstanceRecord, ReferenceCoverage, ScopeFailure } from '../model/types.js';
import { parseInstantMs } from '../model/time.js';
import { AMI_ID_RE, cmp } from '../model/ids.js';
import { CountedCalls } from './counted.js';
import { paginate } from './paginate.js';

/** DescribeImageReferences takes 1 to 10 image ids a call. */
export const IMAGE_IDS_PER_CALL = 10;
/** The API's default number of launch template versions checked, from the latest. */
export const DEFAULT_VERSION_DEPTH = 10;
export const MAX_VERSION_DEPTH = 10_000;
const REFERENCES_PAGE = 1000;
const GROUPS_PAGE = 100;
const RESOURCE_TYPES = ['ec2:LaunchTemplate', 'ssm:Parameter', 'imagebuilder:ImageRecipe', 'imagebuilder:ContainerRecipe'] as const;

/**
 * The scope's AMIs whose references are worth knowing: deprecated at or before `asOfMs`,
 * deregistered, disabled, or not allowed. Sorted, each once.
 */
export function flaggedImages(instances: readonly InstanceRecord[], asOfMs: number): string[] {
  const out = new Set<string>();
  for (const rec of instances) {
    const m = rec.ImageMetadata;
    const id = m?.ImageId;
    if (!m || typeof id !== 'string' || !AMI_ID_RE.test(id) || out.has(id)) continue;
    const deprecated = typeof m.DeprecationTime === 'string' && (parseInstantMs(m.DeprecationTime) ?? Infinity) <= asOfMs;
    if (deprecated || m.State === 'deregistered' || m.State === 'disabled' || m.ImageAllowed === false) out.add(id);
  }
  return [...out].sort();
}

/** The name and version a reference's ARN carries: `launch-template/lt-…`, `parameter/…`, `image-recipe/NAME/VERSION`. */
export function nameOfArn(resourceType: string, arn: string): { name: string | null; version: string | null } {
  const resource = arn.split(':').slice(5).join(':');
  const slash = resource.indexOf('/');
  const rest = slash < 0 ? '' : resource.slice(slash + 1);
  if (!rest) return { name: null, version: null };
  switch (resourceType) {
    case 'ssm:Parameter':
      // a hierarchical parameter (/golden/ami/web) loses its leading slash in the ARN
      return { name: rest.includes('/') ? `/${rest}` : rest, version: null };
    case 'imagebuilder:ImageRecipe':
    case 'imagebuilder:ContainerRecipe': {
      const [name, ...version] = rest.split('/');
      return { name: name || null, version: version.length ? version.join('/') : null };
    }
    default:
      return { name: rest, version: null };
  }
}

export interface ReferencesRequest {
  accountId: string;
  region: string;
  /** The scope's clients, or how to make them (each made when the lookup first needs it). */
  ec2: LazyClient<EC2Client>;
  autoscaling: LazyClient<AutoScalingClient>;
  instances: readonly InstanceRecord[];
  asOfMs: number;
  versionDepth?: number;
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  signal: AbortSignal;
}

export interface ReferencesResult {
  references: ImageReference[];
  coverage: ReferenceCoverage;
  /** Set when a lookup failed: the scope is partial for it. */
  failure: ScopeFailure | null;
  retries: number;
}

/** A lookup that did not complete: the action and the error. */
class LookupFailed extends Error {
  constructor(readonly failure: ScopeFailure) {
    super(failure.message);
  }
}

export async function collectReferences(req: ReferencesRequest): Promise<ReferencesResult> {
  const flagged = flaggedImages(req.instances, req.asOfMs);
  const counted = new CountedCalls({ limit: req.limit, signal: req.signal, fail: (action, d) => new LookupFailed({ action, code: d.code, message: d.message }) });
  const coverage = (status: ReferenceCoverage['status'], code: string | null, message: string | null): ReferenceCoverage => ({ status, code, message, images: flagged.length, apiCalls: counted.calls });
  if (flagged.length === 0) return { references: [], coverage: coverage('skipped', 'nothing-flagged', null), failure: null, retries: counted.retries };

  const send = counted.send;
  const malformed = (action: string, what: string): LookupFailed => new LookupFailed({ action, code: 'MalformedResponse', message: `${action}: ${what}; the answer was not trusted` });
  const opt = { abortSignal: req.signal };
  const ec2 = onFirstUse(req.ec2);
  const autoscaling = onFirstUse(req.autoscaling);
  const depth = String(req.versionDepth ?? DEFAULT_VERSION_DEPTH);
  const references = new Map<string, ImageReference>();
  try {
    // 1. The references of the flagged AMIs, 10 ids a call, every page.
    for (let i = 0; i < flagged.length; i += IMAGE_IDS_PER_CALL) {
      const batch = flagged.slice(i, i + IMAGE_IDS_PER_CALL);
      const asked = new Set(batch);
      const res = await paginate({
        action: 'DescribeImageReferences', pageSize: REFERENCES_PAGE,
        fetch: async (token) => {
          const out = await send('DescribeImageReferences', () => ec2().send(new sdk.ec2.DescribeImageReferencesCommand({
            ImageIds: batch,
            ResourceTypes: RESOURCE_TYPES.map((t) => (t === 'ec2:LaunchTemplate'
              ? { ResourceType: t as ImageReferenceResourceType, ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: [depth] }] }
              : { ResourceType: t as ImageReferenceResourceType })),
            MaxResults: REFERENCES_PAGE,
            ...(token ? { NextToken: token } : {}),
          }), opt));
          if (!Array.isArray(out.ImageReferences)) throw malformed('DescribeImageReferences', 'the answer has no imageReferenceSet');
          return { items: out.ImageReferences, nextToken: out.NextToken };
        },
        onItems: (items) => {
          let fresh = 0;
          for (const it of items) {
            if (!it.ImageId || !asked.has(it.ImageId) || !it.Arn || !it.ResourceType) throw malformed('DescribeImageReferences', `a reference to ${JSON.stringify(String(it.ImageId ?? '(none)').slice(0, 40))}, not one of the AMIs asked about, or without an ARN`);
            // the scope's own resources only: another account's or region's ARN is not an answer for this scope
            const parts = it.Arn.split(':');
            if (parts[3] !== req.region || parts[4] !== req.accountId) throw malformed('DescribeImageReferences', `a reference ${JSON.stringify(it.Arn.slice(0, 120))} outside ${req.accountId} ${req.region}`);
            const key = `${it.ImageId}|${it.Arn}`;
            if (references.has(key)) continue;
            fresh += 1;
            references.set(key, { accountId: req.accountId, region: req.region, imageId: it.ImageId, resourceType: it.ResourceType, arn: it.Arn, ...nameOfArn(it.ResourceType, it.Arn), usedBy: [] });
          }
          return fresh;
        },
      });
      if (res.failure) throw new LookupFailed(res.failure);
    }

    // 2. Launch templates -> the Auto Scaling groups that launch the AMI from them.
    const templates = new Map<string, ImageReference[]>(); // launch template id -> its references
    for (const r of references.values()) {
      if (r.resourceType !== 'ec2:LaunchTemplate' || !r.name) continue;
      const list = templates.get(r.name) ?? [];
      list.push(r);
      templates.set(r.name, list);
    }
    if (templates.size) {
      // each template's name (groups may name it by name) and default version
      const names = new Map<string, string>();
      const resolved = new Map<string, { version: string; imageId: string | null }>(); // `${id}|${version spec}`
      const resolve = async (id: string, spec: string): Promise<{ version: string; imageId: string | null } | null> => {
        const key = `${id}|${spec}`;
        if (!resolved.has(key)) {
          const out = await send('DescribeLaunchTemplateVersions', () => ec2().send(new sdk.ec2.DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: [spec] }), opt));
          if (!Array.isArray(out.LaunchTemplateVersions)) throw malformed('DescribeLaunchTemplateVersions', 'the answer has no launchTemplateVersionSet');
          const v = out.LaunchTemplateVersions.find((x) => x.LaunchTemplateId === id);
          if (!v || v.VersionNumber === undefined) throw malformed('DescribeLaunchTemplateVersions', `no version ${spec} of ${id} in the answer`);
          if (v.LaunchTemplateName) names.set(id, v.LaunchTemplateName);
          resolved.set(key, { version: String(v.VersionNumber), imageId: v.LaunchTemplateData?.ImageId ?? null });
        }
        return resolved.get(key) ?? null;
      };
      for (const id of [...templates.keys()].sort()) await resolve(id, '$Default');
      for (const [id, list] of templates) {
        for (const r of list) {
          r.name = names.get(id) ?? r.name;
          const d = resolved.get(`${id}|$Default`);
          if (d) r.defaultVersion = d.version;
        }
      }
      const byName = new Map([...names].map(([id, name]) => [name, id]));

      const uses: { group: string; spec: LaunchTemplateSpecification }[] = [];
      const groupNames = new Set<string>();
      const groups = await paginate({
        action: 'DescribeAutoScalingGroups', pageSize: GROUPS_PAGE,
        fetch: async (token) => {
          const out = await send('DescribeAutoScalingGroups', () => autoscaling().send(new sdk.autoScaling.DescribeAutoScalingGroupsCommand({ MaxRecords: GROUPS_PAGE, ...(token ? { NextToken: token } : {}) }), opt));
          if (!Array.isArray(out.AutoScalingGroups)) throw malformed('DescribeAutoScalingGroups', 'the answer has no AutoScalingGroups');
          return { items: out.AutoScalingGroups, nextToken: out.NextToken };
        },
        onItems: (items) => {
          let fresh = 0;
          for (const g of items) {
            if (!g.AutoScalingGroupName || groupNames.has(g.AutoScalingGroupName)) continue;
            groupNames.add(g.AutoScalingGroupName);
            fresh += 1;
            const specs = [g.LaunchTemplate, g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification, ...(g.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? []).map((o) => o.LaunchTemplateSpecification)];
            for (const spec of specs) if (spec) uses.push({ group: g.AutoScalingGroupName, spec });
          }
          return fresh;
        },
      });
      if (groups.failure) throw new LookupFailed(groups.failure);
      for (const { group, spec } of uses) {
        const id = spec.LaunchTemplateId ?? (spec.LaunchTemplateName ? byName.get(spec.LaunchTemplateName) : undefined);
        if (!id || !templates.has(id)) continue;
        const version = await resolve(id, spec.Version || '$Default');
        if (!version?.imageId) continue;
        for (const r of templates.get(id)!) {
          if (r.imageId !== version.imageId) continue;
          if (!r.usedBy.includes(group)) r.usedBy.push(group);
          const versions = new Set((r.version ?? '').split(',').filter(Boolean));
          versions.add(version.version);
          r.version = [...versions].sort((a, b) => Number(a) - Number(b)).join(',');
        }
      }
    }
  } catch (e) {
    if (!(e instanceof LookupFailed)) throw e;
    // which groups launch a template's AMI is not known: never read as "none"
    if (e.failure.action !== 'DescribeImageReferences') for (const r of references.values()) if (r.resourceType === 'ec2:LaunchTemplate') r.usedByUnknown = true;
    return { references: sorted(references), coverage: coverage('error', e.failure.code, e.failure.message), failure: e.failure, retries: counted.retries };
  }
  return { references: sorted(references), coverage: coverage('ok', null, null), failure: null, retries: counted.retries };
}

function sorted(refs: Map<string, ImageReference>): ImageReference[] {
  const list = [...refs.values()];
  for (const r of list) r.usedBy.sort();
  return list.sort((a, b) => cmp(a.imageId, b.imageId) || cmp(a.arn, b.arn));
}
