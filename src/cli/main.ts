/**
 * The ami-audit command line: yargs in strict mode, one handler per command, and the one place
 * that turns outcomes and errors into exit codes (0 clean, 1 findings at or above --fail-on,
 * 2 usage/config/fatal error, 3 report written but coverage partial).
 */
import yargs, { type Argv } from 'yargs';
import { DateTime } from 'luxon';
import { EXIT, UserError } from '../model/errors.js';
import { SEVERITIES, type DiffEntry, type Severity } from '../model/types.js';
import { checkConfig, parseTagColumns, settingsFrom, type AuditConfig } from '../config/config.js';
import { configSchema } from '../schema/config.js';
import { reportSchema } from '../schema/report.js';
import type { CollectOptions } from '../collect/collector.js';
import { collectForCli } from '../collect/parallel.js';
import { ACCOUNT_ID_RE, checkList, INSTANCE_ID_RE, parseFilters, REGION_RE, ROLE_NAME_RE, splitList } from '../collect/filters.js';
import { mergeInputs } from '../report/input.js';
import { diffReports } from '../report/build.js';
import { RULES } from '../rules/registry.js';
import { CONFIG_MAX_BYTES, ensureWritableDir, readInputFile, readJsonFile, removePendingTempFiles } from '../io/files.js';
import { toolVersion } from '../paths.js';
import { startEmulator } from '../emulator/server.js';
import { validateFleet, type Fleet } from '../emulator/fleet.js';
import { validateFaults, parseThrottle, type FaultPlan } from '../emulator/faults.js';
import { generateFleet } from '../emulator/generate.js';
import { demoFleet } from '../emulator/demo.js';
import { DEFAULT_FORMATS, formatsHelp } from '../render/index.js';
import { termJson, termSafe } from '../render/sanitize.js';
import { changeText, diffCounts, unverifiedWhy } from '../render/summary.js';
import { addEnvironmentSecrets, addSecret, redact } from './redact.js';
import { progressSink } from './progress.js';
import { fileStamp, loadBaseline, parseAsOf, parseFileMode, parseFormats, produce } from './pipeline.js';
import { demoConfig } from './demo-config.js';
import { iamPolicy } from './iam.js';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** The clock: read once per run, at its start (and its end for finishedAt). */
  now: () => Date;
  /** Registers interrupt handlers; returns a function that removes them. */
  onSignal?: (handler: (signal: string) => void) => () => void;
  /** Called when the emulator command is serving, so tests can stop it. */
  onServe?: (stop: () => Promise<void>) => void;
}

/** Options shared by scan and report. */
function outputOptions<T>(y: Argv<T>) {
  return y
    .option('config', { type: 'string', describe: 'JSON config file (see config.example.json)' })
    .option('format', { type: 'string', array: true, describe: `Report formats, comma- or space-separated: ${formatsHelp()}` })
    .option('out', { type: 'string', describe: 'Folder for the report files (default reports)' })
    .option('as-of', { type: 'string', describe: 'Evaluate the rules as of this RFC 3339 date-time or date (default: for scan the run\'s start; for report the as-of stored in the saved report, else the present)' })
    .option('fail-on', { choices: SEVERITIES, describe: 'Exit 1 when an unwaived finding is at or above this severity (default: never)' })
    .option('baseline', { type: 'string', describe: 'A previous JSON report: mark findings new, changed, unchanged, resolved (scope ok in both runs) and unverified (scope not ok now)' })
    .option('include-terminated', { type: 'boolean', describe: 'Evaluate terminated and shutting-down instances too' })
    .option('tag-columns', { type: 'string', array: true, describe: 'Instance tags to carry into findings, report columns and the by-owner rollup (by the first), space- or comma-separated, e.g. team,owner (default: config report.tagColumns, else none)' })
    .option('file-mode', { type: 'string', describe: 'Octal mode of the report files (default 600)' })
    .option('quiet', { type: 'boolean', describe: 'No progress output on stderr' })
    .option('debug', { type: 'boolean', describe: 'Log every API call (action, account, region, status, attempts; credentials redacted) on stderr' });
}

