/**
 * The remediation plan of a report (schema version 2): the AMIs to fix first (`images`), the
 * findings by owner (`owners`, by the first tag column) and the coverage gaps grouped by account
 * and cause with what to do about them (`coverageGaps`). Pure and deterministic: every list has a
 * total order, and one pass over the findings and the coverage builds each, with Maps keyed by
 * the AWS strings (which are untrusted data, never property names).
 */
import type { CoverageEntry, CoverageGap, Finding, ImagePlanEntry, ImageReference, InstanceRecord, OwnerRollup, Severity, Successor, SuccessorRecord } from '../model/types.js';
import { SEVERITIES, SEVERITY_RANK } from '../model/types.js';
import { parseInstantMs } from '../model/time.js';
import { cmp } from '../model/ids.js';
import { ALLOWED_IMAGES_ACTION } from '../model/coverage.js';

/** Instance states counted as `stopped` in a plan entry; `running` is `running` alone, the rest is `other`. */
const STOPPED_STATES = new Set(['stopped', 'stopping']);

interface ImageFacts { name: string | null; ownerId: string | null; ownerAlias: string | null; state: string | null; deprecationTime: string | null; creationDate: string | null }

interface ImageAcc {
  imageId: string | null;
  /** Unwaived findings: rule -> worst severity and count. */
  rules: Map<string, { severity: Severity; findings: number }>;
  /** Every finding's rule (for an AMI whose findings are all waived). */
  waivedRules: Map<string, { severity: Severity; findings: number }>;
  worstUnwaived: number;
  worstAll: number;
  findings: number;
  waived: number;
  /** Instance key -> state, for the unwaived findings and for all of them. */
  instances: Map<string, string | null>;
  allInstances: Map<string, string | null>;
  accounts: Set<string>;
  regions: Set<string>;
  /** With a history: the earliest first sight of its findings, and its unwaived overdue findings. */
  oldestFirstSeenAt: string | null;
  overdue: number;
  allAccounts: Set<string>;
  allRegions: Set<string>;
  facts: ImageFacts;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function tally(map: Map<string, { severity: Severity; findings: number }>, f: Finding): void {
  const r = map.get(f.ruleId);
  if (!r) map.set(f.ruleId, { severity: f.severity, findings: 1 });
  else {
    r.findings += 1;
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[r.severity]) r.severity = f.severity;
  }
}

function byState(instances: Map<string, string | null>): ImagePlanEntry['instances'] {
  const out = { total: instances.size, running: 0, stopped: 0, other: 0 };
  for (const state of instances.values()) {
    if (state === 'running') out.running += 1;
    else if (state !== null && STOPPED_STATES.has(state)) out.stopped += 1;
    else out.other += 1;
  }
  return out;
}

/**
 * The remediation plan: one entry per AMI with findings (imageId null groups the findings of
 * instances whose AMI id is unknown). An entry counts its unwaived findings (its rules, worst
 * severity, instances, accounts and regions); an AMI whose findings are all waived counts all of
 * them instead, and sorts after every AMI with unwaived findings. Order: AMIs with unwaived
 * findings first, then worst severity, then (with a run history) overdue findings, most first
 * (within one severity the AMI whose deadlines have passed comes first: its fix is already late,
 * and a severity never loses to a deadline, so a new critical still leads an old high), then
 * affected running instances (most first), then the
 * earliest deprecation (an AMI without a readable one after those with one), then the image id
 * (null last). `priority` numbers the result 1..n.
 */
