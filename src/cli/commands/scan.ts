/**
 * `ami-audit scan`: audit accounts and regions (listed, or discovered with AWS Organizations) and
 * write the reports. It never loads the local endpoint's code (src/emulator): `demo` hands it the
 * endpoint and the credentials as a preset. With --org --discover-only it writes the organisation's
 * accounts to accounts.json and stops; with --accounts-file it takes them from that file, so that
 * the shards of a run (--shard K/N) share one discovery.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { DateTime } from 'luxon';
import { StopNow, StoppedEarlyError, UserError, UsageError } from '../../model/errors.js';
import type { Inventory, ShardInfo } from '../../model/types.js';
import { shardAccounts, shardInfo, shardWarning } from '../../report/shard.js';
import { settingsFrom, type AuditConfig } from '../../config/config.js';
import { ruleInfos, type EvalSettings } from '../../rules/engine.js';
import type { CollectOptions } from '../../collect/collector.js';
import { deadlineReason, formatDeadline, isDeadline } from '../../collect/deadline.js';
import type { AccountSelection } from '../../collect/org.js';
import { collectForCli } from '../../collect/parallel.js';
import { REGION_RE } from '../../model/ids.js';
import { ensureWritableDir, readTextFile, removePendingTempFiles, writeFileAtomic } from '../../io/files.js';
import { ACCOUNTS_FILE_NAME, accountsFileDigest, accountsFileDoc, parseAccountsFile, renderAccountsFile, type AccountsFile } from '../../report/accounts-file.js';
import { DEFAULT_FORMATS } from '../../render/index.js';
import { termSafe } from '../../model/text.js';
import { addSecret, redact } from '../redact.js';
import { progressSink } from '../progress.js';
import { fileStamp, loadBaseline, parseFileMode, produce, shardKeyFrom } from '../pipeline.js';
import { loadCriteria } from '../../config/criteria.js';
import { readFlags, type FlagValues, setting } from '../../config/options.js';
import { loadConfig, type CliIO, type CommandModule, type RunState } from './context.js';
import { historyOptions } from '../history-options.js';
import { HistoryStore } from '../../history/store.js';

/** An accounts file is small: 64 MiB holds far more accounts than an organisation may have. */
const ACCOUNTS_FILE_MAX_BYTES = 64 << 20;

/** The checked flags of a scan (src/config/options.ts). */
export type ScanArgs = FlagValues;

/** What --org and its narrowing flags (or the config's `organization`) ask for; null without discovery. */
export interface OrgRequest { ous: string[]; include: string[]; exclude: string[] }

export function orgRequestFrom(a: ScanArgs, cfg: AuditConfig): OrgRequest | null {
  const fromCfg = typeof cfg.organization === 'object' ? cfg.organization : {};
  // the flags were checked by readFlags, the config by its schema
  const ous = [...new Set(a.ou ?? fromCfg.ous ?? [])];
  const include = [...new Set(a.includeAccounts ?? fromCfg.includeAccounts ?? [])];
  const exclude = [...new Set(a.excludeAccounts ?? fromCfg.excludeAccounts ?? [])];
  const on = a.org ?? (a.ou !== undefined ? true : cfg.organization !== undefined && cfg.organization !== false);
  if (!on) {
    const flag = include.length ? '--include-accounts' : exclude.length ? '--exclude-accounts' : null;
    if (flag) throw new UserError(`${flag} narrows the accounts --org discovers: give --org too, or list the accounts to audit with --accounts`);
    return null;
  }
  return { ous, include, exclude };
}

/**
 * `--org` audits the organisation's accounts through a role in each: without --role-name (or the
 * config's roleName) every member account would end as `NoRoleConfigured`. Refused before anything
 * is called, unless the run is narrowed (--include-accounts) to accounts that each have a role ARN
 * in the config but one, which can then only be audited as the caller's own account.
 */
export function checkOrgRole(req: OrgRequest | null, opts: { roleName?: string; roleArns?: Record<string, string> }): void {
  if (!req || opts.roleName) return;
  const withoutRole = req.include.filter((id) => !opts.roleArns?.[id]);
  if (req.include.length > 0 && withoutRole.length <= 1) return;
  throw new UsageError(
    '--org audits every account of the organisation by assuming a role in each: give --role-name (or roleName in the config)',
    'E.g. --role-name AmiAuditReadOnly (ami-audit iam-policy --cloudformation deploys it); to audit only the caller\'s own account, leave out --org.',
  );
}

