/**
 * `--successors`: the AMI to replace each flagged AMI with, per region (docs/successors.md).
 *
 * 1. `ssm-parameter`: an AMI of a public family (Amazon Linux 2023 and 2, Windows Server, Ubuntu,
 *    Bottlerocket, EKS-optimised), recognised from its owner, owner alias and name, is matched to
 *    the public parameter AWS (or Canonical) keeps pointing at the family's latest image, of the same
 *    architecture, edition, kernel, Kubernetes version and volume type where the name says them.
 * 2. `same-name-family`: else the same owner's newest image whose name differs only in its version,
 *    date and build tokens: DescribeImages with Owners=[owner] AND the name pattern, never a name
 *    alone (a name filter alone returns images anyone can publish: the "whoAMI" attack).
 * A candidate must be `available`, not deprecated at the as-of time, of the same architecture, and
 * allowed by the region's Allowed AMIs criteria where they apply (enabled or audit-mode).
 *
 * Calls grow with flagged AMIs x regions, never with instances: a public family's parameter and
 * images are asked once per region, whichever accounts run it. A lookup that is denied, throttled
 * past retries or malformed is never "no successor": the AMI says "successor not looked up" with
 * the code and call, and the run's warnings count them; the audit itself stays complete.
 */
import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { CoverageEntry, ImageCriterion, ImageMetadata, InstanceRecord, Successor, SuccessorRecord } from '../model/types.js';
import { parseInstantMs } from '../model/time.js';
import { AMI_ID_RE, cmp } from '../model/ids.js';
import { criterionGaps } from '../rules/criteria.js';
import { viewOf } from '../rules/engine.js';
import { sdk } from './clients.js';
import { describeError } from './errors.js';
import { CountedCalls } from './counted.js';
import { paginate } from './paginate.js';
import { flaggedImages } from './references.js';
import { criteriaOf, type RawCriterion } from './scope.js';
import { pickSuccessor, sortSuccessors } from './successor-records.js';

export { mergeSuccessors, successorWarning } from './successor-records.js';

/** Canonical's publishing account for Ubuntu in the aws partition. */
export const CANONICAL_OWNER = '099720109477';
/** Accounts that publish Amazon's own AMIs (their images carry the alias `amazon`). */
const AMAZON_OWNERS = new Set(['137112412989', '801119661308', '602401143452']);
const IDS_PER_DESCRIBE = 100;
const IMAGES_PAGE = 1000;

/** What a flagged AMI's name says about its public family: the parameter, or why none can be chosen. */
export type FamilyMatch = { family: string; path: string } | { family: string; ambiguous: string } | null;

const ARCH_OF_UBUNTU: Record<string, string> = { amd64: 'x86_64', arm64: 'arm64' };
const UBUNTU_VOLUME: Record<string, string> = { 'hvm-ssd': 'ebs-gp2', 'hvm-ssd-gp3': 'ebs-gp3', 'hvm-io1': 'ebs-io1', 'hvm-instance': 'instance-store' };

/**
 * The public family of an AMI and the SSM public parameter of its latest image, from its owner,
 * owner alias and name; the architecture the image has (DescribeImages, or inferred) must agree
 * with the name's. Null when it belongs to no public family this knows.
 */