export function imagePlan(findings: readonly Finding[], instances: readonly InstanceRecord[], references?: readonly ImageReference[], successors?: readonly SuccessorRecord[]): ImagePlanEntry[] {
  const acc = new Map<string | null, ImageAcc>();
  let withHistory = false;
  for (const f of findings) {
    const id = f.imageId ?? null;
    let a = acc.get(id);
    if (!a) {
      a = {
        imageId: id, rules: new Map(), waivedRules: new Map(), worstUnwaived: -1, worstAll: -1, findings: 0, waived: 0,
        instances: new Map(), allInstances: new Map(), accounts: new Set(), regions: new Set(), allAccounts: new Set(), allRegions: new Set(), oldestFirstSeenAt: null, overdue: 0,
        facts: { name: f.imageName ?? null, ownerId: f.imageOwnerId ?? null, ownerAlias: f.imageOwnerAlias ?? null, state: null, deprecationTime: null, creationDate: null },
      };
      acc.set(id, a);
    }
    const rank = SEVERITY_RANK[f.severity];
    const instanceKey = `${f.accountId}|${f.region}|${f.instanceId}`;
    const state = f.instanceState ?? null;
    a.worstAll = Math.max(a.worstAll, rank);
    tally(a.waivedRules, f);
    // a finding about a resource (a launch template...) counts toward the AMI, not as an instance
    if (!f.resource && !a.allInstances.has(instanceKey)) a.allInstances.set(instanceKey, state);
    a.allAccounts.add(f.accountId);
    a.allRegions.add(f.region);
    if (f.firstSeenAt !== undefined) {
      withHistory = true;
      if (a.oldestFirstSeenAt === null || cmp(f.firstSeenAt, a.oldestFirstSeenAt) < 0) a.oldestFirstSeenAt = f.firstSeenAt;
    }
    if (f.waiver) {
      a.waived += 1;
      continue;
    }
    a.findings += 1;
    if (f.overdue) a.overdue += 1;
    a.worstUnwaived = Math.max(a.worstUnwaived, rank);
    tally(a.rules, f);
    if (!f.resource && !a.instances.has(instanceKey)) a.instances.set(instanceKey, state);
    a.accounts.add(f.accountId);
    a.regions.add(f.region);
    a.facts.name ??= f.imageName ?? null;
    a.facts.ownerId ??= f.imageOwnerId ?? null;
    a.facts.ownerAlias ??= f.imageOwnerAlias ?? null;
  }
  // The AMI's own facts from the instance records (sorted, so the first record that says is the same every run).
  if (acc.size) {
    for (const rec of instances) {
      const m = rec.ImageMetadata;
      if (!m) continue;
      const id = str(m.ImageId);
      const a = id === null ? undefined : acc.get(id);
      if (!a) continue;
      const x = a.facts;
      x.name ??= str(m.Name);
      x.ownerId ??= str(m.OwnerId);
      x.ownerAlias ??= str(m.ImageOwnerAlias);
      x.state ??= str(m.State);
      x.deprecationTime ??= str(m.DeprecationTime);
      x.creationDate ??= str(m.CreationDate);
    }
  }
  // Each AMI's references: those an Auto Scaling group launches from first, then by account, region, ARN.
  const referencesOf = new Map<string, ImageReference[]>();
  for (const r of references ?? []) {
    const list = referencesOf.get(r.imageId) ?? [];
    list.push(r);
    referencesOf.set(r.imageId, list);
  }
  for (const list of referencesOf.values()) {
    list.sort((x, y) => Number(y.usedBy.length > 0) - Number(x.usedBy.length > 0) || cmp(x.accountId, y.accountId) || cmp(x.region, y.region) || cmp(x.arn, y.arn));
  }
  // Each AMI's successor per region (--successors), regions in order.
  const successorsOf = new Map<string, Record<string, Successor>>();
  for (const r of [...(successors ?? [])].sort((x, y) => cmp(x.region, y.region))) {
    const m = successorsOf.get(r.flaggedImageId) ?? {};
    m[r.region] = r.successor;
    successorsOf.set(r.flaggedImageId, m);
  }
  const entries = [...acc.values()].map((a) => {
    const allWaived = a.findings === 0;
    const rules = [...(allWaived ? a.waivedRules : a.rules).entries()]
      .map(([ruleId, r]) => ({ ruleId, severity: r.severity, findings: allWaived ? 0 : r.findings }))
      .sort((x, y) => SEVERITY_RANK[y.severity] - SEVERITY_RANK[x.severity] || cmp(x.ruleId, y.ruleId));
    const entry: ImagePlanEntry = {
      priority: 0,
      imageId: a.imageId,
      name: a.facts.name, ownerId: a.facts.ownerId, ownerAlias: a.facts.ownerAlias, state: a.facts.state,
      deprecationTime: a.facts.deprecationTime, creationDate: a.facts.creationDate,
      worstSeverity: SEVERITIES[allWaived ? a.worstAll : a.worstUnwaived]!,
      rules,
      instances: byState(allWaived ? a.allInstances : a.instances),
      accounts: [...(allWaived ? a.allAccounts : a.accounts)].sort(cmp),
      regions: [...(allWaived ? a.allRegions : a.regions)].sort(cmp),
      findings: a.findings,
      waived: a.waived,
    };
    if (references) entry.references = a.imageId === null ? [] : referencesOf.get(a.imageId) ?? [];
    if (successors) entry.successor = a.imageId === null ? {} : successorsOf.get(a.imageId) ?? {};
    if (withHistory) {
      entry.oldestFirstSeenAt = a.oldestFirstSeenAt;
      entry.overdue = a.overdue;
    }
    const deprecation = a.facts.deprecationTime === null ? null : parseInstantMs(a.facts.deprecationTime);
    return { entry, allWaived, deprecation };
  });
  entries.sort((x, y) => Number(x.allWaived) - Number(y.allWaived)
    || SEVERITY_RANK[y.entry.worstSeverity] - SEVERITY_RANK[x.entry.worstSeverity]
    || (y.entry.overdue ?? 0) - (x.entry.overdue ?? 0)
    || y.entry.instances.running - x.entry.instances.running
    || (x.deprecation === null ? (y.deprecation === null ? 0 : 1) : y.deprecation === null ? -1 : x.deprecation - y.deprecation)
    || (x.entry.imageId === null ? (y.entry.imageId === null ? 0 : 1) : y.entry.imageId === null ? -1 : cmp(x.entry.imageId, y.entry.imageId)));
  return entries.map(({ entry }, i) => ({ ...entry, priority: i + 1 }));
}

