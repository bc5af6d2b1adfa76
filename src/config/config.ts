/**
 * The config file: parse (with line and column on bad JSON), validate against the published
 * schema (errors name the file, the JSON path and what is expected), then check what a schema
 * cannot (real dates). Reading the file is the caller's job.
 */
import type { ErrorObject } from 'ajv';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { Severity, WaiverSpec } from '../model/types.js';
import { ConfigError, UserError } from '../model/errors.js';
import { INSTANT_FORMATS } from '../model/time.js';
import { accountOfArn } from '../model/ids.js';
import { configValidator } from '../schema/validate.js';
import { waiverExpiry, waiverIdOf, type EvalSettings, type RuleSettings } from '../rules/engine.js';

export interface AccountEntry { accountId: string; roleArn?: string; externalId?: string }

export interface AuditConfig {
  accounts?: (string | AccountEntry)[];
  roleName?: string;
  roleSessionName?: string;
  externalId?: string;
  durationSeconds?: number;
  regions?: string[];
  allRegions?: boolean;
  trustedAccounts?: string[];
  trustedOwnerAliases?: string[];
  deprecationWindowDays?: number;
  maxAmiAgeDays?: number;
  rules?: Record<string, RuleSettings | Severity | 'off'>;
  waivers?: (Omit<WaiverSpec, 'id'> & { id?: string })[];
  includeTerminated?: boolean;
  failOn?: Severity;
  concurrency?: number;
  accountConcurrency?: number;
  pageSize?: number;
  maxAttempts?: number;
  retryMode?: 'standard' | 'adaptive';
  formats?: ('html' | 'csv' | 'json' | 'md')[];
  out?: string;
  report?: ReportConfig;
}

export interface ReportConfig {
  /** Instance tag keys carried into findings, CSV and HTML columns, and the by-owner rollup (the first one). */
  tagColumns?: string[];
}

/** Tag keys that are never tag columns: renderers may key objects by them. */
const RESERVED_TAG_COLUMNS = new Set(['__proto__', 'constructor', 'prototype']);
export const MAX_TAG_COLUMNS = 20;

/**
 * Why a tag column name cannot be one, or null when it can: an AWS tag key is 1 to 128
 * characters, and `__proto__`, `constructor` and `prototype` are refused (whatever an estate's
 * tags say, they are never property names).
 */
export function tagColumnProblem(key: string): string | null {
  if (key.length < 1 || key.length > 128) return 'a tag key is 1 to 128 characters';
  if (RESERVED_TAG_COLUMNS.has(key)) return `"${key}" cannot be a tag column`;
  return null;
}

/**
 * `--tag-columns team,owner` (spaces or commas; a key with a space goes in the config's
 * report.tagColumns): the keys in order, each once. Undefined when the flag is not given; an empty
 * value gives no tag columns.
 */
export function parseTagColumns(values: readonly (string | number)[] | string | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const list = (typeof values === 'string' ? [values] : values).flatMap((v) => String(v).split(/[\s,]+/)).filter(Boolean);
  for (const k of list) {
    const problem = tagColumnProblem(k);
    if (problem) throw new UserError(`--tag-columns: ${JSON.stringify(k.slice(0, 140))}: ${problem}`);
  }
  const out = [...new Set(list)];
  if (out.length > MAX_TAG_COLUMNS) throw new UserError(`--tag-columns: ${out.length} tag keys; at most ${MAX_TAG_COLUMNS}`);
  return out;
}