/** deprecation-soon's window and stale-ami's age as the config sets them (null: the rule is off), for the successor lookups. */
function lifecycleWindows(settings: EvalSettings): { soonDays: number | null; staleDays: number | null } {
  const infos = ruleInfos(settings);
  const days = (id: string, option: string): number | null => {
    const r = infos.find((x) => x.id === id);
    return !r || r.severity === 'off' ? null : Number(r.options[option]);
  };
  return { soonDays: days('deprecation-soon', 'deprecationWindowDays'), staleDays: days('stale-ami', 'maxAmiAgeDays') };
}

/** Region names no partition knows are usage errors, before anything is called. */
async function checkRegions(opts: { client: { region?: string }; regions: string[] }, a: ScanArgs, env: NodeJS.ProcessEnv): Promise<void> {
  // The SDK's partition data is loaded only by commands that call AWS.
  const { checkRegionNames } = await import('../../collect/regions.js');
  if (opts.client.region !== undefined) checkRegionNames(a.region !== undefined ? '--region' : env.AWS_REGION !== undefined ? 'AWS_REGION' : 'AWS_DEFAULT_REGION', [opts.client.region]);
  checkRegionNames('--regions', opts.regions);
}

/** Merges defaults, the config file and the checked flags (flags win) into the collector's options. */
export function collectOptionsFrom(a: ScanArgs, cfg: AuditConfig, env: NodeJS.ProcessEnv): Omit<CollectOptions, 'signal' | 'onProgress' | 'now'> {
  const accountsFlag = a.accounts ?? [];
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
  // role ARNs were checked with the config (shape, and that each belongs to its account)
  const listed = [...new Set(setting('regions', a, cfg) ?? [])];
  const allRegions = setting('allRegions', a, cfg);
  // The home region and where it came from: an empty variable counts as unset, as in the AWS CLI.
  const [homeFrom, home] = a.region !== undefined ? ['--region', a.region] as const
    : env.AWS_REGION ? ['AWS_REGION', env.AWS_REGION] as const
      : env.AWS_DEFAULT_REGION ? ['AWS_DEFAULT_REGION', env.AWS_DEFAULT_REGION] as const
        : ['', undefined] as const;
  if (home !== undefined && homeFrom !== '--region' && !REGION_RE.test(home)) {
    const spaces = home.trim() !== home ? ' (it has leading or trailing spaces)' : '';
    throw new UserError(`${homeFrom}: ${JSON.stringify(termSafe(home, 60))} is not a region name${spaces}; set ${homeFrom} to a region such as us-east-1, or give --region`);
  }
  if (!allRegions && listed.length === 0 && !home) {
    throw new UserError('no regions to audit: give --regions us-east-1 eu-west-1 ..., --all-regions, or --region / AWS_REGION for one region');
  }
  // Without --regions or --all-regions, the one region of --region / AWS_REGION is audited.
  const regions = listed.length || allRegions ? listed : [home!];
  const externalId = setting('externalId', a, cfg);
  addSecret(externalId);
  for (const x of externalIdFor.values()) addSecret(x);
  return {
    client: {
      endpointUrl: a.endpointUrl, profile: a.profile, region: home, maxAttempts: setting('maxAttempts', a, cfg),
      retryMode: setting('retryMode', a, cfg), connectTimeoutSeconds: setting('cliConnectTimeout', a, cfg), readTimeoutSeconds: setting('cliReadTimeout', a, cfg),
      verifySsl: setting('verifySsl', a, cfg), caBundle: a.caBundle,
    },
    accounts: [...new Set([...accountsFlag, ...(accountsFlag.length ? [] : cfgAccounts)])],
    roleName: setting('roleName', a, cfg),
    roleArns: roleArns.size ? Object.fromEntries(roleArns) : undefined,
    externalId,
    externalIds: externalIdFor.size ? Object.fromEntries(externalIdFor) : undefined,
    roleSessionName: setting('roleSessionName', a, cfg),
    durationSeconds: setting('durationSeconds', a, cfg),
    regions,
    allRegions,
    filters: a.filters ?? [],
    instanceIds: a.instanceIds?.length ? a.instanceIds : undefined,
    pageSize: setting('pageSize', a, cfg),
    concurrency: setting('concurrency', a, cfg),
    accountConcurrency: setting('accountConcurrency', a, cfg),
    assumeConcurrency: 8,
  };
}

