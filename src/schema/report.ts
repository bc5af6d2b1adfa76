/**
 * JSON Schema of the report model, schemaVersion 4 (published as docs/schema/report.schema.json).
 * Version 1, 2 and 3 reports validate too (readers upgrade them): the fields version 2 added are
 * required only from version 2 on; every field of a finding is required up to version 3, while a
 * version 4 finding is a record that refers to its instance, AMI, rule and waiver
 * (src/model/finding-record.ts).
 */
import { LIFECYCLES, SCOPE_STATUSES, SEVERITIES } from '../model/types.js';

const str = { type: 'string' };
const nstr = { type: ['string', 'null'] };
const int = { type: 'integer', minimum: 0 };
const severity = { enum: [...SEVERITIES] };
const counts = { type: 'object', additionalProperties: int };

const waiverRef = {
  type: 'object',
  required: ['id', 'reason', 'expires', 'ticket', 'approvedBy'],
  properties: { id: str, reason: str, expires: str, ticket: nstr, approvedBy: nstr },
};

const diffEntry = {
  type: 'object',
  required: ['id', 'ruleId', 'severity', 'accountId', 'region', 'instanceId', 'imageId', 'message'],
  properties: {
    id: str, ruleId: str, severity, accountId: str, region: str, instanceId: str, imageId: nstr, message: str,
    resource: { type: 'object', description: 'The finding\'s resource when its subject is one (launchable-bad-ami); absent for instance findings.', required: ['type', 'arn'], properties: { type: str, arn: str } },
  },
};

const scopeStatus = { enum: [...SCOPE_STATUSES] };
const diffSide = { type: 'object', required: ['severity', 'waived'], properties: { severity, waived: { type: 'boolean' } } };
const diffScope = { type: 'object', required: ['accountId', 'region', 'status'], properties: { accountId: str, region: str, status: scopeStatus } };
const scopeInRun = { enum: [...SCOPE_STATUSES, 'absent'] };
const strs = { type: 'array', items: str };
const bySeverity = { type: 'object', required: [...SEVERITIES], properties: Object.fromEntries(SEVERITIES.map((s) => [s, int])), additionalProperties: false };

const dateTime = { type: 'string', format: 'date-time' };
const severityNumbers = (item: Record<string, unknown>, what: string) => ({ type: 'object', required: [...SEVERITIES], properties: Object.fromEntries(SEVERITIES.map((s) => [s, item])), additionalProperties: false, description: what });
const escalatedFrom = {
  type: 'object', required: ['id', 'ruleId', 'severity', 'firstSeenAt'],
  properties: { id: str, ruleId: str, severity, firstSeenAt: dateTime },
  description: 'For an escalated finding: the less severe finding on the same instance and AMI it replaces, with that finding\'s first sight (the age counts from it).',
};

/** The run history beside the run (schema 3). */
const reportHistory = {
  type: 'object',
  description: 'What the run history (--history) says beside this run: the SLA it was judged by, overdue findings, the trend of open findings over the recorded runs, median days to fix, and the findings of earlier runs this run resolved. null when the report was built without a history (--no-history); absent in version 1 and 2 reports.',
  required: ['runsBefore', 'previousRun', 'sla', 'overdue', 'overdueBySeverity', 'oldestOverdue', 'trend', 'medianDaysToFix', 'resolved', 'unverified'],
  properties: {
    runsBefore: { ...int, description: 'Runs recorded before this one.' },
    previousRun: { oneOf: [{ type: 'null' }, { type: 'object', required: ['runId', 'asOf'], properties: { runId: str, asOf: dateTime } }] },
    sla: severityNumbers({ type: ['integer', 'null'], minimum: 0 }, 'SLA days by severity (null: no deadline).'),
    overdue: { ...int, description: 'Unwaived findings past their due date at the as-of.' },
    overdueBySeverity: severityNumbers(int, 'Overdue findings by severity.'),
    oldestOverdue: {
      oneOf: [{ type: 'null' }, { type: 'object', required: ['id', 'ageDays', 'ruleId', 'severity', 'imageId'], properties: { id: str, ageDays: int, ruleId: str, severity, imageId: nstr } }],
      description: 'The overdue finding seen first (null: none overdue).',
    },
    trend: {
      type: 'array',
      description: 'Open unwaived findings by severity after each recorded run (seen, or not looked at and still open), oldest first, this run last.',
      items: { type: 'object', required: ['runId', 'asOf', 'status', 'open'], properties: { runId: str, asOf: dateTime, status: { enum: ['complete', 'partial'] }, open: severityNumbers(int, 'Open unwaived findings by severity.') } },
    },
    medianDaysToFix: severityNumbers({ type: ['number', 'null'], minimum: 0 }, 'Median whole days from first sight to resolution, over every resolution recorded up to this run (null: none).'),
    resolved: {
      type: 'array',
      description: 'Findings of earlier runs that this run looked for and did not see, with their first sight, resolution and days to fix.',
      items: { ...diffEntry, required: [...diffEntry.required, 'firstSeenAt', 'resolvedAt', 'daysToFix'], properties: { ...diffEntry.properties, firstSeenAt: dateTime, resolvedAt: dateTime, daysToFix: int } },
    },
    unverified: { ...int, description: 'Open findings of earlier runs this run did not look at (scope not read, a narrower run): they keep their age and stay open.' },
  },
};