export function publicFamily(meta: { OwnerId?: string | null; ImageOwnerAlias?: string | null; Name?: string | null }, architecture: string | null): FamilyMatch {
  const name = meta.Name ?? '';
  const owner = meta.OwnerId ?? '';
  const amazon = meta.ImageOwnerAlias === 'amazon' || AMAZON_OWNERS.has(owner);
  const archOk = (a: string): boolean => architecture === null || architecture === a;
  let m: RegExpExecArray | null;
  if (owner === CANONICAL_OWNER) {
    // ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251001; ubuntu-minimal/images/.../ubuntu-jammy-22.04-arm64-minimal-20250101
    m = /^ubuntu(-minimal)?\/images\/(hvm-ssd-gp3|hvm-ssd|hvm-io1|hvm-instance)\/ubuntu-[a-z]+-(\d{2}\.\d{2})-(amd64|arm64)-(server|minimal)-\d{8}(?:\.\d+)?$/.exec(name);
    if (!m) return null;
    const product = m[1] || m[5] === 'minimal' ? 'server-minimal' : 'server';
    if (!archOk(ARCH_OF_UBUNTU[m[4]!]!)) return { family: 'Ubuntu', ambiguous: `its name says ${m[4]} but the image is ${architecture}` };
    return { family: 'Ubuntu', path: `/aws/service/canonical/ubuntu/${product}/${m[3]}/stable/current/${m[4]}/hvm/${UBUNTU_VOLUME[m[2]!]}/ami-id` };
  }
  if (!amazon) return null;
  const withArch = (family: string, arch: string, path: string): FamilyMatch => (archOk(arch) ? { family, path } : { family, ambiguous: `its name says ${arch} but the image is ${architecture}` });
  // al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64, al2023-ami-minimal-2023.6.20241212.0-kernel-6.12-arm64
  if ((m = /^al2023-ami-(minimal-)?2023\.[\d.]+-kernel-(\d+\.\d+)-(x86_64|arm64)$/.exec(name))) {
    return withArch('Amazon Linux 2023', m[3]!, `/aws/service/ami-amazon-linux-latest/al2023-ami-${m[1] ?? ''}kernel-${m[2]}-${m[3]}`);
  }
  if (/^al2023-ami-/.test(name)) return { family: 'Amazon Linux 2023', ambiguous: 'its name does not say the edition, kernel and architecture' };
  // amzn2-ami-hvm-2.0.20231101.0-x86_64-gp2, amzn2-ami-kernel-5.10-hvm-2.0.20240101.0-arm64-gp2, amzn2-ami-minimal-hvm-2.0.20240101.0-x86_64-ebs
  if ((m = /^amzn2-ami-(minimal-)?(kernel-\d+\.\d+-)?hvm-2\.0\.\d{8}(?:\.\d+)?-(x86_64|arm64)-(gp2|ebs)$/.exec(name))) {
    return withArch('Amazon Linux 2', m[3]!, `/aws/service/ami-amazon-linux-latest/amzn2-ami-${m[1] ?? ''}${m[2] ?? ''}hvm-${m[3]}-${m[4]}`);
  }
  if (/^amzn2-ami-/.test(name)) return { family: 'Amazon Linux 2', ambiguous: 'its name does not say the edition, kernel, architecture and volume type' };
  // Windows_Server-2022-English-Core-EKS_Optimized-1.31-2025.01.15
  if ((m = /^(Windows_Server-\d{4}-[A-Za-z_]+-(?:Full|Core)-EKS_Optimized-\d+\.\d+)-\d{4}\.\d{2}\.\d{2}$/.exec(name))) {
    return withArch('EKS-optimised Windows', 'x86_64', `/aws/service/ami-windows-latest/${m[1]}/image_id`);
  }
  // Windows_Server-2025-English-Full-Base-2026.10.15
  if ((m = /^(Windows_Server-[\w-]+?)-\d{4}\.\d{2}\.\d{2}$/.exec(name))) return withArch('Windows Server', 'x86_64', `/aws/service/ami-windows-latest/${m[1]}`);
  // bottlerocket-aws-k8s-1.31-nvidia-x86_64-v1.26.0-943d9a41, bottlerocket-aws-ecs-2-arm64-v1.26.0-943d9a41
  if ((m = /^bottlerocket-(aws-[a-z0-9.-]+?)-(x86_64|arm64)-v\d+\.\d+\.\d+-[0-9a-f]{8}$/.exec(name))) {
    return withArch('Bottlerocket', m[2]!, `/aws/service/bottlerocket/${m[1]}/${m[2]}/latest/image_id`);
  }
  // amazon-eks-node-al2023-x86_64-standard-1.31-v20250101
  if ((m = /^amazon-eks-node-al2023-(x86_64|arm64)-(standard|nvidia|neuron)-(\d+\.\d+)-v\d{8}$/.exec(name))) {
    return withArch('EKS-optimised Amazon Linux 2023', m[1]!, `/aws/service/eks/optimized-ami/${m[3]}/amazon-linux-2023/${m[1]}/${m[2]}/recommended/image_id`);
  }
  // amazon-eks-node-1.29-v20240101, amazon-eks-arm64-node-1.29-v20240101, amazon-eks-gpu-node-1.29-v20240101
  if ((m = /^amazon-eks-(arm64-|gpu-)?node-(\d+\.\d+)-v\d{8}$/.exec(name))) {
    const variant = m[1] === 'arm64-' ? 'amazon-linux-2-arm64' : m[1] === 'gpu-' ? 'amazon-linux-2-gpu' : 'amazon-linux-2';
    return withArch('EKS-optimised Amazon Linux 2', m[1] === 'arm64-' ? 'arm64' : 'x86_64', `/aws/service/eks/optimized-ami/${m[2]}/${variant}/recommended/image_id`);
  }
  return null;
}

