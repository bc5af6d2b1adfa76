/** JSON Schema of the ami-audit config file (published as docs/schema/config.schema.json). */
import { SEVERITIES } from '../model/types.js';
import { RULES } from '../rules/registry.js';
// The options table is the one source of the config keys a flag also sets (their schema, their
// description).
import { configFragments, type JsonSchema, type TopLevelFragments } from '../config/options.js';

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

/**
 * The keys whose schema is built here: the structured parts. Every other property comes from the
 * options table (src/config/options.ts), which also gives the leaves of `organization` and `report`
 * and the descriptions of `accounts` and `organization`.
 */
const fragments = configFragments();
const described = (key: string): string => {
  const d = fragments.get(key)?.description;
  if (typeof d !== 'string') throw new Error(`config key ${key} is not in the options table`);
  return d;
};
/** The table's keys under `prefix.`, as the properties of that object. */
const under = (prefix: string): Record<string, JsonSchema> =>
  Object.fromEntries([...fragments].filter(([k]) => k.startsWith(`${prefix}.`)).map(([k, v]) => [k.slice(prefix.length + 1), v]));
const STRUCTURED = new Set(['accounts', 'organization', 'report']);
// built from the same rows as the type says
const fromTable = Object.fromEntries([...fragments].filter(([k]) => !k.includes('.') && !STRUCTURED.has(k))) as TopLevelFragments;

const handWritten = {
  $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
  accounts: {
    type: 'array',
    description: described('accounts'),
    items: {
      oneOf: [
        accountId,
        {
          type: 'object', additionalProperties: false, required: ['accountId'],
          properties: {
            accountId,
            name: { type: 'string', minLength: 1, maxLength: 256, description: 'A name for the account, shown beside its id in the reports (with --org, the organisation\'s name for it wins).' },
            roleArn: { type: 'string', pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$', description: 'Role to assume in this account (overrides roleName).' },
            externalId: { type: 'string', minLength: 2, maxLength: 1224, description: 'External id for this account\'s role.' },
          },
        },
      ],
    },
  },
  organization: {
    description: described('organization'),
    oneOf: [
      { type: 'boolean' },
      { type: 'object', additionalProperties: false, properties: under('organization') },
    ],
  },
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
  report: {
    type: 'object',
    additionalProperties: false,
    description: 'What the reports show beyond the findings.',
    properties: under('report'),
  },
} as const;

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://ami-audit.dev/schema/config.schema.json',
  title: 'ami-audit configuration',
  type: 'object',
  additionalProperties: false,
  // the structured parts first, then the table's keys in its order
  properties: {
    $schema: handWritten.$schema,
    accounts: handWritten.accounts,
    organization: handWritten.organization,
    ...fromTable,
    rules: handWritten.rules,
    waivers: handWritten.waivers,
    report: handWritten.report,
  },
} as const;