function scanOptions<T>(y: Argv<T>) {
  return outputOptions(y)
    .option('accounts', { type: 'string', array: true, describe: 'Accounts to audit, space- or comma-separated (default: the caller\'s own account)' })
    .option('role-name', { type: 'string', describe: 'Role to assume in every account; the ARN is built per account' })
    .option('external-id', { type: 'string', describe: 'ExternalId for AssumeRole (never written anywhere)' })
    .option('role-session-name', { type: 'string', describe: 'RoleSessionName for AssumeRole (default ami-audit)' })
    .option('duration-seconds', { type: 'string', requiresArg: true, describe: 'DurationSeconds for AssumeRole, 900 to 43200 (default 3600)' })
    .option('regions', { type: 'string', array: true, describe: 'Regions to audit, space- or comma-separated' })
    .option('all-regions', { type: 'boolean', describe: 'Discover each account\'s enabled regions with DescribeRegions (only among --regions, if given); others are recorded as skipped' })
    .option('region', { type: 'string', describe: 'Home region for STS and region discovery (default: AWS_REGION or AWS_DEFAULT_REGION, else the first of --regions, else us-east-1); without --regions or --all-regions, the one region audited, and then it must be given here or by AWS_REGION / AWS_DEFAULT_REGION' })
    .option('profile', { type: 'string', describe: 'Named profile for the base credentials (default: the SDK\'s default chain)' })
    .option('filters', { type: 'string', array: true, describe: 'Filters as the AWS CLI takes them: Name=instance-type,Values=t3.micro,t3.nano ... or JSON' })
    .option('instance-ids', { type: 'string', array: true, describe: 'Only these instances (any region; ids found nowhere are reported)' })
    .option('page-size', { type: 'string', requiresArg: true, describe: 'MaxResults per call, 1 to 1000 (default 1000)' })
    .option('endpoint-url', { type: 'string', describe: 'Send every EC2 and STS call to this URL (the local endpoint, or a proxy)' })
    .option('verify-ssl', { type: 'boolean', describe: 'Verify TLS certificates; --no-verify-ssl turns it off' })
    .option('ca-bundle', { type: 'string', describe: 'CA certificate bundle (PEM) for TLS verification' })
    .option('cli-connect-timeout', { type: 'string', requiresArg: true, describe: 'Socket connect timeout in seconds (0: none; default 60)' })
    .option('cli-read-timeout', { type: 'string', requiresArg: true, describe: 'Socket read timeout in seconds (0: none; default 60)' })
    .option('call-timeout', { type: 'string', requiresArg: true, describe: 'Total time one attempt of an API call may take, response body included, in seconds; a slower attempt is retried (0: none; default 120)' })
    .option('deadline', { type: 'string', describe: 'Time limit for the whole run, e.g. 90s, 30m, 2h: then unfinished scopes are recorded as DeadlineExceeded and the report is written (default: none)' })
    .option('concurrency', { type: 'string', requiresArg: true, describe: 'API calls in flight at once (default 64)' })
    .option('account-concurrency', { type: 'string', requiresArg: true, describe: 'Regions of one account scanned at once (default 4)' })
    .option('max-attempts', { type: 'string', requiresArg: true, describe: 'Attempts per API call, the first included (default 8)' })
    .option('retry-mode', { choices: ['standard', 'adaptive'] as const, describe: 'The SDK\'s retry mode (default standard)' })
    .option('workers', { type: 'string', requiresArg: true, describe: 'Worker threads that share the accounts and parse responses (default 1: none; 2 on a CPU-bound run with cores to spare)' });
}

/**
 * A whole-number flag. Takes the flag's text (options declared as strings) or yargs' number, whose
 * NaN stands for text that was not a number.
 */
