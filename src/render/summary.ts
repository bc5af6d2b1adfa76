/** Shared views of a report for the text renderers: coverage gaps and headline counts. */
import type {
  CoverageEntry, CoverageGap, DiffChange, DiffEntry, DiffEscalation, DiffUnverified, Finding, FindingResource, ImageCriterion, ImagePlanEntry, ImageReference, ReferenceCoverage, Report,
  ReportDiff, ReportHistory, ScopeFailure, Severity,
} from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { cmp } from '../model/ids.js';

import { isAccountState } from './accounts.js';

export function coverageGaps(report: Report): CoverageEntry[] {
  return report.coverage.filter((c) => c.status !== 'ok');
}

/** The parts of a scope that failed (absent in reports written before the field existed). */
export function failuresOf(c: CoverageEntry): ScopeFailure[] {
  return c.failures ?? [];
}

/** What failed, without the message: the action (none for the run's own stop) and the code. */
export function failureHead(f: ScopeFailure): string {
  return f.action && f.action !== 'Run' ? `${f.action} ${f.code}` : f.code;
}

/** A failure's message without the action it often repeats at its start ("GetAllowedImagesSettings: ..."). */
export function failureMessage(f: ScopeFailure): string {
  const m = f.message ?? '';
  for (const prefix of [`${f.action}: `, `${f.action} `]) if (f.action && m.startsWith(prefix)) return m.slice(prefix.length);
  return m;
}

/** `action:code` of every failure, for one CSV cell. */
export function failureCodes(c: CoverageEntry): string {
  return failuresOf(c).map((f) => (f.action && f.action !== 'Run' ? `${f.action}:${f.code}` : f.code)).join('; ');
}

/**
 * Keeps a long message readable within `max` characters by eliding its middle, not its end: the
 * end of an AWS error ("... is not authorized to perform: sts:AssumeRole on resource: ...") says
 * what was refused.
 */
