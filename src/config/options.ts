/**
 * Every option of the command line and the config file, one row each: the flag, the commands that
 * take it, the config key, the kind of value (which gives the yargs type, the check of the flag's
 * value and the config schema's fragment), and the help text. The parser (src/cli/main.ts) adds a
 * command's flags from here, the commands read their values through `readFlags`, and the config
 * schema (src/schema/config.ts) takes its properties from here. A new option is one row here plus
 * the code that uses its value.
 *
 * This module must not import the config loader or the schema (they import it).
 */
import type { Argv, Options } from 'yargs';
import { DateTime } from 'luxon';
import { closest, distance } from 'fastest-levenshtein';
import { UsageError, UserError } from '../model/errors.js';
import { SEVERITIES } from '../model/types.js';
import { ACCOUNT_ID_RE, INSTANCE_ID_RE, OU_ID_RE, REGION_RE } from '../model/ids.js';
import { INSTANT_FORMATS, parseInstantMs } from '../model/time.js';
import { checkList, parseFilters, ROLE_NAME_RE, splitList, type Filter } from '../collect/filters.js';
import { FORMATS, formatsHelp, type Format } from '../render/index.js';
import { parseShard } from '../report/shard.js';
import { TRUSTED_PUBLISHERS_MODES, type TrustedPublishersMode } from '../rules/publishers.js';
import { termSafe } from '../model/text.js';

export const COMMANDS = ['scan', 'report', 'merge', 'diff', 'history', 'rules', 'demo', 'emulator', 'generate-fleet', 'iam-policy', 'schema', 'images'] as const;
export type CommandName = (typeof COMMANDS)[number];

/**
 * The closest of `candidates` to what was typed, if one is close enough to be what was meant.
 * Flags and commands are kebab-case (`--roleName` finds role-name); with `camelCase`, the
 * candidates are the config's field names and the comparison ignores case (`trustedaccounts`,
 * `trusted-accounts` and `trustedAcounts` all find trustedAccounts).
 */
export function suggest(typed: string, candidates: readonly string[], camelCase = false): string | undefined {
  if (camelCase) {
    const key = (x: string): string => x.replace(/[-_\s]/g, '').toLowerCase();
    const byKey = new Map(candidates.map((c) => [key(c), c]));
    const near = suggest(key(typed), [...byKey.keys()]);
    return near === undefined ? undefined : byKey.get(near);
  }
  const kebab = typed.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  if (candidates.includes(kebab)) return kebab;
  const prefixed = kebab.length >= 3 ? candidates.filter((c) => c.startsWith(kebab)) : [];
  if (prefixed.length === 1) return prefixed[0];
  if (candidates.length === 0) return undefined;
  const best = closest(kebab, [...candidates]);
  return distance(kebab, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** A JSON Schema fragment. */
export type JsonSchema = Record<string, unknown>;

/** What an option's value is. */
export interface OptionKind<T, S extends JsonSchema | undefined = JsonSchema | undefined> {
  /** The yargs settings the kind implies (type, array, choices, requiresArg). */
  yargs: Options;
  /** Checks and converts the flag's value as yargs gives it; throws a UserError naming `flag` (`--x`). */
  parse: (value: unknown, flag: string) => T;
  /** The config key's schema (the row adds the description); undefined: no config key of this kind. */
  schema: S;
}

export interface OptionRow<T, S extends JsonSchema | undefined = JsonSchema | undefined> {
  /** The flag without dashes (kebab-case); absent for a key only the config file has. */
  flag?: string;
  /** The commands that take the flag, in whose help it is listed. */
  commands: readonly CommandName[];
  /** The config key, dotted when nested (`report.tagColumns`); absent for a flag only. */
  config?: string;
  kind: OptionKind<T, S>;
  /** The flag's help (and the config key's description, unless `configHelp` says otherwise). */
  help: string;
  /** The help of the flag for one command, where it means something more specific there. */
  helpFor?: Partial<Record<CommandName, string>>;
  /** The config key's description in the schema. */
  configHelp?: string;
  /** yargs settings beyond the kind's (demandOption, default). */
  yargs?: Options;
  /** The value is a secret: never quoted back in a message. */
  secret?: boolean;
  /** A flag that takes a value and can also be turned off with --no-<flag> (its value is then false). */
  negatable?: boolean;
  /** The value when neither the flag nor the config key gives one (`setting` applies it). */
  fallback?: T;
}

// ---------------------------------------------------------------------------------------------
// The checks

/**
 * A whole-number flag. Takes the flag's text (options declared as strings) or yargs' number, whose
 * NaN stands for text that was not a number.
 */
export function positiveInt(name: string, v: number | string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const expected = `expected a whole number from ${min} to ${max}`;
  if (typeof v === 'string') {
    const t = v.trim();
    if (!/^[+]?\d+$/.test(t)) throw new UserError(`--${name}: ${JSON.stringify(termSafe(v, 40))} is not a whole number; ${expected}`);
    v = Number(t);
  }
  if (Number.isNaN(v)) throw new UserError(`--${name}: the value given is not a number; ${expected}`);
  if (!Number.isInteger(v)) throw new UserError(`--${name}: ${v} is not a whole number; ${expected}`);
  if (v < min || v > max) throw new UserError(`--${name}: ${v} is out of range; ${expected}`);
  return v;
}

/** Seconds: 0 or more, fractions allowed. */
export function seconds(name: string, v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? (/^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN) : v;
  if (!(Number.isFinite(n) && n >= 0)) {
    const given = typeof v === 'string' ? JSON.stringify(termSafe(v, 40)) : Number.isNaN(v) ? 'the value given' : String(v);
    throw new UserError(`--${name}: ${given} is not a number of seconds; expected seconds, 0 or more`);
  }
  return n;
}

/**
 * --deadline: `90s`, `30m` or `2h`. The unit is required: a bare `5` could mean seconds (the
 * timeouts' unit) or minutes (what a scheduler's slot is counted in), and a wrong guess either
 * cuts the run short or lets it overrun its slot.
 */
export function parseDeadline(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = String(text).trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) {
    throw new UsageError(`--deadline: "${termSafe(t, 40)}" has no unit`, `Give one: --deadline ${t}s (seconds), ${t}m (minutes) or ${t}h (hours).`);
  }
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)$/.exec(t);
  const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 1000 && ms <= 7 * 86_400_000)) throw new UserError(`--deadline: "${termSafe(String(text), 40)}" is not a duration from 1s to 7 days such as 90s, 30m or 2h`);
  return ms;
}

