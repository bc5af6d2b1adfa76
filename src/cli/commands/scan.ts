/**
 * `ami-audit scan`: audit accounts and regions (listed, or discovered with AWS Organizations) and
 * write the reports. It never loads the local endpoint's code (src/emulator): `demo` hands it the
 * endpoint and the credentials as a preset.
 */
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { DateTime } from 'luxon';
import { UserError } from '../../model/errors.js';
import type { Inventory, ShardInfo } from '../../model/types.js';
import { shardAccounts, shardInfo, shardWarning } from '../../report/shard.js';
import { settingsFrom, type AuditConfig } from '../../config/config.js';
import type { CollectOptions } from '../../collect/collector.js';
import type { AccountSelection } from '../../collect/org.js';
import { collectForCli } from '../../collect/parallel.js';
import { REGION_RE } from '../../model/ids.js';
import { ensureWritableDir, removePendingTempFiles } from '../../io/files.js';
import { DEFAULT_FORMATS } from '../../render/index.js';
import { termSafe } from '../../render/sanitize.js';
import { addSecret, redact } from '../redact.js';
import { progressSink } from '../progress.js';
import { fileStamp, loadBaseline, parseFileMode, produce } from '../pipeline.js';
import { readFlags, type FlagValues } from '../options.js';
import { loadConfig, type CliIO, type CommandModule, type RunState } from './context.js';
import { historyOptions } from '../history-options.js';
import { HistoryStore } from '../../history/store.js';