export function elideMiddle(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  const head = Math.ceil((max - 1) * 0.4);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (max - 1 - head)).join('')}`;
}

/** What a partial scope did read, beside what failed. */
function readText(c: CoverageEntry): string {
  return `${c.instanceCount} instance${c.instanceCount === 1 ? '' : 's'} read`;
}

/** The cell of the coverage matrix, short: an error's code; for a partial scope, that it is partial, what failed and what it read. */
export function gapCell(c: CoverageEntry): string {
  const heads = failuresOf(c).map(failureHead);
  if (c.status === 'partial') return `partial: ${heads.length ? heads.join(', ') : c.errorCode ?? 'unknown'}; ${readText(c)}`;
  return c.errorCode ?? failuresOf(c)[0]?.code ?? c.status;
}

/**
 * One scope's gap in words, the useful part first: its status, then for every failure the action
 * and code, then the message (each message at most `maxMessage` characters, elided in the middle).
 */
export function gapText(c: CoverageEntry, maxMessage = Infinity): string {
  if (c.status === 'skipped') return skippedText(c.reason ?? 'no reason given');
  const msg = (m: string) => (m ? ` (${elideMiddle(m, maxMessage)})` : '');
  const failures = failuresOf(c);
  const status = c.status === 'partial' ? `partial, ${readText(c)}` : c.status;
  if (failures.length === 0) return `${status}: ${c.errorCode ?? 'error'}${msg(c.errorMessage ?? '')}`;
  return `${status}: ${failures.map((f) => `${failureHead(f)}${msg(failureMessage(f))}`).join('; ')}`;
}

/** What a gap means for the findings: nothing checked (error), or what is missing (partial). */
export function gapMeaning(c: CoverageEntry): string {
  if (c.status === 'error') return 'nothing was checked';
  if (c.status !== 'partial') return '';
  const failures = failuresOf(c);
  // every instance was listed: only what the run reads beside the instances is missing
  if (failures.length > 0 && failures.every((f) => f.action === 'GetAllowedImagesSettings' || REFERENCE_ACTIONS.has(f.action))) {
    const missing: string[] = [];
    if (failures.some((f) => f.action === 'GetAllowedImagesSettings')) missing.push('the Allowed AMIs state is unknown, so whether not-allowed AMIs are enforced there is unknown');
    if (failures.some((f) => REFERENCE_ACTIONS.has(f.action))) missing.push('what references their flagged AMIs (launch templates, SSM parameters, recipes) could not be read, so launchable-bad-ami findings there may be missing');
    return `all ${c.instanceCount} instances were listed and evaluated; only ${missing.join('; and ')}`;
  }
  return `${c.instanceCount} instances were read and evaluated; the rest could not be listed`;
}

/** The calls of the reference lookups (--references): their failure leaves every instance listed. */
const REFERENCE_ACTIONS = new Set(['DescribeImageReferences', 'DescribeAutoScalingGroups', 'DescribeLaunchTemplateVersions']);

/** The run stopped at its --deadline (the collector's warning, or a scope recorded DeadlineExceeded). */
export function deadlinePassed(report: Report): boolean {
  return (report.run.warnings ?? []).some((w) => w.startsWith("The run's deadline"))
    || report.coverage.some((c) => c.errorCode === 'DeadlineExceeded' || failuresOf(c).some((f) => f.code === 'DeadlineExceeded'));
}

export const SEVERITIES_DESC = [...SEVERITIES].reverse();

/** Why a baseline finding that is gone is unverified, not resolved: its scope's status in each run. */
export function unverifiedWhy(u: DiffUnverified, thisRun = 'this run'): string {
  if (u.notLookedAt === 'instance-ids') return `${thisRun} was narrowed to other instance ids`;
  if (u.notLookedAt === 'filters') return `${thisRun} used other filters`;
  if (u.notLookedAt === 'rule-off') return `the rule is off in ${thisRun}`;
  if (u.notLookedAt === 'owned-images') return `${thisRun} did not look at owned AMIs (it is not ami-audit images)`;
  if (u.notLookedAt === 'references') return `${thisRun} did not look up what references the AMI (no --references, a failed lookup, or no instance runs it now)`;
  if (u.scope.current === 'absent') return `scope not in ${thisRun}`;
  if (u.scope.current !== 'ok') return `scope ${u.scope.current} in ${thisRun}`;
  return u.scope.baseline === 'absent' ? 'scope not in the baseline' : `scope ${u.scope.baseline} in the baseline`;
}

/** What changed about a finding present in both runs: severity and/or waiver status. */
export function changeText(c: DiffChange): string {
  const parts: string[] = [];
  if (c.before.severity !== c.after.severity) parts.push(`${c.before.severity} → ${c.after.severity}`);
  if (c.before.waived !== c.after.waived) parts.push(c.after.waived ? 'now waived' : 'no longer waived');
  return parts.join(', ');
}

/** Unverified findings grouped by scope and reason, by account and region. */
export function unverifiedByScope(d: ReportDiff, thisRun = 'this run'): { accountId: string; region: string; why: string; count: number }[] {
  const groups = new Map<string, { accountId: string; region: string; why: string; count: number }>();
  for (const u of d.unverified) {
    const why = unverifiedWhy(u, thisRun);
    const key = `${u.accountId}\u0000${u.region}\u0000${why}`;
    const g = groups.get(key);
    if (g) g.count += 1;
    else groups.set(key, { accountId: u.accountId, region: u.region, why, count: 1 });
  }
  return [...groups.values()].sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.region, b.region) || cmp(a.why, b.why));
}

/** The diff's buckets, in the order every output lists them (`escalated` only in a diff that has it: schema 3). */
export const DIFF_BUCKETS = ['new', 'escalated', 'resolved', 'unverified', 'changed', 'unchanged'] as const;
export type DiffBucket = (typeof DIFF_BUCKETS)[number];

/** The buckets of this diff: `escalated` only when the diff counts escalations (a version 2 diff does not). */
export function diffBuckets(d: ReportDiff): DiffBucket[] {
  return DIFF_BUCKETS.filter((b) => b !== 'escalated' || typeof d.counts.escalated === 'number');
}

/** The count of one bucket (0 for `escalated` in a diff without it). */
export function diffCount(d: ReportDiff, b: DiffBucket): number {
  return d.counts[b] ?? 0;
}

/** The one-line count of a diff, every bucket, in the same words everywhere. */
export function diffCounts(d: ReportDiff): string {
  return diffBuckets(d).map((b) => `${diffCount(d, b)} ${b}`).join(', ');
}

/** An escalation, short, as changeText words a change: `deprecation-soon → deprecated-ami`. */
export function escalationText(e: DiffEscalation): string {
  return `${e.from.ruleId} → ${e.ruleId}`;
}

/**
 * Both sides of a diff, by run id and as-of: `run B (as of 2026-11-19T00:00:00Z)` and `run C (as
 * of 2026-11-26T00:00:00Z)`. The newer side is the diff's own (schema 3), or the report's run.
 */
export function diffSides(d: ReportDiff, run: { id: string; asOf: string }): { baseline: string; current: string } {
  const current = d.current ?? { runId: run.id, asOf: run.asOf };
  return { baseline: `run ${d.baseline.runId} (as of ${d.baseline.asOf})`, current: `run ${current.runId} (as of ${current.asOf})` };
}

export type DiffStatus = 'new' | 'escalated' | 'changed' | 'unchanged';

/**
 * Where each finding of this run stands against the baseline: `new`, `escalated` (from which
 * rule), `changed` (with how) or `unchanged`. One place for the CSV's diffStatus column and the
 * HTML's Change column.
 */
export function diffStatusOf(d: ReportDiff): (id: string) => { status: DiffStatus; detail: string } {
  const newIds = new Set(d.new.map((x) => x.id));
  const escalated = new Map((d.escalated ?? []).map((e) => [e.id, escalationText(e)]));
  const changed = new Map(d.changed.map((c) => [c.id, changeText(c)]));
  return (id) => {
    if (newIds.has(id)) return { status: 'new', detail: '' };
    const from = escalated.get(id);
    if (from !== undefined) return { status: 'escalated', detail: from };
    const how = changed.get(id);
    return how === undefined ? { status: 'unchanged', detail: '' } : { status: 'changed', detail: how };
  };
}

/* ---- the run history (schema 3): absent in a report without one ---- */

/** `overdue 3, oldest 150 days` (null without a history): the terminal line and the first screen say the same. */
export function overdueText(h: ReportHistory): string {
  return `overdue ${h.overdue}${h.oldestOverdue ? `, oldest ${plural(h.oldestOverdue.ageDays, 'day')}` : ''}`;
}

/** Overdue findings by severity, worst first: `2 high, 1 medium`; '' when none. */
export function overdueSeverities(h: ReportHistory): string {
  return SEVERITIES_DESC.filter((s) => (h.overdueBySeverity[s] ?? 0) > 0).map((s) => `${h.overdueBySeverity[s]} ${s}`).join(', ');
}

/** The severities a trend or a median shows: those with a value somewhere, worst first (info only when it has one). */
export function trendSeverities(h: ReportHistory): Severity[] {
  return SEVERITIES_DESC.filter((s) => s !== 'info' || h.trend.some((t) => (t.open[s] ?? 0) > 0));
}

/** Open findings at one recorded run, every severity. */
export function trendTotal(t: ReportHistory['trend'][number]): number {
  return SEVERITIES.reduce((n, s) => n + (t.open[s] ?? 0), 0);
}

/** The trend on one line: `open findings over 5 runs: 22 → 20 → 19 → 16 → 14 (high 9 → 6, medium ...)`. */
export function trendLine(h: ReportHistory): string {
  const totals = h.trend.map((t) => String(trendTotal(t))).join(' → ');
  const bySev = trendSeverities(h).filter((s) => h.trend.some((t) => (t.open[s] ?? 0) > 0))
    .map((s) => `${s} ${h.trend[0]!.open[s] ?? 0} → ${h.trend[h.trend.length - 1]!.open[s] ?? 0}`);
  return `open findings over ${plural(h.trend.length, 'run')}: ${totals}${bySev.length ? ` (${bySev.join(', ')})` : ''}`;
}

/** Median days to fix by severity, those with one: `high 12 days, medium 33 days`; '' when nothing was ever resolved. */
export function medianText(h: ReportHistory): string {
  return SEVERITIES_DESC.filter((s) => h.medianDaysToFix[s] !== null && h.medianDaysToFix[s] !== undefined)
    .map((s) => `${s} ${plural(h.medianDaysToFix[s]!, 'day')}`).join(', ');
}

/** A finding's lifecycle in words, with its count of reopenings and what it escalated from. */
export function lifecycleText(f: Pick<Finding, 'lifecycle' | 'reopenedCount' | 'escalatedFrom'>): string {
  if (!f.lifecycle) return '';
  if (f.lifecycle === 'escalated' && f.escalatedFrom) return `escalated from ${f.escalatedFrom.ruleId}`;
  if (f.lifecycle === 'reopened' && (f.reopenedCount ?? 0) > 1) return `reopened (${f.reopenedCount} times)`;
  return f.lifecycle;
}

/** The date part of an ISO date-time: `2026-12-26`. */
export function dayOf(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}

/** Unverified findings counted by severity, worst first: "5 high, 1 medium". */
export function unverifiedSeverities(d: ReportDiff): string {
  return SEVERITIES_DESC.map((sev) => [sev, d.unverified.filter((u) => u.severity === sev).length] as const)
    .filter(([, n]) => n > 0).map(([sev, n]) => `${n} ${sev}`).join(', ');
}

export const UNVERIFIED_MEANS = 'gone, but the newer run could not check them (their scope was not ok in one of the two runs, or the run did not look): not resolved';

/** The grouped coverage gaps of the model, failures (error, partial) before skipped scopes, each group keeping the model's order. */
export function groupedGaps(report: Report, which: 'all' | 'failures' = 'all'): CoverageGap[] {
  const gaps = report.coverageGaps ?? [];
  const failures = gaps.filter((g) => g.status !== 'skipped');
  return which === 'failures' ? failures : [...failures, ...gaps.filter((g) => g.status === 'skipped')];
}

/**
 * A skipped scope in words: `skipped (SUSPENDED)` when its account is not ACTIVE in AWS
 * Organizations (the whole account was not audited), `skipped: not-enabled` for a region's reason.
 */
export function skippedText(reason: string): string {
  return isAccountState(reason) ? `skipped (${reason})` : `skipped: ${reason}`;
}

/** What a grouped gap is, without the hint: `error: AssumeRole AccessDenied`, `skipped: not-enabled`, `skipped (SUSPENDED)`. */
export function gapHead(g: CoverageGap): string {
  if (g.status === 'skipped') return skippedText(g.cause);
  return `${g.status}: ${g.action && g.action !== 'Run' ? `${g.action} ` : ''}${g.cause}`;
}

/** At most `max` items, then how many more: `a, b, c and 4 more`. */
export function listSome(items: string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** A whole number as people read it, with thousands separators: `137,191`. */
export function num(n: number): string {
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(n);
}

/** A count and its noun: `1 AMI`, `137,191 findings`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${num(n)} ${n === 1 ? word : many}`;
}