/** The top-level fields schema version 2 added (required in a version 2 report). */
export const V2_FIELDS = ['tagColumns', 'images', 'owners', 'coverageGaps'] as const;

const imageReference = {
  type: 'object',
  required: ['accountId', 'region', 'imageId', 'resourceType', 'arn', 'name', 'version', 'usedBy'],
  properties: {
    accountId: str, region: str, imageId: str,
    resourceType: { ...str, description: 'ec2:LaunchTemplate, ssm:Parameter, imagebuilder:ImageRecipe or imagebuilder:ContainerRecipe (as DescribeImageReferences names it).' },
    arn: { ...str, description: 'The referencing resource (a launch template ARN carries no version).' },
    name: { ...nstr, description: 'The launch template name, parameter name or recipe name.' },
    version: { ...nstr, description: 'Launch templates: the versions Auto Scaling groups launch that resolve to this AMI, comma-separated; recipes: the recipe version; else null.' },
    usedBy: { ...strs, description: 'Auto Scaling groups whose launch template version ($Latest, $Default or a number) resolves to this AMI: their next scale-out launches it. Sorted.' },
    usedByUnknown: { const: true, description: 'Set when the Auto Scaling groups could not be looked up (the scope is partial): usedBy is then not the whole answer.' },
    defaultVersion: { ...str, description: 'Launch templates: the template\'s default version number ($Default resolved). Absent in reports written before it existed.' },
  },
};

const imageCriterion = {
  type: 'object',
  required: ['imageProviders', 'marketplaceProductCodes', 'imageNames', 'maximumDaysSinceDeprecated', 'maximumDaysSinceCreated'],
  properties: {
    imageProviders: strs, marketplaceProductCodes: strs, imageNames: strs,
    imageWatermarks: { type: 'array', items: { type: 'object' }, description: 'ImageWatermarks filters (a --criteria file); not evaluated: a criterion with them is undecided.' },
    maximumDaysSinceDeprecated: { oneOf: [{ type: 'null' }, int] }, maximumDaysSinceCreated: { oneOf: [{ type: 'null' }, int] },
  },
};

const successor = {
  type: 'object',
  required: ['status', 'imageId', 'name', 'creationDate', 'deprecationTime', 'method', 'matchedOn', 'architecture', 'inferred', 'reason'],
  additionalProperties: false,
  properties: {
    status: { enum: ['found', 'not-found', 'not-looked-up'], description: 'found: replace with imageId; not-found: reason says why there is none; not-looked-up: the lookup failed (reason names the error code and the call, e.g. "successor not looked up: AccessDenied (ssm:GetParameters)"); the audit is not partial for it.' },
    imageId: { ...nstr, description: 'The successor AMI (found), else null.' },
    name: nstr, creationDate: nstr, deprecationTime: nstr,
    method: { enum: ['ssm-parameter', 'same-name-family', null], description: 'ssm-parameter: the public parameter of its family names the latest image; same-name-family: the same owner\'s newest image whose name differs only in version, date and build tokens; null when not looked up or no family was told.' },
    matchedOn: { ...nstr, description: 'The public parameter, or "owner <id>, name <pattern>[, <architecture>]".' },
    architecture: { ...nstr, description: 'The flagged AMI\'s architecture, which the successor shares (DescribeImages, or inferred).' },
    inferred: { type: 'boolean', description: 'The architecture was inferred from the instance types running the AMI (Graviton families are arm64): it could not be described.' },
    reason: { ...nstr, description: 'not-found / not-looked-up: why; found: what a reader must know (images skipped as outside the Allowed AMIs criteria, or that Allowed AMIs is enabled and the family\'s newest image may not have been returned); else null.' },
  },
};

