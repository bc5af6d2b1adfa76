/**
 * The config file: parse (with line and column on bad JSON), validate against the published
 * schema, and check what a schema cannot (real dates, role ARNs of the right account, accounts
 * and waiver ids listed twice). Every problem is reported at once, one a line, each naming the
 * file, the JSON path and what is expected. Reading the file is the caller's job.
 */
import type { ErrorObject } from 'ajv';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { Severity, WaiverSpec } from '../model/types.js';
import type { Format } from '../render/index.js';
import { ConfigError } from '../model/errors.js';
import { INSTANT_FORMATS } from '../model/time.js';
import { accountOfArn } from '../model/ids.js';
import { configValidator } from '../schema/validate.js';
import { waiverExpiry, waiverIdOf, type EvalSettings, type RuleSettings } from '../rules/engine.js';
import { TRUSTED_PUBLISHER_IDS, type TrustedPublishersMode } from '../rules/publishers.js';
import { suggest, tagColumnProblem } from './options.js';
import { CONFIG_SCHEMA_PATH } from '../paths.js';

// The tag columns' checks live with the options they check (src/config/options.ts).
export { MAX_TAG_COLUMNS, parseTagColumns, tagColumnProblem } from './options.js';

export interface AccountEntry { accountId: string; name?: string; roleArn?: string; externalId?: string }

/** `organization`: discover the accounts with AWS Organizations (true), narrowed as the object says. */
export interface OrganizationConfig { ous?: string[]; includeAccounts?: string[]; excludeAccounts?: string[] }

export interface AuditConfig {
  accounts?: (string | AccountEntry)[];
  organization?: boolean | OrganizationConfig;
  roleName?: string;
  roleSessionName?: string;
  externalId?: string;
  durationSeconds?: number;
  regions?: string[];
  allRegions?: boolean;
  trustedAccounts?: string[];
  /** The well-known publishers' owner ids trusted beside trustedAccounts ("default") or not ("none"). */
  trustedPublishers?: TrustedPublishersMode;
  /** With --org: trust the organisation's own accounts (default true). */
  trustOrganization?: boolean;
  trustedOwnerAliases?: string[];
  deprecationWindowDays?: number;
  maxAmiAgeDays?: number;
  /** ami-audit images: days without a launch after which a shared AMI counts as unused. */
  unusedDays?: number;
  /** ami-audit images: owned AMIs (ids or name patterns) that may be public. */
  allowedPublicImages?: string[];
  rules?: Record<string, RuleSettings | Severity | 'off'>;
  waivers?: (Omit<WaiverSpec, 'id'> & { id?: string })[];
  includeTerminated?: boolean;
  failOn?: Severity;
  failOnOverdue?: boolean;
  /** A proposed Allowed AMIs criteria file for the what-if (--criteria). */
  criteria?: string;
  /** The run history file; false: none. */
  history?: string | false;
  /** SLA days by severity (null: no deadline); missing severities keep their defaults. */
  sla?: Partial<Record<Severity, number | null>>;
  concurrency?: number;
  accountConcurrency?: number;
  pageSize?: number;
  maxAttempts?: number;
  retryMode?: 'standard' | 'adaptive';
  formats?: Format[];
  out?: string;
  report?: ReportConfig;
  references?: boolean;
  successors?: boolean;
  referenceVersionDepth?: number;
}

export interface ReportConfig {
  /** Instance tag keys carried into findings, CSV and HTML columns, and the by-owner rollup (the first one). */
  tagColumns?: string[];
}