/** The names the config gives its accounts. */
export function configNames(cfg: AuditConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of cfg.accounts ?? []) if (typeof e !== 'string' && e.name) out[e.accountId] = e.name;
  return out;
}

/**
 * The accounts of a scan: with --org, discovered (a failure stops the run, exit 2) and narrowed;
 * `complete` then adds to the inventory what collection does not know: the accounts' names, OU
 * paths and states, the skipped accounts' coverage, and the discovery in run.options.
 */
export async function planAccounts(opts: ReturnType<typeof collectOptionsFrom>, req: OrgRequest | null, cfg: AuditConfig, signal: AbortSignal, log: NodeJS.WritableStream | null, file?: { path: string; doc: AccountsFile }): Promise<{ selection: AccountSelection | null; complete: (inv: Inventory, only?: ReadonlySet<string>) => void }> {
  const names = configNames(cfg);
  if (!req) {
    return {
      selection: null,
      complete: (inv, only) => {
        const named = inv.run.accounts.filter((id) => names[id] !== undefined && (!only || only.has(id)));
        if (named.length) inv.accounts = named.map((id) => ({ accountId: id, name: names[id]!, ouPath: null, state: null }));
      },
    };
  }
  const { discoverForRun, selectAccounts, skippedAccountCoverage } = await import('../../collect/org.js');
  // --accounts-file: the discovery written once by scan --org --discover-only, for every shard alike
  const found = file
    ? { ...file.doc, everyAccount: file.doc.accounts, units: new Set(file.doc.accounts.flatMap((x) => x.ouIds)).size }
    : (log?.write('ami-audit: listing the organisation\'s accounts with AWS Organizations\n'), await discoverForRun(opts, { ous: req.ous, signal }));
  const selection = selectAccounts(found.accounts, { include: req.include, exclude: req.exclude, explicit: opts.accounts, names, ous: req.ous, known: found.everyAccount });
  const states = [...new Set(selection.skipped.map((s) => s.state))].sort().join(', ');
  log?.write(`ami-audit: organisation ${found.organizationId}: ${selection.directory.length} account${selection.directory.length === 1 ? '' : 's'}${req.ous.length ? ` under ${req.ous.join(', ')}` : ''} in ${found.units} OU${found.units === 1 ? '' : 's'}; ${selection.audit.length} to audit${selection.skipped.length ? `, ${selection.skipped.length} skipped (${states})` : ''}\n`);
  if (selection.audit.length === 0) {
    throw new UserError(`--org: no ACTIVE account to audit among the ${selection.directory.length} selected${selection.skipped.length ? ` (${states})` : ''}; check --ou, --include-accounts and --exclude-accounts`);
  }
  return {
    selection,
    complete: (inv, only) => {
      // a shard holds its own slice of the accounts, skipped ones included
      const mine = <T extends { accountId: string }>(list: T[]): T[] => (only ? list.filter((x) => only.has(x.accountId)) : list);
      inv.accounts = mine(selection.directory);
      const regions = opts.regions.length ? opts.regions : inv.run.regions;
      const skipped = mine(selection.skipped);
      inv.coverage = [...inv.coverage, ...skippedAccountCoverage(skipped, regions)];
      inv.run.accounts = [...new Set([...inv.run.accounts, ...skipped.map((s) => s.accountId)])].sort();
      inv.run.options = {
        ...inv.run.options,
        organization: {
          id: found.organizationId, managementAccountId: found.managementAccountId,
          ...(req.ous.length ? { ous: req.ous } : {}), ...(req.include.length ? { includeAccounts: req.include } : {}), ...(req.exclude.length ? { excludeAccounts: req.exclude } : {}),
          ...(file ? { accountsFile: { discoveredAt: file.doc.discoveredAt, digest: accountsFileDigest(file.doc) } } : {}),
        },
      };
    },
  };
}

/**
 * `--shard K/N`: this shard's slice of the run's accounts (audited and skipped alike, after
 * discovery and filters) and what the report records about it. The fingerprint covers what makes
 * the slices and what every shard must look at alike.
 */