const imagePlanEntry = {
  type: 'object',
  required: ['priority', 'imageId', 'name', 'ownerId', 'ownerAlias', 'state', 'deprecationTime', 'creationDate', 'worstSeverity', 'rules', 'instances', 'accounts', 'regions', 'findings', 'waived'],
  properties: {
    priority: { type: 'integer', minimum: 1, description: '1-based place in the plan.' },
    imageId: { ...nstr, description: 'null groups the findings of instances whose AMI id is unknown.' },
    name: nstr, ownerId: nstr, ownerAlias: nstr, state: nstr,
    deprecationTime: { ...nstr, description: 'As the instance records give it (not reformatted).' },
    creationDate: nstr,
    worstSeverity: { ...severity, description: 'The worst severity of its unwaived findings (of all of them when every one is waived).' },
    rules: {
      type: 'array',
      description: 'Each rule it trips: its worst severity and its unwaived findings (for an AMI whose findings are all waived: every rule, findings 0). Sorted by severity (highest first), then rule id.',
      items: { type: 'object', required: ['ruleId', 'severity', 'findings'], properties: { ruleId: str, severity, findings: int } },
    },
    instances: {
      type: 'object',
      description: 'Distinct instances with an unwaived finding on this AMI (with any finding when all are waived), by state: running; stopped (stopped, stopping); other (pending, shutting-down, terminated, unknown).',
      required: ['total', 'running', 'stopped', 'other'],
      properties: { total: int, running: int, stopped: int, other: int },
    },
    accounts: { ...strs, description: 'Accounts of the counted findings, sorted.' },
    regions: { ...strs, description: 'Regions of the counted findings, sorted.' },
    findings: { ...int, description: 'Unwaived findings.' },
    waived: { ...int, description: 'Waived findings.' },
    oldestFirstSeenAt: { oneOf: [{ type: 'null' }, { type: 'string', format: 'date-time' }], description: 'With a run history: the earliest first sight of its findings. Absent without one.' },
    overdue: { ...int, description: 'With a run history: its unwaived findings past their due date; within one worst severity, more overdue findings come first in the plan. Absent without one.' },
    references: { type: 'array', items: imageReference, description: 'With --references: the resources that reference this AMI (launch templates, SSM parameters, Image Builder recipes) in every account and region, those an Auto Scaling group launches from first. Absent without --references.' },
    successor: { type: 'object', propertyNames: { pattern: '^[a-z]{2}(-[a-z]+)+-\\d+$' }, additionalProperties: successor, description: 'With --successors: what to replace this AMI with, per region (keys are regions, sorted). Absent without --successors.' },
  },
};

const ownerRollup = {
  type: 'object',
  required: ['tag', 'value', 'findings', 'bySeverity', 'images'],
  properties: {
    tag: { ...str, description: 'The first tag column.' },
    value: { ...nstr, description: 'The tag value; null for instances without the tag (shown as "(untagged)").' },
    findings: { ...int, description: 'Unwaived findings.' },
    bySeverity: { ...bySeverity, description: 'Unwaived findings per severity.' },
    images: { ...strs, description: 'The AMIs of its unwaived findings, in plan order.' },
  },
};

const coverageGap = {
  type: 'object',
  required: ['accountId', 'status', 'cause', 'action', 'regions', 'hint', 'message'],
  properties: {
    accountId: str,
    status: { enum: ['error', 'partial', 'skipped'] },
    cause: { ...str, description: 'The error code (of the first failure), or the skip reason (not-enabled, not-offered).' },
    action: { ...nstr, description: 'The action that failed first (AssumeRole, DescribeRegions, DescribeInstanceImageMetadata, DescribeInstances, GetAllowedImagesSettings, Run); null for skipped scopes and reports without failures.' },
    regions: { ...strs, description: 'The regions of the account with this status and cause, sorted.' },
    hint: { ...str, description: 'What to do about it, in plain language.' },
    message: { ...nstr, description: 'The message of the first of its scopes (account, region order); null for skipped scopes.' },
  },
};

const accountInfo = {
  type: 'object',
  required: ['accountId', 'name', 'ouPath', 'state'],
  additionalProperties: false,
  properties: {
    accountId: str,
    name: { ...nstr, description: 'The account name from AWS Organizations (--org) or the config (accounts[].name); null when unknown.' },
    ouPath: { ...nstr, description: 'The OUs above the account from the root, joined with "/", e.g. "Root/Workloads/Prod"; null when not discovered with --org.' },
    ouPathParts: {
      type: ['array', 'null'],
      description: 'The same path as a list, the root first: each OU\'s id and name, so that an OU whose name holds "/" stays one OU. Absent in reports written before it existed; null or absent when not discovered with --org.',
      items: { type: 'object', required: ['id', 'name'], additionalProperties: false, properties: { id: str, name: str } },
    },
    state: { ...nstr, description: 'AWS Organizations State: ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED or PENDING_ACTIVATION; null when not discovered. Accounts not ACTIVE are skipped (coverage reason = the state), never audited.' },
  },
};