/**
 * The findings by value of the first tag column (`value` null: instances without the tag, the
 * "(untagged)" group). Every value with a finding has an entry; `findings` and `bySeverity` count
 * its unwaived findings, `images` lists the AMIs of those in plan order (an unknown AMI id is not
 * listed). Order: worst unwaived severity, then unwaived findings (most first), then the value,
 * the untagged group last. Empty without tag columns.
 */
export function ownerRollup(findings: readonly Finding[], tagColumns: readonly string[], plan: readonly ImagePlanEntry[]): OwnerRollup[] {
  const tag = tagColumns[0];
  if (tag === undefined) return [];
  const order = new Map<string, number>();
  for (const e of plan) if (e.imageId !== null) order.set(e.imageId, e.priority);
  const groups = new Map<string | null, { bySeverity: Record<Severity, number>; findings: number; images: Set<string> }>();
  for (const f of findings) {
    const v = f.tags?.[0];
    const value = typeof v === 'string' ? v : null;
    let g = groups.get(value);
    if (!g) {
      g = { bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>, findings: 0, images: new Set() };
      groups.set(value, g);
    }
    if (f.waiver) continue;
    g.findings += 1;
    g.bySeverity[f.severity] += 1;
    if (f.imageId !== null && f.imageId !== undefined) g.images.add(f.imageId);
  }
  const worst = (b: Record<Severity, number>): number => {
    for (let i = SEVERITIES.length - 1; i >= 0; i--) if (b[SEVERITIES[i]!] > 0) return i;
    return -1;
  };
  return [...groups.entries()]
    .map(([value, g]) => ({
      tag, value, findings: g.findings, bySeverity: g.bySeverity,
      images: [...g.images].sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || cmp(a, b)),
    }))
    .sort((a, b) => worst(b.bySeverity) - worst(a.bySeverity) || b.findings - a.findings
      || (a.value === null ? (b.value === null ? 0 : 1) : b.value === null ? -1 : cmp(a.value, b.value)));
}

/**
 * Regions whose opt-in status must be enabled before an account can use them (the regions AWS
 * launched after March 2019). An AuthFailure there most likely means the region is not enabled.
 */
export const OPT_IN_REGIONS: ReadonlySet<string> = new Set([
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'ca-west-1', 'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1',
]);

const THROTTLING = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'EC2ThrottledException', 'RequestThrottled', 'TooManyRequestsException', 'SlowDown']);
const SERVER = new Set(['InternalError', 'InternalFailure', 'ServerInternal', 'Unavailable', 'ServiceUnavailable']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
const CREDENTIALS = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'AuthFailure']);

/** The service prefix of an action, for "the role lacks <service>:<action>". */
const serviceOf = (action: string): string => (action === 'AssumeRole' || action === 'GetCallerIdentity' ? 'sts' : action === 'DescribeAutoScalingGroups' ? 'autoscaling' : 'ec2');

/**
 * What to do about one gap, in plain language. `optIn`: every region of the gap is an opt-in
 * region (an AuthFailure there is a region the account has not enabled).
 */
