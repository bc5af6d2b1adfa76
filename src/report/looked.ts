/**
 * Did a run look for a finding? The one answer the diff (`--baseline`, `ami-audit diff`) and the
 * run history (src/history/) both read: a finding an earlier run had and a later run does not is
 * resolved only where the later run looked for it, and unverified otherwise. And when a finding
 * is replaced by a worse one on the same instance and AMI (an escalation), neither is true: the
 * pairing lives here too, for both. Pure.
 */
import type { CoverageEntry, DiffUnverified, Finding, RuleInfo, RunOptions, ScopeStatus } from '../model/types.js';
import { ESCALATION_RANK, RULES } from '../rules/registry.js';
import { compareFindings } from '../rules/engine.js';
import { listedCompletely, STATUS_RANK } from '../model/coverage.js';

/** What a later run is judged by: its findings, its coverage, its options and its rules. */
export interface LookSide {
  findings: readonly Finding[];
  coverage: readonly CoverageEntry[];
  /** The run's options: a run narrowed to instance ids or filters did not look at the rest. */
  run?: { id?: string; asOf?: string; options?: RunOptions };
  /** The run's rules: a finding of a rule switched off was not looked for. */
  rules?: readonly Pick<RuleInfo, 'id' | 'severity'>[];
}

/** The keys of a finding the answer depends on. */
export type LookKeys = Pick<Finding, 'ruleId' | 'accountId' | 'region' | 'instanceId' | 'imageId'> & { resource?: unknown };

export type NotLookedAt = NonNullable<DiffUnverified['notLookedAt']>;

/** Where a run stood on a finding: its scope's status, whether the scope was listed completely, and why the run did not look at all. */
export interface Look {
  scope: ScopeStatus | 'absent';
  /** Every instance of the scope was listed (status ok, or partial only because the Allowed AMIs state could not be read). */
  listed: boolean;
  notLookedAt?: NotLookedAt;
}

/** The run looked for the finding: its scope was listed completely, and nothing narrowed the run away from it. */
export const looked = (l: Look): boolean => l.listed && l.notLookedAt === undefined;

/**
 * Scope status by account|region, and whether it was listed completely; an entry for region `*`
 * speaks for every region of its account. Two entries for one scope: the worse status counts, and
 * it was listed completely only if both say so.
 */
export function scopeView(coverage: readonly CoverageEntry[]): (accountId: string, region: string) => { status: ScopeStatus | 'absent'; listed: boolean } {
  const exact = new Map<string, { status: ScopeStatus; listed: boolean }>();
  const wildcard = new Map<string, { status: ScopeStatus; listed: boolean }>();
  for (const c of coverage) {
    const map = c.region === '*' ? wildcard : exact;
    const key = c.region === '*' ? c.accountId : `${c.accountId}|${c.region}`;
    const had = map.get(key);
    const listed = listedCompletely(c);
    if (had === undefined) map.set(key, { status: c.status, listed });
    else map.set(key, { status: STATUS_RANK[c.status] > STATUS_RANK[had.status] ? c.status : had.status, listed: had.listed && listed });
  }
  const absent = { status: 'absent' as const, listed: false };
  return (accountId, region) => exact.get(`${accountId}|${region}`) ?? wildcard.get(accountId) ?? absent;
}

/** The instance rules whose findings make an AMI one whose references are looked up (--references): their meta says so. */
const REFERENCE_TRIGGERS: ReadonlySet<string> = new Set(RULES.filter((r) => r.meta.flagsImageForReferences).map((r) => r.meta.id));

const filtersText = (options: RunOptions | undefined): string => JSON.stringify(options?.filters ?? []);

/**
 * Whether `current` looked for a finding of an earlier run, whose options are `earlier` (for the
 * filters): its scope's status in `current`, whether that scope was listed completely, and why
 * the run did not look at all: it was narrowed to other instance ids, or by filters the earlier
 * run did not have, or the finding's rule is switched off, or, for a finding about a resource
 * (a launch template...), the run did not look up what references its AMI there.
 */