/** Where a grouped gap is: `in us-east-1`, `in 3 regions (a, b, c)`. */
export function gapWhere(g: CoverageGap, maxRegions: number): string {
  const regions = g.regions.length ? g.regions : [];
  if (regions.length === 0) return 'in the account';
  if (regions.length === 1) return `in ${regions[0]}`;
  return `in ${regions.length} regions (${listSome(regions, maxRegions)})`;
}

/** The AMI's owner: alias and id, or either; `label` names the id when it is an account the run knows (`222222222222 (payments-prod)`). */
export function planOwner(e: ImagePlanEntry, label: (accountId: string) => string = (id) => id): string {
  if (e.ownerAlias && e.ownerId) return `${e.ownerAlias} (${e.ownerId})`;
  return e.ownerAlias ?? (e.ownerId ? label(e.ownerId) : 'unknown owner');
}

/** Affected instances by state: `3 instances (2 running, 1 stopped)`. */
export function planInstances(e: ImagePlanEntry): string {
  const i = e.instances;
  const parts = [`${i.running} running`, ...(i.stopped ? [`${i.stopped} stopped`] : []), ...(i.other ? [`${i.other} other`] : [])];
  return `${plural(i.total, 'instance')} (${parts.join(', ')})`;
}

/** The rules an AMI trips, worst first as the model lists them: `deprecated-ami (high, 3)`. */
export function planRules(e: ImagePlanEntry): string {
  // an AMI whose findings are all waived counts them all: its rules carry no open finding
  return e.rules.map((r) => `${r.ruleId} (${r.severity}, ${e.findings === 0 ? 'waived' : r.findings})`).join(', ');
}

