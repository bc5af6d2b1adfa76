/**
 * The HTML report: one self-contained file (no CDN, no network) from Handlebars templates.
 * Every string of the view is cleaned (sanitize.ts: cleanText), then goes through Handlebars'
 * escaping ({{ }}, never {{{ }}}); the
 * findings are embedded once as JSON, escaped against </script>, and drawn by a small script
 * that pages and filters them, so the file stays usable at tens of thousands of findings.
 */
import { createHash } from 'node:crypto';
import { ownedImagesView, ownedPlanUsage, type OwnedPlanUsage } from './owned.js';
import Handlebars from 'handlebars';
import { DateTime } from 'luxon';
import type { CoverageEntry, DiffEntry, Finding, ImagePlanEntry, Report, ReportDiff, ReportHistory, RunOptions, Severity, WhatIf } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { cmp } from '../model/ids.js';
import { controlSummary, controlsText, ruleControls } from './controls.js';
import { WHATIF_REASON, whatIfLine, whatIfNotEvaluated } from './whatif.js';

/** What-if AMIs listed in the HTML; the JSON and the -whatif.csv have them all. */
const WHATIF_ROWS = 50;
/** Scopes the what-if did not evaluate that the page names (the -whatif.csv and the JSON have every one). */
const WHATIF_SCOPES = 50;
import { cleanDeep, jsonForScript } from './sanitize.js';
import { accountIndex, isAccountState, type AccountIndex } from './accounts.js';
import { rolloutLines, rolloutPlan, successorLines } from './successor.js';
import { DAY_MS, parseInstantMs } from '../model/time.js';
import {
  changeText, coverageGaps, criterionText, deadlinePassed, diffBuckets, diffCount, diffStatusOf, diffSubjects, failureHead, failureMessage, failuresOf, findingSubject, gapCell,
  gapMeaning, gapText, groupsText, launchingGroups, listSome, managedByText, plural, referenceLabel, referenceLookups, referenceLookupText, SEVERITIES_DESC, skippedText,
  UNVERIFIED_MEANS, unverifiedByScope, unverifiedSeverities, unverifiedWhy, dayOf, diffSides, escalationText, lifecycleText, medianText, overdueSeverities, trendSeverities,
  trendTotal,
} from './summary.js';

export interface TemplateSet {
  /** templates/report.hbs */
  main: string;
  /** templates/partials/*.hbs by file name without extension */
  partials: Record<string, string>;
  /** templates/report.css and templates/report.js, inlined verbatim */
  css: string;
  js: string;
}

const compiled = new WeakMap<TemplateSet, Handlebars.TemplateDelegate>();

function compile(t: TemplateSet): Handlebars.TemplateDelegate {
  let fn = compiled.get(t);
  if (fn) return fn;
  const hb = Handlebars.create();
  for (const [name, src] of Object.entries(t.partials)) hb.registerPartial(name, src);
  hb.registerHelper('jsonScript', (v: unknown) => new hb.SafeString(jsonForScript(v)));
  hb.registerHelper('inlineCss', () => new hb.SafeString(t.css.replace(/<\/style/gi, '<\\/style')));
  hb.registerHelper('inlineJs', () => new hb.SafeString(t.js));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('num', (v: unknown) => (typeof v === 'number' ? formatNumber(v) : v));
  hb.registerHelper('pageCss', (header: unknown) => new hb.SafeString(printPageCss(String(header))));
  fn = hb.compile(t.main, { strict: false, noEscape: false });
  compiled.set(t, fn);
  return fn;
}

const NUMBER = new Intl.NumberFormat('en-US');
/** A count as the page writes it: `137,191`. */
export function formatNumber(n: number): string {
  return NUMBER.format(n);
}

/** A CSS string literal: every character but plain letters, digits and a little punctuation as a CSS escape (so nothing can end the string or the style element). */
function cssString(s: string): string {
  return `"${[...s].map((c) => (/^[A-Za-z0-9 ,.:_()/-]$/.test(c) ? c : `\\${c.codePointAt(0)!.toString(16)} `)).join('')}"`;
}

/**
 * The printed page's margins: the run, its as-of and its verdict at the top of every page, the
 * page number and count at the bottom (CSS page-margin boxes; the coverage matrix prints on
 * landscape pages of its own, report.css).
 */
function printPageCss(header: string): string {
  const font = 'font: 8pt system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #444;';
  return `@media print { @page { @top-left { content: ${cssString(header)}; ${font} } @bottom-right { content: "Page " counter(page) " of " counter(pages); ${font} } } }`;
}

/** Below this many findings the findings tables print by default ("Print this table too" starts ticked). */
export const PRINT_FINDINGS_BELOW = 500;

const SEV_COLOURS: Record<Severity, string> = { critical: '#7f1d1d', high: '#c62828', medium: '#ef6c00', low: '#9e9d24', info: '#546e7a' };

/** Severities worst first, as the page's data and filters index them. */
const SEV_ORDER = SEVERITIES_DESC as readonly Severity[];

interface Segment { sev: Severity; x: number; width: number; count: number }
interface Bar { label: string; name: string | null; key: string; kind: string; count: number; y: number; width: number; textX: number; sev: Severity | 'off'; segments: Segment[] }

/** The chart geometry the page's script draws too (templates/report.js: LABEL_W, BAR_W, ROW_H). */
const LABEL_W = 178, BAR_W = 360, ROW_H = 22;

