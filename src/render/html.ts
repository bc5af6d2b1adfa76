/**
 * The HTML report: one self-contained file (no CDN, no network) from Handlebars templates.
 * Every AWS-originated string goes through Handlebars' escaping ({{ }}, never {{{ }}}); the
 * findings are embedded once as JSON, escaped against </script>, and drawn by a small script
 * that pages and filters them, so the file stays usable at tens of thousands of findings.
 */
import { createHash } from 'node:crypto';
import Handlebars from 'handlebars';
import { DateTime } from 'luxon';
import type { CoverageEntry, Finding, Report, ReportDiff, Severity } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { cmp } from '../rules/engine.js';
import { jsonForScript } from './sanitize.js';
import { DAY_MS, parseInstantMs } from '../model/time.js';
import {
  changeText, coverageGaps, deadlinePassed, DIFF_BUCKETS, diffStatusOf, failureHead, failureMessage, failuresOf, gapCell, gapMeaning, gapText, SEVERITIES_DESC,
  UNVERIFIED_MEANS, unverifiedByScope, unverifiedSeverities, unverifiedWhy,
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
  fn = hb.compile(t.main, { strict: false, noEscape: false });
  compiled.set(t, fn);
  return fn;
}

const SEV_COLOURS: Record<Severity, string> = { critical: '#7f1d1d', high: '#c62828', medium: '#ef6c00', low: '#9e9d24', info: '#546e7a' };

interface Bar { label: string; count: number; y: number; width: number; textX: number }

function bars(entries: [string, number][], maxWidth: number, rowHeight = 22): { bars: Bar[]; height: number } {
  const max = Math.max(1, ...entries.map((e) => e[1]));
  const out = entries.map(([label, count], i) => {
    const width = Math.max(count > 0 ? 2 : 0, Math.round((count / max) * maxWidth));
    return { label, count, y: i * rowHeight, width, textX: width + 6 };
  });
  return { bars: out, height: Math.max(rowHeight, entries.length * rowHeight) };
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

function matrix(coverage: CoverageEntry[], regions: string[]) {
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
    return {
      accountId,
      cells: regions.map((region) => {
        const c = m.get(region) ?? all;
        if (!c) return { cls: 'none', text: '', title: `${accountId} / ${region}: not scanned` };
        const text = c.status === 'ok' ? String(c.instanceCount) : c.status === 'skipped' ? 'skip' : gapCell(c);
        const title = `${accountId} / ${region}: ${c.status === 'ok' ? `ok, ${c.instanceCount} instances, ${c.pageCount} pages` : gapText(c)}`;
        return { cls: c.status, text, title };
      }),
    };
  });
}

/** The findings table's data: dictionaries for repeated values, one array per finding. */
export function tableData(findings: Finding[], diff: ReportDiff | null) {
  const statusOf = diff ? diffStatusOf(diff) : null;
  const dict = (values: string[]) => [...new Set(values)].sort(cmp);
  const sev = SEVERITIES_DESC as readonly string[];
  const rules = dict(findings.map((f) => f.ruleId));
  const accounts = dict(findings.map((f) => f.accountId));
  const regions = dict(findings.map((f) => f.region));
  const idx = (list: readonly string[]) => new Map(list.map((v, i) => [v, i]));
  const si = idx(sev), ri = idx(rules), ai = idx(accounts), gi = idx(regions);
  // Keyed by waiver ids, which come from config files and saved reports: a Map, so that an id such
  // as __proto__ is a key like any other, turned into own properties of the page's JSON.
  const waiverMap = new Map<string, { reason: string; expires: string; ticket: string | null }>();
  for (const f of findings) {
    for (const w of [f.waiver, f.expiredWaiver]) if (w) waiverMap.set(w.id, { reason: w.reason, expires: w.expires, ticket: w.ticket });
  }
  const waivers = Object.fromEntries(waiverMap) as Record<string, { reason: string; expires: string; ticket: string | null }>;
  return {
    sev, rules, accounts, regions, waivers,
    rows: findings.map((f) => {
      const d = statusOf?.(f.id);
      return [
        si.get(f.severity), ri.get(f.ruleId), ai.get(f.accountId), gi.get(f.region), f.instanceId, f.instanceName, f.imageId, f.imageName,
        f.message, f.waiver?.id ?? null, f.expiredWaiver?.id ?? null, d?.status ?? null, d?.detail || null,
      ];
    }),
  };
}