/** Unwaived findings of an AMI, with the waived ones when there are any: `3`, `3 (+1 waived)`. */
export function planFindings(e: ImagePlanEntry): string {
  return `${e.findings}${e.waived ? ` (+${e.waived} waived)` : ''}`;
}

/** How each type of resource that references an AMI reads (DescribeImageReferences' resource types). */
const RESOURCE_KINDS: Record<string, string> = {
  'ec2:LaunchTemplate': 'launch template',
  'ssm:Parameter': 'SSM parameter',
  'imagebuilder:ImageRecipe': 'Image Builder image recipe',
  'imagebuilder:ContainerRecipe': 'Image Builder container recipe',
};

/** `launch template`, `SSM parameter`, ...; a type this version does not know, as AWS names it. */
export function resourceKind(type: string): string {
  return Object.hasOwn(RESOURCE_KINDS, type) ? RESOURCE_KINDS[type]! : type;
}

/** Characters of a resource's name (or ARN, when it has no name) in its label: names come from AWS accounts. */
export const RESOURCE_NAME_MAX = 120;

/** One line, at most `max` characters: a name from outside, before each format escapes it its own way. */
function oneLine(s: string, max: number): string {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  const chars = [...flat];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}

/** The launch template id of a launch template ARN (`…:launch-template/lt-0123…`), or null. */
function launchTemplateId(arn: string): string | null {
  return /:launch-template\/(lt-[0-9a-zA-Z]+)$/.exec(arn)?.[1] ?? null;
}