function positiveInt(name: string, v: number | string | undefined, min: number, max: number): number | undefined {
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
function seconds(name: string, v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? (/^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN) : v;
  if (!(Number.isFinite(n) && n >= 0)) {
    const given = typeof v === 'string' ? JSON.stringify(termSafe(v, 40)) : Number.isNaN(v) ? 'the value given' : String(v);
    throw new UserError(`--${name}: ${given} is not a number of seconds; expected seconds, 0 or more`);
  }
  return n;
}

function loadConfig(path: string | undefined): AuditConfig {
  if (!path) return {};
  return checkConfig(path, readJsonFile(path, '--config', CONFIG_MAX_BYTES));
}

/** A numeric option as given: taken as text so that a bad value can be quoted back. */
type NumArg = number | string;

type ScanArgs = Record<string, unknown> & {
  config?: string; format?: string[]; out?: string; asOf?: string; failOn?: Severity; baseline?: string; includeTerminated?: boolean;
  fileMode?: string; quiet?: boolean; debug?: boolean; accounts?: string[]; roleName?: string; externalId?: string; roleSessionName?: string;
  durationSeconds?: NumArg; regions?: string[]; allRegions?: boolean; region?: string; profile?: string; filters?: string[]; instanceIds?: string[];
  pageSize?: NumArg; endpointUrl?: string; verifySsl?: boolean; caBundle?: string; cliConnectTimeout?: NumArg; cliReadTimeout?: NumArg;
  concurrency?: NumArg; accountConcurrency?: NumArg; maxAttempts?: NumArg; retryMode?: 'standard' | 'adaptive'; workers?: NumArg;
  callTimeout?: NumArg; deadline?: string; tagColumns?: string[];
};

/** --deadline: `90s`, `30m`, `2h` or plain seconds. */
export function parseDeadline(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(String(text));
  const ms = m ? Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 1000 && ms <= 7 * 86_400_000)) throw new UserError(`--deadline: "${text}" is not a duration from 1s to 7 days such as 90s, 30m or 2h`);
  return ms;
}

/** Region names no partition knows are usage errors, before anything is called. */
async function checkRegions(opts: { client: { region?: string }; regions: string[] }, a: ScanArgs, env: NodeJS.ProcessEnv): Promise<void> {
  // The SDK's partition data is loaded only by commands that call AWS.
  const { checkRegionNames } = await import('../collect/regions.js');
  if (opts.client.region !== undefined) checkRegionNames(a.region !== undefined ? '--region' : env.AWS_REGION !== undefined ? 'AWS_REGION' : 'AWS_DEFAULT_REGION', [opts.client.region]);
  checkRegionNames('--regions', opts.regions);
}