/** A token of a name that carries a version, date or build rather than the family. */
function variable(token: string, prevNumeric: boolean, nextNumeric: boolean): boolean {
  if (/^v?\d+(\.\d+)+$/.test(token) || /^v\d+$/.test(token)) return true; // 2.0.20231101.0, 7.2, v20250101
  if (/^\d+$/.test(token)) return token.length >= 6 || prevNumeric || nextNumeric; // 20250101; 2025-03-01; a lone 2025 is a major version
  return /^[0-9a-f]{7,40}$/.test(token) && /\d/.test(token) && /[a-f]/.test(token); // a commit hash
}

/**
 * The name family of an AMI name: the name with each run of version, date and build tokens
 * replaced by `*` (DescribeImages' wildcard); architecture words and lone major versions stay.
 * Null when the name has no such token (no family can be told from it).
 */
export function namePattern(name: string): string | null {
  const parts = name.split(/([-_/ ])/); // separators kept at odd positions
  const tokens = parts.filter((_, i) => i % 2 === 0);
  const numeric = tokens.map((t) => /^\d+$/.test(t));
  const isVar = tokens.map((t, i) => variable(t, numeric[i - 1] ?? false, numeric[i + 1] ?? false));
  if (!isVar.some(Boolean)) return null;
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const sep = i > 0 ? parts[2 * i - 1]! : '';
    if (isVar[i]) {
      if (i > 0 && isVar[i - 1]) continue; // one * for a run
      out += `${sep}*`;
    } else out += sep + tokens[i]!;
  }
  return out;
}

/** Instance type families on AWS Graviton (arm64): a1, and a `g` after the generation digit (c7g, m6gd, t4g, g5g, im4gn). */
export function isGraviton(instanceType: string): boolean {
  const family = instanceType.split('.')[0] ?? '';
  return family === 'a1' || /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family) && !/^(?:mac)/.test(family);
}

/** The architecture the instances running an AMI imply, when they agree; null otherwise. */
export function inferArchitecture(instanceTypes: readonly string[]): string | null {
  const archs = new Set(instanceTypes.filter(Boolean).map((t) => (isGraviton(t) ? 'arm64' : /^mac/.test(t) ? 'mac' : 'x86_64')));
  return archs.size === 1 && !archs.has('mac') ? [...archs][0]! : null;
}

/** A lookup that did not complete: the outcome names the code and the call. */
class LookupFailed extends Error {
  constructor(readonly code: string, readonly call: string) {
    super(`${code} (${call})`);
  }
}

const notLookedUp = (e: LookupFailed, architecture: string | null, inferred: boolean): Successor => ({
  status: 'not-looked-up', imageId: null, name: null, creationDate: null, deprecationTime: null, method: null, matchedOn: null,
  architecture, inferred, reason: `successor not looked up: ${e.message}`,
});

export interface SuccessorScope {
  accountId: string;
  region: string;
  ec2: EC2Client;
  /** Made on first use: a scope whose AMIs are all outside the public families makes no SSM client. */
  ssm: () => SSMClient;
  instances: readonly InstanceRecord[];
  /** The scope's coverage: its Allowed AMIs state and criteria, when the scope read them. */
  coverage: CoverageEntry;
}

