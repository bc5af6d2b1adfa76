/**
 * The data that flows through ami-audit: the inventory the collector produces and the
 * report model (schemaVersion 4) every renderer consumes. In memory a finding carries the strings of
 * its instance, AMI and rule; the JSON report stores it as a record that refers to them
 * (src/model/finding-record.ts). Field names inside `instances[]`
 * are the EC2 API's own, as the AWS SDK names them, so dumps from `aws ec2
 * describe-instance-image-metadata` and collected inventories read the same.
 */

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface Tag { Key?: string; Value?: string }

export interface ImageWatermark {
  WatermarkKey?: string;
  SourceImageRegion?: string;
  SourceImageId?: string;
  SourceImageCreationTime?: string;
  WatermarkCreationTime?: string;
}

export interface ImageMetadata {
  ImageId?: string;
  Name?: string;
  OwnerId?: string;
  State?: string;
  ImageOwnerAlias?: string;
  CreationDate?: string;
  DeprecationTime?: string;
  ImageAllowed?: boolean;
  IsPublic?: boolean;
  ImageWatermarks?: ImageWatermark[];
}

/** One instance as the collector saw it: the API's fields plus where it was found. */
export interface InstanceRecord {
  accountId: string;
  region: string;
  InstanceId?: string;
  InstanceType?: string;
  /** ISO 8601 (the SDK's Date, serialised). */
  LaunchTime?: string;
  AvailabilityZone?: string;
  ZoneId?: string;
  State?: { Code?: number; Name?: string };
  OwnerId?: string;
  Tags?: Tag[];
  ImageMetadata?: ImageMetadata;
  Operator?: { Managed?: boolean; Principal?: string; HiddenByDefault?: boolean };
}

export const SCOPE_STATUSES = ['ok', 'partial', 'error', 'skipped'] as const;
export type ScopeStatus = (typeof SCOPE_STATUSES)[number];

/**
 * The region's Allowed AMIs state as GetAllowedImagesSettings answered it; `unknown` when it could
 * not be read; `not-needed` when it was not asked for because no instance of the scope has an AMI
 * that is not allowed or does not say (ImageAllowed false or absent), so no finding depends on it.
 */
export type AllowedImagesState = 'enabled' | 'audit-mode' | 'disabled' | 'unknown' | 'not-needed';

/** One Allowed AMIs image criterion, as GetAllowedImagesSettings returns it (empty lists: not specified). */
export interface ImageCriterion {
  imageProviders: string[];
  marketplaceProductCodes: string[];
  imageNames: string[];
  maximumDaysSinceDeprecated: number | null;
  maximumDaysSinceCreated: number | null;
  /** ImageWatermarks filters of the criterion (a --criteria file may give them); ami-audit does not evaluate them: such a criterion is undecided. Absent when none. */
  imageWatermarks?: Record<string, string | number>[];
}

/**
 * A resource that will launch an AMI again (`--references`): a launch template, an SSM parameter,
 * an Image Builder recipe, as DescribeImageReferences names it, with the Auto Scaling groups that
 * launch from it.
 */
export interface ImageReference {
  accountId: string;
  region: string;
  imageId: string;
  /** ec2:LaunchTemplate, ssm:Parameter, imagebuilder:ImageRecipe, imagebuilder:ContainerRecipe */
  resourceType: string;
  arn: string;
  /** The launch template's, parameter's or recipe's name, from its ARN (or DescribeLaunchTemplateVersions). */
  name: string | null;
  /** Launch templates: the versions the groups in usedBy launch that resolve to this AMI (e.g. "2"); recipes: the recipe version. */
  version: string | null;
  /** Auto Scaling groups whose launch template version resolves to this AMI: their next scale-out launches it. */
  usedBy: string[];
  /** Set when the groups could not be looked up (the scope is partial): usedBy is then not the whole answer. */
  usedByUnknown?: true;
  /** Launch templates: the template's default version number, as DescribeLaunchTemplateVersions resolved `$Default`. */
  defaultVersion?: string;
}

/** How a successor AMI was found (`--successors`). */
export type SuccessorMethod = 'ssm-parameter' | 'same-name-family';

/**
 * The AMI to replace a flagged AMI with in one region (`--successors`), or why there is none.
 * `found`: imageId and its facts, the method and what it matched on; `not-found`: reason says why
 * (the owner publishes nothing newer, the AMI is private to an account we cannot read, the family
 * is ambiguous); `not-looked-up`: the lookup failed (reason: "AccessDenied (ssm:GetParameters)").
 */