function shardPlan(shard: { index: number; count: number }, selection: AccountSelection | null, opts: ReturnType<typeof collectOptionsFrom>, req: OrgRequest | null, references: { versionDepth?: number } | null, log: NodeJS.WritableStream | null, accountsFile: AccountsFile | null): { audit: string[]; mine: ReadonlySet<string>; info: ShardInfo } {
  const all = selection ? selection.directory.map((d) => d.accountId) : opts.accounts;
  if (all.length === 0) throw new UserError('--shard: the accounts must be known before the run: give --accounts, accounts in the config, or --org');
  const mine = new Set(shardAccounts(all, shard.index, shard.count));
  const scope = {
    regions: opts.regions, allRegions: opts.allRegions, filters: opts.filters, instanceIds: opts.instanceIds ?? null,
    roleName: opts.roleName ?? null, roleArns: opts.roleArns ?? null, organization: req,
    references: references ? { versionDepth: references.versionDepth ?? null } : null,
    ...(accountsFile ? { accountsFile: accountsFileDigest(accountsFile) } : {}),
  };
  const info = shardInfo(all, shard.index, shard.count, scope);
  log?.write(`ami-audit: shard ${shard.index}/${shard.count}: ${mine.size} of ${info.accountsTotal} accounts\n`);
  return { audit: opts.accounts.filter((id) => mine.has(id)), mine, info };
}

/** --accounts-file: the file read and checked (a bad file is one line and exit 2). */
function readAccountsFile(path: string): { path: string; doc: AccountsFile } {
  return { path, doc: parseAccountsFile(path, readTextFile(path, '--accounts-file', ACCOUNTS_FILE_MAX_BYTES)) };
}

/** With --accounts-file, the file is the discovery: --include-accounts and --exclude-accounts still narrow it; the OUs are the file's. */
export function orgRequestFromFile(a: ScanArgs, cfg: AuditConfig, file: AccountsFile): OrgRequest {
  if (a.org !== undefined || a.ou !== undefined) {
    throw new UserError(`--accounts-file replaces discovery: give --org${a.ou !== undefined ? ' and --ou' : ''} to the scan --discover-only that writes the file, not to the shards`);
  }
  const fromCfg = typeof cfg.organization === 'object' ? cfg.organization : {};
  const ous = [...new Set(fromCfg.ous ?? [])].sort();
  if (ous.length && ous.join(' ') !== file.ous.join(' ')) {
    throw new UserError(`--accounts-file: the file was discovered under ${file.ous.length ? `--ou ${file.ous.join(' ')}` : 'the whole organisation'}, the config's organization.ous says ${ous.join(' ')}; write the file again with the same OUs`);
  }
  return { ous: file.ous, include: [...new Set(a.includeAccounts ?? fromCfg.includeAccounts ?? [])], exclude: [...new Set(a.excludeAccounts ?? fromCfg.excludeAccounts ?? [])] };
}

/** scan --org --discover-only: discovers the organisation once and writes the accounts file every shard then reads. */
async function discoverOnly(opts: ReturnType<typeof collectOptionsFrom>, req: OrgRequest, outDir: string, fileMode: number, signal: AbortSignal, io: CliIO, log: NodeJS.WritableStream | null): Promise<void> {
  const { discoverForRun } = await import('../../collect/org.js');
  log?.write('ami-audit: listing the organisation\'s accounts with AWS Organizations\n');
  const found = await discoverForRun(opts, { ous: req.ous, signal });
  const doc = accountsFileDoc(found, req.ous, io.now().toISOString());
  const path = join(outDir, ACCOUNTS_FILE_NAME);
  await writeFileAtomic(path, renderAccountsFile(doc), fileMode);
  const active = doc.accounts.filter((x) => x.state === 'ACTIVE').length;
  io.stdout.write(`ami-audit: organisation ${doc.organizationId}: ${doc.accounts.length} account${doc.accounts.length === 1 ? '' : 's'} (${active} ACTIVE) written to ${path}; give it to every shard: scan --accounts-file ${path} --shard K/N\n`);
}

/**
 * With --org, the organisation's own accounts are trusted (their golden images are the estate's
 * own, not an unknown owner's), unless the config says `trustOrganization: false`; the report says
 * so in run.warnings. Every account of the organisation counts, whatever the shard or the filters.
 */
export function organizationTrust(selection: AccountSelection | null, cfg: AuditConfig, settings: EvalSettings): { settings: EvalSettings; warning: string | null } {
  if (!selection || cfg.trustOrganization === false) return { settings, warning: null };
  const org = selection.directory.map((d) => d.accountId);
  const added = org.filter((id) => !settings.trustedAccounts.includes(id));
  return {
    settings: { ...settings, trustedAccounts: [...settings.trustedAccounts, ...added] },
    warning: `Trusted the AMIs of the organisation's ${org.length} account${org.length === 1 ? '' : 's'} (--org): an AMI they own is neither untrusted-owner nor non-public-ami; set "trustOrganization": false in the config to judge them like any other owner.`,
  };
}

