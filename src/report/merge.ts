/**
 * `ami-audit merge`: the shard reports of one sharded run (`scan --shard K/N`) into one inventory,
 * evaluated and rendered as a single run over the same estate would be. Pure.
 *
 * - Each part must be intact (its content matches the digest it records; with AMI_AUDIT_SHARD_KEY,
 *   signed with that key) and agree with itself (partProblem); else a usage error naming it.
 * - Parts must be shards of one run: the same fingerprint and shard count (else a usage error).
 * - They must have been evaluated at one as-of, unless the merge re-evaluates them at one
 *   (`--as-of`): findings of different times do not add up to one report.
 * - A shard with no part is a coverage gap: an `error` entry (`ShardMissing`) for each of its
 *   accounts in every region of the run, so the merged run is partial and names them.
 * - A shard given twice by the same run is read once; by two different runs it is a gap too
 *   (`ShardDuplicated`: its scopes are `partial`, both parts' data kept, the worse status winning).
 */
import type { CoverageEntry, Report, ScopeFailure } from '../model/types.js';
import { UserError } from '../model/errors.js';
import { cmp } from '../model/ids.js';
import { entryProblem, error, mergeMissingIds, withFailure } from '../model/coverage.js';
import { mergeInputs, type MergedInputs, type ParsedInput } from './input.js';
import { isShardWarning, MAX_SHARDS, sealProblem, SHARD_KEY_VARIABLE, shardAccounts } from './shard.js';

type ReportPart = Extract<ParsedInput, { kind: 'report' }>;

export interface MergeShardsOptions {
  /** The merge re-evaluates at this as-of: parts evaluated at different times may be merged. */
  asOfGiven?: boolean;
  storedSettings?: boolean;
  /** AMI_AUDIT_SHARD_KEY: every part must be signed with it. */
  shardKey?: string;
}

/**
 * What makes a part contradict itself, or null: its shard numbers, each scope's status against its
 * error fields, the run's status and summary against its scopes, and its accounts against its
 * shard's slice of the run's accounts. A part edited by hand must not merge into a clean report.
 */
export function partProblem(r: Report): string | null {
  const s = r.run.shard!;
  if (s.index > s.count || s.count > MAX_SHARDS) return `it calls itself shard ${s.index} of ${s.count}`;
  const all = [...new Set(s.allAccounts)].sort(cmp);
  if (all.length !== s.allAccounts.length || all.some((a, i) => a !== s.allAccounts[i])) return 'its list of the run\'s accounts (run.shard.allAccounts) is not sorted and unique';
  if (s.accountsTotal !== all.length) return `it counts ${s.accountsTotal} accounts in the run but lists ${all.length}`;
  const mine = new Set(shardAccounts(all, s.index, s.count));
  const seen = new Set<string>();
  const scopes = { total: 0, ok: 0, partial: 0, error: 0, skipped: 0 };
  for (const c of r.coverage) {
    const where = `coverage of ${c.accountId} ${c.region}`;
    const problem = entryProblem(c);
    if (problem) return `${where}: ${problem}`;
    if (!mine.has(c.accountId)) return `${where}: account ${c.accountId} is not in shard ${s.index}/${s.count}'s slice of the run's accounts`;
    const key = `${c.accountId}|${c.region}`;
    if (seen.has(key)) return `${where}: two entries for one scope`;
    seen.add(key);
    scopes.total += 1;
    scopes[c.status] += 1;
  }
  const stray = [...r.run.accounts, ...r.instances.map((i) => i.accountId), ...(r.accounts ?? []).map((a) => a.accountId)].find((a) => !mine.has(a));
  if (stray !== undefined) return `account ${stray} is not in shard ${s.index}/${s.count}'s slice of the run's accounts`;
  const said = r.summary?.scopes;
  if (!said || (Object.keys(scopes) as (keyof typeof scopes)[]).some((k) => said[k] !== scopes[k])) {
    return `its summary counts scopes ${JSON.stringify(said ?? null)}, its coverage holds ${JSON.stringify(scopes)}`;
  }
  if (r.summary.instancesScanned !== r.instances.length) return `its summary counts ${r.summary.instancesScanned} instances, it holds ${r.instances.length}`;
  const partial = scopes.error + scopes.partial > 0 || r.run.interrupted;
  if (r.run.status !== (partial ? 'partial' : 'complete')) return `its run status is ${r.run.status}, its scopes make it ${partial ? 'partial' : 'complete'}`;
  return null;
}