export interface Successor {
  status: 'found' | 'not-found' | 'not-looked-up';
  imageId: string | null;
  name: string | null;
  creationDate: string | null;
  deprecationTime: string | null;
  method: SuccessorMethod | null;
  /** The public parameter, or the owner and name pattern, the flagged AMI was matched on. */
  matchedOn: string | null;
  /** The flagged AMI's architecture, which the successor shares; null when unknown. */
  architecture: string | null;
  /** The architecture was inferred from the instance types running the AMI (it could not be described). */
  inferred: boolean;
  /** not-found / not-looked-up: why; found: what a reader must know (Allowed AMIs may have hidden newer images), else null. */
  reason: string | null;
}

/** The successor lookup of one flagged AMI in one region, as collected. */
export interface SuccessorRecord {
  region: string;
  /** The flagged AMI. */
  flaggedImageId: string;
  successor: Successor;
}

/** The outcome of the reference lookups of one scope (`--references`). */
export interface ReferenceCoverage {
  /** ok: every flagged AMI was looked up; error: a lookup failed (the scope is then partial); skipped: nothing to look up. */
  status: 'ok' | 'error' | 'skipped';
  /** The error code, or the reason it was skipped (`nothing-flagged`). */
  code: string | null;
  message: string | null;
  /** Flagged AMIs looked up. */
  images: number;
  /** Calls made (DescribeImageReferences, DescribeAutoScalingGroups, DescribeLaunchTemplateVersions). */
  apiCalls: number;
}

/** The outcome of one account x region. Every scope of a run has exactly one. */
export interface CoverageEntry {
  accountId: string;
  region: string;
  status: ScopeStatus;
  errorCode: string | null;
  errorMessage: string | null;
  /** Why a scope was skipped (status `skipped`): `not-enabled` (an opt-in region the account has not enabled) or `not-offered` (DescribeRegions does not list it). */
  reason: string | null;
  instanceCount: number;
  pageCount: number;
  apiCalls: number;
  retries: number;
  allowedImagesState: AllowedImagesState;
  /** Availability Zones whose instances could not be described (status `partial`). */
  disruptedZones: string[];
  uncoveredInstanceCount: number;
  /**
   * Every part of the scope that failed: the API action with its error code and message (a paging
   * loop is the paged action with code `PaginationLoop`), or action `Run` when the run stopped
   * before the scope finished (`Interrupted`, `DeadlineExceeded`, `NotSettled`). A `partial` scope names what is missing here; an
   * `error` scope names why nothing could be listed. Empty for `ok` and `skipped` scopes.
   * Absent in reports written before this field existed (read as empty).
   */
  failures: ScopeFailure[];
  /** The region's Allowed AMIs criteria, when they were read; absent otherwise. */
  allowedImagesCriteria?: ImageCriterion[];
  /** Who manages the criteria: `account`, or `declarative-policy` (an organisation's declarative policy); absent when not read. */
  allowedImagesManagedBy?: string | null;
  /** With --references: the outcome of the reference lookups; absent without. */
  references?: ReferenceCoverage;
  /** `ami-audit images`: the AMIs the account owns in the region (DescribeImages Owners=self); absent in scan scopes. */
  ownedImageCount?: number;
  /** `ami-audit images`: the region's block public access for AMIs (GetImageBlockPublicAccessState), `unknown` when it could not be read. */
  imageBlockPublicAccessState?: string;
}

/** One part of a scope that failed. */
export interface ScopeFailure {
  /** The API action that failed (AssumeRole, DescribeRegions, DescribeInstanceImageMetadata, DescribeInstances, GetAllowedImagesSettings), or `Run` when the run stopped before the scope finished. */
  action: string;
  code: string;
  message: string;
}

export interface RunOptions {
  /** --successors: a successor was looked up for each flagged AMI. */
  successors?: boolean;
  roleName?: string;
  roleArns?: Record<string, string>;
  externalIdSet?: boolean;
  roleSessionName?: string;
  durationSeconds?: number;
  allRegions?: boolean;
  filters?: { Name: string; Values: string[] }[];
  instanceIds?: string[];
  pageSize?: number;
  concurrency?: number;
  accountConcurrency?: number;
  maxAttempts?: number;
  retryMode?: string;
  endpointUrl?: string;
  profile?: string;
  [key: string]: unknown;
}