/** Merges defaults, the config file and flags (flags win) into the collector's options. */
export function collectOptionsFrom(a: ScanArgs, cfg: AuditConfig, env: NodeJS.ProcessEnv): Omit<CollectOptions, 'signal' | 'onProgress' | 'now'> {
  const accountsFlag = checkList('--accounts', splitList(a.accounts), ACCOUNT_ID_RE, 'a 12-digit account id');
  // Keyed by account ids (validated by the config schema); Maps until handed to the collector.
  const roleArns = new Map<string, string>();
  const cfgAccounts: string[] = [];
  const externalIdFor = new Map<string, string>();
  for (const e of cfg.accounts ?? []) {
    if (typeof e === 'string') cfgAccounts.push(e);
    else {
      cfgAccounts.push(e.accountId);
      if (e.roleArn) roleArns.set(e.accountId, e.roleArn);
      if (e.externalId) externalIdFor.set(e.accountId, e.externalId);
    }
  }
  const roleName = a.roleName ?? cfg.roleName;
  if (roleName !== undefined && !ROLE_NAME_RE.test(roleName)) throw new UserError(`--role-name: "${roleName}" is not a role name (1-64 of letters, digits and +=,.@_-); give a name, not an ARN`);
  // role ARNs were checked with the config (shape, and that each belongs to its account)
  const listed = checkList('--regions', splitList(a.regions ?? cfg.regions), REGION_RE, 'a region name such as us-east-1');
  const allRegions = a.allRegions ?? cfg.allRegions ?? false;
  // The home region and where it came from: an empty variable counts as unset, as in the AWS CLI.
  const [homeFrom, home] = a.region !== undefined ? ['--region', a.region] as const
    : env.AWS_REGION ? ['AWS_REGION', env.AWS_REGION] as const
      : env.AWS_DEFAULT_REGION ? ['AWS_DEFAULT_REGION', env.AWS_DEFAULT_REGION] as const
        : ['', undefined] as const;
  if (home !== undefined && !REGION_RE.test(home)) {
    const spaces = home.trim() !== home ? ' (it has leading or trailing spaces)' : '';
    const fix = homeFrom === '--region' ? 'give a region such as us-east-1' : `set ${homeFrom} to a region such as us-east-1, or give --region`;
    throw new UserError(`${homeFrom}: ${JSON.stringify(termSafe(home, 60))} is not a region name${spaces}; ${fix}`);
  }
  if (!allRegions && listed.length === 0 && !home) {
    throw new UserError('no regions to audit: give --regions us-east-1 eu-west-1 ..., --all-regions, or --region / AWS_REGION for one region');
  }
  // Without --regions or --all-regions, the one region of --region / AWS_REGION is audited.
  const regions = listed.length || allRegions ? listed : [home!];
  const instanceIds = a.instanceIds ? checkList('--instance-ids', splitList(a.instanceIds), INSTANCE_ID_RE, 'an instance id such as i-0123456789abcdef0') : undefined;
  const externalId = a.externalId ?? cfg.externalId;
  addSecret(externalId);
  for (const x of externalIdFor.values()) addSecret(x);
  const sessionName = a.roleSessionName ?? cfg.roleSessionName ?? 'ami-audit';
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) throw new UserError(`--role-session-name: "${sessionName}" must be 2-64 of letters, digits and +=,.@_-`);
  const connect = seconds('cli-connect-timeout', a.cliConnectTimeout);
  const read = seconds('cli-read-timeout', a.cliReadTimeout);
  if (a.endpointUrl !== undefined) {
    try {
      const u = new URL(a.endpointUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new UserError(`--endpoint-url: "${a.endpointUrl}" is not an http(s) URL`);
    }
  }
  return {
    client: {
      endpointUrl: a.endpointUrl, profile: a.profile ?? undefined, region: home, maxAttempts: positiveInt('max-attempts', a.maxAttempts ?? cfg.maxAttempts, 1, 30) ?? 8,
      retryMode: a.retryMode ?? cfg.retryMode ?? 'standard', connectTimeoutSeconds: connect ?? 60, readTimeoutSeconds: read ?? 60,
      verifySsl: a.verifySsl ?? true, caBundle: a.caBundle,
    },
    accounts: [...new Set([...accountsFlag, ...(accountsFlag.length ? [] : cfgAccounts)])],
    roleName,
    roleArns: roleArns.size ? Object.fromEntries(roleArns) : undefined,
    externalId,
    externalIds: externalIdFor.size ? Object.fromEntries(externalIdFor) : undefined,
    roleSessionName: sessionName,
    durationSeconds: positiveInt('duration-seconds', a.durationSeconds ?? cfg.durationSeconds, 900, 43200),
    regions,
    allRegions,
    filters: parseFilters(a.filters ?? []),
    instanceIds: instanceIds?.length ? instanceIds : undefined,
    pageSize: positiveInt('page-size', a.pageSize ?? cfg.pageSize, 1, 1000),
    concurrency: positiveInt('concurrency', a.concurrency ?? cfg.concurrency, 1, 1024) ?? 64,
    accountConcurrency: positiveInt('account-concurrency', a.accountConcurrency ?? cfg.accountConcurrency, 1, 64) ?? 4,
    assumeConcurrency: 8,
  };
}

interface RunState { code: number }