interface AllowedAmis { state: string; criteria: ImageCriterion[] | null; managedBy: string | null }

export interface SuccessorOptions {
  asOfMs: number;
  /** deprecation-soon's window in days (null: the rule is off): an AMI deprecated within it is flagged too. */
  soonDays?: number | null;
  /** stale-ami's age in days (null: the rule is off): an AMI created longer ago is flagged too. */
  staleDays?: number | null;
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  signal: AbortSignal;
  /** Where an unexpected exception of a lookup is told (with its stack), for --debug. */
  onDiagnostic?: (line: string) => void;
}

/** Whether an image is allowed by the criteria (any one criterion met in full); own images always are. */
function allowedBy(img: Image, allowed: AllowedAmis, accountId: string, region: string, asOfMs: number): boolean {
  if (img.ImageAllowed === false) return false; // EC2's own judgement
  if (allowed.state === 'disabled' || img.OwnerId === accountId) return true;
  if (allowed.criteria === null) return img.ImageAllowed === true;
  const meta: ImageMetadata = { ImageId: img.ImageId, Name: img.Name, OwnerId: img.OwnerId, ImageOwnerAlias: img.ImageOwnerAlias, CreationDate: img.CreationDate, DeprecationTime: img.DeprecationTime, State: img.State };
  const view = viewOf({ accountId, region, InstanceId: '', OwnerId: accountId, ImageMetadata: meta } as InstanceRecord, allowed.state as 'enabled', undefined, { list: allowed.criteria, managedBy: allowed.managedBy });
  return allowed.criteria.some((c) => {
    const g = criterionGaps(c, view, asOfMs);
    return g.fails.length === 0 && g.unknown.length === 0;
  });
}

const DAY_MS = 86_400_000;

/**
 * The AMIs of a scope that need a successor: those --references looks up (deprecated, deregistered,
 * disabled, not allowed), and those deprecation-soon (deprecated within `soonDays`) and stale-ami
 * (created more than `staleDays` ago) flag; sorted.
 */
export function successorCandidates(instances: readonly InstanceRecord[], asOfMs: number, soonDays: number | null, staleDays: number | null): string[] {
  const out = new Set(flaggedImages(instances, asOfMs));
  if (soonDays === null && staleDays === null) return [...out];
  for (const rec of instances) {
    const m = rec.ImageMetadata;
    const id = m?.ImageId;
    if (!m || typeof id !== 'string' || !AMI_ID_RE.test(id) || out.has(id)) continue;
    const dep = typeof m.DeprecationTime === 'string' ? parseInstantMs(m.DeprecationTime) : null;
    const created = typeof m.CreationDate === 'string' ? parseInstantMs(m.CreationDate) : null;
    if ((soonDays !== null && dep !== null && dep <= asOfMs + soonDays * DAY_MS) || (staleDays !== null && created !== null && created < asOfMs - staleDays * DAY_MS)) out.add(id);
  }
  return [...out].sort();
}

/** The successor lookups of a run: shared answers per region, outcomes per account, one record per AMI and region. */
export class SuccessorFinder {
  /** Answers shared by the scopes of a run (public parameters and public images per region). */
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly outcomes = new Map<string, { accountId: string; successor: Successor }[]>();
  private readonly counted: CountedCalls;

  constructor(private readonly opts: SuccessorOptions) {
    this.counted = new CountedCalls({ limit: opts.limit, signal: opts.signal, fail: (call, d) => new LookupFailed(d.code, call) });
  }