/** What `demo` gives a scan: its config, the local endpoint and credentials for it. */
export interface ScanPreset {
  config: AuditConfig;
  endpointUrl: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Show progress on stderr (default: unless --quiet). */
  progress?: boolean;
  /** Record the run in the history only: no report file, no summary (the demo's earlier run). */
  historyOnly?: boolean;
}

/**
 * `ami-audit images` runs through runScan (the same accounts, roles, regions, discovery, deadline,
 * coverage and report pipeline) with its scopes listing the AMIs each account owns instead of its
 * instances (src/cli/commands/images.ts).
 */
export type ImagesMode = NonNullable<CollectOptions['images']>;

export async function runScan(a: ScanArgs, io: CliIO, state: RunState, preset?: ScanPreset, imagesRun?: { mode: ImagesMode; config: AuditConfig }): Promise<void> {
  const images = imagesRun?.mode;
  const cfg = preset?.config ?? imagesRun?.config ?? loadConfig(a.config);
  const settings = settingsFrom(cfg, { includeTerminated: a.includeTerminated, tagColumns: a.tagColumns });
  const formats = preset?.historyOnly ? [] : a.format?.length ? a.format : [...(cfg.formats ?? DEFAULT_FORMATS)];
  const fileMode = a.fileMode ?? parseFileMode(undefined);
  const failOn = setting('failOn', a, cfg);
  const baseline = loadBaseline(a.baseline);
  const criteria = loadCriteria(setting('criteria', a, cfg));
  const opts = collectOptionsFrom(preset ? { ...a, endpointUrl: preset.endpointUrl } : a, cfg, io.env);
  const accountsFile = a.accountsFile !== undefined ? readAccountsFile(a.accountsFile) : null;
  const orgRequest = accountsFile ? orgRequestFromFile(a, cfg, accountsFile.doc) : orgRequestFrom(a, cfg);
  if (a.discoverOnly && (!orgRequest || accountsFile || a.shard)) {
    throw new UserError(!orgRequest ? '--discover-only writes what --org discovers: give --org (and --ou to limit it to OUs)' : `--discover-only cannot be given with ${accountsFile ? '--accounts-file' : '--shard'}: discover once, then give the file to every shard`);
  }
  checkOrgRole(orgRequest, opts);
  await checkRegions(opts, a, io.env);
  if (preset) opts.client.credentials = preset.credentials;
  opts.client.callTimeoutSeconds = setting('callTimeout', a, cfg);
  opts.client.env = io.env;
  const outDir = await ensureWritableDir(setting('out', a, cfg));
  const shardKey = a.shard ? shardKeyFrom(io.env) : undefined;
  // a shard's report is not the run's: merge records the whole run
  const history = a.shard || images ? null : historyOptions(a, cfg, outDir, true);
  // a history that is not ours, newer or corrupted stops the run before anything is asked of AWS
  // (a new one is created only when the run records into it: a run that fails leaves no file)
  if (history && existsSync(history.file)) HistoryStore.open(history.file, history.waitSeconds, { mode: fileMode }).close();

  // One signal for the whole run, discovery included: an interrupt, or the --deadline counted from
  // here (the collector is told when it passes, so that it records DeadlineExceeded).
  const controller = new AbortController();
  const deadlineAt = a.deadline !== undefined ? Date.now() + a.deadline : undefined;
  const deadline = a.deadline !== undefined ? setTimeout(() => controller.abort(deadlineReason()), a.deadline) : null;
  deadline?.unref();
  let discovering = false;
  let signals = 0;
  // a second signal rejects the run at once: src/cli/main.ts decides the exit code and ends the process
  let stopNow: (e: StopNow) => void = () => undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    stopNow = reject;
  });
  const off = io.onSignal?.((sig) => {
    signals += 1;
    if (signals === 1) {
      io.stderr.write(discovering ? `ami-audit: ${sig} received; stopping the organisation discovery (send it again to stop at once)\n` : `ami-audit: ${sig} received; finishing with a partial report (send it again to stop at once)\n`);
      controller.abort();
    } else {
      io.stderr.write(`ami-audit: ${sig} received again; stopping now without a report\n`);
      removePendingTempFiles();
      stopNow(new StopNow(sig));
    }
  });
  const quietLog = a.quiet ?? preset?.progress === false;
  const progress = progressSink(io.stderr, quietLog);
  let last: Parameters<typeof progress.update>[0] | undefined;
  // stopped before any scope was planned: nothing audited, no report; exit 3 with one line
  const stoppedInDiscovery = (e: unknown): never => {
    if (!controller.signal.aborted) throw e;
    const why = isDeadline(controller.signal) ? `the run's deadline (${formatDeadline(a.deadline!)}) passed` : 'interrupted';
    throw new StoppedEarlyError(`--org: ${why} while the organisation's accounts were being listed: nothing was audited and no report was written${why === 'interrupted' ? '' : '; give a longer --deadline'}`);
  };
  // --debug: every call, discovery's Organizations calls included
  opts.onCall = a.debug ? (e) => io.stderr.write(redact(`debug: ${e.action} account=${e.accountId} region=${e.region} status=${e.status} attempts=${e.attempts} ms=${e.ms}${e.error ? ` error=${termSafe(e.error, 200)}` : ''}\n`)) : undefined;
  const work = (async (): Promise<void> => {
    discovering = orgRequest !== null && !accountsFile;
    if (a.discoverOnly) {
      await discoverOnly(opts, orgRequest!, outDir, fileMode, controller.signal, io, quietLog ? null : io.stderr).catch(stoppedInDiscovery);
      return;
    }
    const accounts = await planAccounts(opts, orgRequest, cfg, controller.signal, quietLog ? null : io.stderr, accountsFile ?? undefined).catch(stoppedInDiscovery);
    discovering = false;
    if (accounts.selection) opts.accounts = accounts.selection.audit;
    // the config's check above let one account without a role through: the collector knows the caller
    if (orgRequest) opts.rolesRequired = true;
    const references = setting('references', a, cfg) ? { versionDepth: setting('referenceVersionDepth', a, cfg), asOfMs: a.asOf?.toMillis() } : undefined;
    const shard = a.shard ? shardPlan(a.shard, accounts.selection, opts, orgRequest, references ?? null, quietLog ? null : io.stderr, accountsFile?.doc ?? null) : null;
    if (shard) {
      opts.accounts = shard.audit;
      opts.accountsFixed = true;
    }
    const inventory = await collectForCli({
      ...opts,
      signal: controller.signal,
      deadlineMs: a.deadline,
      deadlineAt,
      now: io.now,
      workers: images ? undefined : a.workers,
      images,
      references,
      successors: setting('successors', a, cfg) ? { asOfMs: a.asOf?.toMillis(), ...lifecycleWindows(settings) } : undefined,
      onProgress: (p) => {
        last = p;
        progress.update(p);
      },
      onDiagnostic: a.debug ? (text) => io.stderr.write(redact(`debug: ${text.split('\n').map((l) => termSafe(l, 400)).join('\n  ')}\n`)) : undefined,
    });
    progress.stop(last);
    accounts.complete(inventory, shard?.mine);
    if (shard) {
      inventory.run.shard = shard.info;
      // read alone, a shard's report covers only its slice: it says so
      inventory.run.warnings = [...(inventory.run.warnings ?? []), shardWarning(shard.info, shard.mine.size)];
    }
    const asOf = a.asOf ?? DateTime.fromISO(inventory.run.startedAt, { zone: 'utc' });
    const trust = organizationTrust(accounts.selection, cfg, settings);
    if (trust.warning) inventory.run.warnings = [...(inventory.run.warnings ?? []), trust.warning];
    const res = await produce(inventory, trust.settings, asOf, baseline, { formats, outDir, fileMode, failOn, failOnOverdue: setting('failOnOverdue', a, cfg), history, criteria, stamp: fileStamp(inventory.run.startedAt), shardKey, quiet: a.quiet }, preset?.historyOnly ? new PassThrough().resume() : io.stdout);
    if (signals < 2) state.code = res.code;
  })();
  try {
    await Promise.race([work, stopped]);
  } finally {
    if (deadline) clearTimeout(deadline);
    // abandoned after a second signal: whatever it still does ends with the process
    work.catch(() => undefined);
    progress.stop();
    off?.();
  }
}

export const scanCommand: CommandModule = {
  name: 'scan',
  command: 'scan',
  describe: 'Audit accounts and regions and write reports',
  run: (argv, { io, state }) => runScan(readFlags('scan', argv), io, state),
};