/** Horizontal bars, each split into severity segments (worst first), scaled to the longest. */
function bars(kind: string, entries: { label: string; name?: string | null; sev?: Severity | 'off'; bySev: Partial<Record<Severity, number>> }[]): { bars: Bar[]; height: number } {
  const totals = entries.map((e) => SEV_ORDER.reduce((n, sev) => n + (e.bySev[sev] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const out = entries.map((e, i) => {
    const count = totals[i]!;
    let x = 0;
    const segments: Segment[] = [];
    for (const sev of SEV_ORDER) {
      const n = e.bySev[sev] ?? 0;
      if (n <= 0) continue;
      const w = Math.max(2, Math.round((n / max) * BAR_W));
      segments.push({ sev, x: LABEL_W + x, width: w, count: n });
      x += w;
    }
    return { label: e.label, name: e.name ?? null, key: e.label, kind, count, y: i * ROW_H, width: x, textX: LABEL_W + x + 6, sev: e.sev ?? SEV_ORDER.find((s) => (e.bySev[s] ?? 0) > 0) ?? 'info', segments };
  });
  return { bars: out, height: Math.max(ROW_H, entries.length * ROW_H) };
}

/** Unwaived findings counted by a key and severity. */
function countBy(findings: Finding[], key: (f: Finding) => string): Map<string, Partial<Record<Severity, number>>> {
  const m = new Map<string, Partial<Record<Severity, number>>>();
  for (const f of findings) {
    if (f.waiver) continue;
    const k = key(f);
    const c = m.get(k) ?? {};
    c[f.severity] = (c[f.severity] ?? 0) + 1;
    m.set(k, c);
  }
  return m;
}

const SEV_RANK_OF = (s: Severity | 'off') => (s === 'off' ? -1 : SEVERITIES.indexOf(s));

/** The scopes the what-if did not evaluate, as the page names them: an organisation has thousands, so a few, then how many more. */
function notEvaluatedView(scopes: WhatIf['scopes'], accounts: AccountIndex): { notEvaluated: { account: string; region: string; why: string | null }[]; notEvaluatedMore: number } {
  return {
    notEvaluated: scopes.slice(0, WHATIF_SCOPES).map((x) => ({ account: accounts.label(x.accountId), region: x.region, why: WHATIF_REASON[x.reason ?? ''] ?? x.reason })),
    notEvaluatedMore: Math.max(0, scopes.length - WHATIF_SCOPES),
  };
}

/**
 * Deprecations ahead of as-of, per week, for the next 90 days (instances evaluated, unwaived or
 * not). Computed here, from the one strict parser the rules use (src/model/time.ts), so the chart
 * counts exactly the dates the rules accept; the page's script draws nothing from raw strings.
 */
function deprecationTimeline(report: Report): { weeks: { label: string; count: number; x: number; y: number; height: number }[]; total: number; chartHeight: number } {
  const asOfMs = parseInstantMs(report.run.asOf) ?? 0;
  const asOf = DateTime.fromMillis(asOfMs, { zone: 'utc' }).setLocale('en-US');
  const weeks = Array.from({ length: 13 }, (_, i) => ({ start: asOf.plus({ weeks: i }), count: 0 }));
  let total = 0;
  const endMs = asOfMs + 90 * DAY_MS;
  const parsed = new Map<string, number | null>();
  for (const i of report.instances) {
    const raw = i.ImageMetadata?.DeprecationTime;
    if (!raw || i.State?.Name === 'terminated') continue;
    let ms = parsed.get(raw);
    if (ms === undefined) parsed.set(raw, (ms = parseInstantMs(raw)));
    if (ms === null || ms <= asOfMs || ms > endMs) continue;
    const w = Math.min(12, Math.floor((ms - asOfMs) / (7 * DAY_MS)));
    weeks[w]!.count += 1;
    total += 1;
  }
  const max = Math.max(1, ...weeks.map((w) => w.count));
  const chartHeight = 120;
  return {
    weeks: weeks.map((w, i) => {
      const height = Math.round((w.count / max) * (chartHeight - 20));
      return { label: w.start.toFormat('LLL d'), count: w.count, x: i * 44, y: chartHeight - height, height };
    }),
    total,
    chartHeight,
  };
}

/** A cell's text in pieces the page may break between (`<wbr>`): after punctuation and between the words of a CamelCase error code. */
function breakable(text: string): string[] {
  return text.split(/(?<=[a-z])(?=[A-Z])|(?<=[-:;,/])(?=\S)/);
}

/**
 * The coverage matrix: a row per account (its name beside the id, its OU path for the OU filter),
 * a cell per region. An account skipped for its Organizations state says so in its row.
 */
function matrix(coverage: CoverageEntry[], regions: string[], accounts: AccountIndex) {
  const ouIndexes = ouIndexer(accounts);
  const byAccount = new Map<string, Map<string, CoverageEntry>>();
  const wildcard = new Map<string, CoverageEntry>();
  for (const c of coverage) {
    if (c.region === '*') wildcard.set(c.accountId, c);
    const m = byAccount.get(c.accountId) ?? new Map<string, CoverageEntry>();
    m.set(c.region, c);
    byAccount.set(c.accountId, m);
  }
  return [...byAccount.keys()].sort(cmp).map((accountId) => {
    const m = byAccount.get(accountId)!;
    const all = wildcard.get(accountId);
    const label = accounts.label(accountId);
    const entries = [...m.values()];
    // every scope of the account skipped for one state of the account: not audited at all
    const states = new Set(entries.map((c) => (c.status === 'skipped' && isAccountState(c.reason) ? c.reason : null)));
    const state = states.size === 1 ? [...states][0] ?? null : null;
    return {
      accountId,
      name: accounts.name(accountId),
      ouPath: accounts.ouPath(accountId),
      ouIndexes: ouIndexes(accountId)?.join(' ') ?? null,
      skippedAs: state ? skippedText(state) : null,
      cells: regions.map((region) => {
        const c = m.get(region) ?? all;
        if (!c) return { cls: 'none', text: '', title: `${label} / ${region}: not scanned` };
        const text = c.status === 'ok' ? formatNumber(c.instanceCount) : c.status === 'skipped' ? 'skip' : gapCell(c);
        const refs = c.references ? `; ${referenceLookupText(c.references)}` : '';
        const title = `${label} / ${region}: ${c.status === 'ok' ? `ok, ${c.instanceCount} instances, ${c.pageCount} pages` : gapText(c)}${refs}`;
        return { cls: c.status, text, parts: breakable(text), title };
      }),
    };
  });
}

/**
 * For an account, the indexes of its OU and the OUs above it among the OU filter's choices
 * (AccountIndex.ous): the page filters by these, never by splitting a path.
 */
function ouIndexer(accounts: AccountIndex): (accountId: string) => number[] | null {
  const index = new Map(accounts.ous().keys.map((k, i) => [k, i]));
  return (id) => accounts.ouKeys(id)?.map((k) => index.get(k)!) ?? null;
}

/** The rules, accounts and regions of the findings, each once and in order: the page's data indexes them. */
function dictionaries(findings: readonly Finding[]): { rules: string[]; accounts: string[]; regions: string[] } {
  const dict = (values: string[]) => [...new Set(values)].sort(cmp);
  return { rules: dict(findings.map((f) => f.ruleId)), accounts: dict(findings.map((f) => f.accountId)), regions: dict(findings.map((f) => f.region)) };
}

/**
 * The findings table's data: dictionaries for repeated values, one array per finding. Beside the
 * account ids, their names and OU paths (null when unknown), and the OU filter's choices: every OU
 * path and the OUs above it (`noOu`: some account has none). A finding about a resource has one
 * more element than an instance finding: [label, ARN, Auto Scaling groups] (templates/report.js: SUBJECT).
 */
export function tableData(findings: Finding[], diff: ReportDiff | null, images: ImagePlanEntry[] = [], tagColumns: string[] = [], directory: AccountIndex = accountIndex({ accounts: [] }), ruleInfos: Report['rules'] = [], shown: Finding[] = findings) {
  const statusOf = diff ? diffStatusOf(diff) : null;
  const sev = SEVERITIES_DESC as readonly string[];
  const { rules, accounts, regions } = dictionaries(findings);
  const idx = (list: readonly string[]) => new Map(list.map((v, i) => [v, i]));
  const si = idx(sev), ri = idx(rules), ai = idx(accounts), gi = idx(regions);
  // The plan entry of each finding's AMI (null groups the findings whose AMI id is unknown).
  const plan = new Map<string | null, number>(images.map((img, i) => [img.imageId, i]));
  // Keyed by waiver ids, which come from config files and saved reports: a Map, so that an id such
  // as __proto__ is a key like any other, turned into own properties of the page's JSON.
  const waiverMap = new Map<string, { reason: string; expires: string; ticket: string | null }>();
  for (const f of findings) {
    for (const w of [f.waiver, f.expiredWaiver]) if (w) waiverMap.set(w.id, { reason: w.reason, expires: w.expires, ticket: w.ticket });
  }
  const waivers = Object.fromEntries(waiverMap) as Record<string, { reason: string; expires: string; ticket: string | null }>;
  const ous = directory.ous();
  const ouIndexes = ouIndexer(directory);
  const controlsOf = ruleControls({ rules: ruleInfos });
  return {
    sev, rules, accounts, regions, waivers, tagColumns,
    /** Per rule of `rules`: its compliance controls in one line (the rule cell's second line). */
    ruleControls: rules.map((id) => controlsText(controlsOf(id))),
    accountNames: accounts.map((id) => directory.name(id)),
    /** Per account: the indexes in `ous` of its OU and the OUs above it (null: no OU). */
    accountOus: accounts.map((id) => ouIndexes(id)),
    accountOuPaths: accounts.map((id) => directory.ouPath(id)),
    ous: ous.paths,
    /** The OU choices' keys (the OU ids from the root), for the filter in the URL fragment. */
    ouKeys: ous.keys,
    noOu: ous.none,
    /** Per plan entry: its AMI id and name, for the plan's instance lists. */
    images: images.map((img) => [img.imageId, img.name]),
    /** The findings drawn instance by instance: every one, or above GROUPED_ABOVE a sample (`grouped`). */
    rows: shown.map((f) => {
      const d = statusOf?.(f.id);
      return [
        si.get(f.severity), ri.get(f.ruleId), ai.get(f.accountId), gi.get(f.region), f.instanceId, f.instanceName, f.imageId, f.imageName,
        f.message, f.waiver?.id ?? null, f.expiredWaiver?.id ?? null, d?.status ?? null, d?.detail || null,
        f.instanceState ?? null, tagColumns.length ? tagColumns.map((_, i) => f.tags?.[i] ?? null) : null, plan.get(f.imageId) ?? null,
        // a finding about a resource (a launch template...): its label, ARN and Auto Scaling groups; instance rows end before
        ...(f.resource ? [[findingSubject(f).label, f.resource.arn, [...f.resource.usedBy]]] : []),
      ];
    }),
  };
}

/**
 * Above this many findings the page shows them grouped by severity, rule and AMI, with their
 * counts by account and region, and instance rows only for a sample: the whole detail stays in
 * the CSV and JSON reports (issue 22: the organisation's HTML within 10 MB and fast in a browser).
 */
export const GROUPED_ABOVE = 5_000;
/** Instance rows of the grouped page's sample, at most, and at most this many of each group (open, then waived). */
const SAMPLE_ROWS = 5_000, SAMPLE_PER_GROUP = 20;
/** Count cells (a group's findings in one account and region) the grouped page holds at most; groups past it are left out and counted. */
const MAX_CELLS = 250_000;
/**
 * Combinations of tag values the cells count by, at most: tag columns with more (a Name tag, an id)
 * are not counted by, and their filters narrow the sample only (the page says so).
 */
const MAX_TAG_COMBOS = 2_000;

/** Where the page's reader finds every finding: the run's CSV and JSON files, by name when the edge gave them. */
export interface DetailFiles {
  /** The files' common name (`ami-audit-20261126-000000`), without a suffix. */
  stem?: string;
  /** The formats the run writes (`--format`). */
  formats?: readonly string[];
}

/** `ami-audit-….csv and ami-audit-….json`, or what to do when the run wrote neither. */
export function detailFilesText(files: DetailFiles = {}): string {
  if (!files.stem || !files.formats) return 'the findings CSV and the JSON report of this run';
  const names = [files.formats.includes('csv') ? `${files.stem}.csv` : null, files.formats.includes('json') ? `${files.stem}.json` : null].filter((x): x is string => x !== null);
  if (names.length === 0) return 'the findings CSV and the JSON report, which this run did not write (--format): run it with --format csv or json to have them';
  return names.join(' and ');
}

/** Up to `n` of a group's findings, one account after another so that the sample spans the accounts (the findings' own order within each). */
function spread(list: readonly Finding[], n: number): Finding[] {
  if (list.length <= n) return [...list];
  const byAccount = new Map<string, Finding[]>();
  for (const f of list) {
    const b = byAccount.get(f.accountId);
    if (b) b.push(f);
    else byAccount.set(f.accountId, [f]);
  }
  const buckets = [...byAccount.values()];
  const out: Finding[] = [];
  for (let round = 0; out.length < n; round++) {
    for (const b of buckets) {
      if (round < b.length) out.push(b[round]!);
      if (out.length === n) break;
    }
  }
  return out;
}

/**
 * The grouped findings (above GROUPED_ABOVE): a group per severity, rule, AMI and kind of subject
 * (instance or resource), in plan order, worst first; per group its findings counted by account,
 * region (and tag values) as flat cells `[account, region, (tag values,) open, waived, (overdue)]`
 * indexing the table's dictionaries, so that every filter of the page answers with exact counts;
 * and the sample of findings drawn instance by instance.
 */
function groupedData(findings: readonly Finding[], images: readonly ImagePlanEntry[], dict: { rules: string[]; accounts: string[]; regions: string[] }, tagColumns: readonly string[], history: boolean) {
  const sev = SEVERITIES_DESC as readonly string[];
  const idx = (list: readonly string[]) => new Map(list.map((v, i) => [v, i]));
  const si = idx(sev), ri = idx(dict.rules), ai = idx(dict.accounts), gi = idx(dict.regions);
  const plan = new Map<string | null, number>(images.map((img, i) => [img.imageId, i]));
  const byKey = new Map<string, { sev: number; rule: number; plan: number | null; resource: boolean; imageId: string | null; imageName: string | null; list: Finding[] }>();
  for (const f of findings) {
    const key = `${f.severity}\u0000${f.ruleId}\u0000${f.imageId ?? ''}\u0000${f.resource ? 1 : 0}`;
    let g = byKey.get(key);
    if (!g) byKey.set(key, (g = { sev: si.get(f.severity)!, rule: ri.get(f.ruleId)!, plan: plan.get(f.imageId) ?? null, resource: Boolean(f.resource), imageId: f.imageId, imageName: f.imageName, list: [] }));
    g.list.push(f);
  }
  const order = [...byKey.values()].sort((a, b) => (a.plan ?? Infinity) - (b.plan ?? Infinity) || a.sev - b.sev || a.rule - b.rule || Number(a.resource) - Number(b.resource) || cmp(a.imageId ?? '', b.imageId ?? ''));
  // tag values in combinations, each once, indexed from the cells
  const combos: (string | null)[][] = [];
  const comboIndex = new Map<string, number>();
  const comboOf = (f: Finding) => {
    const values = tagColumns.map((_, i) => f.tags?.[i] ?? null);
    const k = JSON.stringify(values);
    let n = comboIndex.get(k);
    if (n === undefined) { comboIndex.set(k, (n = combos.length)); combos.push(values); }
    return n;
  };
  const tagKeys = new Set<string>();
  if (tagColumns.length) for (const f of findings) if (tagKeys.add(JSON.stringify(tagColumns.map((_, i) => f.tags?.[i] ?? null))).size > MAX_TAG_COMBOS) break;
  const byTags = tagColumns.length > 0 && tagKeys.size <= MAX_TAG_COMBOS;
  const perGroup = Math.max(1, Math.min(SAMPLE_PER_GROUP, Math.floor(SAMPLE_ROWS / Math.max(1, order.length))));
  const groups: unknown[][] = [];
  const sample: Finding[] = [];
  let cellCount = 0, omittedGroups = 0, omittedFindings = 0;
  for (const g of order) {
    const cells = new Map<string, number[]>();
    for (const f of g.list) {
      const a = ai.get(f.accountId)!, r = gi.get(f.region)!;
      const t = byTags ? comboOf(f) : null;
      const k = t === null ? `${a}|${r}` : `${a}|${r}|${t}`;
      let c = cells.get(k);
      if (!c) cells.set(k, (c = [...(t === null ? [a, r] : [a, r, t]), 0, 0, ...(history ? [0] : [])]));
      const at = t === null ? 2 : 3;
      if (f.waiver) c[at + 1]! += 1;
      else c[at]! += 1;
      if (history && f.overdue) c[at + 2]! += 1;
    }
    if (groups.length > 0 && cellCount + cells.size > MAX_CELLS) {
      omittedGroups += 1;
      omittedFindings += g.list.length;
      continue;
    }
    cellCount += cells.size;
    const open = g.list.filter((f) => !f.waiver), waived = g.list.filter((f) => f.waiver);
    const picked = [...spread(open, perGroup), ...spread(waived, perGroup)];
    sample.push(...picked);
    groups.push([g.sev, g.rule, g.plan, g.resource ? 1 : 0, g.imageId, g.imageName, [...cells.values()].flat(), picked.length]);
  }
  return {
    /** Numbers per cell: account, region, (tag values,) open, waived, (overdue). */
    width: 4 + (byTags ? 1 : 0) + (history ? 1 : 0),
    /** null: the cells are not counted by tag values (none asked for, or too many), and the tag filters narrow the sample only. */
    tagCombos: byTags ? combos : null,
    groups,
    findings: findings.length,
    omitted: { groups: omittedGroups, findings: omittedFindings },
    sample,
  };
}

/** At most `n` values, then how many more: "a, b, c +4". */
function few(values: string[], n: number): string {
  return values.length <= n ? values.join(', ') : `${values.slice(0, n).join(', ')} +${values.length - n}`;
}

/** One AMI of the plan as the page shows it. */
function planRow(img: ImagePlanEntry, i: number, asOfMs: number, accounts: AccountIndex, owned: OwnedPlanUsage | null) {
  const deprecatesMs = img.deprecationTime === null ? null : parseInstantMs(img.deprecationTime);
  return {
    index: i,
    priority: img.priority,
    imageId: img.imageId ?? '(unknown AMI)',
    name: img.name,
    ownerAlias: img.ownerAlias,
    ownerId: img.ownerId,
    /** The AMI's owner, when it is an account the run knows by name. */
    ownerName: img.ownerId ? accounts.name(img.ownerId) : null,
    state: img.state ?? 'unknown',
    deprecationTime: img.deprecationTime,
    /** "deprecated" once the date has passed at as-of, "deprecates" before it. */
    deprecationVerb: deprecatesMs !== null && deprecatesMs > asOfMs ? 'deprecates' : 'deprecated',
    worst: img.worstSeverity,
    // an AMI whose findings are all waived counts them all: its rules carry no open finding
    rules: [...img.rules].sort((a, b) => SEV_RANK_OF(b.severity) - SEV_RANK_OF(a.severity) || b.findings - a.findings || cmp(a.ruleId, b.ruleId))
      .map((r) => ({ ...r, label: img.findings === 0 ? 'waived' : String(r.findings) })),
    instances: img.instances,
    /** An owned AMI (images run): its consumers from the usage report, or a pointer to "Your AMIs", instead of 0 instances. */
    owned,
    accounts: img.accounts.length,
    accountsText: few(img.accounts, 3),
    accountsTitle: img.accounts.map(accounts.label).join(', '),
    regions: img.regions.length,
    regionsText: few(img.regions, 3),
    /** The first regions, each kept whole on a line, and how many more. */
    regionsShown: img.regions.slice(0, 3),
    regionsMore: Math.max(0, img.regions.length - 3),
    /** The deprecation time in two pieces a line may break between (the day, the time of day), never inside either. */
    deprecationParts: img.deprecationTime === null ? null : img.deprecationTime.split(/(?=T)/),
    regionsTitle: img.regions.join(', '),
    findings: img.findings,
    waived: img.waived,
    /** With a run history: the earliest first sight of its findings (a day) and its overdue findings. */
    firstSeen: img.oldestFirstSeenAt ? dayOf(img.oldestFirstSeenAt) : null,
    overdue: img.overdue ?? 0,
    ...planReferences(img, accounts),
    /** --successors: what to replace it with, per region. */
    successors: successorLines(img, asOfMs),
  };
}

/** How each severity's line of the trend chart is drawn: its colour, a dash pattern and a marker, so it reads in print without colour. */
const TREND_STYLE: Record<Severity, { dash: string; marker: 'square' | 'circle' | 'triangle' | 'diamond' | 'cross' }> = {
  critical: { dash: '', marker: 'square' },
  high: { dash: '7 3', marker: 'circle' },
  medium: { dash: '2 3', marker: 'triangle' },
  low: { dash: '9 3 2 3', marker: 'diamond' },
  info: { dash: '1 3', marker: 'cross' },
};

/** The trend chart's geometry: plot area from TREND_X0 to TREND_X1, TREND_Y0 (top) to TREND_Y1 (the zero line). */
const TREND_W = 620, TREND_X0 = 44, TREND_X1 = 520, TREND_Y0 = 14, TREND_Y1 = 160, TREND_H = 196;

/** A marker's SVG path, centred on (x, y). */
function markerPath(kind: (typeof TREND_STYLE)[Severity]['marker'], x: number, y: number): string {
  const r = 4;
  switch (kind) {
    case 'square': return `M${x - r},${y - r}h${2 * r}v${2 * r}h${-2 * r}z`;
    case 'triangle': return `M${x},${y - r - 1}L${x + r + 1},${y + r}L${x - r - 1},${y + r}z`;
    case 'diamond': return `M${x},${y - r - 1}L${x + r + 1},${y}L${x},${y + r + 1}L${x - r - 1},${y}z`;
    case 'cross': return `M${x - r},${y - r}L${x + r},${y + r}M${x - r},${y + r}L${x + r},${y - r}`;
    default: return `M${x - r},${y}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;
  }
}

/** A round number at or above n for the trend's scale: 1, 2, 5, 10, 20, 50, ... */
function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/**
 * The trend of open findings by severity over the recorded runs, as an inline SVG's geometry:
 * one line per severity with a dash pattern and a marker of its own, labelled at its end with its
 * name and last count (readable in print, without colour); each point titled; a partial run's
 * points hollow and its date marked. Computed here, drawn by templates/partials/trend.hbs.
 */
function trendChart(h: ReportHistory) {
  const runs = h.trend;
  const sevs = trendSeverities(h);
  const max = niceMax(Math.max(1, ...runs.flatMap((t) => sevs.map((s) => t.open[s] ?? 0))));
  const xOf = (i: number) => (runs.length <= 1 ? (TREND_X0 + TREND_X1) / 2 : TREND_X0 + Math.round((i * (TREND_X1 - TREND_X0)) / (runs.length - 1)));
  const yOf = (n: number) => TREND_Y1 - Math.round((n / max) * (TREND_Y1 - TREND_Y0));
  const lines = sevs.map((sev) => {
    const points = runs.map((t, i) => ({ x: xOf(i), y: yOf(t.open[sev] ?? 0), count: t.open[sev] ?? 0, partial: t.status === 'partial', title: `${sev}: ${t.open[sev] ?? 0} open at run ${t.runId} (as of ${t.asOf}${t.status === 'partial' ? ', partial coverage' : ''})` }));
    const last = points[points.length - 1]!;
    return {
      sev, colour: SEV_COLOURS[sev], dash: TREND_STYLE[sev].dash,
      path: points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(''),
      markers: points.map((p) => ({ ...p, d: markerPath(TREND_STYLE[sev].marker, p.x, p.y) })),
      label: `${sev} ${last.count}`, labelY: last.y + 4,
    };
  });
  // direct labels at the lines' ends, nudged apart so that none overlaps another
  const order = [...lines].sort((a, b) => a.labelY - b.labelY);
  for (let i = 1; i < order.length; i++) if (order[i]!.labelY < order[i - 1]!.labelY + 13) order[i]!.labelY = order[i - 1]!.labelY + 13;
  const ticks = [0, max / 2, max].filter((v, i, a) => Number.isInteger(v) && a.indexOf(v) === i).map((v) => ({ value: v, y: yOf(v) }));
  const dates = runs.map((t, i) => ({ x: xOf(i), label: DateTime.fromMillis(parseInstantMs(t.asOf) ?? 0, { zone: 'utc' }).setLocale('en-US').toFormat('LLL d'), partial: t.status === 'partial' }));
  return {
    width: TREND_W, height: TREND_H, x0: TREND_X0, x1: TREND_X1, y0: TREND_Y0, y1: TREND_Y1, labelX: TREND_X1 + 10, dateY: TREND_Y1 + 16, partialY: TREND_Y1 + 30,
    lines, ticks, dates, runs: runs.length,
    /** The same numbers as a table, for print and screen readers. */
    table: runs.map((t) => ({ runId: t.runId, asOf: t.asOf, partial: t.status === 'partial', counts: sevs.map((s) => t.open[s] ?? 0), total: trendTotal(t) })),
    severities: sevs,
  };
}

/** Resolved findings listed in the history section; the JSON report has them all. */
const RESOLVED_ROWS = 50;

/**
 * The run history's view (null without one): the first screen's overdue line (count, by
 * severity, the oldest overdue finding), the trend chart, median days to fix against the SLA, and
 * the findings resolved since the last run with their days to fix.
 */
function historyView(report: Report, accounts: AccountIndex, subjects: ReturnType<typeof diffSubjects>) {
  const h = report.history;
  if (!h) return null;
  const oldestFinding = h.oldestOverdue ? report.findings.find((f) => f.id === h.oldestOverdue!.id) ?? null : null;
  const median = medianText(h);
  return {
    runsBefore: h.runsBefore,
    previousRun: h.previousRun,
    overdue: h.overdue,
    overdueSev: overdueSeverities(h),
    oldest: h.oldestOverdue ? {
      ...h.oldestOverdue,
      imageId: h.oldestOverdue.imageId ?? '(unknown AMI)',
      subject: oldestFinding ? findingSubject(oldestFinding).label : null,
      account: oldestFinding ? accounts.label(oldestFinding.accountId) : null,
      region: oldestFinding?.region ?? null,
      due: oldestFinding ? dayOf(oldestFinding.dueAt) : null,
    } : null,
    trend: h.trend.length ? trendChart(h) : null,
    median: median || null,
    medianRows: SEVERITIES_DESC.filter((s) => s !== 'info' || h.medianDaysToFix.info !== null || h.sla.info !== null)
      .map((s) => ({ sev: s, days: h.medianDaysToFix[s], sla: h.sla[s] })),
    resolved: h.resolved.slice(0, RESOLVED_ROWS).map((r) => ({ ...r, account: accounts.label(r.accountId), subject: subjects(r).label, firstSeen: dayOf(r.firstSeenAt), resolved: dayOf(r.resolvedAt) })),
    resolvedCount: h.resolved.length,
    resolvedMore: Math.max(0, h.resolved.length - RESOLVED_ROWS),
    unverified: h.unverified,
  };
}

/**
 * Per finding, with a run history, what the findings tables show of it (templates/report.js:
 * data.hist, beside data.rows): [age in days, due day ('' without an SLA), overdue 1/0, lifecycle
 * in words, first-seen day]; null without a history.
 */
function historyRows(findings: Finding[]): (string | number | null)[][] | null {
  if (!findings.some((f) => f.lifecycle !== undefined || f.firstSeenAt !== undefined)) return null;
  return findings.map((f) => [f.ageDays ?? null, dayOf(f.dueAt), f.overdue ? 1 : 0, lifecycleText(f), dayOf(f.firstSeenAt)]);
}

/** References listed under one AMI of the plan; the JSON report has them all. */
const PLAN_REFERENCES = 20;

/**
 * What references an AMI of the plan (--references), for its row: the Auto Scaling groups that
 * will launch it called out, then each reference (its label, where, its ARN, its groups).
 */
function planReferences(img: ImagePlanEntry, accounts: AccountIndex) {
  const refs = img.references ?? [];
  const groups = launchingGroups(refs);
  const callout = groups.length ? `${groupsText(groups)} will launch this AMI on its next scale-out` : null;
  return {
    references: refs.slice(0, PLAN_REFERENCES).map((r) => ({
      label: referenceLabel(r), arn: r.arn, where: `${accounts.label(r.accountId)} / ${r.region}`,
      groups: r.usedBy.length ? groupsText(r.usedBy) : null,
    })),
    referencesMore: Math.max(0, refs.length - PLAN_REFERENCES),
    callout,
    /** The first screen's flag: `ASG web-prod`, `ASGs a, b and 1 more`. */
    flag: groups.length ? `ASG${groups.length === 1 ? '' : 's'} ${listSome(groups, 2)}` : null,
  };
}

/** Coverage gaps grouped by account and cause, with their hint and, for a partial scope, what it means for the findings. */
function gapGroups(report: Report, accounts: AccountIndex) {
  const groups = report.coverageGaps ?? [];
  return groups.map((g) => {
    const entry = report.coverage.find((c) => c.accountId === g.accountId && c.status === g.status && g.regions.includes(c.region));
    return {
      ...g,
      name: accounts.name(g.accountId),
      ouPath: accounts.ouPath(g.accountId),
      regionsText: g.regions.length === 1 ? g.regions[0] : `${g.regions.length} regions (${few(g.regions, 4)})`,
      what: g.status === 'skipped' ? skippedText(g.cause) : `${g.action && g.action !== 'Run' ? `${g.action} ` : ''}${g.cause}`,
      meaning: entry && g.status === 'partial' ? gapMeaning(entry) : '',
    };
  });
}

/** Run options as label and value, in words, for the evidence section. */
function optionList(options: RunOptions): { label: string; value: string }[] {
  const text = (v: unknown): string => {
    if (v === true) return 'yes';
    if (v === false) return 'no';
    if (Array.isArray(v)) {
      return v.map((x) => (x && typeof x === 'object' && 'Name' in x ? `${String((x as { Name: unknown }).Name)}=${((x as { Values?: unknown[] }).Values ?? []).join(',')}` : text(x))).join('; ');
    }
    if (v && typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k}: ${text(x)}`).join('; ');
    return String(v);
  };
  return Object.keys(options).sort(cmp).filter((k) => options[k] !== undefined && options[k] !== null)
    .map((k) => ({ label: k.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase(), value: text(options[k]) }));
}

/** The diff section's view: every bucket, with why each unverified finding is not resolved; accounts with their names. */
function diffView(d: ReportDiff, accounts: AccountIndex, subjects: ReturnType<typeof diffSubjects>, run: { id: string; asOf: string }) {
  const named = <T extends { accountId: string }>(x: T) => ({ ...x, account: accounts.label(x.accountId) });
  /** A finding of the diff with its account's name and its subject (the instance, or the resource it is about). */
  const entry = <T extends DiffEntry>(x: T) => ({ ...named(x), subject: subjects(x).label });
  return {
    ...d,
    new: d.new.map(entry),
    /** Each side by run id and as-of. */
    sides: diffSides(d, run),
    /** Escalations (schema 3): `deprecation-soon -> deprecated-ami` on the instance; neither resolved nor new. */
    escalated: (d.escalated ?? []).map((e) => ({ ...entry(e), escalation: escalationText(e) })),
    resolved: d.resolved.map(entry),
    scopes: { added: d.scopes.added.map(named), removed: d.scopes.removed.map(named) },
    /** The counts in the order and words of every output; `emphasis` marks unverified findings, which are not resolved. */
    buckets: diffBuckets(d).map((name) => ({ name, count: diffCount(d, name), emphasis: (name === 'unverified' || name === 'escalated') && diffCount(d, name) > 0 })),
    unverifiedMeans: UNVERIFIED_MEANS,
    unverifiedSeverities: unverifiedSeverities(d),
    changed: d.changed.map((c) => ({ ...entry(c), change: changeText(c) })),
    unverified: d.unverified.map((u) => ({ ...entry(u), why: unverifiedWhy(u) })),
    unverifiedScopes: unverifiedByScope(d).map(named),
  };
}

/** Scopes listed with what failed under the coverage matrix; the coverage CSV has them all. */
const GAP_DETAILS = 200;

/** How many scopes have each value, most first: "AccessDenied in 3, DeadlineExceeded in 1". */
function tally(values: string[]): string {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).map(([v, n]) => `${v} in ${n}`).join(', ');
}

/**
 * The partial banner's words, from the coverage entries themselves: how many scopes of each status
 * with their causes, what that means, and why the run stopped early.
 */
function bannerView(report: Report, gaps: CoverageEntry[]) {
  const errors = gaps.filter((g) => g.status === 'error');
  const partials = gaps.filter((g) => g.status === 'partial');
  const deadline = deadlinePassed(report);
  return {
    errors: errors.length,
    errorCauses: tally(errors.map((g) => (failuresOf(g)[0] ? failureHead(failuresOf(g)[0]!) : g.errorCode ?? 'error'))),
    partials: partials.length,
    partialCauses: tally(partials.map((g) => failuresOf(g).map(failureHead).join(' and ') || (g.errorCode ?? 'unknown'))),
    stopped: deadline ? "the run's deadline passed before they finished" : report.run.interrupted ? 'the scan was interrupted' : null,
  };
}

/**
 * How the reference lookups of the run went (--references), in one sentence; null without them:
 * `References looked up (--references): 4 scopes ok (6 flagged AMIs), 0 with an error, 5 skipped
 * (nothing flagged); 3 references found, 1 with an Auto Scaling group.`
 */
function referencesNote(report: Report): string | null {
  const l = referenceLookups(report.coverage);
  if (!l) return null;
  const skipped = report.coverage.filter((c) => c.references?.status === 'skipped');
  const why = skipped.length && skipped.every((c) => c.references!.code === 'nothing-flagged') ? ' (nothing flagged)' : '';
  const seen = new Set<string>();
  let launched = 0;
  for (const img of report.images ?? []) {
    for (const r of img.references ?? []) {
      const k = `${r.imageId}\u0000${r.arn}`;
      if (seen.has(k)) continue;
      seen.add(k);
      if (r.usedBy.length) launched += 1;
    }
  }
  return `References looked up (--references): ${plural(l.ok, 'scope')} ok (${plural(l.images, 'flagged AMI')}), ${l.error} with an error, ${l.skipped} skipped${why}; ${plural(seen.size, 'reference')} found, ${launched} with an Auto Scaling group.`;
}

/** Groups of scopes in the Allowed AMIs criteria table; the JSON report has every scope's. */
const CRITERIA_GROUPS = 50;

/**
 * The regions' Allowed AMIs criteria (where GetAllowedImagesSettings was read), scopes with the
 * same criteria, setter and state together: an organisation's declarative policy gives many
 * accounts the same.
 */
function criteriaView(coverage: readonly CoverageEntry[], accounts: AccountIndex) {
  const groups = new Map<string, { state: string; managedBy: string; criteria: string[]; scopes: string[] }>();
  for (const c of coverage) {
    if (!Array.isArray(c.allowedImagesCriteria)) continue;
    const criteria = c.allowedImagesCriteria.map((x) => criterionText(x));
    const managedBy = managedByText(c.allowedImagesManagedBy);
    const key = JSON.stringify([c.allowedImagesState, managedBy, criteria]);
    const g = groups.get(key) ?? { state: c.allowedImagesState, managedBy, criteria, scopes: [] };
    g.scopes.push(`${accounts.label(c.accountId)} ${c.region}`);
    groups.set(key, g);
  }
  const rows = [...groups.values()].map((g) => ({
    ...g,
    declarative: g.managedBy === managedByText('declarative-policy'),
    scopesText: g.scopes.length <= 3 ? g.scopes.join(', ') : `${g.scopes.length} scopes: ${few(g.scopes, 3)}`,
    scopesTitle: listSome(g.scopes, 50),
    none: g.criteria.length === 0,
    // disabled: the criteria (if any are set) are not applied, and every AMI is allowed
    notApplied: g.state === 'disabled',
  }));
  return { rows: rows.slice(0, CRITERIA_GROUPS), more: Math.max(0, rows.length - CRITERIA_GROUPS) };
}

/** Values of the first tag column in the by-owner table. */
const TOP_OWNERS = 50;

/** AMIs of the plan on the first screen. */
const TOP_IMAGES = 5;
/** Coverage gap groups on the first screen; the coverage section has them all. */
const TOP_GAPS = 6;

export function htmlView(report: Report, files: DetailFiles = {}) {
  const s = report.summary;
  const r = report.run;
  const accounts = accountIndex(report);
  const gaps = coverageGaps(report).filter((g) => g.status !== 'skipped');
  const images = report.images ?? [];
  const tagColumns = report.tagColumns ?? [];
  const byRule = countBy(report.findings, (f) => f.ruleId);
  const ruleEntries = [...report.rules]
    .map((x) => ({ label: x.id, sev: x.severity, bySev: byRule.get(x.id) ?? {} }))
    .sort((a, b) => SEV_RANK_OF(b.sev) - SEV_RANK_OF(a.sev) || cmp(a.label, b.label));
  const byAccount = countBy(report.findings, (f) => f.accountId);
  const accountEntries = [...byAccount.entries()].map(([label, bySev]) => ({ label, name: accounts.name(label), bySev, total: SEVERITIES.reduce((n, x) => n + (bySev[x] ?? 0), 0) }))
    .sort((a, b) => b.total - a.total || cmp(a.label, b.label));
  const regionsInMatrix = [...new Set(report.coverage.map((c) => c.region).filter((x) => x !== '*'))].sort(cmp);
  const groups = gapGroups(report, accounts);
  const timeline = deprecationTimeline(report);
  const asOfMs = parseInstantMs(report.run.asOf) ?? 0;
  const ownedUsage = ownedPlanUsage(report);
  const plan = images.map((img, i) => planRow(img, i, asOfMs, accounts, ownedUsage(img)));
  const failedAccounts = new Set(gaps.map((g) => g.accountId)).size;
  const gapOus = ouIndexer(accounts);
  const grouped = report.findings.length > GROUPED_ABOVE ? groupedData(report.findings, images, dictionaries(report.findings), tagColumns, Boolean(report.history)) : null;
  const shown = grouped?.sample ?? report.findings;
  return {
    title: `AMI audit ${r.startedAt}`,
    tool: report.tool,
    run: r,
    partial: r.status === 'partial',
    /** The running header of every printed page. */
    printHeader: `${report.tool.name} run ${r.id} · as of ${r.asOf} · ${r.status.toUpperCase()}${r.status === 'partial' ? `: ${formatNumber(gaps.length)} of ${formatNumber(s.scopes.total)} scopes not fully audited` : ''} · ${formatNumber(s.findingsUnwaived)} open findings`,
    /** The findings tables print unless there are many (the first page then says they are left out). */
    printFindings: report.findings.length < PRINT_FINDINGS_BELOW,
    verdict: {
      gapScopes: gaps.length,
      failedAccounts,
      groups: groups.filter((g) => g.status !== 'skipped').length,
      skippedGroups: groups.filter((g) => g.status === 'skipped').length,
      skipped: s.scopes.skipped,
      // AMIs with open findings, as the Markdown and terminal count them; fully waived ones apart
      images: images.filter((i) => i.findings > 0).length,
      waivedOnly: images.filter((i) => i.findings === 0).length,
      running: images.reduce((n, i) => n + i.instances.running, 0),
    },
    owners: {
      tag: report.owners?.[0]?.tag ?? '',
      rows: (report.owners ?? []).slice(0, TOP_OWNERS).map((o) => ({
        value: o.value, untagged: o.value === null, findings: o.findings, bySeverity: o.bySeverity, imagesText: few(o.images, 4), imagesTitle: o.images.join(', '),
      })),
      more: Math.max(0, (report.owners ?? []).length - TOP_OWNERS),
    },
    gapCount: gaps.length,
    gapGroups: groups.slice(0, TOP_GAPS),
    gapGroupsMore: Math.max(0, groups.length - TOP_GAPS),
    banner: bannerView(report, gaps),
    gapDetails: gaps.slice(0, GAP_DETAILS).map((g) => ({
      accountId: g.accountId, name: accounts.name(g.accountId), ouPath: accounts.ouPath(g.accountId), ouIndexes: gapOus(g.accountId)?.join(' ') ?? null, region: g.region, status: g.status, meaning: gapMeaning(g),
      failures: failuresOf(g).length ? failuresOf(g).map((f) => ({ head: failureHead(f), message: failureMessage(f) })) : [{ head: g.errorCode ?? 'error', message: g.errorMessage ?? '' }],
    })),
    gapDetailsMore: Math.max(0, gaps.length - GAP_DETAILS),
    evidence: [
      ['Run id', r.id],
      ['Caller identity', r.caller.arn ?? 'unknown'],
      ['Caller account', r.caller.accountId ? accounts.label(r.caller.accountId) : 'unknown'],
      ['Started', r.startedAt],
      ['Finished', r.finishedAt],
      ['Evaluated as of', r.asOf],
      ['Accounts', `${r.accounts.length}: ${r.accounts.slice(0, 20).map(accounts.label).join(', ')}${r.accounts.length > 20 ? ', ...' : ''}`],
      ['Regions', `${r.regions.length}: ${r.regions.join(', ')}`],
      ['Source', r.source === 'scan' ? 'live scan' : r.source === 'report' ? 'saved ami-audit report, re-evaluated' : 'AWS CLI output'],
      ['Tag columns', tagColumns.length ? tagColumns.join(', ') : 'none'],
      ['Tool', `${report.tool.name} ${report.tool.version}, report schema ${report.schemaVersion}`],
    ].map(([label, value]) => (label === 'Regions' ? { label, value, count: r.regions.length, items: r.regions } : { label, value })),
    options: optionList(r.options),
    cards: SEVERITIES_DESC.filter((x) => x !== 'info' || s.bySeverity.info > 0).map((sev) => ({ sev, index: SEV_ORDER.indexOf(sev), count: s.bySeverity[sev], colour: SEV_COLOURS[sev] })),
    summary: s,
    topPlan: plan.slice(0, TOP_IMAGES),
    topPlanMore: Math.max(0, plan.length - TOP_IMAGES),
    plan,
    tagColumns,
    ruleChart: bars('rule', ruleEntries),
    accountChart: { ...bars('account', accountEntries.slice(0, 15)), more: Math.max(0, accountEntries.length - 15) },
    timeline: { ...timeline, viewHeight: timeline.chartHeight + 30, labelY: timeline.chartHeight + 13 },
    matrixRegions: regionsInMatrix,
    matrix: matrix(report.coverage, regionsInMatrix, accounts),
    /** The OU filter is offered when some account has an OU path (scan --org). */
    ouFilter: accounts.ous().paths.length > 0,
    waivers: report.waivers,
    diff: report.diff ? diffView(report.diff, accounts, diffSubjects(report), report.run) : null,
    history: historyView(report, accounts, diffSubjects(report)),
    /** The findings table calls its subject column "Instance or resource" when some finding is about a resource. */
    resourceFindings: report.findings.some((f) => f.resource),
    referencesNote: referencesNote(report),
    /** --successors with --references: the commands that roll each successor out, one block per launch template. */
    rollout: rolloutPlan(report).map((t) => ({ label: `${t.templateName ?? t.templateId} (${t.accountId}, ${t.region})`, text: rolloutLines(t).join('\n') })),
    criteria: criteriaView(report.coverage, accounts),
    rules: report.rules,
    notFound: report.notFoundInstanceIds,
    unchecked: report.uncheckedInstanceIds ?? [],
    warnings: r.warnings ?? [],
    severityOrder: SEVERITIES,
    whatIf: report.whatIf ? {
      line: whatIfLine(report.whatIf),
      images: report.whatIf.images.slice(0, WHATIF_ROWS).map((e) => ({ ...e, account: accounts.label(e.accountId), instanceCount: e.instances.length, instancesText: few(e.instances, 4), templateCount: e.launchTemplates.length, regionsText: e.regions.join(' '), refused: e.verdict === 'refused' })),
      more: Math.max(0, report.whatIf.images.length - WHATIF_ROWS),
      // an organisation has thousands of them: a few, then how many more and where they all are
      ...notEvaluatedView(whatIfNotEvaluated(report.whatIf), accounts),
    } : null,
    /** ami-audit images: the "Your AMIs" section (src/render/owned.ts); null in scan reports. */
    ownedImages: ownedImagesView(report),
    controls: controlSummary(report).map((c) => ({ ...c, label: `${c.framework} ${c.id}`, none: c.findings === 0 })),
    /** Above GROUPED_ABOVE findings: the page shows them grouped, with a sample of instances, and names the files that hold every one. */
    detailFiles: detailFilesText(files),
    grouped: grouped ? {
      findings: grouped.findings,
      groups: grouped.groups.length,
      sample: grouped.sample.length,
      omitted: grouped.omitted,
      files: detailFilesText(files),
    } : null,
    data: {
      ...tableData(report.findings, report.diff, images, tagColumns, accounts, report.rules, shown), planWeeks: planWeeks(images, asOfMs), timelineMax: timeline.chartHeight - 20, hist: historyRows(shown),
      grouped: grouped ? { width: grouped.width, tagCombos: grouped.tagCombos, groups: grouped.groups, findings: grouped.findings, omitted: grouped.omitted } : null,
    },
  };
}

/**
 * For each plan entry, the week of the next 90 days in which its AMI is deprecated (0-12), or
 * null: the deprecation timeline redraws from it under a filter.
 */
function planWeeks(images: readonly ImagePlanEntry[], asOfMs: number): (number | null)[] {
  const endMs = asOfMs + 90 * DAY_MS;
  return images.map((img) => {
    const ms = img.deprecationTime === null ? null : parseInstantMs(img.deprecationTime);
    return ms === null || ms <= asOfMs || ms > endMs ? null : Math.min(12, Math.floor((ms - asOfMs) / (7 * DAY_MS)));
  });
}

/** Content-Security-Policy that lets only this report's own script run and forbids every fetch. */
export function csp(t: TemplateSet): string {
  const hash = createHash('sha256').update(t.js).digest('base64');
  return `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`;
}

export function renderHtml(report: Report, templates: TemplateSet, files: DetailFiles = {}): string {
  // every string the page shows (text, attributes, the findings' data) cleaned once, then escaped by Handlebars or JSON
  return compile(templates)({ ...cleanDeep(htmlView(report, files)), csp: csp(templates) });
}