/** What to do instead of a format there is not: a PDF is the HTML report printed from a browser. */
export function formatHint(f: string): string | undefined {
  if (/^pdf$/i.test(f)) return 'There is no PDF format: write --format html, open the .html file in a browser and print it to PDF (it has a print layout).';
  return undefined;
}

/** `--keep 400d`: days (a bare number is days too). */
export function parseKeep(text: string): number {
  const m = /^\s*(\d{1,6})\s*d?\s*$/.exec(text);
  if (!m || Number(m[1]) < 1) throw new UserError(`--keep: "${termSafe(text, 40)}" is not a number of days such as 400d`);
  return Number(m[1]);
}

export function parseFormats(values: readonly string[] | string | undefined, fallback: readonly Format[]): Format[] {
  const list = splitList(typeof values === 'string' ? [values] : values);
  if (list.length === 0) return [...fallback];
  for (const f of list) if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format: "${termSafe(f, 40)}" is not one of ${FORMATS.join(', ')}`, formatHint(f));
  return [...new Set(list)] as Format[];
}

export function parseFileMode(text: string | number | undefined): number {
  const raw = text === undefined ? '600' : String(text);
  if (!/^0?[0-7]{3}$/.test(raw)) throw new UserError(`--file-mode: "${raw}" is not an octal mode such as 600 or 640`);
  return parseInt(raw, 8);
}

/**
 * --as-of, through the one strict parser (src/model/time.ts): a date (its start, UTC) or an
 * RFC 3339 date-time with a zone designator; nothing else.
 */
export function parseAsOf(text: string | undefined, fallback: DateTime): DateTime {
  if (text === undefined) return fallback;
  const ms = parseInstantMs(text);
  if (ms === null) throw new UserError(`--as-of: "${termSafe(text, 80)}" is not a date or date-time; expected ${INSTANT_FORMATS}`);
  return DateTime.fromMillis(ms, { zone: 'utc' });
}

/** Tag keys that are never tag columns: renderers may key objects by them. */
const RESERVED_TAG_COLUMNS = ['__proto__', 'constructor', 'prototype'];
export const MAX_TAG_COLUMNS = 20;

/**
 * Why a tag column name cannot be one, or null when it can: an AWS tag key is 1 to 128
 * characters, and `__proto__`, `constructor` and `prototype` are refused (whatever an estate's
 * tags say, they are never property names).
 */
export function tagColumnProblem(key: string): string | null {
  if (key.length < 1 || key.length > 128) return 'a tag key is 1 to 128 characters';
  if (RESERVED_TAG_COLUMNS.includes(key)) return `"${key}" cannot be a tag column`;
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

/** The region name check of --region (the collector's home region); the environment's is checked where it is read. */
export function regionProblem(home: string): string | null {
  if (REGION_RE.test(home)) return null;
  const spaces = home.trim() !== home ? ' (it has leading or trailing spaces)' : '';
  return `${JSON.stringify(termSafe(home, 60))} is not a region name${spaces}`;
}

// ---------------------------------------------------------------------------------------------
// The kinds

const str = (v: unknown): string => String(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).map(String);

/** A flag that is on or off (--no-x turns it off). */
function bool(): OptionKind<boolean, { type: 'boolean' }> {
  return { yargs: { type: 'boolean' }, parse: (v) => v === true || v === 'true', schema: { type: 'boolean' } };
}

/** Text, checked by `problem` (the message after `--flag: `), with the config schema `schema`. */
function text(problem?: (v: string) => string | null): OptionKind<string, { type: 'string' }>;
function text<S extends JsonSchema>(problem: (v: string) => string | null, schema: S): OptionKind<string, S>;
function text(problem?: (v: string) => string | null, schema: JsonSchema = { type: 'string' }): OptionKind<string, JsonSchema> {
  return {
    yargs: { type: 'string', requiresArg: true },
    parse: (v, flag) => {
      const s = str(v);
      const p = problem?.(s);
      if (p) throw new UserError(`${flag}: ${p}`);
      return s;
    },
    schema,
  };
}

/** Text that must match `re` (as the config's pattern too). */
function pattern(re: RegExp, problem: (v: string) => string): OptionKind<string, { type: 'string'; pattern: string }> {
  return text((v) => (re.test(v) ? null : problem(v)), { type: 'string' as const, pattern: re.source });
}

/** A whole number from min to max, given as text so that a bad value is quoted back. */
function int(min: number, max?: number): OptionKind<number, { type: 'integer'; minimum: number; maximum?: number }> {
  return {
    yargs: { type: 'string', requiresArg: true },
    parse: (v, flag) => positiveInt(flag.slice(2), v as string | number, min, max ?? Number.MAX_SAFE_INTEGER)!,
    schema: { type: 'integer', minimum: min, ...(max === undefined ? {} : { maximum: max }) },
  };
}

/** Seconds, 0 or more, fractions allowed (flags only). */
function secs(): OptionKind<number, undefined> {
  return { yargs: { type: 'string', requiresArg: true }, parse: (v, flag) => seconds(flag.slice(2), v as string | number)!, schema: undefined };
}

/** One of `values` (yargs checks the choice). */
function choice<const V extends string>(values: readonly V[]): OptionKind<V, { enum: V[] }> {
  return { yargs: { choices: [...values], requiresArg: true }, parse: (v) => v as V, schema: { enum: [...values] } };
}

/**
 * A list, space- or comma-separated on the command line, each item matching `re` (`what` names one).
 * With `emptyItem` (what one item is called), an empty item (`""`, as an unset shell variable gives, or `a,,b`) is a usage
 * error rather than nothing: an account list that silently loses an item narrows or widens a run.
 */
function list(re: RegExp, what: string, emptyItem?: string): OptionKind<string[], { type: 'array'; items: { type: 'string'; pattern: string; description: string } }> {
  return {
    yargs: { type: 'string', array: true, requiresArg: true },
    parse: (v, flag) => {
      if (emptyItem && strings(v).some((x) => x.split(',').some((item) => item.trim() === ''))) {
        throw new UsageError(`${flag}: an empty ${emptyItem} in the list (an unset variable?); give the ${emptyItem}s, or leave ${flag} out`);
      }
      return checkList(flag, splitList(strings(v)), re, what);
    },
    schema: { type: 'array', items: { type: 'string', pattern: re.source, description: what } },
  };
}

/** A value with its own check. */
function custom<T>(yargs: Options, parse: (v: unknown, flag: string) => T): OptionKind<T, undefined>;
function custom<T, S extends JsonSchema>(yargs: Options, parse: (v: unknown, flag: string) => T, schema: S): OptionKind<T, S>;
function custom<T>(yargs: Options, parse: (v: unknown, flag: string) => T, schema?: JsonSchema): OptionKind<T, JsonSchema | undefined> {
  return { yargs: { requiresArg: yargs.type !== 'boolean', ...yargs }, parse, schema };
}

/** A key of the config file only. */
function configOnly<T, S extends JsonSchema>(schema: S): OptionKind<T, S> {
  return { yargs: {}, parse: (v) => v as T, schema };
}

// ---------------------------------------------------------------------------------------------
// The table. Its order is the order of the help.

const OUTPUT = ['scan', 'report', 'merge', 'images'] as const;
const OUTPUT_AND_DEMO = ['scan', 'report', 'merge', 'demo', 'images'] as const;
/** scan, and images (the publisher's view) which reaches the accounts the same way. */
const SCAN = ['scan', 'images'] as const;
const IMAGES = ['images'] as const;
const AMI_ID_FLAG_RE = /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const ROLE_NAME_PROBLEM = (v: string): string => `"${v}" is not a role name (1-64 of letters, digits and +=,.@_-); give a name, not an ARN`;

/** A row, its types kept (the value's, the literal config key, the schema fragment's). */
function row<const R extends OptionRow<unknown>>(r: R): R {
  return r;
}

export const OPTIONS = {
  // what scan and report share
  config: row({
    flag: 'config', commands: ['scan', 'report', 'merge', 'history', 'iam-policy', 'images'], kind: text(), help: 'JSON config file (its fields: docs/schema/config.schema.json in the package; an example: config.example.json)',
    helpFor: { 'iam-policy': 'JSON config file to take roleName, the accounts\' roleArn, externalId and organization from (flags win)' },
  }),
  format: row({
    flag: 'format', commands: OUTPUT_AND_DEMO, config: 'formats',
    kind: custom({ type: 'string', array: true }, (v) => parseFormats(strings(v), []), { type: 'array', items: { enum: [...FORMATS] } }),
    help: `Report formats, comma- or space-separated: ${formatsHelp()}`, configHelp: 'Report formats to write.',
  }),
  out: row({ fallback: 'reports', flag: 'out', commands: [...OUTPUT_AND_DEMO, 'history'], config: 'out', kind: text(), help: 'Folder for the report files (default reports)', configHelp: 'Folder for reports.' }),
  asOf: row({
    flag: 'as-of', commands: OUTPUT, kind: custom({ type: 'string' }, (v) => parseAsOf(str(v), DateTime.fromMillis(0))),
    help: 'Evaluate the rules as of this RFC 3339 date-time or date (default: for scan the run\'s start; for report the as-of stored in the saved report, else the present)',
    helpFor: { merge: 'Evaluate the merged report as of this RFC 3339 date-time or date (default: the as-of stored in the shards, which must be the same in every one)' },
  }),
  failOn: row({
    flag: 'fail-on', commands: OUTPUT_AND_DEMO, config: 'failOn', kind: choice(SEVERITIES),
    help: 'Exit 1 when an unwaived finding is at or above this severity (default: never)', configHelp: 'Exit 1 when an unwaived finding is at or above this severity.',
  }),
  baseline: row({
    flag: 'baseline', commands: OUTPUT, kind: text(),
    help: 'A previous JSON report: mark findings new, changed, unchanged, resolved (scope ok in both runs) and unverified (scope not ok now)',
  }),
  criteria: row({
    flag: 'criteria', commands: ['scan', 'report'], config: 'criteria', kind: text(),
    help: 'A proposed Allowed AMIs criteria set (JSON, the ImageCriteria shape of the EC2 API): the what-if judges the regions in audit-mode or disabled against it instead of their current criteria (docs/allowed-amis-whatif.md)',
    configHelp: 'A proposed Allowed AMIs criteria file (JSON, {"ImageCriteria": [...]}) for the what-if; docs/allowed-amis-whatif.md.',
  }),
  history: row({
    flag: 'history', commands: ['scan', 'report', 'merge', 'history', 'demo'], config: 'history', negatable: true,
    kind: custom<string | false, JsonSchema>({ type: 'string' }, (v) => (v === false ? false : str(v)), { oneOf: [{ type: 'string', minLength: 1 }, { const: false }] }),
    help: 'The run history to record this run in (an SQLite file): findings get their first sight, age, deadline and lifecycle, the report a trend. Default ami-audit-history.sqlite in the --out folder (--no-history: none); scan (not --shard) and merge record by default, report --input only with this flag',
    helpFor: { history: 'The run history (default: config history, else ami-audit-history.sqlite in the --out folder)' },
    configHelp: 'The run history file (SQLite) scan and merge record each run in (default: ami-audit-history.sqlite in the out folder); false: no history. docs/history.md.',
  }),
  historyWait: row({
    flag: 'history-wait', commands: ['scan', 'report', 'merge', 'history', 'demo'], kind: secs(),
    help: 'Seconds to wait for another running ami-audit that holds the history, then exit 2 (default 60)',
  }),
  failOnOverdue: row({
    flag: 'fail-on-overdue', commands: OUTPUT_AND_DEMO, config: 'failOnOverdue', kind: bool(),
    help: 'Exit 1 when an unwaived finding is past its SLA deadline (needs the run history; partial coverage, exit 3, still wins)',
    configHelp: 'Exit 1 when an unwaived finding is past its SLA deadline (as --fail-on-overdue).',
  }),
  sla: row({
    commands: [], config: 'sla',
    kind: configOnly<Partial<Record<(typeof SEVERITIES)[number], number | null>>, JsonSchema>({
      type: 'object', additionalProperties: false,
      properties: Object.fromEntries(SEVERITIES.map((sv) => [sv, { type: ['integer', 'null'], minimum: 0, maximum: 36500, description: `Days to fix a ${sv} finding (null: no deadline)` }])),
    }),
    help: 'Remediation deadlines in days from a finding\'s first sight, by severity; null: none (default critical 7, high 30, medium 90, low 120, info none, as DefectDojo ships them). A finding past its deadline at the as-of is overdue, unless a valid waiver holds it. docs/history.md.',
  }),
  includeTerminated: row({ flag: 'include-terminated', commands: OUTPUT, config: 'includeTerminated', kind: bool(), help: 'Evaluate terminated and shutting-down instances too' }),
  tagColumns: row({
    flag: 'tag-columns', commands: OUTPUT, config: 'report.tagColumns',
    kind: custom({ type: 'string', array: true }, (v) => parseTagColumns(strings(v)) ?? [], {
      type: 'array',
      maxItems: MAX_TAG_COLUMNS,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 128, not: { enum: RESERVED_TAG_COLUMNS }, description: 'An instance tag key (1 to 128 characters; not __proto__, constructor or prototype)' },
    }),
    help: 'Instance tags to carry into findings, report columns and the by-owner rollup (by the first), space- or comma-separated, e.g. team,owner (default: config report.tagColumns, else none)',
    configHelp: 'Instance tags carried into every finding, the CSV and HTML columns, and the by-owner rollup (by the first one, with an "(untagged)" group), e.g. ["team", "owner"]. --tag-columns wins.',
  }),
  fileMode: row({ flag: 'file-mode', commands: OUTPUT, kind: custom({ type: 'string' }, (v) => parseFileMode(str(v))), help: 'Octal mode of the report files (default 600)' }),
  quiet: row({ flag: 'quiet', commands: OUTPUT_AND_DEMO, kind: bool(), help: 'No progress on stderr; on stdout only the one-line verdict and the files written (for cron logs)' }),
  debug: row({ flag: 'debug', commands: ['scan', 'report', 'images'], kind: bool(), help: 'Log every API call (action, account, region, status, attempts; credentials redacted) on stderr' }),
  input: row({
    flag: 'input', commands: ['report'], kind: custom({ type: 'string', array: true }, strings), yargs: { demandOption: true },
    help: 'Saved ami-audit JSON reports and/or `aws ec2 describe-instance-image-metadata` output files',
  }),

  // scan: which accounts
  accounts: row({
    flag: 'accounts', commands: SCAN, config: 'accounts', kind: list(ACCOUNT_ID_RE, 'a 12-digit account id', 'account id'),
    help: 'Accounts to audit, space- or comma-separated (default: the caller\'s own account)',
    configHelp: 'Accounts to audit: ids, or objects naming a role ARN (and external id) for that account. A role ARN must be a role in that account; an account listed twice must be listed the same way both times (it is then audited once). Empty: the caller\'s own account.',
  }),
  org: row({
    flag: 'org', commands: ['scan', 'iam-policy', 'images'], config: 'organization', kind: bool(),
    help: 'Audit every account of the organisation, discovered with AWS Organizations (run as the management account or a delegated administrator); accounts not ACTIVE are recorded as skipped',
    helpFor: { 'iam-policy': 'With --part caller: add the AWS Organizations reads of account discovery (scan --org; default: the config\'s organization, else off)' },
    configHelp: 'Discover the accounts to audit with AWS Organizations (as --org): true, or an object that narrows them. Run as the management account or a delegated administrator. Accounts not ACTIVE are recorded as skipped. Listed accounts are audited as well.',
  }),
  ou: row({
    flag: 'ou', commands: SCAN, config: 'organization.ous', kind: list(OU_ID_RE, 'an OU id such as ou-ab12-cd34ef56', 'OU id'),
    help: 'With --org: only the accounts in these OUs and the OUs below them, space- or comma-separated (implies --org)',
    configHelp: 'Only the accounts in these OUs and the OUs below them (as --ou).',
  }),
  includeAccounts: row({
    flag: 'include-accounts', commands: SCAN, config: 'organization.includeAccounts', kind: list(ACCOUNT_ID_RE, 'a 12-digit account id', 'account id'),
    help: 'With --org: only these of the discovered accounts', configHelp: 'Only these of the discovered accounts (as --include-accounts).',
  }),
  excludeAccounts: row({
    flag: 'exclude-accounts', commands: SCAN, config: 'organization.excludeAccounts', kind: list(ACCOUNT_ID_RE, 'a 12-digit account id', 'account id'),
    help: 'With --org: leave these of the discovered accounts out', configHelp: 'Leave these of the discovered accounts out (as --exclude-accounts).',
  }),

  discoverOnly: row({
    flag: 'discover-only', commands: SCAN, kind: bool(),
    help: 'With --org: discover the organisation once and write its accounts (names, OU paths, states) to accounts.json in --out, then stop; give that file to every shard with --accounts-file',
  }),
  accountsFile: row({
    flag: 'accounts-file', commands: SCAN, kind: text(),
    help: 'Take the accounts from this file written by scan --org --discover-only instead of discovering them (every shard of a run gives the same file; --include-accounts and --exclude-accounts still narrow it)',
  }),
  shard: row({
    flag: 'shard', commands: SCAN, kind: custom({ type: 'string' }, (v) => parseShard(str(v))!),
    help: 'Audit shard K of N (K from 1) of the accounts, after discovery and filters: the accounts sorted by id and dealt round-robin, the same on every machine. Give every shard the same other options and --as-of, then combine their JSON reports with ami-audit merge',
  }),

  // scan: what references the flagged AMIs
  references: row({
    flag: 'references', commands: ['scan', 'iam-policy'], config: 'references', kind: bool(),
    help: 'Also find what will launch each flagged AMI again: launch templates (and the Auto Scaling groups that launch from them), SSM parameters and Image Builder recipes that reference it (DescribeImageReferences); each is a launchable-bad-ami finding',
    helpFor: { 'iam-policy': 'With --part member or caller, or --cloudformation: add the permissions of scan --references (default: the config\'s references, else off)' },
    configHelp: 'Find the launch templates, Auto Scaling groups, SSM parameters and Image Builder recipes that reference each flagged AMI (as --references).',
  }),
  successors: row({
    flag: 'successors', commands: ['scan', 'iam-policy'], config: 'successors', kind: bool(),
    help: 'Also find what to replace each flagged AMI with, per region: its public family\'s latest image (SSM public parameters) or its owner\'s newest image of the same name family (DescribeImages with the owner); with --references, the commands that roll it out (docs/successors.md)',
    helpFor: { 'iam-policy': 'With --part member or caller, or --cloudformation: add the permissions of scan --successors (default: the config\'s successors, else off)' },
    configHelp: 'Find a successor AMI for each flagged AMI, per region (as --successors).',
  }),
  images: row({
    flag: 'images', commands: ['iam-policy'], kind: bool(),
    help: 'With --part member or caller, or --cloudformation: add what ami-audit images reads in accounts that own AMIs, and ec2:CreateImageUsageReport (its one write-like call: a usage report; nothing is modified)',
  }),
  referenceVersionDepth: row({
    flag: 'reference-version-depth', commands: SCAN, config: 'referenceVersionDepth', kind: int(1, 10_000),
    help: 'With --references: how many launch template versions to check, from the latest (default 10, the API\'s)',
    configHelp: 'Launch template versions checked for references, from the latest (default 10).',
  }),

  // scan: the role in each account
  roleName: row({
    flag: 'role-name', commands: ['scan', 'iam-policy', 'images'], config: 'roleName', kind: pattern(ROLE_NAME_RE, ROLE_NAME_PROBLEM),
    help: 'Role to assume in every account; the ARN is built per account',
    helpFor: { 'iam-policy': 'The role ami-audit assumes in every account: the caller policy\'s resource and the template\'s default RoleName (default: the config\'s roleName, else AmiAuditReadOnly)' },
    configHelp: 'Role name to assume in every account; the ARN is built per account.',
  }),
  externalId: row({
    flag: 'external-id', commands: ['scan', 'iam-policy', 'images'], config: 'externalId', secret: true,
    kind: text((v) => (v.length >= 2 && v.length <= 1224 ? null : 'an external id is 2 to 1224 characters (the value is not shown)'), { type: 'string', minLength: 2, maxLength: 1224 }),
    help: 'ExternalId for AssumeRole (never written anywhere)',
    helpFor: { 'iam-policy': 'With --part trust: require this ExternalId in the trust policy (default: the config\'s externalId)' },
    configHelp: 'ExternalId for AssumeRole. Never written to reports.',
  }),
  roleSessionName: row({ fallback: 'ami-audit',
    flag: 'role-session-name', commands: SCAN, config: 'roleSessionName',
    kind: pattern(/^[\w+=,.@-]{2,64}$/, (v) => `"${v}" must be 2-64 of letters, digits and +=,.@_-`),
    help: 'RoleSessionName for AssumeRole (default ami-audit)', configHelp: 'RoleSessionName for AssumeRole (default ami-audit).',
  }),
  durationSeconds: row({
    flag: 'duration-seconds', commands: SCAN, config: 'durationSeconds', kind: int(900, 43200),
    help: 'DurationSeconds for AssumeRole, 900 to 43200 (default 3600)', configHelp: 'DurationSeconds for AssumeRole (default 3600).',
  }),

  // scan: which regions, which instances
  regions: row({
    flag: 'regions', commands: SCAN, config: 'regions', kind: list(REGION_RE, 'a region name such as us-east-1', 'region name'),
    help: 'Regions to audit, space- or comma-separated', configHelp: 'Regions to audit.',
  }),
  allRegions: row({ fallback: false,
    flag: 'all-regions', commands: SCAN, config: 'allRegions', kind: bool(),
    help: 'Discover each account\'s enabled regions with DescribeRegions (only among --regions, if given); others are recorded as skipped',
    configHelp: 'Discover regions per account with DescribeRegions (enabled ones are audited, others recorded as skipped).',
  }),
  region: row({
    flag: 'region', commands: SCAN, kind: text((v) => { const p = regionProblem(v); return p && `${p}; give a region such as us-east-1`; }),
    help: 'Home region for STS and region discovery (default: AWS_REGION or AWS_DEFAULT_REGION, else the first of --regions, else us-east-1); without --regions or --all-regions, the one region audited, and then it must be given here or by AWS_REGION / AWS_DEFAULT_REGION',
  }),
  profile: row({ flag: 'profile', commands: SCAN, kind: text(), help: 'Named profile for the base credentials (default: the SDK\'s default chain)' }),
  filters: row({
    flag: 'filters', commands: SCAN, kind: custom<Filter[]>({ type: 'string', array: true }, (v, flag) => {
      if (strings(v).some((x) => x.trim() === '')) throw new UsageError(`${flag}: an empty filter (an unset variable?); give Name=…,Values=…, or leave ${flag} out`);
      return parseFilters(strings(v));
    }),
    help: 'Filters as the AWS CLI takes them: Name=instance-type,Values=t3.micro,t3.nano ... or JSON',
  }),
  instanceIds: row({ flag: 'instance-ids', commands: SCAN, kind: list(INSTANCE_ID_RE, 'an instance id such as i-0123456789abcdef0', 'instance id'), help: 'Only these instances (any region; ids found nowhere are reported)' }),
  pageSize: row({
    flag: 'page-size', commands: SCAN, config: 'pageSize', kind: int(1, 1000),
    help: 'MaxResults per call, 1 to 1000 (default 1000)', configHelp: 'MaxResults per DescribeInstanceImageMetadata call.',
  }),

  // scan: the connection
  endpointUrl: row({
    flag: 'endpoint-url', commands: SCAN,
    kind: text((v) => {
      try {
        const u = new URL(v);
        if (u.protocol === 'http:' || u.protocol === 'https:') return null;
      } catch {
        // not a URL
      }
      return `"${v}" is not an http(s) URL`;
    }),
    help: 'Send every EC2 and STS call to this URL (the local endpoint, or a proxy)',
  }),
  verifySsl: row({ fallback: true, flag: 'verify-ssl', commands: SCAN, kind: bool(), help: 'Verify TLS certificates; --no-verify-ssl turns it off' }),
  caBundle: row({ flag: 'ca-bundle', commands: SCAN, kind: text(), help: 'CA certificate bundle (PEM) for TLS verification' }),
  cliConnectTimeout: row({ fallback: 60, flag: 'cli-connect-timeout', commands: SCAN, kind: secs(), help: 'Socket connect timeout in seconds (0: none; default 60)' }),
  cliReadTimeout: row({ fallback: 60, flag: 'cli-read-timeout', commands: SCAN, kind: secs(), help: 'Socket read timeout in seconds (0: none; default 60)' }),
  callTimeout: row({ fallback: 120,
    flag: 'call-timeout', commands: SCAN, kind: secs(),
    help: 'Total time one attempt of an API call may take, response body included, in seconds; a slower attempt is retried (0: none; default 120)',
  }),
  deadline: row({
    flag: 'deadline', commands: SCAN, kind: custom({ type: 'string' }, (v) => parseDeadline(str(v))!),
    help: 'Time limit for the whole run, e.g. 90s, 30m, 2h: then unfinished scopes are recorded as DeadlineExceeded and the report is written (default: none)',
  }),
  concurrency: row({ fallback: 64, flag: 'concurrency', commands: SCAN, config: 'concurrency', kind: int(1, 1024), help: 'API calls in flight at once (default 64)' }),
  accountConcurrency: row({ fallback: 4, flag: 'account-concurrency', commands: SCAN, config: 'accountConcurrency', kind: int(1, 64), help: 'Regions of one account scanned at once (default 4)' }),
  maxAttempts: row({ fallback: 8,
    flag: 'max-attempts', commands: SCAN, config: 'maxAttempts', kind: int(1, 30),
    help: 'Attempts per API call, the first included (default 8)', configHelp: 'Attempts per API call, first included (default 8).',
  }),
  retryMode: row({ fallback: 'standard' as const, flag: 'retry-mode', commands: SCAN, config: 'retryMode', kind: choice(['standard', 'adaptive']), help: 'The SDK\'s retry mode (default standard)' }),
  workers: row({
    flag: 'workers', commands: SCAN, kind: int(1, 64),
    help: 'Worker threads that share the accounts (default 1: none; each worker loads and warms up the SDK on its own, so more pay off only with idle cores, e.g. 4 or more cores against AWS; see docs/performance.md)',
  }),

  // the config file only: how findings are judged
  trustedAccounts: row({
    commands: [], config: 'trustedAccounts', kind: configOnly<string[], JsonSchema>({ type: 'array', items: { type: 'string', pattern: ACCOUNT_ID_RE.source, description: '12-digit AWS account id' } }),
    help: 'Accounts whose AMIs are trusted (your image pipeline, a vendor), beside the default publishers and, with --org, the organisation\'s own accounts.',
  }),
  trustedPublishers: row({
    commands: [], config: 'trustedPublishers', kind: configOnly<TrustedPublishersMode, JsonSchema>({ enum: [...TRUSTED_PUBLISHERS_MODES] }),
    help: `Trust the public AMIs of the well-known publishers (default: "default", the owner ids of Amazon, Canonical, Red Hat, SUSE, Debian and Fedora listed in docs/trusted-publishers.md; trustedAccounts adds to them); "none": only trustedAccounts.`,
  }),
  trustOrganization: row({
    commands: [], config: 'trustOrganization', kind: configOnly<boolean, JsonSchema>({ type: 'boolean' }),
    help: 'With organisation discovery (--org): trust the AMIs of every account of the organisation, as if listed in trustedAccounts (default true); the report says so in run.warnings.',
  }),
  trustedOwnerAliases: row({
    commands: [], config: 'trustedOwnerAliases', kind: configOnly<string[], JsonSchema>({ type: 'array', items: { type: 'string', minLength: 1 } }),
    help: 'Owner aliases that are trusted (default amazon, aws-marketplace).',
  }),
  deprecationWindowDays: row({ commands: [], config: 'deprecationWindowDays', kind: int(0), help: 'Days ahead of as-of in which a deprecation counts as soon (default 30).' }),
  maxAmiAgeDays: row({ commands: [], config: 'maxAmiAgeDays', kind: int(1), help: 'Age in days beyond which an AMI is stale (default 365).' }),

  // images: the publisher's view (docs/publisher.md)
  imageIds: row({
    flag: 'image-ids', commands: IMAGES, kind: list(AMI_ID_FLAG_RE, 'an AMI id such as ami-0123456789abcdef0', 'AMI id'),
    help: 'Owned AMIs to make a usage report of whatever their sharing and deprecation (CreateImageUsageReport)',
  }),
  horizon: row({ fallback: 30,
    flag: 'horizon', commands: IMAGES, kind: int(0, 3650),
    help: 'A shared AMI deprecated already or within this many days gets a usage report (default 30)',
  }),
  usageWait: row({ fallback: 300,
    flag: 'usage-wait', commands: IMAGES, kind: secs(),
    help: 'Seconds to wait for usage reports to become available; a report still pending then is "consumers unknown" (default 300)',
  }),
  usageMaxAge: row({ fallback: 24 * 3_600_000,
    flag: 'usage-max-age', commands: IMAGES, kind: custom({ type: 'string' }, (v) => parseDeadline(str(v))!),
    help: 'Reuse a usage report of the same AMI younger than this (e.g. 24h, 90m) instead of creating one (default 24h)',
  }),
  usageReports: row({
    flag: 'usage-reports', commands: IMAGES, kind: bool(), negatable: true,
    help: 'Make usage reports for the AMIs that matter (default on; turned off, none is made and no finding depends on consumers)',
  }),
  ancestry: row({
    flag: 'ancestry', commands: IMAGES, kind: bool(), negatable: true,
    help: 'Look up each owned AMI\'s ancestry (GetImageAncestry, one call per AMI, and DescribeImages for each root; default on)',
  }),
  unusedDays: row({
    flag: 'unused-days', commands: IMAGES, config: 'unusedDays', kind: int(1),
    help: 'Days without a launch after which a shared AMI counts as unused (default 180)',
    configHelp: 'ami-audit images: days without a launch after which a shared AMI counts as unused (default 180).',
  }),
  allowedPublicImages: row({
    commands: [], config: 'allowedPublicImages', kind: configOnly<string[], JsonSchema>({ type: 'array', items: { type: 'string', minLength: 1 } }),
    help: 'ami-audit images: owned AMIs that may be public (ids, or name patterns with * and ?): public-ami does not report them.',
  }),

  // diff and rules
  textFormat: row({ flag: 'format', commands: ['diff', 'history', 'rules'], kind: choice(['text', 'json']), help: 'Output format (default text)' }),

  // history
  keep: row({
    flag: 'keep', commands: ['history'], kind: custom({ type: 'string' }, (v) => parseKeep(str(v))),
    help: 'history prune: keep the runs of this many days before the newest recorded run, e.g. 400d (required)',
  }),
  rebuild: row({
    flag: 'rebuild', commands: ['history'], kind: bool(),
    help: 'history import: start the history over from the reports given (they may be older than the runs recorded)',
  }),

  // iam-policy
  part: row({
    flag: 'part', commands: ['iam-policy'], kind: choice(['caller', 'member', 'trust']),
    help: 'The document: member (the policy of the role in every audited account; the default), caller (the policy of the identity that runs ami-audit) or trust (the role\'s trust policy)',
  }),
  cloudformation: row({ flag: 'cloudformation', commands: ['iam-policy'], kind: bool(), help: 'Print a CloudFormation template of the member role (its policy and trust in one) instead, e.g. for a service-managed StackSet' }),
  trustedPrincipal: row({
    flag: 'trusted-principal', commands: ['iam-policy'], kind: text(),
    help: 'With --part trust (required): the ARN of the identity that runs ami-audit, e.g. arn:aws:iam::111122223333:role/AmiAuditRunner',
  }),

  // emulator and generate-fleet
  port: row({ flag: 'port', commands: ['emulator'], kind: int(0, 65535), help: 'Port (0 picks a free one; default 4566)' }),
  host: row({ flag: 'host', commands: ['emulator'], kind: text(), help: 'Address to bind (default 127.0.0.1)' }),
  fleet: row({ flag: 'fleet', commands: ['emulator'], kind: text(), help: 'Fleet JSON file (docs/emulator.md); default the demo fleet' }),
  generate: row({ flag: 'generate', commands: ['emulator'], kind: text(), help: 'Generate a fleet from comma-separated key=value pairs: accounts=N, regions=N, instances=N, seed=N, skew=SHARE/SCOPES, style=uniform|realistic (realistic: the benchmark\'s fleets), org=N (an organisation of N OUs the caller manages, for scan --org)' }),
  latencyMs: row({ flag: 'latency-ms', commands: ['emulator'], kind: int(0, 600_000), help: 'Latency added to every call' }),
  throttle: row({ flag: 'throttle', commands: ['emulator'], kind: text(), help: 'Token buckets per account x region x action: CAPACITY,REFILL_PER_S (default 100,20; off)' }),
  faults: row({ flag: 'faults', commands: ['emulator'], kind: text(), help: 'Fault plan JSON file (docs/emulator.md)' }),
  spec: row({
    flag: 'spec', commands: ['generate-fleet'], kind: text(), yargs: { default: 'accounts=10,regions=3,instances=1000,seed=1' },
    help: 'Comma-separated key=value pairs: accounts=N, regions=N, instances=N, seed=N, skew=SHARE/SCOPES, style=uniform|realistic, org=N (as emulator --generate)',
  }),
} as const;

export type OptionId = keyof typeof OPTIONS;
type Rows = typeof OPTIONS;
type ValueOf<R> = R extends { kind: { parse: (v: unknown, flag: string) => infer T } } ? T : never;
type ConfigKeyOf<R> = R extends { config: infer C extends string } ? C : never;
type FragmentOf<R> = R extends { kind: { schema: infer S extends JsonSchema } } ? S & { description: string } : never;
/**
 * The schema fragments of the config keys at the top level that the table gives whole (not the
 * structured `accounts` and `organization`, nor the keys nested in `organization` and `report`).
 */
export type TopLevelFragments = {
  [K in keyof Rows as ConfigKeyOf<Rows[K]> extends `${string}.${string}` | 'accounts' | 'organization' ? never : ConfigKeyOf<Rows[K]>]: FragmentOf<Rows[K]>;
};
/** The values of the flags given, checked, by row id. */
export type FlagValues = { [K in OptionId]?: ValueOf<(typeof OPTIONS)[K]> };

const ROWS = Object.entries(OPTIONS) as [OptionId, OptionRow<unknown>][];

/** yargs' key of a flag: its camelCase form. */
export const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The flags of a command, in the order of its help. */
export function flagsOf(command: CommandName): (OptionRow<unknown> & { id: OptionId; flag: string })[] {
  return ROWS.filter(([, r]) => r.flag !== undefined && r.commands.includes(command)).map(([id, r]) => ({ ...r, id, flag: r.flag! }));
}

/** The commands that take a flag. */
export function commandsWithFlag(flag: string): CommandName[] {
  return COMMANDS.filter((c) => flagsOf(c).some((r) => r.flag === flag));
}

/** Adds a command's flags to its yargs builder: those named in `first` first, in that order, then the others in the table's. */
export function addFlags<T>(y: Argv<T>, command: CommandName, first: readonly string[] = []): Argv<T> {
  const rank = (flag: string): number => (first.includes(flag) ? first.indexOf(flag) : first.length);
  const rows = flagsOf(command).map((r, i) => ({ r, i })).sort((a, b) => rank(a.r.flag) - rank(b.r.flag) || a.i - b.i).map((x) => x.r);
  for (const r of rows) y = y.option(r.flag, { ...r.kind.yargs, ...r.yargs, describe: r.helpFor?.[command] ?? r.help }) as Argv<T>;
  return y;
}

/**
 * Reads and checks the flags of a command from yargs' arguments. A one-value flag given twice
 * with different values is a usage error (which one was meant?); the same value twice is that value.
 */
export function readFlags(command: CommandName, argv: Record<string, unknown>): FlagValues {
  const out: Record<string, unknown> = {};
  for (const r of flagsOf(command)) {
    let v = argv[camel(r.flag)];
    if (v === undefined) continue;
    // yargs reads --no-x as x=false for any x
    if (r.negatable && v === false) {
      out[r.id] = false;
      continue;
    }
    if (r.kind.yargs.type !== 'boolean' && [v].flat().some((x) => typeof x === 'boolean')) throw new UsageError(`--no-${r.flag}: --${r.flag} takes a value and cannot be turned off; leave it out`);
    if (!r.kind.yargs.array && Array.isArray(v)) {
      const distinct = [...new Set(v.map((x) => String(x)))];
      if (distinct.length > 1) throw new UsageError(`--${r.flag} is given ${v.length === 2 ? 'twice' : `${v.length} times`} (${distinct.map((x) => JSON.stringify(termSafe(r.secret ? '…' : x, 60))).join(', ')}); give it once`);
      v = v[0];
    }
    out[r.id] = r.kind.parse(v, `--${r.flag}`);
  }
  return out as FlagValues;
}

/** The value of a config key given by its dotted path (`report.tagColumns`). */
function configValue(cfg: object, path: string): unknown {
  let v: unknown = cfg;
  for (const k of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/**
 * One option's value for a run, as the table says: the flag if given, else the config key (checked
 * by the config schema the same row gives), else the row's fallback. Commands read their settings
 * through this rather than writing `flag ?? config ?? default` each.
 */
export function setting<K extends OptionId>(id: K, flags: FlagValues, cfg: object): ValueOf<Rows[K]> | (Rows[K] extends { fallback: infer F } ? F : undefined) {
  const r = OPTIONS[id] as OptionRow<unknown>;
  const v = flags[id] ?? (r.config !== undefined ? configValue(cfg, r.config) : undefined) ?? r.fallback;
  return v as ValueOf<Rows[K]> | (Rows[K] extends { fallback: infer F } ? F : undefined);
}

/**
 * The config schema's fragments of the table's config keys, by dotted path, each with its
 * description. Keys without a fragment (accounts, organization) are built by the schema itself.
 */
export function configFragments(): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>();
  for (const [, r] of ROWS) {
    if (r.config === undefined) continue;
    const description = r.configHelp ?? (/[.)]$/.test(r.help) ? r.help : `${r.help}.`);
    out.set(r.config, { ...r.kind.schema, description });
  }
  return out;
}