/** A root or an OU of AWS Organizations: its id (`r-ab12`, `ou-ab12-3cd4ef56`) and name. */
export interface OuRef {
  id: string;
  name: string;
}

/**
 * An account of the run as the organisation names it (`--org`) or the config does
 * (`accounts[].name`). The e-mail address is never kept.
 */
export interface AccountInfo {
  accountId: string;
  name: string | null;
  /** The OUs above the account, from the root: `Root/Workloads/Prod`; null when not discovered with --org. */
  ouPath: string | null;
  /**
   * The same path as a list, the root first: each OU's id and name, so that a name holding "/"
   * stays one OU. Absent (or null) in reports written before it existed and when not discovered.
   */
  ouPathParts?: OuRef[] | null;
  /** AWS Organizations `State` (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION); null when not discovered. Accounts not ACTIVE are skipped, never audited. */
  state: string | null;
}

/** Which slice of a sharded run a report holds (`scan --shard K/N`). */
export interface ShardInfo {
  /** K of K/N, from 1. */
  index: number;
  /** N of K/N. */
  count: number;
  /** Accounts of the whole sharded run (every shard), after discovery and filters. */
  accountsTotal: number;
  /** Those accounts, sorted: the merge names the accounts of a missing shard from them. */
  allAccounts: string[];
  /** sha256 of the inputs that defined the slices (all accounts, N, regions, filters, role, discovery): equal in every part of one run. */
  fingerprint: string;
  /** sha256 of the report's content (everything but this seal): merge refuses a part that does not match. */
  digest?: string;
  /** HMAC-SHA256 of the digest with AMI_AUDIT_SHARD_KEY, when the shard was given the key. */
  signature?: string;
}

export interface Inventory {
  run: {
    id: string;
    startedAt: string;
    finishedAt: string;
    caller: { accountId: string | null; arn: string | null };
    accounts: string[];
    regions: string[];
    options: RunOptions;
    interrupted: boolean;
    source: 'scan' | 'aws-cli' | 'report';
    /**
     * Things about the run itself a reader must know (a clock that looks skewed, a deadline that
     * passed). Absent in reports written before this field existed.
     */
    warnings?: string[];
    /** Set on the report of one shard of a sharded run; absent otherwise (and on a merged report). */
    shard?: ShardInfo;
  };
  coverage: CoverageEntry[];
  /** Names, OU paths and states of the run's accounts, where known (--org, or names in the config). */
  accounts?: AccountInfo[];
  /** With --references: every resource that references a flagged AMI. */
  references?: ImageReference[];
  /** With --successors: the successor of each flagged AMI per region, sorted by image then region. */
  successors?: SuccessorRecord[];
  /** `ami-audit images`: the AMIs the audited accounts own, with their sharing, usage and ancestry. */
  ownedImages?: OwnedImage[];
  instances: InstanceRecord[];
  /** Instance ids asked for with --instance-ids that no scanned scope holds (every scope was checked). */
  notFoundInstanceIds: string[];
  /**
   * Instance ids asked for with --instance-ids that were not found, while some scope could not be
   * checked (error or partial): they may live there. Absent in reports written before this field existed.
   */
  uncheckedInstanceIds?: string[];
}

export interface WaiverSpec {
  id: string;
  ruleId?: string;
  accountId?: string;
  region?: string;
  instanceId?: string;
  imageId?: string;
  tag?: string;
  reason: string;
  expires: string;
  ticket?: string;
  approvedBy?: string;
}

export interface WaiverRef {
  id: string;
  reason: string;
  expires: string;
  ticket: string | null;
  approvedBy: string | null;
}

/** What names a finding and places it: its id, rule, severity, account, region, instance and AMI. */
export type FindingKeys = Pick<Finding, 'id' | 'ruleId' | 'severity' | 'accountId' | 'region' | 'instanceId' | 'imageId'>;