/** `/waivers/0/expires` -> `waivers[0].expires` */
export function jsonPath(pointer: string): string {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(e: ErrorObject): { path: string; expected: string } {
  const path = jsonPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      const where = path ? `${path}.${extra}` : extra;
      if (path === 'rules') return { path: where, expected: `unknown rule id "${extra}"; rule ids are listed by \`ami-audit rules\`` };
      return { path: where, expected: 'unknown field; see config.example.json for the fields there are' };
    }
    case 'required': return { path: path ? `${path}.${String(p.missingProperty)}` : String(p.missingProperty), expected: 'required field is missing' };
    case 'enum': return { path, expected: `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern': return { path, expected: `${e.message}${schemaDescription(e)}` };
    case 'anyOf': return { path, expected: 'a waiver must match on at least one of ruleId, accountId, region, instanceId, imageId, tag' };
    default: return { path, expected: `${e.message ?? 'invalid'}${schemaDescription(e)}` };
  }
}

function schemaDescription(e: ErrorObject): string {
  const d = (e.parentSchema as { description?: string } | undefined)?.description;
  return d ? ` (${d})` : '';
}

/** Line and column of a character offset. */
export function lineCol(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  return { line, column: pos - before.lastIndexOf('\n') };
}

/** Nesting deeper than this is refused before parsing: no config, fleet or fault plan nests past a few levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * Where JSON text first nests deeper than `max` (an offset), or -1. Iterative, so that a document
 * of 50,000 nested brackets is an input error and not a stack overflow in a recursive parser.
 */
export function tooDeepAt(text: string, max = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
  }
  return -1;
}

export function parseJsonText(file: string, text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  const deep = tooDeepAt(body);
  if (deep >= 0) {
    const { line, column } = lineCol(body, deep);
    throw new ConfigError(file, null, `JSON nested deeper than ${MAX_JSON_DEPTH} levels at line ${line}, column ${column}; no ami-audit input nests this deep`);
  }
  try {
    return JSON.parse(body);
  } catch (e) {
    // jsonc-parser (strict: no comments, no trailing commas) locates the first error precisely.
    const errors: ParseError[] = [];
    parseJsonc(body, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (first) {
      const { line, column } = lineCol(body, first.offset);
      throw new ConfigError(file, null, `invalid JSON at line ${line}, column ${column}: ${describeJsonError(printParseErrorCode(first.error))}`);
    }
    throw new ConfigError(file, null, `invalid JSON: ${(e as Error).message.split('\n')[0]!.slice(0, 120)}`);
  }
}

function describeJsonError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Validates a parsed config document. */
export function checkConfig(file: string, doc: unknown): AuditConfig {
  const validate = configValidator();
  if (!validate(doc)) {
    const errs = validate.errors ?? [];
    // anyOf errors come with one error per branch; report the anyOf itself.
    const anyOf = errs.find((e) => e.keyword === 'anyOf');
    // The most specific problem: the deepest path, and there a real constraint before "wrong type"
    // (which only says that another branch of a oneOf did not fit either).
    const rank = (e: ErrorObject): number => (e.keyword === 'oneOf' || e.keyword === 'if' ? 2 : e.keyword === 'type' ? 1 : 0);
    const depth = (e: ErrorObject): number => e.instancePath.split('/').length;
    const first = anyOf ?? [...errs].sort((a, b) => depth(b) - depth(a) || rank(a) - rank(b))[0]!;
    const { path, expected } = describe(first);
    const more = errs.length > 1 && !anyOf ? ` (and ${errs.length - 1} more problem${errs.length > 2 ? 's' : ''})` : '';
    throw new ConfigError(file, path, expected + more);
  }
  const cfg = doc as AuditConfig;
  cfg.accounts = checkAccounts(file, cfg.accounts);
  if (cfg.accounts === undefined) delete cfg.accounts;
  (cfg.waivers ?? []).forEach((w, i) => {
    if (!waiverExpiry(w.expires)) throw new ConfigError(file, `waivers[${i}].expires`, `"${w.expires}" is not a real date; expected ${INSTANT_FORMATS}`);
  });
  (cfg.report?.tagColumns ?? []).forEach((k, i) => {
    const problem = tagColumnProblem(k);
    if (problem) throw new ConfigError(file, `report.tagColumns[${i}]`, problem);
  });
  const ids = new Set<string>();
  (cfg.waivers ?? []).forEach((w, i) => {
    const id = waiverIdOf(w);
    if (ids.has(id)) throw new ConfigError(file, `waivers[${i}].id`, `duplicate waiver id "${id}"`);
    ids.add(id);
  });
  return cfg;
}

/**
 * The accounts of a config: a role ARN must belong to the account it is listed for, and an account
 * listed twice is merged when both entries say the same, refused when they differ.
 */
function checkAccounts(file: string, accounts: AuditConfig['accounts']): AuditConfig['accounts'] {
  if (accounts === undefined) return undefined;
  const seen = new Map<string, { at: number; entry: string }>();
  const out: NonNullable<AuditConfig['accounts']> = [];
  accounts.forEach((e, i) => {
    const entry: AccountEntry = typeof e === 'string' ? { accountId: e } : e;
    if (entry.roleArn !== undefined) {
      // the schema has checked that it is an IAM role ARN
      const inArn = accountOfArn(entry.roleArn);
      if (inArn !== entry.accountId) {
        throw new ConfigError(file, `accounts[${i}].roleArn`, `the role belongs to account ${inArn ?? '(none)'}, not to ${entry.accountId} it is listed for; give a role in ${entry.accountId} (arn:aws:iam::${entry.accountId}:role/NAME), or list it under "accountId": "${inArn ?? ''}"`);
      }
    }
    const canonical = JSON.stringify([entry.accountId, entry.roleArn ?? null, entry.externalId ?? null]);
    const prev = seen.get(entry.accountId);
    if (prev) {
      if (prev.entry !== canonical) {
        throw new ConfigError(file, `accounts[${i}]`, `account ${entry.accountId} is listed twice with different settings (also at accounts[${prev.at}]); keep one entry for it`);
      }
      return; // the same entry twice: listed once
    }
    seen.set(entry.accountId, { at: i, entry: canonical });
    out.push(e);
  });
  return out;
}

/** The evaluation settings of a config; flags (overrides) win. */
export function settingsFrom(cfg: AuditConfig, overrides: { includeTerminated?: boolean; tagColumns?: string[] } = {}): EvalSettings {
  const options: Record<string, unknown> = {};
  if (cfg.deprecationWindowDays !== undefined) options.deprecationWindowDays = cfg.deprecationWindowDays;
  if (cfg.maxAmiAgeDays !== undefined) options.maxAmiAgeDays = cfg.maxAmiAgeDays;
  return {
    trustedAccounts: cfg.trustedAccounts ?? [],
    trustedOwnerAliases: cfg.trustedOwnerAliases ?? ['amazon', 'aws-marketplace'],
    rules: Object.fromEntries(Object.entries(cfg.rules ?? {}).map(([id, v]) => [id, typeof v === 'string' ? { severity: v } : v])),
    options,
    waivers: (cfg.waivers ?? []).map((w) => ({ ...w, id: waiverIdOf(w) })),
    includeTerminated: overrides.includeTerminated ?? cfg.includeTerminated ?? false,
    tagColumns: [...(overrides.tagColumns ?? cfg.report?.tagColumns ?? [])],
  };
}