export function lookedAt(current: LookSide): (f: LookKeys, earlier: RunOptions | undefined) => Look {
  const ids = current.run?.options?.instanceIds;
  const wanted = ids ? new Set(ids) : null;
  const filtersNow = filtersText(current.run?.options);
  const off = new Set((current.rules ?? []).filter((r) => r.severity === 'off').map((r) => r.id));
  // A finding about a resource is looked for only where the run looked up references, and only for
  // AMIs it flagged there: those with an instance finding that flags them.
  const referencesOk = new Set(current.coverage.filter((c) => c.references?.status === 'ok').map((c) => `${c.accountId}|${c.region}`));
  const flagged = new Set(current.findings.filter((x) => !x.resource && REFERENCE_TRIGGERS.has(x.ruleId)).map((x) => `${x.accountId}|${x.region}|${x.imageId}`));
  const scope = scopeView(current.coverage);
  const why = (f: LookKeys, earlier: RunOptions | undefined): NotLookedAt | undefined => {
    if (f.resource && (f.resource as { type?: unknown }).type === 'ec2:Image') {
      // a finding about an owned AMI (ami-audit images): looked for by an images run, where its scope was listed
      if (!current.run?.options?.images) return 'owned-images';
    } else if (f.resource) {
      if (!current.run?.options?.references || !referencesOk.has(`${f.accountId}|${f.region}`) || !flagged.has(`${f.accountId}|${f.region}|${f.imageId}`)) return 'references';
    } else if (wanted && !wanted.has(f.instanceId)) return 'instance-ids';
    if (filtersText(earlier) !== filtersNow) return 'filters';
    if (off.has(f.ruleId)) return 'rule-off';
    return undefined;
  };
  return (f, earlier) => {
    const s = scope(f.accountId, f.region);
    const reason = why(f, earlier);
    return { scope: s.status, listed: s.listed, ...(reason ? { notLookedAt: reason } : {}) };
  };
}

/**
 * Escalations: each finding of `added` (not in the earlier run) that replaces a finding of `gone`
 * (the earlier run's, not in this one) on the same instance and the same AMI, of a rule lower on
 * the ladder (deprecation-soon, then deprecated-ami, then deregistered-ami or disabled-ami: see
 * ESCALATION_RANK). An added finding takes the highest-ranked gone finding below it; each gone
 * finding is taken once. Findings about a resource and records without an instance id never pair.
 * Returns the pairs, in the order of `added`.
 */
export function pairEscalations<A extends LookKeys & Pick<Finding, 'id' | 'severity'>, G extends LookKeys & Pick<Finding, 'id' | 'severity'>>(added: readonly A[], gone: readonly G[]): { to: A; from: G }[] {
  const keyOf = (f: LookKeys): string | null => (f.resource || !f.instanceId || f.instanceId.startsWith('(') ? null : `${f.accountId}|${f.region}|${f.instanceId}|${f.imageId ?? ''}`);
  const candidates = new Map<string, G[]>();
  for (const g of gone) {
    const k = !ESCALATION_RANK.has(g.ruleId) ? null : keyOf(g);
    if (k === null) continue;
    const list = candidates.get(k) ?? [];
    list.push(g);
    candidates.set(k, list);
  }
  const out: { to: A; from: G }[] = [];
  if (candidates.size === 0) return out;
  for (const a of [...added].sort(compareFindings)) {
    const rank = ESCALATION_RANK.get(a.ruleId);
    const k = rank === undefined ? null : keyOf(a);
    const list = k === null ? undefined : candidates.get(k);
    if (!list?.length) continue;
    let best = -1;
    let bestRank = -1;
    for (let i = 0; i < list.length; i++) {
      const r = ESCALATION_RANK.get(list[i]!.ruleId)!;
      if (r < rank! && (r > bestRank || (r === bestRank && list[i]!.id < list[best]!.id))) {
        best = i;
        bestRank = r;
      }
    }
    if (best < 0) continue;
    out.push({ to: a, from: list[best]! });
    list.splice(best, 1);
  }
  return out;
}