  /** API calls made (for the bench). */
  get apiCalls(): number {
    return this.counted.calls;
  }

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      p.catch(() => undefined);
      this.cache.set(key, p);
    }
    return p;
  }

  private send<T>(call: string, fn: () => Promise<T>): Promise<T> {
    return this.counted.send(call, fn);
  }

  /**
   * The images of these ids this account can describe (absent: not found), deprecated and disabled
   * ones included: a batch call, and one call per id when the batch names an id that does not exist.
   */
  private async describe(ec2: EC2Client, ids: string[]): Promise<Map<string, Image>> {
    const out = new Map<string, Image>();
    const ask = async (batch: string[]): Promise<void> => {
      const res = await this.send('ec2:DescribeImages', () => ec2.send(new sdk.ec2.DescribeImagesCommand({ ImageIds: batch, IncludeDeprecated: true, IncludeDisabled: true }), { abortSignal: this.opts.signal }));
      if (!Array.isArray(res.Images)) throw new LookupFailed('MalformedResponse', 'ec2:DescribeImages');
      for (const img of res.Images) if (img.ImageId && batch.includes(img.ImageId)) out.set(img.ImageId, img);
    };
    for (let i = 0; i < ids.length; i += IDS_PER_DESCRIBE) {
      const batch = ids.slice(i, i + IDS_PER_DESCRIBE);
      try {
        await ask(batch);
      } catch (e) {
        if (!(e instanceof LookupFailed) || e.code !== 'InvalidAMIID.NotFound') throw e;
        if (batch.length === 1) continue;
        for (const id of batch) {
          try {
            await ask([id]);
          } catch (e2) {
            if (!(e2 instanceof LookupFailed) || e2.code !== 'InvalidAMIID.NotFound') throw e2;
          }
        }
      }
    }
    return out;
  }

  private async allowedAmis(s: SuccessorScope): Promise<AllowedAmis> {
    const c = s.coverage;
    if (c.allowedImagesState === 'enabled' || c.allowedImagesState === 'audit-mode' || c.allowedImagesState === 'disabled') {
      return { state: c.allowedImagesState, criteria: c.allowedImagesCriteria ?? null, managedBy: c.allowedImagesManagedBy ?? null };
    }
    // not read by the scope (no instance needed it): one call, since a successor must be allowed too
    const out = await this.send('ec2:GetAllowedImagesSettings', () => s.ec2.send(new sdk.ec2.GetAllowedImagesSettingsCommand({}), { abortSignal: this.opts.signal }));
    const o = out as { State?: string; ImageCriteria?: RawCriterion[]; ManagedBy?: string };
    return { state: o.State ?? 'disabled', criteria: criteriaOf(o.ImageCriteria), managedBy: typeof o.ManagedBy === 'string' ? o.ManagedBy : null };
  }

  /** Looks up the successors of one scope's flagged AMIs. Never throws for an API failure. */
  async scope(s: SuccessorScope): Promise<void> {
    const flagged = successorCandidates(s.instances, this.opts.asOfMs, this.opts.soonDays ?? null, this.opts.staleDays ?? null);
    if (!flagged.length) return;
    const meta = new Map<string, ImageMetadata>();
    const types = new Map<string, string[]>();
    for (const rec of s.instances) {
      const id = rec.ImageMetadata?.ImageId;
      if (!id || !flagged.includes(id)) continue;
      const prev = meta.get(id);
      if (!prev || Object.keys(rec.ImageMetadata!).length > Object.keys(prev).length) meta.set(id, rec.ImageMetadata!);
      if (rec.InstanceType) types.set(id, [...(types.get(id) ?? []), rec.InstanceType]);
    }
    let allowed: AllowedAmis;
    let described: Map<string, Image>;
    try {
      allowed = await this.allowedAmis(s);
      // public AMIs are described once per region, private ones in each account that runs them
      // (where Allowed AMIs is enabled, what an account may describe is its own too)
      const key = (id: string): string => (meta.get(id)?.IsPublic === true && allowed.state !== 'enabled' ? `describe|${s.region}|${id}` : `describe|${s.region}|${id}|${s.accountId}`);
      const todo = flagged.filter((id) => !this.cache.has(key(id)));
      const batch = todo.length ? this.describe(s.ec2, todo) : Promise.resolve(new Map<string, Image>());
      batch.catch(() => undefined);
      for (const id of todo) {
        const one = batch.then((m) => m.get(id) ?? null);
        one.catch(() => undefined); // awaited below; a failure is handled there, once
        this.cache.set(key(id), one);
      }
      described = new Map();
      for (const id of flagged) {
        const img = await (this.cache.get(key(id)) as Promise<Image | null>);
        if (img) described.set(id, img);
      }
    } catch (e) {
      if (this.opts.signal.aborted) throw e;
      const f = this.failure(s, e);
      for (const id of flagged) this.record(s, id, notLookedUp(f, null, false));
      return;
    }
    for (const id of flagged) {
      const m = meta.get(id) ?? { ImageId: id };
      const img = described.get(id);
      const inferredArch = img?.Architecture ? null : inferArchitecture(types.get(id) ?? []);
      const architecture = img?.Architecture ?? inferredArch;
      const inferred = !img?.Architecture && inferredArch !== null;
      try {
        this.record(s, id, await this.successorOf(s, id, { ...m, Name: m.Name ?? img?.Name, OwnerId: m.OwnerId ?? img?.OwnerId, ImageOwnerAlias: m.ImageOwnerAlias ?? img?.ImageOwnerAlias }, img ?? null, architecture, inferred, allowed));
      } catch (e) {
        if (this.opts.signal.aborted) throw e;
        this.record(s, id, notLookedUp(this.failure(s, e), architecture, inferred));
      }
    }
  }

  /**
   * A lookup that failed: an API failure as it is; anything else that escaped the lookup is a fault
   * of this program, said on the AMI as InternalError (the audit of the scope stands) and told to
   * the diagnostics with its stack.
   */
  private failure(s: SuccessorScope, e: unknown): LookupFailed {
    if (e instanceof LookupFailed) return e;
    const stack = e instanceof Error && e.stack ? `\n${e.stack}` : '';
    this.opts.onDiagnostic?.(`${s.accountId} ${s.region}: successor lookup: unexpected ${(e as Error)?.name ?? 'error'}: ${describeError(e).message}${stack}`);
    return new LookupFailed('InternalError', 'ami-audit');
  }

  private record(s: SuccessorScope, imageId: string, successor: Successor): void {
    const key = `${s.region}|${imageId}`;
    const list = this.outcomes.get(key) ?? [];
    list.push({ accountId: s.accountId, successor });
    this.outcomes.set(key, list);
  }

  private async successorOf(s: SuccessorScope, flaggedId: string, m: ImageMetadata, img: Image | null, architecture: string | null, inferred: boolean, allowed: AllowedAmis): Promise<Successor> {
    const base = { architecture, inferred };
    const found = (c: Image, method: Successor['method'], matchedOn: string, reason: string | null): Successor => ({
      status: 'found', imageId: c.ImageId ?? null, name: c.Name ?? null, creationDate: c.CreationDate ?? null, deprecationTime: c.DeprecationTime ?? null,
      method, matchedOn, ...base, reason,
    });
    const none = (reason: string, method: Successor['method'] = null, matchedOn: string | null = null): Successor => ({
      status: 'not-found', imageId: null, name: null, creationDate: null, deprecationTime: null, method, matchedOn, ...base, reason,
    });
    const notes: string[] = [];
    const usable = (c: Image): string | null => {
      if (c.ImageId === flaggedId) return 'it is this AMI';
      if (c.State !== 'available') return `it is ${c.State ?? 'in an unknown state'}`;
      const dep = c.DeprecationTime ? parseInstantMs(c.DeprecationTime) : null;
      if (dep !== null && dep !== undefined && dep <= this.opts.asOfMs) return 'it is deprecated';
      if (architecture !== null && c.Architecture !== architecture) return `it is ${c.Architecture ?? 'of an unknown architecture'}, not ${architecture}`;
      if (allowed.state !== 'disabled' && !allowedBy(c, allowed, s.accountId, s.region, this.opts.asOfMs)) return `it is outside the region's Allowed AMIs criteria (${allowed.state})`;
      return null;
    };
    const hidden = allowed.state === 'enabled' ? 'Allowed AMIs is enabled here, so DescribeImages returned only allowed images: the family\'s newest image may not have been returned.' : null;

    // 1. The public parameter of its family.
    const family = publicFamily(m, architecture);
    if (family && 'ambiguous' in family) return none(`the ${family.family} family is ambiguous: ${family.ambiguous}`);
    if (family) {
      const value = await this.once(`ssm|${s.region}|${family.path}`, async () => {
        const out = await this.send('ssm:GetParameters', () => s.ssm().send(new sdk.ssm.GetParametersCommand({ Names: [family.path] }), { abortSignal: this.opts.signal }));
        // Parameters is always there; InvalidParameters may be left out when empty
        if (!Array.isArray(out.Parameters) || (out.InvalidParameters !== undefined && !Array.isArray(out.InvalidParameters))) throw new LookupFailed('MalformedResponse', 'ssm:GetParameters');
        const p = out.Parameters.find((x) => x.Name === family.path);
        if (p && (typeof p.Value !== 'string' || !AMI_ID_RE.test(p.Value))) throw new LookupFailed('MalformedResponse', 'ssm:GetParameters');
        return p?.Value ?? null;
      });
      if (value === null) notes.push(`the public parameter ${family.path} does not exist in ${s.region}${await this.siblings(s, family.path)}`);
      else if (value === flaggedId) return none(`the ${family.family} family's latest image (${family.path}) is this AMI`, 'ssm-parameter', family.path);
      else {
        const latest = (await this.once(`describe|${s.region}|${value}${allowed.state === 'enabled' ? `|${s.accountId}` : ''}`, () => this.describe(s.ec2, [value]).then((x) => x.get(value) ?? null)));
        const why = latest ? usable(latest) : allowed.state === 'enabled' ? 'it was not returned (Allowed AMIs is enabled and it is not allowed)' : 'it cannot be described';
        if (latest && why === null) return found(latest, 'ssm-parameter', family.path, null);
        notes.push(`the latest ${family.family} image ${value} (${family.path}) was skipped: ${why}`);
      }
    }

    // 2. The same owner's newest image of the same name family.
    const owner = m.OwnerId ?? img?.OwnerId ?? null;
    if (!owner) return none(`${[...notes, 'its metadata names no owner, and an image is never searched by name alone'].join('; ')}.`);
    const name = m.Name ?? img?.Name ?? null;
    const pattern = name ? namePattern(name) : null;
    if (!pattern) return none(`${[...notes, name ? `its name ${JSON.stringify(name.slice(0, 80))} has no version, date or build token to tell its family by` : 'its name is unknown'].join('; ')}.`);
    if (pattern.replace(/[*\-_/ ]/g, '').length < 3) return none(`the family is ambiguous: the name pattern ${JSON.stringify(pattern)} says too little`);
    const matchedOn = `owner ${owner}, name ${pattern}${architecture ? `, ${architecture}` : ''}`;
    const shared = img?.Public === true || m.IsPublic === true;
    const key = `family|${s.region}|${owner}|${pattern}|${architecture ?? ''}|${allowed.state === 'enabled' ? s.accountId : shared ? '' : s.accountId}`;
    const candidates = await this.once(key, async () => {
      const list: Image[] = [];
      const seenImages = new Set<string>();
      const res = await paginate<Image>({
        action: 'DescribeImages', pageSize: IMAGES_PAGE,
        fetch: async (token) => {
          const out = await this.send('ec2:DescribeImages', () => s.ec2.send(new sdk.ec2.DescribeImagesCommand({
            Owners: [owner],
            Filters: [{ Name: 'name', Values: [pattern] }, { Name: 'state', Values: ['available'] }, ...(architecture ? [{ Name: 'architecture', Values: [architecture] }] : [])],
            MaxResults: IMAGES_PAGE, ...(token ? { NextToken: token } : {}),
          }), { abortSignal: this.opts.signal }));
          if (!Array.isArray(out.Images)) throw new LookupFailed('MalformedResponse', 'ec2:DescribeImages');
          return { items: out.Images, nextToken: out.NextToken };
        },
        onItems: (items) => {
          // an image is counted once: a server that repeats its pages is stopped by paginate()
          let added = 0;
          for (const c of items) {
            if (c.ImageId !== undefined && seenImages.has(c.ImageId)) continue;
            if (c.ImageId !== undefined) seenImages.add(c.ImageId);
            list.push(c);
            added += 1;
          }
          return added;
        },
      });
      if (res.failure) throw new LookupFailed(res.failure.code, 'ec2:DescribeImages');
      return list;
    });
    // the same family: its own pattern is the flagged AMI's (a longer name that the wildcard also matches is another family)
    const family2 = candidates.filter((c) => c.OwnerId === owner && c.Name && namePattern(c.Name) === pattern)
      .sort((a, b) => (parseInstantMs(b.CreationDate ?? '') ?? 0) - (parseInstantMs(a.CreationDate ?? '') ?? 0) || cmp(a.ImageId ?? '', b.ImageId ?? ''));
    if (architecture === null && new Set(family2.filter((c) => c.ImageId !== flaggedId).map((c) => c.Architecture)).size > 1) {
      return none(`the family is ambiguous: its architecture is unknown and ${pattern} has images of several architectures`, 'same-name-family', matchedOn);
    }
    const skipped: string[] = [];
    for (const c of family2) {
      const why = usable(c);
      if (why === null) return found(c, 'same-name-family', matchedOn, [...notes, ...skipped, ...(hidden ? [hidden] : [])].join(' ') || null);
      if (why.startsWith('it is outside')) skipped.push(`${c.ImageId} (${c.Name}) was skipped: ${why}.`);
    }
    const privateNote = !img && !shared && owner !== s.accountId ? `; the AMI is private to ${owner}, an account this run cannot read` : '';
    const why = `owner ${owner} publishes no other available image named ${pattern}${architecture ? ` for ${architecture}` : ''} that is not deprecated${skipped.length ? ' and allowed' : ''}${privateNote}`;
    return none(`${[...notes, why].join('; ')}.${skipped.length ? ` ${skipped.join(' ')}` : ''}${hidden ? ` ${hidden}` : ''}`, 'same-name-family', matchedOn);
  }

  /**
   * What the directory of a missing public parameter holds (GetParametersByPath, not recursive,
   * every page), for the reason: the variants the family does publish in the region.
   */
  private async siblings(s: SuccessorScope, path: string): Promise<string> {
    const dir = path.slice(0, path.lastIndexOf('/'));
    const names = await this.once(`ssm-path|${s.region}|${dir}`, async () => {
      const list: string[] = [];
      const seenNames = new Set<string>();
      const res = await paginate<{ Name?: string }>({
        action: 'GetParametersByPath', pageSize: 10,
        fetch: async (token) => {
          const out = await this.send('ssm:GetParametersByPath', () => s.ssm().send(new sdk.ssm.GetParametersByPathCommand({ Path: dir, Recursive: false, MaxResults: 10, ...(token ? { NextToken: token } : {}) }), { abortSignal: this.opts.signal }));
          if (!Array.isArray(out.Parameters)) throw new LookupFailed('MalformedResponse', 'ssm:GetParametersByPath');
          return { items: out.Parameters, nextToken: out.NextToken };
        },
        onItems: (items) => {
          let added = 0;
          for (const p of items) {
            if (typeof p.Name !== 'string' || seenNames.has(p.Name)) continue;
            seenNames.add(p.Name);
            list.push(p.Name.slice(dir.length + 1));
            added += 1;
          }
          return added;
        },
      });
      if (res.failure) throw new LookupFailed(res.failure.code, 'ssm:GetParametersByPath');
      return list.sort(cmp);
    });
    if (!names.length) return ` (nothing is published under ${dir})`;
    return ` (${dir} has ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''})`;
  }

  /** One record per flagged AMI and region: a found successor over a not-found over a failed lookup, then the account that sorts first. */
  records(): SuccessorRecord[] {
    const out: SuccessorRecord[] = [];
    for (const [key, list] of this.outcomes) {
      const [region, flaggedImageId] = key.split('|') as [string, string];
      out.push({ region, flaggedImageId, successor: pickSuccessor(list) });
    }
    return sortSuccessors(out);
  }
}