async function runScan(a: ScanArgs, io: CliIO, state: RunState, preset?: { config: AuditConfig; endpointUrl: string; credentials: { accessKeyId: string; secretAccessKey: string } }): Promise<void> {
  const cfg = preset?.config ?? loadConfig(a.config);
  const settings = settingsFrom(cfg, { includeTerminated: a.includeTerminated, tagColumns: parseTagColumns(a.tagColumns) });
  const formats = parseFormats(a.format, cfg.formats ?? DEFAULT_FORMATS);
  const fileMode = parseFileMode(a.fileMode);
  const failOn = a.failOn ?? cfg.failOn;
  const baseline = loadBaseline(a.baseline);
  const asOfText = a.asOf;
  if (asOfText !== undefined) parseAsOf(asOfText, DateTime.fromMillis(0)); // checked now, used after collection
  const opts = collectOptionsFrom(preset ? { ...a, endpointUrl: preset.endpointUrl } : a, cfg, io.env);
  await checkRegions(opts, a, io.env);
  if (preset) opts.client.credentials = preset.credentials;
  opts.client.callTimeoutSeconds = seconds('call-timeout', a.callTimeout) ?? 120;
  opts.client.env = io.env;
  const deadlineMs = parseDeadline(a.deadline);
  const outDir = await ensureWritableDir(a.out ?? cfg.out ?? 'reports');

  const controller = new AbortController();
  let signals = 0;
  const off = io.onSignal?.((sig) => {
    signals += 1;
    if (signals === 1) {
      io.stderr.write(`ami-audit: ${sig} received; finishing with a partial report (send it again to stop at once)\n`);
      controller.abort();
    } else {
      io.stderr.write(`ami-audit: ${sig} received again; stopping now without a report\n`);
      state.code = 130;
      removePendingTempFiles();
      process.exit(130);
    }
  });
  const progress = progressSink(io.stderr, a.quiet ?? false);
  let last: Parameters<typeof progress.update>[0] | undefined;
  try {
    const inventory = await collectForCli({
      ...opts,
      signal: controller.signal,
      deadlineMs,
      now: io.now,
      workers: positiveInt('workers', a.workers, 1, 64),
      onProgress: (p) => {
        last = p;
        progress.update(p);
      },
      onCall: a.debug ? (e) => io.stderr.write(redact(`debug: ${e.action} account=${e.accountId} region=${e.region} status=${e.status} attempts=${e.attempts} ms=${e.ms}${e.error ? ` error=${termSafe(e.error, 200)}` : ''}\n`)) : undefined,
    });
    progress.stop(last);
    const asOf = parseAsOf(asOfText, DateTime.fromISO(inventory.run.startedAt, { zone: 'utc' }));
    const res = await produce(inventory, settings, asOf, baseline, { formats, outDir, fileMode, failOn, stamp: fileStamp(inventory.run.startedAt) }, io.stdout);
    state.code = res.code;
  } finally {
    progress.stop();
    off?.();
  }
}

/**
 * `report --input`: re-evaluates saved reports and AWS CLI output. A saved report keeps its as-of
 * and the waivers, rule settings and trust settings it was evaluated with, unless --as-of or
 * --config say otherwise; the summary and run.warnings say which were used.
 */
async function runReport(a: ScanArgs & { input?: string[] }, io: CliIO, state: RunState): Promise<void> {
  const cfg = loadConfig(a.config);
  const formats = parseFormats(a.format, cfg.formats ?? DEFAULT_FORMATS);
  const fileMode = parseFileMode(a.fileMode);
  if (a.asOf !== undefined) parseAsOf(a.asOf, DateTime.fromMillis(0)); // checked before the inputs are read
  const baseline = loadBaseline(a.baseline);
  const files = a.input ?? [];
  if (files.length === 0) throw new UserError('--input: give at least one saved JSON report or AWS CLI output file');
  const parsed = files.map((file) => readInputFile(file, '--input', { instances: true, findings: false }));
  const now = io.now();
  const startedAt = now.toISOString();
  const { inventory, stored } = mergeInputs(parsed, startedAt, { storedSettings: a.config === undefined });
  const notes = [...stored.notes];
  const list = (names: string[]): string => (names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', '));
  let asOf: DateTime;
  if (a.asOf !== undefined) {
    asOf = parseAsOf(a.asOf, DateTime.fromMillis(0));
    if (stored.asOf) notes.push(`Evaluated as of ${asOf.toISO({ suppressMilliseconds: true })} (--as-of), not as of ${stored.asOf} stored in ${list(stored.asOfFrom)}.`);
  } else if (stored.asOf) {
    asOf = parseAsOf(stored.asOf, DateTime.fromMillis(0));
    notes.push(`Evaluated as of ${stored.asOf}, the as-of stored in ${list(stored.asOfFrom)}${parsed.filter((p) => p.kind === 'report').length > 1 ? ' (the latest of the inputs)' : ''}; --as-of changes it.`);
  } else {
    asOf = DateTime.fromJSDate(now, { zone: 'utc' });
  }
  let settingsCfg: AuditConfig = cfg;
  if (a.config !== undefined) {
    if (parsed.some((p) => p.kind === 'report')) notes.push(`Waivers and rule settings from --config ${a.config}, not the ones stored in the input report(s).`);
  } else if (stored.config) {
    settingsCfg = stored.config;
    const w = stored.config.waivers?.length ?? 0;
    notes.push(`Waivers (${w}) and rule settings are the ones stored in ${list(stored.configFrom)}; --config replaces them.`);
  }
  const settings = settingsFrom(settingsCfg, { includeTerminated: a.includeTerminated, tagColumns: parseTagColumns(a.tagColumns) });
  const outDir = await ensureWritableDir(a.out ?? cfg.out ?? 'reports');
  const res = await produce(inventory, settings, asOf, baseline, { formats, outDir, fileMode, failOn: a.failOn ?? cfg.failOn, stamp: fileStamp(startedAt), notes }, io.stdout);
  state.code = res.code;
}