const ownedImage = {
  type: 'object',
  required: ['accountId', 'region', 'imageId', 'name', 'state', 'creationDate', 'deprecationTime', 'lastLaunchedTime', 'deregistrationProtection', 'isPublic', 'sharing'],
  properties: {
    accountId: str, region: str, imageId: str, name: nstr, state: nstr, creationDate: nstr, deprecationTime: nstr,
    lastLaunchedTime: { ...nstr, description: 'DescribeImages lastLaunchedTime (AWS reports a launch about a day late).' },
    deregistrationProtection: { ...nstr, description: 'DescribeImages deregistrationProtection (disabled, enabled-with-cooldown, enabled-without-cooldown).' },
    isPublic: { type: 'boolean' },
    sharing: {
      oneOf: [{ type: 'null' }, {
        type: 'object', required: ['public', 'accountIds', 'organizationArns', 'organizationalUnitArns'],
        properties: { public: { type: 'boolean' }, accountIds: strs, organizationArns: strs, organizationalUnitArns: strs },
      }],
      description: 'Its launch permissions (DescribeImageAttribute launchPermission); null when they could not be read (sharingError says why).',
    },
    sharingError: str, ancestryError: str, sourceImageId: str, sourceImageRegion: str,
    imageWatermarks: { type: 'array', items: { type: 'object' } },
    usage: {
      type: 'object', required: ['status', 'reportId', 'reportCreationTime', 'consumers'],
      description: 'Who uses it: known (an available usage report; reportCreationTime says how old), unknown (the report did not complete or could not be made or read: never "no consumers"), not-requested.',
      properties: {
        status: { enum: ['known', 'unknown', 'not-requested'] }, reportId: nstr, reportCreationTime: nstr, reused: { type: 'boolean' }, reason: str,
        consumers: {
          type: 'array',
          items: { type: 'object', required: ['accountId', 'instances', 'launchTemplates'], properties: { accountId: str, instances: int, launchTemplates: int, inOrganization: { type: 'boolean' }, name: nstr, ouPath: nstr } },
        },
      },
    },
    ancestryRoot: { type: 'object', required: ['imageId', 'described'], description: 'The root of its ancestry as DescribeImages describes it now (described false: deregistered or no longer shared).', properties: { imageId: str, described: { type: 'boolean' }, ownerId: nstr, ownerAlias: nstr, state: nstr, deprecationTime: nstr } },
    ancestry: {
      type: 'array', description: 'GetImageAncestry: the image first, its root last.',
      items: { type: 'object', required: ['imageId'], properties: { imageId: str, creationDate: nstr, imageOwnerAlias: nstr, sourceImageId: nstr, sourceImageRegion: nstr } },
    },
  },
};

/** Every field of a finding, as versions 1 to 3 required them (a version 4 record leaves out what its references give). */
export const FULL_FINDING_FIELDS = ['id', 'ruleId', 'severity', 'accountId', 'region', 'instanceId', 'instanceName', 'imageId', 'imageName', 'imageOwnerId', 'imageOwnerAlias', 'instanceState', 'message', 'remediation', 'waiver', 'expiredWaiver'] as const;

/** One element of findings[]: a version 4 record, or (versions 1 to 3) a whole finding. */
const findingItem = {
  type: 'object',
  required: ['id', 'ruleId', 'severity', 'accountId', 'region', 'instanceId', 'imageId', 'message'],
  properties: {
    id: { ...str, pattern: '^[0-9a-f]{20}$', description: 'Stable id, unique in the report: a hash of rule id, account, region, instance id (for a record without one, a key from its content), image id and, for a rule that can hit one instance for several reasons, the reason.' },
    ruleId: { ...str, description: 'The rule (rules[].id): version 4 takes the remediation from it.' },
    severity, accountId: str, region: str,
    instanceId: { ...str, description: 'With accountId and region, the instance (instances[]: accountId, region, InstanceId) whose name, state and tag values version 4 takes; "" for a finding about a resource.' },
    imageId: { ...nstr, description: 'The AMI (images[].imageId): version 4 takes its name, owner and alias from the plan.' },
    instanceName: { ...nstr, description: 'The instance\'s Name tag. Version 4: only where instances[] does not give it.' },
    instanceState: { ...nstr, description: 'Version 4: only where instances[] does not give it.' },
    imageName: { ...nstr, description: 'Version 4: only where images[] does not give it.' },
    imageOwnerId: { ...nstr, description: 'Version 4: only where images[] does not give it.' },
    imageOwnerAlias: { ...nstr, description: 'Version 4: only where images[] does not give it.' },
    tags: { type: 'array', items: nstr, description: 'The values of the report\'s tagColumns for this instance, in that order (null: no such tag). Absent when there are no tag columns, and in version 1 reports; version 4: only where instances[] does not give them.' },
    resource: {
      type: 'object',
      description: 'Set when the subject of the finding is a resource, not an instance (launchable-bad-ami: the launch template, SSM parameter or recipe that references the AMI); instanceId is then "". Absent on instance findings.',
      required: ['type', 'arn', 'name', 'version', 'usedBy'],
      properties: { type: str, arn: str, name: nstr, version: nstr, usedBy: strs, usedByUnknown: { const: true } },
    },
    message: str,
    remediation: { ...str, description: 'Version 4: only where it is not the rule\'s (rules[].remediation).' },
    waiver: { oneOf: [{ type: 'null' }, str, waiverRef], description: 'The waiver that holds it. Version 4: its id (waivers[].id), absent when none (the whole reference only where waivers[] has no such entry); versions 1 to 3: the reference, or null.' },
    expiredWaiver: { oneOf: [{ type: 'null' }, str, waiverRef], description: 'A waiver that matched but had expired, written as waiver is.' },
    firstSeenAt: { ...dateTime, description: 'With a run history: the as-of of the first recorded run that saw it (for an escalated finding, of the finding it replaces). Absent without one.' },
    lastSeenAt: { ...dateTime, description: 'With a run history: the as-of of the last run that saw it (this one). Version 4: absent when it is run.asOf.' },
    ageDays: { ...int, description: 'Whole days from firstSeenAt to the as-of.' },
    dueAt: { oneOf: [{ type: 'null' }, dateTime], description: 'firstSeenAt (for an escalated finding: the escalation) + the SLA days of its severity; null when its severity has no SLA.' },
    overdue: { type: 'boolean', description: 'The as-of is past dueAt and no valid waiver holds the finding.' },
    lifecycle: { enum: [...LIFECYCLES], description: 'new: first seen by this run; open: seen before and again; escalated: replaces a less severe finding on the same instance and AMI; reopened: seen again after it was resolved.' },
    reopenedCount: { ...int, description: 'Times it came back after it was resolved.' },
    escalatedFrom,
    escalatedAt: { ...dateTime, description: 'For an escalated finding: the as-of of the run that first saw the escalation; dueAt counts from it. Absent in reports written before it existed.' },
  },
};