/** `/waivers/0/expires` -> `waivers[0].expires` */
export function jsonPath(pointer: string): string {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(e: ErrorObject): ConfigProblem {
  const pointer = e.instancePath;
  const path = jsonPath(pointer);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(p.additionalProperty);
      const where = path ? `${path}.${extra}` : extra;
      const at = `${pointer}/${extra.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}).filter((k) => k !== '$schema');
      const near = suggest(extra, known, path !== 'rules');
      const meant = near ? `did you mean "${near}"? ` : '';
      if (path === 'rules') return { pointer: at, path: where, expected: `unknown rule id "${extra}"; ${meant}rule ids are listed by \`ami-audit rules\`` };
      return { pointer: at, path: where, expected: `unknown field; ${meant}every field is described in the JSON Schema ${CONFIG_SCHEMA_PATH}` };
    }
    case 'required': return { pointer, path: path ? `${path}.${String(p.missingProperty)}` : String(p.missingProperty), expected: 'required field is missing' };
    case 'enum': return { pointer, path, expected: `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern':
    case 'not': return { pointer, path, expected: `${e.message}${schemaDescription(e)}` };
    case 'anyOf': return { pointer, path, expected: 'a waiver must match on at least one of ruleId, accountId, region, instanceId, imageId, tag' };
    default: return { pointer, path, expected: e.message ?? 'invalid' };
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
    const found = jsonSyntaxError(body);
    if (found) throw new ConfigError(file, null, `invalid JSON at line ${found.line}, column ${found.column}: ${found.what}`);
    throw new ConfigError(file, null, `invalid JSON: ${(e as Error).message.split('\n')[0]!.slice(0, 120)}`);
  }
}

/**
 * The first syntax error of JSON text, located by jsonc-parser (strict: no comments, no trailing
 * commas): its offset, line and column, and what was expected there; null when there is none.
 */
export function jsonSyntaxError(text: string): { offset: number; line: number; column: number; what: string } | null {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return null;
  return { offset: first.offset, ...lineCol(text, first.offset), what: describeJsonError(printParseErrorCode(first.error)) };
}

function describeJsonError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** A config shows at most this many problems, then says how many more there are. */
export const MAX_CONFIG_PROBLEMS = 20;

/** One problem of a config: where (a JSON pointer, for the order, and the path shown) and what is expected. */
export interface ConfigProblem { pointer: string; path: string; expected: string }

/**
 * The problems of a config, one a line: `<file>: <json path>: <what is expected>`, at most
 * MAX_CONFIG_PROBLEMS, then `<file>: and N more problems`.
 */
export class ConfigProblems extends ConfigError {
  constructor(file: string, readonly problems: ConfigProblem[]) {
    super(file, problems[0]?.path ?? null, problems[0]?.expected ?? 'invalid');
    const lines = problems.slice(0, MAX_CONFIG_PROBLEMS).map((p) => `${file}: ${p.path || '(root)'}: ${p.expected}`);
    const more = problems.length - MAX_CONFIG_PROBLEMS;
    if (more > 0) lines.push(`${file}: and ${more} more problem${more === 1 ? '' : 's'}`);
    this.message = lines.join('\n');
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The position of every value of a document in its text's order (JSON.parse keeps the keys' order). */
function documentOrder(doc: unknown): Map<string, number> {
  const order = new Map<string, number>();
  const walk = (v: unknown, pointer: string): void => {
    order.set(pointer, order.size);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${pointer}/${i}`));
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) walk(x, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  walk(doc, '');
  return order;
}

/** Whether error `e` comes from a branch of the oneOf/anyOf error `c` (the same place or below it). */
function within(e: ErrorObject, c: ErrorObject): boolean {
  return e !== c && e.schemaPath.startsWith(`${c.schemaPath}/`) && (e.instancePath === c.instancePath || e.instancePath.startsWith(`${c.instancePath}/`));
}

/**
 * The schema's errors as problems: a value that fits no branch of a oneOf is one problem, the most
 * specific of its branches' (the deepest path, and there a real constraint before "wrong type",
 * which only says that another branch did not fit either); a waiver that matches on nothing is
 * one problem (its anyOf).
 */
function schemaProblems(errs: ErrorObject[]): ConfigProblem[] {
  const combos = errs.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const outer = (e: ErrorObject): boolean => !combos.some((c) => within(e, c));
  // an unknown field says the value was an object of the right kind: more to the point than the
  // enum of a branch for plain values (a rule's settings are a severity or an object)
  const rank = (e: ErrorObject): number => (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if' ? 2 : e.keyword === 'type' ? 1 : e.keyword === 'additionalProperties' ? -1 : 0);
  const depth = (e: ErrorObject): number => e.instancePath.split('/').length;
  const out: ConfigProblem[] = [];
  for (const e of errs.filter(outer)) {
    let chosen = e;
    if (e.keyword === 'oneOf') {
      const branches = errs.filter((x) => within(x, e));
      chosen = [...branches].sort((a, b) => depth(b) - depth(a) || rank(a) - rank(b))[0] ?? e;
    }
    out.push(describe(chosen));
  }
  return out;
}

/** Validates a parsed config document; throws a ConfigProblems naming every problem. */
export function checkConfig(file: string, doc: unknown): AuditConfig {
  const validate = configValidator();
  const problems = validate(doc) ? [] : schemaProblems(validate.errors ?? []);
  // The checks a schema cannot make, on the parts the schema found nothing wrong with.
  const schemaFound = [...problems];
  const clean = (pointer: string): boolean => !schemaFound.some((p) => p.pointer === pointer || p.pointer.startsWith(`${pointer}/`) || pointer.startsWith(`${p.pointer}/`));
  const add = (pointer: string, expected: string): void => void problems.push({ pointer, path: jsonPath(pointer), expected });
  const accounts = isObject(doc) && Array.isArray(doc.accounts) ? checkAccounts(doc.accounts, clean, add) : undefined;
  const waivers = isObject(doc) && Array.isArray(doc.waivers) ? doc.waivers : [];
  const ids = new Map<string, number>();
  waivers.forEach((w, i) => {
    if (!isObject(w)) return;
    const at = `/waivers/${i}`;
    if (typeof w.expires === 'string' && clean(`${at}/expires`) && waiverExpiry(w.expires) === null) add(`${at}/expires`, `"${w.expires}" is not a real date; expected ${INSTANT_FORMATS}`);
    if (!clean(at)) return;
    const id = waiverIdOf(w as unknown as WaiverSpec);
    if (ids.has(id)) add(`${at}/id`, `duplicate waiver id "${id}"`);
    else ids.set(id, i);
  });
  const tagColumns = isObject(doc) && isObject(doc.report) && Array.isArray(doc.report.tagColumns) ? doc.report.tagColumns : [];
  tagColumns.forEach((k, i) => {
    const at = `/report/tagColumns/${i}`;
    const problem = typeof k === 'string' && clean(at) ? tagColumnProblem(k) : null;
    if (problem) add(at, problem);
  });
  if (problems.length) {
    // in the order of the document (a missing field at its object), each once
    const order = documentOrder(doc);
    const position = (pointer: string): number => {
      for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
        const n = order.get(p);
        if (n !== undefined || p === '') return n ?? 0;
      }
    };
    const seen = new Set<string>();
    const unique = problems.map((p, i) => ({ p, i })).sort((a, b) => position(a.p.pointer) - position(b.p.pointer) || a.i - b.i).map((x) => x.p)
      .filter((p) => !seen.has(`${p.path}\u0000${p.expected}`) && seen.add(`${p.path}\u0000${p.expected}`));
    throw new ConfigProblems(file, unique);
  }
  const cfg = doc as AuditConfig;
  if (accounts === undefined) delete cfg.accounts;
  else cfg.accounts = accounts;
  return cfg;
}