function runDiff(a: { old: string; new: string; format?: string }, io: CliIO): void {
  // Saved reports are untrusted: every string printed below goes through termSafe (text) or termJson (json).
  const before = loadBaseline(a.old, 'diff')!;
  const after = loadBaseline(a.new, 'diff')!;
  const d = diffReports(before, after);
  if (a.format === 'json') {
    io.stdout.write(termJson(d) + '\n');
    return;
  }
  const t = (v: unknown, max = 40): string => termSafe(v, max);
  const row = (label: string, f: DiffEntry, extra = ''): string =>
    `  ${label.padEnd(11)}${t(f.severity, 8).padEnd(9)}${t(f.ruleId, 18).padEnd(19)}${t(f.accountId, 20)} ${t(f.region, 30).padEnd(15)} ${t(f.instanceId, 40).padEnd(20)} ${t(f.imageId ?? '', 40)}${extra ? `  (${extra})` : ''}`;
  const c = d.counts;
  const lines = [
    `ami-audit diff: ${diffCounts(d)}`,
    `  old  run ${t(before.run.id, 80)} started ${t(before.run.startedAt)}`,
    `  new  run ${t(after.run.id, 80)} started ${t(after.run.startedAt)}`,
  ];
  if (c.unverified) lines.push(`  ${c.unverified} unverified: gone from the new report, but the new run could not check them (their scope was not ok in one of the two runs, or the run did not look), so they are not resolved (the reason is on each line)`);
  for (const f of d.new) lines.push(row('new', f));
  for (const f of d.changed) lines.push(row('changed', f, changeText(f)));
  for (const f of d.resolved) lines.push(row('resolved', f));
  for (const f of d.unverified) lines.push(row('unverified', f, unverifiedWhy(f, 'the new run')));
  for (const s of d.scopes.added) lines.push(`  scope added    ${t(s.accountId, 20)} ${t(s.region, 30).padEnd(15)} ${t(s.status, 10)} (only in the new report)`);
  for (const s of d.scopes.removed) lines.push(`  scope removed  ${t(s.accountId, 20)} ${t(s.region, 30).padEnd(15)} ${t(s.status, 10)} (only in the old report: its findings are unverified)`);
  io.stdout.write(lines.join('\n') + '\n');
}

function runRules(a: { format?: string }, io: CliIO): void {
  if (a.format === 'json') {
    io.stdout.write(JSON.stringify(RULES.map((r) => r.meta), null, 2) + '\n');
    return;
  }
  const lines = RULES.map((r) => `${r.meta.id.padEnd(18)} ${r.meta.severity.padEnd(7)} ${r.meta.title}${r.meta.options ? `  [options: ${Object.entries(r.meta.options).map(([k, o]) => `${k}=${o.default}`).join(', ')}]` : ''}`);
  io.stdout.write(`${'id'.padEnd(18)} ${'default'.padEnd(7)} title\n${lines.join('\n')}\n\nDocs: docs/rules/<id>.md\n`);
}

/** `accounts=50,regions=5,instances=20000,seed=7,skew=0.5/0.05` */
export function parseGenerateSpec(spec: string): Parameters<typeof generateFleet>[0] {
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const [k, v] = part.split('=');
    if (!k || v === undefined) throw new UserError(`--generate: cannot read "${part}"; expected key=value pairs such as accounts=50,regions=5,instances=20000,seed=1,skew=0.5/0.05`);
    out[k.trim()] = v.trim();
  }
  const num = (k: string, d: number): number => {
    const n = out[k] === undefined ? d : Number(out[k]);
    if (!Number.isFinite(n) || n < 0) throw new UserError(`--generate: ${k}=${out[k]} is not a number`);
    return n;
  };
  const [si, ss] = (out.skew ?? '0/0').split('/').map(Number);
  return {
    accounts: num('accounts', 10), regions: num('regions', 3), instances: num('instances', 1000), seed: num('seed', 1), skewInstances: si ?? 0, skewScopes: ss ?? 0,
    singleScope: num('single', 0) > 0,
  };
}