export interface Finding {
  id: string;
  ruleId: string;
  severity: Severity;
  accountId: string;
  region: string;
  instanceId: string;
  /** The instance's Name tag, for people reading the report. */
  instanceName: string | null;
  imageId: string | null;
  imageName: string | null;
  imageOwnerId: string | null;
  imageOwnerAlias: string | null;
  instanceState: string | null;
  /** The values of the report's tagColumns for this instance, in that order (null: no such tag). Absent in version 1 reports. */
  tags?: (string | null)[];
  /**
   * Set when the finding's subject is a resource, not an instance (`launchable-bad-ami`: a launch
   * template, SSM parameter or recipe that references the AMI); instanceId is then "". Absent on
   * instance findings.
   */
  resource?: FindingResource;
  message: string;
  remediation: string;
  waiver: WaiverRef | null;
  /** Set when a waiver matched but had expired at as-of: it waives nothing. */
  expiredWaiver: WaiverRef | null;
  /**
   * Schema 3, with a run history (`--history`): where the finding stands across recorded runs.
   * Absent when the report was built without a history (`--no-history`, or a version 2 report).
   */
  firstSeenAt?: string;
  lastSeenAt?: string;
  /** Whole days from firstSeenAt to the as-of. */
  ageDays?: number;
  /** firstSeenAt (or, for an escalated finding, the escalation) + the SLA of its severity; null when its severity has no SLA. */
  dueAt?: string | null;
  /** The as-of is past dueAt and no valid waiver holds it. */
  overdue?: boolean;
  lifecycle?: Lifecycle;
  /** Times the finding came back after it was resolved. */
  reopenedCount?: number;
  /** For an escalated finding: the earlier finding on the same instance and AMI it replaces. */
  escalatedFrom?: { id: string; ruleId: string; severity: Severity; firstSeenAt: string };
  /** For an escalated finding: the as-of of the run that first saw the escalation (its deadline counts from it). Absent in reports written before it existed. */
  escalatedAt?: string;
}

/** Where a finding stands across the recorded runs (schema 3). */
export const LIFECYCLES = ['new', 'open', 'escalated', 'reopened'] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

/** A finding of an earlier run that this run looked for and did not see (schema 3). */
export interface ResolvedFinding extends DiffEntry {
  firstSeenAt: string;
  resolvedAt: string;
  /** Whole days from firstSeenAt to resolvedAt. */
  daysToFix: number;
}

/** What the run history says beside this run (schema 3); null in a report built without a history. */
export interface ReportHistory {
  /** Runs recorded before this one. */
  runsBefore: number;
  previousRun: { runId: string; asOf: string } | null;
  /** SLA days by severity (null: no deadline), as the run was evaluated with. */
  sla: Record<Severity, number | null>;
  /** Unwaived findings past their due date at the as-of. */
  overdue: number;
  overdueBySeverity: Record<Severity, number>;
  /** The oldest overdue finding, by first sight. */
  oldestOverdue: { id: string; ageDays: number; ruleId: string; severity: Severity; imageId: string | null } | null;
  /** Open (unwaived) findings by severity at each recorded run, oldest first, this run last. */
  trend: { runId: string; asOf: string; status: 'complete' | 'partial'; open: Record<Severity, number> }[];
  /** Median whole days from first sight to resolution, over every resolution recorded up to this run, by severity (null: none resolved). */
  medianDaysToFix: Record<Severity, number | null>;
  /** Findings of earlier runs that this run looked for and did not see. */
  resolved: ResolvedFinding[];
  /** Earlier findings this run did not look at (scope not read, narrower run): they keep their age. */
  unverified: number;
}

export interface FindingResource {
  type: string;
  arn: string;
  name: string | null;
  version: string | null;
  /** Auto Scaling groups that launch the AMI from it. */
  usedBy: string[];
  /** Set when the groups could not be looked up. */
  usedByUnknown?: true;
}

export interface WaiverStatus extends WaiverRef {
  status: 'active' | 'expired';
  matchedFindings: number;
  match: Omit<WaiverSpec, 'id' | 'reason' | 'expires' | 'ticket' | 'approvedBy'>;
}

export interface RuleInfo {
  id: string;
  title: string;
  description: string;
  severity: Severity | 'off';
  defaultSeverity: Severity;
  remediation: string;
  options: Record<string, unknown>;
  /** The compliance controls the rule maps to (its meta.controls). Absent in reports written before it existed. */
  controls?: ControlRef[];
}

/**
 * A compliance control a rule maps to: the framework, short (`NIST SP 800-53 r5`,
 * `PCI DSS v4.0`, ...), the control's id in it (`CM-2`, `6.3.3`, `A.8.8`) and its title. Findings
 * do not repeat it: they carry their rule id, and the report's rules[] carry the controls.
 */
export interface ControlRef {
  framework: string;
  id: string;
  title: string;
}