export function gapHint(status: CoverageGap['status'], cause: string, action: string | null, optIn: boolean): string {
  if (status === 'skipped') {
    if (cause === 'not-enabled') return 'opt-in region not enabled in this account: nothing runs there; enable it (Account settings) if it should be audited';
    if (cause === 'not-offered') return 'the account is not offered this region (DescribeRegions does not list it): check the region name and the partition';
    if (cause === 'SUSPENDED' || cause === 'CLOSED' || cause === 'PENDING_CLOSURE') return `AWS Organizations lists the account as ${cause}: AWS refuses access to it, so it was not audited; remove it from the organisation once closed, or reinstate it to audit it`;
    if (cause === 'PENDING_ACTIVATION') return 'AWS Organizations lists the account as PENDING_ACTIVATION: it is not ready yet; the next run audits it once it is ACTIVE';
    return 'skipped: see the reason';
  }
  if (cause === 'NotInDump') return 'AWS CLI output does not carry the Allowed AMIs state: scan the account (or read aws ec2 get-allowed-images-settings) to know whether its not-allowed AMIs are blocked';
  if (cause === 'NoRoleConfigured') return 'no role to assume in this account: give --role-name, or a roleArn for it in the config';
  if (cause === 'IdentityMismatch') return 'the credentials for this account belong to another account: check the role ARN configured for it; nothing was filed under it';
  if (action === 'AssumeRole') {
    if (cause === 'AccessDenied') return 'the role is missing or does not trust the caller: deploy it (see ami-audit iam-policy)';
    if (CREDENTIALS.has(cause)) return `the caller's credentials were refused (${cause}): refresh them (e.g. aws sso login) and check the clock`;
    if (cause === 'RegionDisabledException') return 'STS is not enabled in the home region of the run: activate it in IAM account settings, or give --region with one where it is';
    if (THROTTLING.has(cause)) return 'AssumeRole was throttled past every retry: lower --concurrency, or raise --max-attempts';
    return `the role could not be assumed (${cause}): check the role name or ARN and its trust policy (see ami-audit iam-policy)`;
  }
  if (action === ALLOWED_IMAGES_ACTION) {
    const why = cause === 'UnauthorizedOperation' || cause === 'AccessDenied' ? 'the role lacks ec2:GetAllowedImagesSettings' : `GetAllowedImagesSettings failed (${cause})`;
    return `every instance was listed, but the Allowed AMIs state could not be read: ${why}; not-allowed-ami treats the state as unknown`;
  }
  if ((cause === 'AuthFailure' || cause === 'OptInRequired') && (optIn || cause === 'OptInRequired')) return 'region not enabled in this account: enable it, or leave it out (--all-regions skips regions that are not enabled)';
  if (cause === 'UnauthorizedOperation' || cause === 'AccessDenied') {
    return action ? `the role lacks ${serviceOf(action)}:${action}: add it to the role's policy (see ami-audit iam-policy), and check SCPs that deny it` : 'the role lacks a permission: compare its policy with ami-audit iam-policy';
  }
  if (CREDENTIALS.has(cause)) return `the credentials were refused in this region (${cause}): check the clock, the session's expiry, and SCPs or session policies that deny the region`;
  if (cause === 'MisattributedResponse') return 'the answers held instances of another account or region, so none of them were trusted: check --endpoint-url and any proxy in between';
  if (cause === 'PaginationLoop') return 'paging did not end cleanly (the service kept handing out page tokens): instances on the pages not read are missing; run again';
  if (cause === 'Timeout' || cause === 'ETIMEDOUT' || cause === 'RequestTimeout') return 'calls timed out after every retry: raise --call-timeout or --cli-read-timeout, or check the network path and proxy';
  if (cause === 'DeadlineExceeded') return 'the run reached its --deadline before this finished: give a longer --deadline, or audit fewer accounts per run';
  if (cause === 'Interrupted') return 'the run was stopped before this finished: run it again';
  if (cause === 'NotSettled') return 'the run ended without settling this scope (a bug in ami-audit): run it again and report it';
  if (cause === 'MalformedResponse' || cause === 'UnexpectedResponse' || /^HTTP\d{3}$/.test(cause)) return 'the endpoint\'s answer was not the operation\'s: check --endpoint-url, a proxy or a captive portal in between';
  if (THROTTLING.has(cause)) return 'throttled past every retry: lower --concurrency or --account-concurrency, raise --max-attempts, or use --retry-mode adaptive';
  if (SERVER.has(cause)) return 'the service failed after every retry: run again later';
  if (NETWORK.has(cause)) return `the network failed (${cause}): check the connection, DNS and HTTPS_PROXY`;
  if (cause === 'ShardMissing') return 'the report of this account\'s shard was not among the merged parts: run that shard again (scan --shard K/N with the same options) and merge again';
  if (cause === 'ShardDuplicated') return 'two different runs reported this account\'s shard: merge the reports of one run only';
  if (action === 'DescribeImageReferences' || action === 'DescribeAutoScalingGroups' || action === 'DescribeLaunchTemplateVersions') {
    return cause === 'UnauthorizedOperation' || cause === 'AccessDenied' || cause === 'AccessDeniedException'
      ? `every instance was listed, but the references to its flagged AMIs could not be read: the role lacks ${serviceOf(action)}:${action} (see ami-audit iam-policy --references)`
      : `every instance was listed, but the references to its flagged AMIs could not be read (${action} ${cause}): run again`;
  }
  if (cause === 'IncompleteDump') return 'the AWS CLI output ends with a NextToken: dump every page (without --max-items) and give all of it';
  if (cause === 'InvalidZone.NotFound' || action === 'DescribeInstances') return 'some Availability Zones could not be listed: their instances are missing; run again';
  return action ? `${action} failed (${cause}): see the message` : `failed (${cause}): see the message`;
}