async function runEmulator(a: { port?: NumArg; host?: string; fleet?: string; generate?: string; latencyMs?: NumArg; throttle?: string; faults?: string }, io: CliIO): Promise<void> {
  let fleet: Fleet;
  if (a.fleet && a.generate) throw new UserError('--fleet and --generate: give one of them');
  if (a.fleet) fleet = validateFleet(readJsonFile(a.fleet, '--fleet'), a.fleet);
  else if (a.generate) fleet = generateFleet(parseGenerateSpec(a.generate));
  else fleet = demoFleet(io.now().toISOString());
  let faults: FaultPlan = a.faults ? validateFaults(readJsonFile(a.faults, '--faults'), a.faults) : {};
  if (a.throttle !== undefined) {
    const t = parseThrottle(a.throttle);
    faults = { ...faults, throttle: t && { ...t, overrides: faults.throttle?.overrides } };
  }
  const port = positiveInt('port', a.port ?? 4566, 0, 65535);
  const emu = await startEmulator({ fleet, faults, host: a.host ?? '127.0.0.1', port, latencyMs: positiveInt('latency-ms', a.latencyMs, 0, 600_000) });
  io.stdout.write(`${emu.url}\n`);
  io.stdout.write(`ami-audit emulator: EC2 and STS for ${fleet.accounts.length} accounts, ${fleet.regions.length} regions; caller account ${fleet.caller.accountId}. Stop with Ctrl-C.\n`);
  io.stdout.write(`  try: npx ami-audit scan --endpoint-url ${emu.url} --accounts ${fleet.accounts.slice(0, 3).map((x) => x.accountId).join(' ')} --role-name AmiAuditReadOnly --all-regions\n`);
  await new Promise<void>((resolve) => {
    const stop = async (): Promise<void> => {
      off?.();
      await emu.close();
      resolve();
    };
    const off = io.onSignal?.(() => void stop());
    io.onServe?.(stop);
  });
}

async function runDemo(a: ScanArgs, io: CliIO, state: RunState): Promise<void> {
  const now = io.now();
  const emu = await startEmulator({ fleet: demoFleet(now.toISOString()) });
  try {
    io.stderr.write(`ami-audit demo: local EC2/STS endpoint with the demo fleet at ${emu.url}\n`);
    await runScan({ ...a, quiet: a.quiet ?? true }, io, state, { config: demoConfig(DateTime.fromJSDate(now, { zone: 'utc' })), endpointUrl: emu.url, credentials: { accessKeyId: 'AKIADEMODEMODEMO0000', secretAccessKey: 'demo-secret-not-a-real-key' } });
  } finally {
    await emu.close();
  }
}