export function mergeShards(inputs: ParsedInput[], startedAt: string, o: MergeShardsOptions = {}): MergedInputs {
  if (inputs.length === 0) throw new UserError('merge: give the JSON reports of the shards (ami-audit-<stamp>.json of each scan --shard K/N)');
  const parts: ReportPart[] = [];
  for (const p of inputs) {
    if (p.kind !== 'report') throw new UserError(`merge: ${p.file} is AWS CLI output, not a shard report; merge takes the JSON reports of scan --shard K/N (use report --input for AWS CLI output)`);
    if (!p.report.run.shard) throw new UserError(`merge: ${p.file} is not the report of a shard (its run has no shard); merge takes the JSON reports of scan --shard K/N (use report --input to combine other reports)`);
    const seal = p.digest === undefined ? 'its content digest was not computed' : sealProblem(p.report.run.shard, p.digest, o.shardKey);
    if (seal) throw new UserError(`merge: ${p.file} (shard ${p.report.run.shard.index}/${p.report.run.shard.count}) refused: ${seal}`);
    const problem = partProblem(p.report);
    if (problem) throw new UserError(`merge: ${p.file} (shard ${p.report.run.shard.index}/${p.report.run.shard.count}) contradicts itself: ${problem}; merge refuses it: run that shard again`);
    parts.push(p);
  }
  const first = parts[0]!;
  const ref = first.report.run.shard!;
  for (const p of parts.slice(1)) {
    const s = p.report.run.shard!;
    if (s.fingerprint !== ref.fingerprint || s.count !== ref.count) {
      throw new UserError(`merge: ${p.file} (shard ${s.index}/${s.count}) and ${first.file} (shard ${ref.index}/${ref.count}) are shards of different runs: their accounts, shard count, regions, filters or role differ (fingerprints ${s.fingerprint.slice(0, 19)}… and ${ref.fingerprint.slice(0, 19)}…); merge the parts of one run`);
    }
  }
  if (!o.asOfGiven) {
    const asOfs = [...new Set(parts.map((p) => p.report.run.asOf))].sort(cmp);
    if (asOfs.length > 1) {
      const at = (a: string): string => parts.filter((p) => p.report.run.asOf === a).map((p) => p.file).sort(cmp)[0]!;
      throw new UserError(`merge: the shards were evaluated at different times (${asOfs[0]} in ${at(asOfs[0]!)}, ${asOfs.at(-1)} in ${at(asOfs.at(-1)!)}); give every shard the same --as-of, or re-evaluate them at one with merge --as-of`);
    }
  }

  // One part per shard; the same run twice (the same file given twice) is read once.
  const byIndex = new Map<number, ReportPart[]>();
  for (const p of parts) {
    const list = byIndex.get(p.report.run.shard!.index) ?? [];
    if (!list.some((q) => q.report.run.id === p.report.run.id)) list.push(p);
    byIndex.set(p.report.run.shard!.index, list);
  }
  const kept = [...byIndex.values()].flat();
  const merged = mergeInputs(kept, startedAt, { storedSettings: o.storedSettings, shards: true });
  const inv = merged.inventory;
  const notes = new Set(merged.stored.notes);
  if (o.shardKey === undefined && parts.some((p) => p.report.run.shard!.signature !== undefined)) {
    notes.add(`The shards are signed, but merge was not given ${SHARD_KEY_VARIABLE}: their contents match their digests; who wrote them was not checked.`);
  }
  notes.add(`Merged ${byIndex.size} of ${ref.count} shards (${kept.length} report${kept.length === 1 ? '' : 's'}) of one sharded run over ${ref.accountsTotal} account${ref.accountsTotal === 1 ? '' : 's'}.`);

  const regions = inv.run.regions.length ? inv.run.regions : ['*'];
  const gaps: CoverageEntry[] = [];
  const missing: number[] = [];
  for (let k = 1; k <= ref.count; k++) {
    if (byIndex.has(k)) continue;
    missing.push(k);
    const failure: ScopeFailure = { action: 'Merge', code: 'ShardMissing', message: `The report of shard ${k}/${ref.count} was not among the merged parts: this account was not audited.` };
    for (const accountId of shardAccounts(ref.allAccounts, k, ref.count)) {
      for (const region of regions) gaps.push(error(accountId, region, failure));
    }
  }
  if (missing.length) notes.add(`Shard${missing.length === 1 ? '' : 's'} ${missing.map((k) => `${k}/${ref.count}`).join(', ')} missing: ${missing.length === 1 ? 'its' : 'their'} accounts are coverage gaps (ShardMissing).`);

  const duplicated = [...byIndex.entries()].filter(([, list]) => list.length > 1).map(([k]) => k).sort((a, b) => a - b);
  let coverage = inv.coverage;
  if (duplicated.length) {
    const dupAccounts = new Map<string, number>();
    for (const k of duplicated) for (const a of shardAccounts(ref.allAccounts, k, ref.count)) dupAccounts.set(a, k);
    coverage = coverage.map((c) => {
      const k = dupAccounts.get(c.accountId);
      if (k === undefined) return c;
      const failure: ScopeFailure = { action: 'Merge', code: 'ShardDuplicated', message: `Shard ${k}/${ref.count} came from two different runs: the merge cannot tell which is right (both were kept, the worse status of each scope winning).` };
      return withFailure(c, failure);
    });
    notes.add(`Shard${duplicated.length === 1 ? '' : 's'} ${duplicated.map((k) => `${k}/${ref.count}`).join(', ')} came from two different runs: ${duplicated.length === 1 ? 'its' : 'their'} scopes are partial (ShardDuplicated).`);
  }
  const allCoverage = [...coverage, ...gaps].sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.region, b.region));
  const { shard: _shard, ...run } = inv.run;
  // each shard's own note that it is one shard is no longer true of the merged report
  const warnings = (run.warnings ?? []).filter((w) => !isShardWarning(w));
  if (warnings.length) run.warnings = warnings;
  else delete run.warnings;
  const accounts = [...new Set([...run.accounts, ...gaps.map((g) => g.accountId)])].sort(cmp);
  // the one rule for ids asked for, now over the gaps too: a missing or doubled shard leaves them unchecked
  const found = new Set(inv.instances.flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])));
  const { notFoundInstanceIds, uncheckedInstanceIds } = mergeMissingIds([inv], found, allCoverage);
  const ids = { notFoundInstanceIds, ...(uncheckedInstanceIds.length || inv.uncheckedInstanceIds ? { uncheckedInstanceIds } : {}) };
  return {
    inventory: { ...inv, ...ids, run: { ...run, accounts }, coverage: allCoverage },
    stored: { ...merged.stored, notes: [...notes].sort(cmp) },
  };
}