export const reportSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ami-audit.dev/schema/report.schema.json',
  title: 'ami-audit report, schemaVersion 4',
  type: 'object',
  required: ['schemaVersion', 'tool', 'run', 'coverage', 'instances', 'notFoundInstanceIds', 'findings', 'waivers', 'rules', 'summary', 'diff'],
  allOf: [
    { if: { properties: { schemaVersion: { enum: [2, 3, 4] } } }, then: { required: [...V2_FIELDS] } },
    { if: { properties: { schemaVersion: { enum: [1, 2, 3] } } }, then: { properties: { findings: { items: { required: [...FULL_FINDING_FIELDS], properties: { waiver: { not: { type: 'string' } }, expiredWaiver: { not: { type: 'string' } } } } } } } },
  ],
  properties: {
    schemaVersion: { enum: [1, 2, 3, 4], description: 'Version of this model; readers refuse newer versions. Version 1 reports lack tagColumns, images, owners, coverageGaps and findings[].tags; version 2 reports lack history and the history fields of findings and images; version 3 reports repeat in every finding the strings of its instance, AMI, rule and waiver, which version 4 findings refer to; readers upgrade them.' },
    tagColumns: { ...strs, description: 'Instance tag keys carried into findings (--tag-columns, config report.tagColumns), in order; [] when none.' },
    images: { type: 'array', items: imagePlanEntry, description: 'The remediation plan: one entry per AMI with findings, in priority order (AMIs with unwaived findings first, then worst severity, overdue findings (with a run history; most first), affected running instances (most first), earliest deprecation, image id).' },
    owners: { type: 'array', items: ownerRollup, description: 'Findings by value of the first tag column, the untagged group (value null) included; [] without tag columns. Sorted by worst severity, unwaived findings (most first), value (untagged last).' },
    coverageGaps: { type: 'array', items: coverageGap, description: 'Scopes not ok, grouped by account, status, cause and failing action, with a hint. Sorted by account, status (error, partial, skipped), cause, action.' },
    accounts: { type: 'array', items: accountInfo, description: 'Every account of the run (audited, skipped or failed) with its name, OU path and state where known; sorted by account id. Absent in reports written before this field existed.' },
    tool: { type: 'object', required: ['name', 'version'], properties: { name: str, version: str } },
    run: {
      type: 'object',
      required: ['id', 'startedAt', 'finishedAt', 'asOf', 'status', 'caller', 'accounts', 'regions', 'options', 'interrupted', 'source'],
      properties: {
        id: { ...str, description: 'Unique id of the collection run.' },
        startedAt: { ...str, format: 'date-time' },
        finishedAt: { ...str, format: 'date-time' },
        asOf: { ...str, format: 'date-time', description: 'The time the rules were evaluated at.' },
        status: { enum: ['complete', 'partial'], description: 'partial when any scope is error or partial, or the run was interrupted.' },
        caller: { type: 'object', required: ['accountId', 'arn'], properties: { accountId: nstr, arn: nstr } },
        accounts: { type: 'array', items: str },
        regions: { type: 'array', items: str },
        options: { type: 'object', description: 'Options of the run, without secrets (externalIdSet says whether an external id was used).' },
        interrupted: { type: 'boolean' },
        source: { enum: ['scan', 'aws-cli', 'report'] },
        warnings: { type: 'array', items: str, description: 'What a reader must know about the run itself (a clock that looks skewed, a deadline that passed). Absent in reports written before it existed.' },
        shard: {
          type: 'object',
          description: 'Set on the report of one shard of a sharded run (scan --shard K/N); absent otherwise and on merged reports.',
          required: ['index', 'count', 'accountsTotal', 'allAccounts', 'fingerprint'],
          additionalProperties: false,
          properties: {
            index: { type: 'integer', minimum: 1, description: 'K of K/N.' },
            count: { type: 'integer', minimum: 1, description: 'N of K/N.' },
            accountsTotal: { ...int, description: 'Accounts of the whole sharded run.' },
            allAccounts: { ...strs, description: 'Those accounts, sorted: the merge names the accounts of a missing shard from them.' },
            fingerprint: { ...str, description: 'sha256 of the inputs that defined the slices; equal in every part of one run.' },
            digest: { ...str, description: 'sha256 of the report\'s content (everything but digest and signature), as a reader computes it: merge refuses a part whose content does not match. Absent in reports written before it existed.' },
            signature: { ...str, description: 'HMAC-SHA256 of the digest with the key AMI_AUDIT_SHARD_KEY, when the shard was given one: merge, given the key, refuses a part without it or with another.' },
          },
        },
      },
    },
    coverage: {
      type: 'array',
      description: 'One entry per account x region, sorted by account then region. With --all-regions, an account whose own regions cannot be learned (its role cannot be assumed, or DescribeRegions is refused) has its failure recorded for each region the caller account has enabled; region * only when those cannot be learned either.',
      items: {
        type: 'object',
        required: ['accountId', 'region', 'status', 'errorCode', 'errorMessage', 'reason', 'instanceCount', 'pageCount', 'apiCalls', 'retries', 'allowedImagesState', 'disruptedZones', 'uncoveredInstanceCount'],
        properties: {
          accountId: str, region: str, status: scopeStatus, errorCode: nstr, errorMessage: nstr, reason: nstr,
          instanceCount: int, pageCount: int, apiCalls: int, retries: int,
          allowedImagesState: { enum: ['enabled', 'audit-mode', 'disabled', 'unknown', 'not-needed'] },
          disruptedZones: { type: 'array', items: str }, uncoveredInstanceCount: int,
          allowedImagesCriteria: { type: 'array', items: imageCriterion, description: 'The region\'s Allowed AMIs image criteria, when GetAllowedImagesSettings was read; absent otherwise.' },
          allowedImagesManagedBy: { ...nstr, description: 'account, or declarative-policy when an organisation\'s declarative policy sets the criteria; absent when not read.' },
          ownedImageCount: { ...int, description: 'ami-audit images: the AMIs the account owns in the region (DescribeImages Owners=self). Absent in scan reports.' },
          imageBlockPublicAccessState: { ...str, description: 'ami-audit images: block public access for AMIs in the region (block-new-sharing, unblocked; unknown when GetImageBlockPublicAccessState failed). Absent in scan reports.' },
          references: {
            type: 'object',
            description: 'With --references: the reference lookups of this scope. error makes the scope partial (the failure is in failures); skipped (code nothing-flagged) when no AMI of the scope is deprecated, deregistered, disabled or not allowed. Absent without --references.',
            required: ['status', 'code', 'message', 'images', 'apiCalls'],
            properties: { status: { enum: ['ok', 'error', 'skipped'] }, code: nstr, message: nstr, images: int, apiCalls: int },
          },
          failures: {
            type: 'array',
            description: 'Every part of the scope that failed: the API action (AssumeRole, DescribeRegions, DescribeInstanceImageMetadata, DescribeInstances, GetAllowedImagesSettings, DescribeImageReferences, DescribeAutoScalingGroups, DescribeLaunchTemplateVersions) with its error code and message (a paging loop is code PaginationLoop), or action Run when the run stopped before the scope finished (Interrupted, DeadlineExceeded, NotSettled). Absent in reports written before it existed (read as empty).',
            items: { type: 'object', required: ['action', 'code', 'message'], properties: { action: str, code: str, message: str } },
          },
        },
      },
    },
    instances: {
      type: 'array',
      description: 'Every instance collected, with the API\'s own field names, sorted by account, region, instance id.',
      items: {
        type: 'object',
        required: ['accountId', 'region'],
        properties: {
          accountId: str, region: str, InstanceId: str, InstanceType: str, LaunchTime: str, AvailabilityZone: str, ZoneId: str,
          State: { type: 'object', properties: { Code: { type: 'integer' }, Name: str } },
          OwnerId: str,
          Tags: { type: 'array', items: { type: 'object', properties: { Key: str, Value: str } } },
          ImageMetadata: {
            type: 'object',
            properties: {
              ImageId: str, Name: str, OwnerId: str, State: str, ImageOwnerAlias: str, CreationDate: str, DeprecationTime: str,
              ImageAllowed: { type: 'boolean' }, IsPublic: { type: 'boolean' }, ImageWatermarks: { type: 'array', items: { type: 'object' } },
            },
          },
          Operator: { type: 'object', properties: { Managed: { type: 'boolean' }, Principal: str, HiddenByDefault: { type: 'boolean' } } },
        },
      },
    },
    notFoundInstanceIds: { type: 'array', items: str, description: 'Ids given with --instance-ids that no scanned scope holds.' },
    uncheckedInstanceIds: { type: 'array', items: str, description: 'Ids given with --instance-ids that were not found while some scope could not be checked: they may live there. Absent in reports written before it existed.' },
    findings: {
      type: 'array',
      description: 'Sorted by severity (highest first), rule, account, region, instance. From version 4, each finding refers to what it concerns instead of repeating its strings: its instance by accountId, region and instanceId (instances[]: accountId, region, InstanceId), its AMI by imageId (images[]), its rule by ruleId (rules[]), its waiver by id (waivers[]). instanceName, instanceState, tags, imageName, imageOwnerId, imageOwnerAlias and remediation are written only where those give another value (a finding about a resource, a record without an instance id); lastSeenAt only where it is not run.asOf; waiver and expiredWaiver are the waiver\'s id, absent when none. Versions 1 to 3 write every field of every finding.',
      items: findingItem,
    },
    waivers: {
      type: 'array',
      description: 'Every configured waiver with its status; matchedFindings 0 means it matched nothing.',
      items: {
        type: 'object',
        required: ['id', 'reason', 'expires', 'ticket', 'approvedBy', 'status', 'matchedFindings', 'match'],
        properties: { ...waiverRef.properties, status: { enum: ['active', 'expired'] }, matchedFindings: int, match: { type: 'object' } },
      },
    },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'description', 'severity', 'defaultSeverity', 'remediation', 'options'],
        properties: {
          id: str, title: str, description: str, severity: { enum: [...SEVERITIES, 'off'] }, defaultSeverity: severity, remediation: str, options: { type: 'object' },
          controls: {
            type: 'array',
            description: 'The compliance controls the rule maps to (docs/rules/<id>.md cites why): framework ("NIST SP 800-53 r5", "PCI DSS v4.0", "CIS AWS Compute v1.0.0" (the CIS Amazon Web Services Compute Services Benchmark), "ISO/IEC 27001:2022", "ASD Essential Eight"), the control id in it and its title. Findings refer to them by ruleId. Absent in reports written before it existed.',
            items: { type: 'object', required: ['framework', 'id', 'title'], additionalProperties: false, properties: { framework: str, id: str, title: str } },
          },
        },
      },
    },
    summary: {
      type: 'object',
      required: ['instancesScanned', 'instancesEvaluated', 'instancesTerminatedSkipped', 'findings', 'findingsUnwaived', 'findingsWaived', 'bySeverity', 'byRule', 'byAccount', 'byRegion', 'scopes', 'waiversUnmatched', 'waiversExpired'],
      properties: {
        instancesScanned: int, instancesEvaluated: int, instancesTerminatedSkipped: int, findings: int, findingsUnwaived: int, findingsWaived: int,
        bySeverity: { type: 'object', required: [...SEVERITIES], additionalProperties: int, description: 'Unwaived findings per severity.' },
        byRule: counts, byAccount: counts, byRegion: counts,
        scopes: { type: 'object', required: ['total', 'ok', 'partial', 'error', 'skipped'], additionalProperties: int },
        waiversUnmatched: int, waiversExpired: int,
      },
    },
    diff: {
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          description: 'The run against a --baseline. resolved: gone, and the newer run looked for it (its scope listed completely in both runs: ok, or partial only because the Allowed AMIs state could not be read; no instance ids, filters or rule switch narrowing the newer run away from it); unverified: gone, but not looked for that way, so not resolved; escalated: replaced by a worse rule on the same instance and AMI; changed: in both, severity or waiver status differs. unverified, changed and scopes are absent in reports written before they existed.',
          required: ['baseline', 'counts', 'new', 'resolved', 'unchanged'],
          properties: {
            baseline: { type: 'object', required: ['runId', 'startedAt', 'asOf'], properties: { runId: str, startedAt: str, asOf: str } },
            current: { type: 'object', required: ['runId', 'asOf'], properties: { runId: str, asOf: str }, description: 'The newer run\'s id and as-of. Absent in reports written before version 3.' },
            counts: { type: 'object', required: ['new', 'resolved', 'unchanged'], properties: { unverified: int, changed: int, escalated: int }, additionalProperties: int },
            new: { type: 'array', items: diffEntry },
            escalated: {
              type: 'array',
              description: 'The same instance on the same AMI moved from one rule to a worse one (deprecation-soon -> deprecated-ami -> deregistered-ami or disabled-ami): the newer finding, with the one it replaces in from. Neither resolved nor new. Absent in reports written before version 3.',
              items: { ...diffEntry, required: [...diffEntry.required, 'from'], properties: { ...diffEntry.properties, from: diffEntry } },
            },
            resolved: { type: 'array', items: diffEntry },
            unverified: {
              type: 'array',
              items: { ...diffEntry, required: [...diffEntry.required, 'scope'], properties: { ...diffEntry.properties, scope: { type: 'object', required: ['baseline', 'current'], properties: { baseline: scopeInRun, current: scopeInRun } }, notLookedAt: { enum: ['instance-ids', 'filters', 'rule-off', 'references', 'owned-images'], description: 'The newer run did not look for the finding: narrowed to other instance ids, by other filters, the rule is off, or (a finding about a resource) it did not look up what references the AMI: no --references, a failed lookup, or no instance of the scope runs the AMI any more; owned-images: a finding about an owned AMI, and the newer run is not ami-audit images.' } } },
            },
            changed: {
              type: 'array',
              items: { ...diffEntry, required: [...diffEntry.required, 'before', 'after'], properties: { ...diffEntry.properties, before: diffSide, after: diffSide } },
            },
            unchanged: { type: 'array', items: str },
            scopes: {
              type: 'object', required: ['added', 'removed'],
              properties: { added: { type: 'array', items: diffScope }, removed: { type: 'array', items: diffScope } },
            },
          },
        },
      ],
    },
    history: { oneOf: [{ type: 'null' }, reportHistory] },
    whatIf: {
      type: 'object',
      description: 'The Allowed AMIs what-if (docs/allowed-amis-whatif.md): for each account x region in audit-mode or disabled, the AMIs (with their instances and, with --references, launch templates) that would be refused if Allowed AMIs were enabled with the region\'s current criteria, or the --criteria file\'s (criteria proposed); undecided where the instance metadata cannot tell (marketplace product codes, watermark filters, a missing owner or name). Absent when no scope is in audit-mode or disabled and no --criteria was given.',
      required: ['criteria', 'scopes', 'images', 'totals'],
      properties: {
        criteria: { enum: ['current', 'proposed'] },
        proposed: { type: 'array', items: imageCriterion },
        scopes: {
          type: 'array',
          items: {
            type: 'object', required: ['accountId', 'region', 'allowedImagesState', 'evaluated', 'reason', 'refused', 'undecided', 'allowed'],
            properties: {
              accountId: str, region: str, allowedImagesState: { enum: ['enabled', 'audit-mode', 'disabled', 'unknown', 'not-needed'] }, evaluated: { type: 'boolean' },
              reason: { enum: [null, 'enabled', 'state-unknown', 'state-not-read', 'criteria-not-read', 'not-audited'], description: 'Why not evaluated: enabled (already enforced: not-allowed-ami reports it), state-unknown (GetAllowedImagesSettings failed), state-not-read (no instance needed it), criteria-not-read, not-audited (the scope failed or was skipped); null when evaluated.' },
              refused: int, undecided: int, allowed: int,
            },
          },
        },
        images: {
          type: 'array',
          items: {
            type: 'object', required: ['accountId', 'imageId', 'name', 'ownerId', 'ownerAlias', 'verdict', 'why', 'source', 'regions', 'instances', 'launchTemplates'],
            properties: {
              accountId: str, imageId: nstr, name: nstr, ownerId: nstr, ownerAlias: nstr, verdict: { enum: ['refused', 'undecided'] }, why: str, source: { enum: ['ec2', 'metadata'] },
              regions: strs, instances: strs,
              launchTemplates: { type: 'array', items: { type: 'object', required: ['region', 'arn', 'name', 'version'], properties: { region: str, arn: str, name: nstr, version: nstr } } },
            },
          },
        },
        totals: { type: 'object', required: ['refusedInstances', 'undecidedInstances', 'refusedImages', 'undecidedImages', 'launchTemplates', 'scopesEvaluated', 'scopesNotEvaluated'], additionalProperties: int },
      },
    },
    ownedImages: { type: 'array', items: ownedImage, description: 'ami-audit images: the AMIs the audited accounts own, the blast radius first (consumer accounts, then instances, most first), then account, region, image id. Absent in scan reports.' },
  },
} as const;