/** The checked flags of a scan (src/cli/options.ts). */
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
  const listed = [...new Set(a.regions ?? cfg.regions ?? [])];
  const allRegions = a.allRegions ?? cfg.allRegions ?? false;
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
  const externalId = a.externalId ?? cfg.externalId;
  addSecret(externalId);
  for (const x of externalIdFor.values()) addSecret(x);
  return {
    client: {
      endpointUrl: a.endpointUrl, profile: a.profile, region: home, maxAttempts: a.maxAttempts ?? cfg.maxAttempts ?? 8,
      retryMode: a.retryMode ?? cfg.retryMode ?? 'standard', connectTimeoutSeconds: a.cliConnectTimeout ?? 60, readTimeoutSeconds: a.cliReadTimeout ?? 60,
      verifySsl: a.verifySsl ?? true, caBundle: a.caBundle,
    },
    accounts: [...new Set([...accountsFlag, ...(accountsFlag.length ? [] : cfgAccounts)])],
    roleName: a.roleName ?? cfg.roleName,
    roleArns: roleArns.size ? Object.fromEntries(roleArns) : undefined,
    externalId,
    externalIds: externalIdFor.size ? Object.fromEntries(externalIdFor) : undefined,
    roleSessionName: a.roleSessionName ?? cfg.roleSessionName ?? 'ami-audit',
    durationSeconds: a.durationSeconds ?? cfg.durationSeconds,
    regions,
    allRegions,
    filters: a.filters ?? [],
    instanceIds: a.instanceIds?.length ? a.instanceIds : undefined,
    pageSize: a.pageSize ?? cfg.pageSize,
    concurrency: a.concurrency ?? cfg.concurrency ?? 64,
    accountConcurrency: a.accountConcurrency ?? cfg.accountConcurrency ?? 4,
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
export async function planAccounts(opts: ReturnType<typeof collectOptionsFrom>, req: OrgRequest | null, cfg: AuditConfig, signal: AbortSignal, log: NodeJS.WritableStream | null): Promise<{ selection: AccountSelection | null; complete: (inv: Inventory, only?: ReadonlySet<string>) => void }> {
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
  log?.write('ami-audit: listing the organisation\'s accounts with AWS Organizations\n');
  const found = await discoverForRun(opts.client, { ous: req.ous, signal });
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
function shardPlan(shard: { index: number; count: number }, selection: AccountSelection | null, opts: ReturnType<typeof collectOptionsFrom>, req: OrgRequest | null, references: { versionDepth?: number } | null, log: NodeJS.WritableStream | null): { audit: string[]; mine: ReadonlySet<string>; info: ShardInfo } {
  const all = selection ? selection.directory.map((d) => d.accountId) : opts.accounts;
  if (all.length === 0) throw new UserError('--shard: the accounts must be known before the run: give --accounts, accounts in the config, or --org');
  const mine = new Set(shardAccounts(all, shard.index, shard.count));
  const scope = {
    regions: opts.regions, allRegions: opts.allRegions, filters: opts.filters, instanceIds: opts.instanceIds ?? null,
    roleName: opts.roleName ?? null, roleArns: opts.roleArns ?? null, organization: req,
    references: references ? { versionDepth: references.versionDepth ?? null } : null,
  };
  const info = shardInfo(all, shard.index, shard.count, scope);
  log?.write(`ami-audit: shard ${shard.index}/${shard.count}: ${mine.size} of ${info.accountsTotal} accounts\n`);
  return { audit: opts.accounts.filter((id) => mine.has(id)), mine, info };
}

/** What `demo` gives a scan: its config, the local endpoint and credentials for it. */
export interface ScanPreset {
  config: AuditConfig;
  endpointUrl: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Record the run in the history only: no report file, no summary (the demo's earlier run). */
  historyOnly?: boolean;
}

export async function runScan(a: ScanArgs, io: CliIO, state: RunState, preset?: ScanPreset): Promise<void> {
  const cfg = preset?.config ?? loadConfig(a.config);
  const settings = settingsFrom(cfg, { includeTerminated: a.includeTerminated, tagColumns: a.tagColumns });
  const formats = preset?.historyOnly ? [] : a.format?.length ? a.format : [...(cfg.formats ?? DEFAULT_FORMATS)];
  const fileMode = a.fileMode ?? parseFileMode(undefined);
  const failOn = a.failOn ?? cfg.failOn;
  const baseline = loadBaseline(a.baseline);
  const opts = collectOptionsFrom(preset ? { ...a, endpointUrl: preset.endpointUrl } : a, cfg, io.env);
  const orgRequest = orgRequestFrom(a, cfg);
  await checkRegions(opts, a, io.env);
  if (preset) opts.client.credentials = preset.credentials;
  opts.client.callTimeoutSeconds = a.callTimeout ?? 120;
  opts.client.env = io.env;
  const outDir = await ensureWritableDir(a.out ?? cfg.out ?? 'reports');
  // a shard's report is not the run's: merge records the whole run
  const history = a.shard ? null : historyOptions(a, cfg, outDir, true);
  // a history that is not ours, newer or corrupted stops the run before anything is asked of AWS
  // (a new one is created only when the run records into it: a run that fails leaves no file)
  if (history && existsSync(history.file)) HistoryStore.open(history.file, history.waitSeconds, { mode: fileMode }).close();

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
    const accounts = await planAccounts(opts, orgRequest, cfg, controller.signal, a.quiet ? null : io.stderr);
    if (accounts.selection) opts.accounts = accounts.selection.audit;
    const references = a.references ?? cfg.references ? { versionDepth: a.referenceVersionDepth ?? cfg.referenceVersionDepth, asOfMs: a.asOf?.toMillis() } : undefined;
    const shard = a.shard ? shardPlan(a.shard, accounts.selection, opts, orgRequest, references ?? null, a.quiet ? null : io.stderr) : null;
    if (shard) {
      opts.accounts = shard.audit;
      opts.accountsFixed = true;
    }
    const inventory = await collectForCli({
      ...opts,
      signal: controller.signal,
      deadlineMs: a.deadline,
      now: io.now,
      workers: a.workers,
      references,
      onProgress: (p) => {
        last = p;
        progress.update(p);
      },
      onCall: a.debug ? (e) => io.stderr.write(redact(`debug: ${e.action} account=${e.accountId} region=${e.region} status=${e.status} attempts=${e.attempts} ms=${e.ms}${e.error ? ` error=${termSafe(e.error, 200)}` : ''}\n`)) : undefined,
    });
    progress.stop(last);
    accounts.complete(inventory, shard?.mine);
    if (shard) {
      inventory.run.shard = shard.info;
      // read alone, a shard's report covers only its slice: it says so
      inventory.run.warnings = [...(inventory.run.warnings ?? []), shardWarning(shard.info, shard.mine.size)];
    }
    const asOf = a.asOf ?? DateTime.fromISO(inventory.run.startedAt, { zone: 'utc' });
    const res = await produce(inventory, settings, asOf, baseline, { formats, outDir, fileMode, failOn, failOnOverdue: a.failOnOverdue ?? cfg.failOnOverdue, history, stamp: fileStamp(inventory.run.startedAt) }, preset?.historyOnly ? new PassThrough().resume() : io.stdout);
    state.code = res.code;
  } finally {
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