export interface Summary {
  instancesScanned: number;
  instancesEvaluated: number;
  instancesTerminatedSkipped: number;
  findings: number;
  findingsUnwaived: number;
  findingsWaived: number;
  bySeverity: Record<Severity, number>;
  byRule: Record<string, number>;
  byAccount: Record<string, number>;
  byRegion: Record<string, number>;
  scopes: { total: number; ok: number; partial: number; error: number; skipped: number };
  waiversUnmatched: number;
  waiversExpired: number;
}

export interface DiffEntry {
  id: string; ruleId: string; severity: Severity; accountId: string; region: string; instanceId: string; imageId: string | null; message: string;
  /** The finding's resource when its subject is one (launchable-bad-ami); absent for instance findings. */
  resource?: FindingResource;
}

/** A finding present in both runs whose severity or waiver status differs. */
export interface DiffChange extends DiffEntry {
  before: { severity: Severity; waived: boolean };
  after: { severity: Severity; waived: boolean };
}

/** A finding that replaced a less severe one on the same instance and AMI. */
export interface DiffEscalation extends DiffEntry {
  from: DiffEntry;
}

export interface DiffScope { accountId: string; region: string; status: ScopeStatus }

/**
 * A baseline finding the newer run does not have, while its scope was not `ok` in both runs: it
 * may still be there. `scope` says why: the scope's status in each run (`absent`: no coverage
 * entry for it in that run).
 */
export interface DiffUnverified extends DiffEntry {
  scope: { baseline: ScopeStatus | 'absent'; current: ScopeStatus | 'absent' };
  /**
   * Set when the newer run did not look for the finding whatever its scope's status: it was
   * narrowed to other `instance-ids`, or by `filters` the baseline did not have, or the rule is
   * switched off (`rule-off`), or, for a finding about a resource, the newer run did not look up
   * what references its AMI there (`references`).
   */
  notLookedAt?: 'instance-ids' | 'filters' | 'rule-off' | 'references' | 'owned-images';
}

/**
 * The newer run against a baseline. A baseline finding that is gone counts as `resolved` only
 * where its scope was `ok` in both runs; otherwise it is `unverified` (the newer run could not
 * look). Present in both: `changed` when severity or waiver status differs, else `unchanged`.
 */
export interface ReportDiff {
  baseline: { runId: string; startedAt: string; asOf: string };
  /** Schema 3: the newer run's id and as-of (the diff header names both sides). */
  current?: { runId: string; asOf: string };
  counts: { new: number; resolved: number; unverified: number; changed: number; unchanged: number; escalated?: number };
  new: DiffEntry[];
  /**
   * Schema 3: the same instance on the same AMI moved from one rule to a worse one
   * (deprecation-soon -> deprecated-ami, deprecated -> deregistered or disabled). Neither a
   * resolution nor a new finding: each such pair is counted here only.
   */
  escalated?: DiffEscalation[];
  resolved: DiffEntry[];
  unverified: DiffUnverified[];
  changed: DiffChange[];
  unchanged: string[];
  /** Scopes (account x region) only in the newer run (`added`) or only in the baseline (`removed`). */
  scopes: { added: DiffScope[]; removed: DiffScope[] };
}

/**
 * One AMI of the remediation plan (schema version 2): an AMI with findings, its blast radius and
 * its place in the order of work. Fixing the first entry removes the most risk.
 */
export interface ImagePlanEntry {
  /** 1-based position in the plan: worst severity, then (with a history) overdue findings, then affected running instances, then earliest deprecation, then image id. */
  priority: number;
  /** null groups the findings of instances whose AMI id is unknown. */
  imageId: string | null;
  name: string | null;
  ownerId: string | null;
  ownerAlias: string | null;
  state: string | null;
  deprecationTime: string | null;
  creationDate: string | null;
  /** The worst severity of its unwaived findings (of all findings when every one is waived). */
  worstSeverity: Severity;
  /** Each rule it trips, with that rule's worst severity and its count of unwaived findings. */
  rules: { ruleId: string; severity: Severity; findings: number }[];
  /** Instances with a finding on this AMI, by instance state. */
  instances: { total: number; running: number; stopped: number; other: number };
  accounts: string[];
  regions: string[];
  /** Unwaived findings and waived ones. */
  findings: number;
  waived: number;
  /** With --references: the resources that reference the AMI (all accounts and regions), Auto Scaling groups first. Absent without. */
  references?: ImageReference[];
  /** Schema 3, with a history: the earliest first sight of its findings, and how many of its unwaived findings are overdue. */
  oldestFirstSeenAt?: string | null;
  overdue?: number;
  /** With --successors: what to replace it with, per region (keys sorted). Absent without. */
  successor?: Record<string, Successor>;
}