/**
 * The accounts of a config: a role ARN must belong to the account it is listed for, and an account
 * listed twice is merged when both entries say the same, refused when they differ. Returns the
 * accounts, each once.
 */
function checkAccounts(accounts: unknown[], clean: (pointer: string) => boolean, add: (pointer: string, expected: string) => void): NonNullable<AuditConfig['accounts']> {
  const seen = new Map<string, { at: number; entry: string }>();
  const out: NonNullable<AuditConfig['accounts']> = [];
  accounts.forEach((e, i) => {
    const at = `/accounts/${i}`;
    if (!clean(at)) return;
    const entry = (typeof e === 'string' ? { accountId: e } : e) as AccountEntry;
    if (entry.roleArn !== undefined) {
      // the schema has checked that it is an IAM role ARN
      const inArn = accountOfArn(entry.roleArn);
      if (inArn !== entry.accountId) {
        add(`${at}/roleArn`, `the role belongs to account ${inArn ?? '(none)'}, not to ${entry.accountId} it is listed for; give a role in ${entry.accountId} (arn:aws:iam::${entry.accountId}:role/NAME), or list it under "accountId": "${inArn ?? ''}"`);
        return;
      }
    }
    const canonical = JSON.stringify([entry.accountId, entry.name ?? null, entry.roleArn ?? null, entry.externalId ?? null]);
    const prev = seen.get(entry.accountId);
    if (prev) {
      if (prev.entry !== canonical) add(at, `account ${entry.accountId} is listed twice with different settings (also at accounts[${prev.at}]); keep one entry for it`);
      return; // the same entry twice: listed once
    }
    seen.set(entry.accountId, { at: i, entry: canonical });
    out.push(e as string | AccountEntry);
  });
  return out;
}

/** The evaluation settings of a config; flags (overrides) win. */
export function settingsFrom(cfg: AuditConfig, overrides: { includeTerminated?: boolean; tagColumns?: string[] } = {}): EvalSettings {
  const options: Record<string, unknown> = {};
  if (cfg.deprecationWindowDays !== undefined) options.deprecationWindowDays = cfg.deprecationWindowDays;
  if (cfg.maxAmiAgeDays !== undefined) options.maxAmiAgeDays = cfg.maxAmiAgeDays;
  if (cfg.unusedDays !== undefined) options.unusedDays = cfg.unusedDays;
  return {
    // the default publishers, then the config's own accounts (which extend them, or stand alone with "none")
    trustedAccounts: [...new Set([...(cfg.trustedPublishers === 'none' ? [] : TRUSTED_PUBLISHER_IDS), ...(cfg.trustedAccounts ?? [])])],
    trustedOwnerAliases: cfg.trustedOwnerAliases ?? ['amazon', 'aws-marketplace'],
    rules: Object.fromEntries(Object.entries(cfg.rules ?? {}).map(([id, v]) => [id, typeof v === 'string' ? { severity: v } : v])),
    options,
    waivers: (cfg.waivers ?? []).map((w) => ({ ...w, id: waiverIdOf(w) })),
    includeTerminated: overrides.includeTerminated ?? cfg.includeTerminated ?? false,
    tagColumns: [...(overrides.tagColumns ?? cfg.report?.tagColumns ?? [])],
    ...(cfg.allowedPublicImages?.length ? { allowedPublicImages: [...cfg.allowedPublicImages] } : {}),
  };
}