export function buildParser(io: CliIO, state: RunState): Argv {
  return yargs()
    .scriptName('ami-audit')
    .usage('$0 <command> [options]\n\nFind EC2 instances running on deprecated, deregistered, disabled, non-public, disallowed or untrusted AMIs across accounts and regions.')
    .command('scan', 'Audit accounts and regions and write reports', (y) => scanOptions(y), (a) => runScan(a as unknown as ScanArgs, io, state))
    .command('report', 'Re-evaluate and re-render saved reports or AWS CLI output offline', (y) => outputOptions(y)
      .option('input', { type: 'string', array: true, demandOption: true, describe: 'Saved ami-audit JSON reports and/or `aws ec2 describe-instance-image-metadata` output files' }),
    (a) => runReport(a as unknown as ScanArgs & { input?: string[] }, io, state))
    .command('diff <old> <new>', 'Compare two JSON reports: findings new, changed, unchanged, resolved and unverified', (y) => y
      .positional('old', { type: 'string', demandOption: true, describe: 'The earlier JSON report' })
      .positional('new', { type: 'string', demandOption: true, describe: 'The later JSON report' })
      .option('format', { choices: ['text', 'json'] as const, describe: 'Output format (default text)' }),
    (a) => runDiff(a as unknown as { old: string; new: string; format?: string }, io))
    .command('rules', 'List the rules with their default severities', (y) => y.option('format', { choices: ['text', 'json'] as const, describe: 'Output format (default text)' }), (a) => runRules(a, io))
    .command('demo', 'Run a full scan against the built-in demo fleet on a local endpoint', (y) => y
      .option('out', { type: 'string', describe: 'Folder for the report files (default reports)' })
      .option('format', { type: 'string', array: true, describe: `Report formats (default ${DEFAULT_FORMATS.join(',')})` })
      .option('fail-on', { choices: SEVERITIES, describe: 'Exit 1 when an unwaived finding is at or above this severity' })
      .option('quiet', { type: 'boolean', describe: 'No progress output' }),
    (a) => runDemo(a as unknown as ScanArgs, io, state))
    .command('emulator', 'Serve the local EC2/STS endpoint until stopped', (y) => y
      .option('port', { type: 'string', requiresArg: true, describe: 'Port (0 picks a free one; default 4566)' })
      .option('host', { type: 'string', describe: 'Address to bind (default 127.0.0.1)' })
      .option('fleet', { type: 'string', describe: 'Fleet JSON file (docs/emulator.md); default the demo fleet' })
      .option('generate', { type: 'string', describe: 'Generate a fleet: accounts=N,regions=N,instances=N,seed=N,skew=SHARE/SCOPES' })
      .option('latency-ms', { type: 'string', requiresArg: true, describe: 'Latency added to every call' })
      .option('throttle', { type: 'string', describe: 'Token buckets per account x region x action: CAPACITY,REFILL_PER_S (default 100,20; off)' })
      .option('faults', { type: 'string', describe: 'Fault plan JSON file (docs/emulator.md)' }),
    (a) => runEmulator(a as never, io))
    .command('generate-fleet', 'Write a generated fleet JSON for the local endpoint', (y) => y
      .option('spec', { type: 'string', default: 'accounts=10,regions=3,instances=1000,seed=1', describe: 'accounts=N,regions=N,instances=N,seed=N,skew=SHARE/SCOPES' }),
    (a) => void io.stdout.write(JSON.stringify(generateFleet(parseGenerateSpec(a.spec)), null, 2) + '\n'))
    .command('iam-policy', 'Print the least-privilege IAM policies (audited role and caller)', (y) => y
      .option('role-name', { type: 'string', describe: 'Audit role name for the caller policy\'s resource (default AmiAuditReadOnly)' }),
    (a) => void io.stdout.write(JSON.stringify(iamPolicy(a.roleName ?? 'AmiAuditReadOnly'), null, 2) + '\n'))
    .command('schema <which>', 'Print the JSON Schema of the config file or the report model', (y) => y.positional('which', { choices: ['config', 'report'] as const, demandOption: true }),
      (a) => void io.stdout.write(JSON.stringify(a.which === 'config' ? configSchema : reportSchema, null, 2) + '\n'))
    .demandCommand(1, 'Give a command: scan, report, diff, rules, demo, emulator, generate-fleet, iam-policy or schema')
    .strict()
    .recommendCommands()
    .version(toolVersion())
    .help()
    .alias('h', 'help')
    .wrap(Math.min(120, (io.stdout as NodeJS.WriteStream).columns ?? 100))
    .exitProcess(false)
    // A usage error yargs finds (unknown option, missing value) is one; errors of the commands pass through.
    .fail((msg, err) => {
      throw err ?? Object.assign(new Error(msg), { name: 'YError' });
    });
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function run(args: string[], io: CliIO): Promise<number> {
  addEnvironmentSecrets(io.env);
  const state: RunState = { code: EXIT.ok };
  try {
    await buildParser(io, state).parseAsync(args, {}, (err, _argv, output) => {
      // --help and --version text comes back here rather than going to the console.
      if (!err && output) io.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
    });
    return state.code;
  } catch (e) {
    const err = e as Error;
    if (err.name === 'YError') {
      io.stderr.write(redact(`ami-audit: ${err.message}\nRun "ami-audit ${args[0] && !args[0].startsWith('-') ? args[0] + ' ' : ''}--help" for the options.\n`));
    } else if (e instanceof UserError) {
      io.stderr.write(redact(`ami-audit: ${err.message}\n`));
      return e.exitCode;
    } else {
      const debug = args.includes('--debug');
      io.stderr.write(redact(`ami-audit: unexpected error: ${err?.message ?? String(e)}${debug && err?.stack ? `\n${err.stack}` : ' (run with --debug for details)'}\n`));
    }
    return EXIT.error;
  }
}