/** The findings of one value of the first tag column (`value` null: instances without the tag). */
export interface OwnerRollup {
  tag: string;
  value: string | null;
  findings: number;
  bySeverity: Record<Severity, number>;
  /** The AMIs of its unwaived findings, in plan order. */
  images: string[];
}

/** Failed or skipped scopes of one account with one cause, with what to do about it. */
export interface CoverageGap {
  accountId: string;
  status: 'error' | 'partial' | 'skipped';
  /** The error code, or the skip reason. */
  cause: string;
  /** The action that failed (from the coverage entries' failures), when one did. */
  action: string | null;
  regions: string[];
  /** Plain-language next step, e.g. "the role is missing or does not trust the caller: deploy it (see ami-audit iam-policy)". */
  hint: string;
  /** One representative message from the service. */
  message: string | null;
}

export interface Report {
  schemaVersion: 4;
  /** Instance tags carried into findings (--tag-columns, config report.tagColumns); [] when none. */
  tagColumns: string[];
  /** The remediation plan, in priority order. */
  images: ImagePlanEntry[];
  /** By value of the first tag column; [] without tag columns. */
  owners: OwnerRollup[];
  coverageGaps: CoverageGap[];
  /**
   * Every account of the run (audited, skipped or failed), sorted by id, with its name, OU path and
   * state where known (null otherwise). Absent in reports written before this field existed.
   */
  accounts: AccountInfo[];
  tool: { name: string; version: string };
  run: Inventory['run'] & { asOf: string; status: 'complete' | 'partial' };
  coverage: CoverageEntry[];
  instances: InstanceRecord[];
  notFoundInstanceIds: string[];
  uncheckedInstanceIds?: string[];
  findings: Finding[];
  /** Every configured waiver with its status; those with matchedFindings 0 matched nothing. */
  waivers: WaiverStatus[];
  rules: RuleInfo[];
  summary: Summary;
  diff: ReportDiff | null;
  /** Schema 3: the run history beside this run; null without one. Absent in version 2 reports. */
  history?: ReportHistory | null;
  /** `ami-audit images`: the publisher view, the AMIs the audited accounts own (blast radius first). Absent in scan reports. */
  ownedImages?: OwnedImage[];
  /**
   * The Allowed AMIs what-if (src/report/whatif.ts): what enabling Allowed AMIs would refuse where
   * it is in audit-mode or disabled. Absent when no scope is in either state and no --criteria
   * file was given, and in reports written before it existed.
   */
  whatIf?: WhatIf;
}

/** What a what-if decides of an AMI: refused (outside the criteria), or undecided (the metadata cannot tell). */
export type WhatIfVerdict = 'refused' | 'undecided';

/** One account x region of the run, as the what-if saw it. */
export interface WhatIfScope {
  accountId: string;
  region: string;
  allowedImagesState: AllowedImagesState;
  /** Evaluated: the state is audit-mode or disabled (and, for the current criteria, they were read). */
  evaluated: boolean;
  /** Why not evaluated (`enabled`: already enforced, see not-allowed-ami; `state-unknown`; `state-not-read`; `criteria-not-read`; `not-audited`), else null. */
  reason: string | null;
  /** Instances (not terminated) on AMIs that would be refused, undecided, allowed. */
  refused: number;
  undecided: number;
  allowed: number;
}

/** An AMI of one account that would be refused, or that the metadata cannot decide, with what runs or names it. */
export interface WhatIfImage {
  accountId: string;
  imageId: string | null;
  name: string | null;
  ownerId: string | null;
  ownerAlias: string | null;
  verdict: WhatIfVerdict;
  /** Why, in one sentence (the criteria it fails, or what the metadata does not carry). */
  why: string;
  /** Where the verdict comes from: EC2's ImageAllowed under audit-mode and the current criteria (`ec2`), else the criteria evaluated on the metadata (`metadata`). */
  source: 'ec2' | 'metadata';
  regions: string[];
  /** Instance ids (not terminated), sorted. */
  instances: string[];
  /** With --references: the launch templates that name the AMI (ARN and version). */
  launchTemplates: { region: string; arn: string; name: string | null; version: string | null }[];
}