/**
 * A resource that references an AMI, in words, for every format: what it is, its name, the launch
 * template's id and the versions: `launch template web-prod (lt-0de0…) v2`, `SSM parameter
 * /golden/ami/web`, `Image Builder image recipe base v1.0.0`. Without a name, the id or the ARN.
 * Raw text (one line, bounded): each format escapes it.
 */
export function resourceLabel(r: { type: string; arn: string; name: string | null; version: string | null }): string {
  const lt = r.type === 'ec2:LaunchTemplate' ? launchTemplateId(r.arn) : null;
  const name = r.name ? oneLine(r.name, RESOURCE_NAME_MAX) : null;
  const what = name ? (lt && lt !== r.name ? `${name} (${lt})` : name) : lt ?? oneLine(r.arn, RESOURCE_NAME_MAX);
  const versions = (r.version ?? '').split(',').map((v) => v.trim()).filter(Boolean).slice(0, 5).map((v) => `v${oneLine(v, 40)}`);
  return `${oneLine(resourceKind(r.type), 60)} ${what}${versions.length ? ` ${versions.join(', ')}` : ''}`;
}

/** resourceLabel of a reference of the plan. */
export function referenceLabel(r: ImageReference): string {
  return resourceLabel({ type: r.resourceType, arn: r.arn, name: r.name, version: r.version });
}

/**
 * What a finding is about, for display: the instance, or for a finding about a resource (a launch
 * template, SSM parameter or recipe that references the AMI: `resource` set, instanceId "") its
 * label, with its ARN.
 */
export function findingSubject(f: { instanceId: string; resource?: FindingResource | undefined }): { kind: 'instance' | 'resource'; label: string; arn: string | null } {
  if (f.resource) return { kind: 'resource', label: resourceLabel(f.resource), arn: f.resource.arn };
  // a baseline's finding about a resource, from a diff entry that does not carry it
  if (f.instanceId === '') return { kind: 'resource', label: '(a resource)', arn: null };
  return { kind: 'instance', label: f.instanceId, arn: null };
}

/**
 * The subject of a diff entry: the instance, or the resource of a finding about one (the entry's
 * own resource when it carries one, else that of this run's finding with its id).
 */
export function diffSubjects(report: Pick<Report, 'findings'>): (x: Pick<DiffEntry, 'id' | 'instanceId'> & { resource?: FindingResource | undefined }) => ReturnType<typeof findingSubject> {
  const current = new Map(report.findings.filter((f) => f.resource).map((f) => [f.id, f.resource!]));
  return (x) => findingSubject({ instanceId: x.instanceId, resource: x.resource ?? current.get(x.id) });
}

/** `Auto Scaling group web-prod`, `Auto Scaling groups a, b and 3 more`. */
export function groupsText(groups: readonly string[], max = 5): string {
  const names = groups.map((g) => oneLine(g, RESOURCE_NAME_MAX));
  return `Auto Scaling group${names.length === 1 ? '' : 's'} ${listSome(names, max)}`;
}

/** The Auto Scaling groups of an AMI's references, each once, in the plan's order (those of the first reference first). */
export function launchingGroups(refs: readonly ImageReference[]): string[] {
  return [...new Set(refs.flatMap((r) => r.usedBy))];
}

/**
 * The reference lookups of the run (`--references`), by status: null when no scope was looked up.
 * `images` counts the flagged AMIs looked up in ok scopes.
 */