/**
 * The coverage entries that are not `ok`, grouped by account, status, cause (the error code, the
 * first failure's code, or the skip reason) and the failing action (the first failure's), so that
 * one account that could not be audited is one gap whatever its number of regions. Regions sorted;
 * `message` is the first entry's (in account, region order). Order: errors, then partial, then
 * skipped; within each, accounts that could not be reached at all first, then the gaps covering the
 * most regions, then account, cause and action.
 */
export function coverageGaps(coverage: readonly CoverageEntry[]): CoverageGap[] {
  const groups = new Map<string, { gap: Omit<CoverageGap, 'hint'>; regions: Set<string>; optIn: boolean }>();
  for (const c of coverage) {
    if (c.status === 'ok') continue;
    const first = Array.isArray(c.failures) ? c.failures[0] : undefined;
    const cause = c.status === 'skipped' ? (c.reason ?? c.errorCode ?? 'skipped') : (c.errorCode ?? first?.code ?? 'Unknown');
    const action = c.status === 'skipped' ? null : (first?.action ?? null);
    // an AuthFailure in an opt-in region (not enabled) and one elsewhere (refused) are two causes
    const optIn = (cause === 'AuthFailure' || cause === 'OptInRequired') && OPT_IN_REGIONS.has(c.region);
    const key = JSON.stringify([c.accountId, c.status, cause, action, optIn]);
    let g = groups.get(key);
    if (!g) {
      g = { gap: { accountId: c.accountId, status: c.status, cause, action, regions: [], message: c.status === 'skipped' ? null : (c.errorMessage ?? first?.message ?? null) }, regions: new Set(), optIn };
      groups.set(key, g);
    }
    g.regions.add(c.region);
  }
  const STATUS_ORDER: Record<CoverageGap['status'], number> = { error: 0, partial: 1, skipped: 2 };
  return [...groups.values()]
    .map(({ gap, regions, optIn }) => {
      const list = [...regions].sort(cmp);
      // reports written before coverage entries had failures name no action: AssumeRole shows in the message
      const hintAction = gap.action ?? (gap.status === 'error' && /\bAssumeRole\b/.test(gap.message ?? '') ? 'AssumeRole' : null);
      return { accountId: gap.accountId, status: gap.status, cause: gap.cause, action: gap.action, regions: list, hint: gapHint(gap.status, gap.cause, hintAction, optIn), message: gap.message };
    })
    // Worst first, so that a cut list never hides it: accounts that could not be audited at all,
    // then errors, partial and skipped scopes, each covering the most regions first.
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || Number(wholeAccount(b)) - Number(wholeAccount(a))
      || b.regions.length - a.regions.length || cmp(a.accountId, b.accountId) || cmp(a.cause, b.cause) || cmp(a.action ?? '', b.action ?? '') || cmp(a.regions[0] ?? '', b.regions[0] ?? ''));
}

/** A gap that means the account could not be reached at all (its credentials or its identity failed). */
function wholeAccount(g: Pick<CoverageGap, 'status' | 'action' | 'cause' | 'message'>): boolean {
  // reports written before coverage entries had failures name no action: AssumeRole shows in the message
  const action = g.action ?? (/\bAssumeRole\b/.test(g.message ?? '') ? 'AssumeRole' : null);
  return g.status === 'error' && (action === 'AssumeRole' || g.cause === 'NoRoleConfigured' || g.cause === 'IdentityMismatch');
}