/** The diff section's view: every bucket, with why each unverified finding is not resolved. */
function diffView(d: ReportDiff) {
  return {
    ...d,
    /** The counts in the order and words of every output; `emphasis` marks unverified findings, which are not resolved. */
    buckets: DIFF_BUCKETS.map((name) => ({ name, count: d.counts[name], emphasis: name === 'unverified' && d.counts.unverified > 0 })),
    unverifiedMeans: UNVERIFIED_MEANS,
    unverifiedSeverities: unverifiedSeverities(d),
    changed: d.changed.map((c) => ({ ...c, change: changeText(c) })),
    unverified: d.unverified.map((u) => ({ ...u, why: unverifiedWhy(u) })),
    unverifiedScopes: unverifiedByScope(d),
  };
}

/** Scopes listed with what failed under the coverage matrix; the coverage CSV has them all. */
const GAP_DETAILS = 200;

/** The partial banner's words: how many scopes of each status, what that means, and why the run stopped early. */
function bannerView(report: Report, gaps: CoverageEntry[]) {
  const errors = gaps.filter((g) => g.status === 'error').length;
  const partials = gaps.filter((g) => g.status === 'partial').length;
  const deadline = deadlinePassed(report);
  return {
    errors, partials,
    stopped: deadline ? "the run's deadline passed before they finished" : report.run.interrupted ? 'the scan was interrupted' : null,
  };
}

export function htmlView(report: Report) {
  const s = report.summary;
  const r = report.run;
  const gaps = coverageGaps(report).filter((g) => g.status !== 'skipped');
  const ruleBars = bars(report.rules.map((x) => [x.id, s.byRule[x.id] ?? 0] as [string, number]), 360);
  const accountEntries = Object.entries(s.byAccount).sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]));
  const accountBars = bars(accountEntries.slice(0, 15), 360);
  const regionsInMatrix = [...new Set(report.coverage.map((c) => c.region).filter((x) => x !== '*'))].sort(cmp);
  return {
    title: `AMI audit ${r.startedAt}`,
    tool: report.tool,
    run: r,
    partial: r.status === 'partial',
    gapCount: gaps.length,
    gapsShown: gaps.slice(0, 8).map((g) => ({ accountId: g.accountId, region: g.region, text: gapText(g), meaning: g.status === 'partial' ? gapMeaning(g) : '' })),
    gapsMore: Math.max(0, gaps.length - 8),
    banner: bannerView(report, gaps),
    gapDetails: gaps.slice(0, GAP_DETAILS).map((g) => ({
      accountId: g.accountId, region: g.region, status: g.status, meaning: gapMeaning(g),
      failures: failuresOf(g).length ? failuresOf(g).map((f) => ({ head: failureHead(f), message: failureMessage(f) })) : [{ head: g.errorCode ?? 'error', message: g.errorMessage ?? '' }],
    })),
    gapDetailsMore: Math.max(0, gaps.length - GAP_DETAILS),
    evidence: [
      ['Run id', r.id],
      ['Caller identity', r.caller.arn ?? 'unknown'],
      ['Caller account', r.caller.accountId ?? 'unknown'],
      ['Started', r.startedAt],
      ['Finished', r.finishedAt],
      ['Evaluated as of', r.asOf],
      ['Accounts', `${r.accounts.length}: ${r.accounts.slice(0, 20).join(', ')}${r.accounts.length > 20 ? ', ...' : ''}`],
      ['Regions', `${r.regions.length}: ${r.regions.join(', ')}`],
      ['Source', r.source === 'scan' ? 'live scan' : r.source === 'report' ? 'saved ami-audit report, re-evaluated' : 'AWS CLI output'],
      ['Options', JSON.stringify(r.options)],
      ['Tool', `${report.tool.name} ${report.tool.version}, report schema ${report.schemaVersion}`],
    ].map(([label, value]) => ({ label, value })),
    cards: SEVERITIES_DESC.filter((x) => x !== 'info' || s.bySeverity.info > 0).map((sev) => ({ sev, count: s.bySeverity[sev], colour: SEV_COLOURS[sev] })),
    summary: s,
    ruleChart: ruleBars,
    accountChart: { ...accountBars, more: Math.max(0, accountEntries.length - 15) },
    timeline: deprecationTimeline(report),
    matrixRegions: regionsInMatrix,
    matrix: matrix(report.coverage, regionsInMatrix),
    waivers: report.waivers,
    diff: report.diff ? diffView(report.diff) : null,
    rules: report.rules,
    notFound: report.notFoundInstanceIds,
    unchecked: report.uncheckedInstanceIds ?? [],
    warnings: r.warnings ?? [],
    severityOrder: SEVERITIES,
    data: tableData(report.findings, report.diff),
  };
}

/** Content-Security-Policy that lets only this report's own script run and forbids every fetch. */
export function csp(t: TemplateSet): string {
  const hash = createHash('sha256').update(t.js).digest('base64');
  return `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`;
}

export function renderHtml(report: Report, templates: TemplateSet): string {
  return compile(templates)({ ...htmlView(report), csp: csp(templates) });
}
