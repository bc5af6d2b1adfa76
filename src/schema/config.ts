/** JSON Schema of the ami-audit config file (published as docs/schema/config.schema.json). */
import { SEVERITIES } from '../model/types.js';
import { RULES } from '../rules/registry.js';
import { FORMATS } from '../render/index.js';

const accountId = { type: 'string', pattern: '^\\d{12}$', description: '12-digit AWS account id' };
const region = { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d{1,2}$', description: 'AWS region name, e.g. us-east-1' };
const severity = { enum: [...SEVERITIES], description: 'Severity' };

const ruleSettings = Object.fromEntries(RULES.map((r) => [r.meta.id, {
  description: `Settings of ${r.meta.id}: ${r.meta.title}. A severity alone (or off) is shorthand for {"severity": ...}.`,
  oneOf: [
    { enum: [...SEVERITIES, 'off'] },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        severity: { enum: [...SEVERITIES, 'off'], description: `Severity of its findings, or off (default ${r.meta.severity})${r.meta.severityStates ? '; the base severity only: the severities that depend on a state keep theirs unless named in severityByState' : ''}` },
        ...(r.meta.severityStates ? {
          severityByState: {
            type: 'object',
            additionalProperties: false,
            description: `Severity per state, overriding each one named (${Object.entries(r.meta.severityStates).map(([k, v]) => `${k}: ${v === 'base' ? r.meta.severity : v}`).join(', ')}).`,
            properties: Object.fromEntries(Object.keys(r.meta.severityStates).map((k) => [k, severity])),
          },
        } : {}),
        ...Object.fromEntries(Object.entries(r.meta.options ?? {}).map(([k, o]) => [k, { type: 'integer', minimum: o.minimum, description: `${o.description} Default ${o.default}.` }])),
      },
    },
  ],
}]));

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ami-audit.dev/schema/config.schema.json',
  title: 'ami-audit configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
    accounts: {
      type: 'array',
      description: 'Accounts to audit: ids, or objects naming a role ARN (and external id) for that account. A role ARN must be a role in that account; an account listed twice must be listed the same way both times (it is then audited once). Empty: the caller\'s own account.',
      items: {
        oneOf: [
          accountId,
          {
            type: 'object', additionalProperties: false, required: ['accountId'],
            properties: {
              accountId,
              roleArn: { type: 'string', pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$', description: 'Role to assume in this account (overrides roleName).' },
              externalId: { type: 'string', minLength: 2, maxLength: 1224, description: 'External id for this account\'s role.' },
            },
          },
        ],
      },
    },
    roleName: { type: 'string', pattern: '^[\\w+=,.@-]{1,64}$', description: 'Role name to assume in every account; the ARN is built per account.' },
    roleSessionName: { type: 'string', pattern: '^[\\w+=,.@-]{2,64}$', description: 'RoleSessionName for AssumeRole (default ami-audit).' },
    externalId: { type: 'string', minLength: 2, maxLength: 1224, description: 'ExternalId for AssumeRole. Never written to reports.' },
    durationSeconds: { type: 'integer', minimum: 900, maximum: 43200, description: 'DurationSeconds for AssumeRole (default 3600).' },
    regions: { type: 'array', items: region, description: 'Regions to audit.' },
    allRegions: { type: 'boolean', description: 'Discover regions per account with DescribeRegions (enabled ones are audited, others recorded as skipped).' },
    trustedAccounts: { type: 'array', items: accountId, description: 'Accounts whose AMIs are trusted (your image pipeline, your organisation).' },
    trustedOwnerAliases: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Owner aliases that are trusted (default amazon, aws-marketplace).' },
    deprecationWindowDays: { type: 'integer', minimum: 0, description: 'Days ahead of as-of in which a deprecation counts as soon (default 30).' },
    maxAmiAgeDays: { type: 'integer', minimum: 1, description: 'Age in days beyond which an AMI is stale (default 365).' },
    rules: { type: 'object', additionalProperties: false, properties: ruleSettings, description: 'Per-rule severity overrides and options, by rule id.' },
    waivers: {
      type: 'array',
      description: 'Accepted findings. Each matches on any of ruleId, accountId, region, instanceId, imageId, tag, and must have reason and expires.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['reason', 'expires'],
        anyOf: ['ruleId', 'accountId', 'region', 'instanceId', 'imageId', 'tag'].map((k) => ({ required: [k] })),
        properties: {
          id: { type: 'string', pattern: '^[\\w.:-]{1,64}$', description: 'Stable id to refer to the waiver (default: derived from its content).' },
          ruleId: { enum: RULES.map((r) => r.meta.id), description: 'Rule id' },
          accountId,
          region,
          instanceId: { type: 'string', pattern: '^i-([0-9a-f]{8}|[0-9a-f]{17})$' },
          imageId: { type: 'string', pattern: '^ami-([0-9a-f]{8}|[0-9a-f]{17})$' },
          tag: { type: 'string', pattern: '^[^=]+(=.*)?$', description: 'Key=Value (or Key alone: any value)' },
          reason: { type: 'string', minLength: 1 },
          expires: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}(T.+)?$', description: 'YYYY-MM-DD (valid through that day, UTC) or an RFC 3339 date-time with a zone (Z or +hh:mm)' },
          ticket: { type: 'string' },
          approvedBy: { type: 'string' },
        },
      },
    },
    includeTerminated: { type: 'boolean', description: 'Evaluate terminated and shutting-down instances too.' },
    failOn: { ...severity, description: 'Exit 1 when an unwaived finding is at or above this severity.' },
    concurrency: { type: 'integer', minimum: 1, maximum: 1024, description: 'API calls in flight at once.' },
    accountConcurrency: { type: 'integer', minimum: 1, maximum: 64, description: 'Regions of one account scanned at once.' },
    pageSize: { type: 'integer', minimum: 1, maximum: 1000, description: 'MaxResults per DescribeInstanceImageMetadata call.' },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 30, description: 'Attempts per API call, first included.' },
    retryMode: { enum: ['standard', 'adaptive'], description: 'The SDK\'s retry mode.' },
    formats: { type: 'array', items: { enum: [...FORMATS] }, description: 'Report formats to write.' },
    out: { type: 'string', description: 'Folder for reports.' },
    report: {
      type: 'object',
      additionalProperties: false,
      description: 'What the reports show beyond the findings.',
      properties: {
        tagColumns: {
          type: 'array',
          maxItems: 20,
          uniqueItems: true,
          items: { type: 'string', minLength: 1, maxLength: 128, not: { enum: ['__proto__', 'constructor', 'prototype'] }, description: 'An instance tag key (1 to 128 characters; not __proto__, constructor or prototype)' },
          description: 'Instance tags carried into every finding, the CSV and HTML columns, and the by-owner rollup (by the first one, with an "(untagged)" group), e.g. ["team", "owner"]. --tag-columns wins.',
        },
      },
    },
  },
} as const;