/** The Allowed AMIs what-if of a report. */
export interface WhatIf {
  /** `current`: each region's own criteria (GetAllowedImagesSettings); `proposed`: the --criteria file's, in every evaluated region. */
  criteria: 'current' | 'proposed';
  /** The proposed criteria (criteria `proposed`); absent otherwise. */
  proposed?: ImageCriterion[];
  scopes: WhatIfScope[];
  /** By account, then verdict (refused first), then instances (most first), then AMI id. */
  images: WhatIfImage[];
  totals: { refusedInstances: number; undecidedInstances: number; refusedImages: number; undecidedImages: number; launchTemplates: number; scopesEvaluated: number; scopesNotEvaluated: number };
}

export const REPORT_SCHEMA_VERSION = 4 as const;

// ---- The publisher view (`ami-audit images`) ------------------------------------------------

/** Who may launch an owned AMI (DescribeImageAttribute launchPermission). */
export interface ImageSharing {
  /** A `group: all` launch permission: anyone may launch it. */
  public: boolean;
  /** Accounts (`userId`). */
  accountIds: string[];
  /** Organisations (`organizationArn`). */
  organizationArns: string[];
  /** Organisational units (`organizationalUnitArn`). */
  organizationalUnitArns: string[];
}

/** One consumer account of an owned AMI, from its usage report (DescribeImageUsageReportEntries). */
export interface ImageConsumer {
  accountId: string;
  /** Instances of the account launched from the AMI. */
  instances: number;
  /** Launch templates of the account that name the AMI. */
  launchTemplates: number;
  /** Whether the account belongs to the audited organisation (or the run's accounts without --org); set in the report, absent in the inventory. */
  inOrganization?: boolean;
  /** The account's name and OU path where the run knows them; set in the report. */
  name?: string | null;
  ouPath?: string | null;
}

/**
 * Who uses an owned AMI: `known` with the consumers of an available usage report (its age said by
 * `reportCreationTime`), `unknown` when the report did not complete within --usage-wait or could
 * not be made (never read as "no consumers"), `not-requested` when the AMI did not matter enough
 * to cost a report.
 */
export interface ImageUsage {
  status: 'known' | 'unknown' | 'not-requested';
  reportId: string | null;
  reportCreationTime: string | null;
  /** A report of the same AMI younger than --usage-max-age was reused instead of creating one. */
  reused?: boolean;
  consumers: ImageConsumer[];
  /** Why the usage is unknown (the call and code, or the report's state). */
  reason?: string;
}

/** One link of an owned AMI's ancestry (GetImageAncestry), the image itself first, the root last. */
export interface ImageAncestor {
  imageId: string;
  creationDate: string | null;
  imageOwnerAlias: string | null;
  sourceImageId: string | null;
  sourceImageRegion: string | null;
}

/** An AMI an audited account owns, as `ami-audit images` saw it. */
export interface OwnedImage {
  accountId: string;
  region: string;
  imageId: string;
  name: string | null;
  state: string | null;
  creationDate: string | null;
  deprecationTime: string | null;
  /** When it last launched an instance (DescribeImages lastLaunchedTime; AWS reports it about a day late). */
  lastLaunchedTime: string | null;
  /** DescribeImages deregistrationProtection (`disabled`, `enabled-with-cooldown`, `enabled-without-cooldown`); null when not returned. */
  deregistrationProtection: string | null;
  /** DescribeImages isPublic. */
  isPublic: boolean;
  /** Its launch permissions; null when they could not be read (`sharingError` says why). */
  sharing: ImageSharing | null;
  sharingError?: string;
  sourceImageId?: string;
  sourceImageRegion?: string;
  imageWatermarks?: ImageWatermark[];
  usage?: ImageUsage;
  /** The ancestry chain (the image first); absent when not looked up, with `ancestryError` when it failed. */
  ancestry?: ImageAncestor[];
  ancestryError?: string;
  /**
   * The root of its ancestry as DescribeImages (ImageIds, deprecated and disabled included) describes
   * it now: `described` false when it no longer can be (deregistered, or no longer shared). Absent
   * when the image is its own root, or the root could not be looked up.
   */
  ancestryRoot?: { imageId: string; described: boolean; ownerId: string | null; ownerAlias: string | null; state: string | null; deprecationTime: string | null };
}