export function referenceLookups(coverage: readonly CoverageEntry[]): { ok: number; error: number; skipped: number; images: number; apiCalls: number } | null {
  const withRefs = coverage.filter((c) => c.references);
  if (!withRefs.length) return null;
  const out = { ok: 0, error: 0, skipped: 0, images: 0, apiCalls: 0 };
  for (const c of withRefs) {
    const r = c.references!;
    out[r.status] += 1;
    if (r.status === 'ok') out.images += r.images;
    out.apiCalls += r.apiCalls;
  }
  return out;
}

/** A scope's reference lookup, short: `references: ok, 2 flagged AMIs looked up`, `references: error AccessDenied`, `references: skipped (nothing flagged)`. */
export function referenceLookupText(r: ReferenceCoverage): string {
  if (r.status === 'ok') return `references: ok, ${plural(r.images, 'flagged AMI')} looked up`;
  if (r.status === 'skipped') return `references: skipped (${r.code === 'nothing-flagged' ? 'nothing flagged' : r.code ?? 'no reason given'})`;
  return `references: error ${r.code ?? 'unknown'}`;
}

/**
 * One Allowed AMIs criterion in words, the parameters it specifies: `providers amazon; names al2023-*;
 * product codes abc; created at most 300 days ago; deprecated at most 30 days`. Raw text: each format escapes it.
 */
export function criterionText(c: ImageCriterion, maxItems = 10): string {
  const list = (xs: readonly string[]) => listSome(xs.map((x) => oneLine(String(x), 80)), maxItems);
  const parts: string[] = [];
  if (c.imageProviders?.length) parts.push(`providers ${list(c.imageProviders)}`);
  if (c.imageNames?.length) parts.push(`names ${list(c.imageNames)}`);
  if (c.marketplaceProductCodes?.length) parts.push(`product codes ${list(c.marketplaceProductCodes)}`);
  if (typeof c.maximumDaysSinceCreated === 'number') parts.push(`created at most ${c.maximumDaysSinceCreated} days ago`);
  if (typeof c.maximumDaysSinceDeprecated === 'number') parts.push(c.maximumDaysSinceDeprecated === 0 ? 'not deprecated' : `deprecated at most ${c.maximumDaysSinceDeprecated} days`);
  return parts.length ? parts.join('; ') : 'no parameter (every image)';
}

/** Who set a region's criteria, in words. */
export function managedByText(managedBy: string | null | undefined): string {
  if (managedBy === 'declarative-policy') return 'a declarative policy of the organisation';
  if (managedBy === 'account') return 'the account';
  return managedBy ? oneLine(managedBy, 60) : 'unknown';
}

/**
 * The AMIs of the plan with unwaived findings, in its order: what "N AMIs" counts in every summary
 * (the plan lists the AMIs whose findings are all waived after them).
 */
export function flaggedImages(report: Pick<Report, 'images'>): ImagePlanEntry[] {
  return (report.images ?? []).filter((e) => e.findings > 0);
}

/** One rule's share of the plan: its unwaived findings, its worst severity, and its AMIs in plan order. */
export interface RuleShare { ruleId: string; severity: ImagePlanEntry['worstSeverity']; findings: number; images: ImagePlanEntry[] }

/**
 * Every rule with unwaived findings, with the AMIs it flags in the plan's order, so that each rule
 * gets its own line and its own top AMIs: an AMI that is deprecated, deregistered or disabled is
 * named even when the plan's first places go to rules with more findings. Rules in the order the
 * report lists them (the registry's), each once.
 */
export function ruleShares(report: Pick<Report, 'images' | 'rules'>): RuleShare[] {
  const shares = new Map<string, RuleShare>();
  const rank = (s: ImagePlanEntry['worstSeverity']): number => SEVERITIES.indexOf(s);
  for (const e of flaggedImages(report)) {
    for (const r of e.rules) {
      if (r.findings <= 0) continue;
      const share = shares.get(r.ruleId) ?? { ruleId: r.ruleId, severity: r.severity, findings: 0, images: [] };
      share.findings += r.findings;
      if (rank(r.severity) > rank(share.severity)) share.severity = r.severity;
      share.images.push(e);
      shares.set(r.ruleId, share);
    }
  }
  const order = new Map(report.rules.map((r, i) => [r.id, i]));
  return [...shares.values()].sort((a, b) => (order.get(a.ruleId) ?? order.size) - (order.get(b.ruleId) ?? order.size) || cmp(a.ruleId, b.ruleId));
}
