/**
 * The run history (schema 3) in every human format: the fields the history fills, rendered; and
 * every format unchanged in meaning when they are absent (a report without a history, a version 2
 * report). The history itself is a fixture (test/helpers/history-fixture.ts); the store that fills
 * it is tested on its own. Goldens: test/golden/history/ (`UPDATE_GOLDEN=1` after a deliberate change).
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { renderFindingsCsv, renderImagesCsv, FINDING_COLUMNS, IMAGE_COLUMNS } from '../../src/render/csv.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderDiffText, renderTextSummary } from '../../src/render/text.js';
import { renderHtml } from '../../src/render/html.js';
import { diffStatusOf } from '../../src/render/summary.js';
import { loadTemplates } from '../../src/io/files.js';
import { fixtureReport } from '../helpers/fixture.js';
import { withEscalation, withHistory } from '../helpers/history-fixture.js';
import type { Finding, Report } from '../../src/model/types.js';

const templates = loadTemplates();
const plain = fixtureReport();
const report = withHistory(plain);
const h = report.history!;

const dir = new URL('../golden/history/', import.meta.url);
const golden = (name: string, content: string) => {
  const path = new URL(name, dir);
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, content);
  }
  if (!existsSync(path)) throw new Error(`no golden file ${name}: run with UPDATE_GOLDEN=1 to write it`);
  expect(content).toBe(readFileSync(path, 'utf8'));
};

/** A baseline for a diff: the fixture without its first finding (deprecated-ami, which withEscalation turns into an escalation). */
function withDiff(r: Report): Report {
  const baseline: Report = { ...plain, run: { ...plain.run, id: 'run-baseline-0001', startedAt: '2026-11-19T00:00:00Z', asOf: '2026-11-19T00:00:00Z' }, findings: plain.findings.slice(1) };
  const rebuilt = fixtureReport(baseline);
  return withEscalation({ ...r, diff: rebuilt.diff });
}

describe('the history fixture', () => {
  test('has overdue findings, an escalated one, a reopened one, new ones, a trend of 5 runs and resolved findings', () => {
    expect(h.overdue).toBeGreaterThan(1);
    expect(report.findings.filter((f) => f.overdue).length).toBe(h.overdue);
    expect(report.findings.map((f) => f.lifecycle)).toEqual(expect.arrayContaining(['new', 'open', 'escalated', 'reopened']));
    expect(h.trend).toHaveLength(5);
    expect(h.resolved.length).toBeGreaterThan(0);
    expect(report.findings.some((f) => f.waiver && !f.overdue && (f.ageDays ?? 0) > 120)).toBe(true);
  });
});

describe('CSV', () => {
  const rows = parse(renderFindingsCsv(report), { bom: true, columns: true }) as Record<string, string>[];
  test('the findings CSV appends firstSeenAt, ageDays, dueAt, overdue and lifecycle, in that order, after the frozen columns (controls came after them)', () => {
    expect(FINDING_COLUMNS.slice(-6)).toEqual(['firstSeenAt', 'ageDays', 'dueAt', 'overdue', 'lifecycle', 'controls']);
    report.findings.forEach((f, i) => {
      const row = rows[i]!;
      expect(row.id).toBe(f.id);
      expect([row.firstSeenAt, row.ageDays, row.dueAt, row.overdue, row.lifecycle]).toEqual([f.firstSeenAt, String(f.ageDays), f.dueAt ?? '', String(f.overdue), f.lifecycle]);
    });
  });
  test('empty cells without a history; the rest of each row unchanged', () => {
    const before = parse(renderFindingsCsv(plain), { bom: true }) as string[][];
    const after = parse(renderFindingsCsv(report), { bom: true }) as string[][];
    for (const [i, row] of before.slice(1).entries()) {
      expect(row.slice(-6, -1)).toEqual(['', '', '', '', '']);
      expect([...after[i + 1]!.slice(0, -6), after[i + 1]!.at(-1)]).toEqual([...row.slice(0, -6), row.at(-1)]);
    }
  });
  test('the -images.csv appends oldestFirstSeenAt and overdue; empty without a history', () => {
    expect(IMAGE_COLUMNS.slice(-4, -2)).toEqual(['oldestFirstSeenAt', 'overdue']); // the successor columns follow
    const images = parse(renderImagesCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    report.images.forEach((img, i) => expect([images[i]!.oldestFirstSeenAt, images[i]!.overdue]).toEqual([img.oldestFirstSeenAt ?? '', String(img.overdue)]));
    for (const row of parse(renderImagesCsv(plain), { bom: true, columns: true }) as Record<string, string>[]) expect([row.oldestFirstSeenAt, row.overdue]).toEqual(['', '']);
  });
});

describe('terminal summary', () => {
  test('one line: overdue N, oldest D days, only with a history', () => {
    const text = renderTextSummary(report);
    const line = text.split('\n').find((l) => l.startsWith('  overdue '));
    expect(line).toBe(`  overdue ${h.overdue}, oldest ${h.oldestOverdue!.ageDays} days (2 high, 2 medium, 2 low)`);
    expect(renderTextSummary(plain)).not.toMatch(/overdue/);
  });
  test('golden', () => golden('summary.txt', renderTextSummary(report, ['reports/ami-audit-20261126T000000Z.json'])));
});

describe('Markdown', () => {
  const md = renderMarkdown(report);
  test('an Overdue list first, oldest first, before the plan; the trend in a line; resolved with median days to fix', () => {
    expect(md.indexOf('## Overdue (6 findings)')).toBeGreaterThan(0);
    expect(md.indexOf('## Overdue')).toBeLessThan(md.indexOf('## AMIs to fix first'));
    const rows = md.split('\n').filter((l) => /^\| \d+ \| 20\d\d-/.test(l));
    expect(rows).toHaveLength(h.overdue);
    expect(rows.map((r) => Number(r.split('|')[1]))).toEqual([...rows.map((r) => Number(r.split('|')[1]))].sort((a, b) => b - a));
    expect(md).toContain(`- Trend: open findings over 5 runs: `);
    expect(md).toContain(`- Resolved since the last run: 2; median days to fix: high 12 days, medium 33 days, low 80 days`);
    expect(md).toContain('oldest 150 days');
  });
  test('the Overdue list is bounded like the other lists, and says how many it left out', () => {
    const many: Finding[] = Array.from({ length: 300 }, (_, n) => ({ ...report.findings[2]!, id: `e${String(n).padStart(19, '0')}`, instanceId: `i-0${n.toString(16).padStart(16, '0')}`, overdue: true, ageDays: 40 + n }));
    const big = renderMarkdown({ ...report, findings: [...report.findings, ...many], history: { ...h, overdue: h.overdue + many.length } });
    const rows = big.split('\n').filter((l) => /^\| \d+ \| 20\d\d-/.test(l));
    expect(rows.length).toBeLessThanOrEqual(20);
    expect(big).toContain(`... and ${h.overdue + many.length - rows.length} more overdue findings`);
    expect(big).toMatch(/Left out to fit a ticket: .*\d+ overdue findings/);
  });
  test('no Overdue list and no history lines without a history', () => {
    const p = renderMarkdown(plain);
    expect(p).not.toContain('## Overdue');
    expect(p).not.toContain('- History:');
  });
  test('golden', () => golden('report.md', md));
});

describe('diffs: escalations are their own bucket, each side named by run id and as-of', () => {
  const r = withDiff(report);
  const d = r.diff!;
  test('the fixture diff has one escalation and no new deprecated-ami finding', () => {
    expect(d.counts.escalated).toBe(1);
    expect(d.new.some((e) => e.ruleId === 'deprecated-ami')).toBe(false);
  });
  test('terminal: the counts with escalated, both sides, and the escalation on its instance', () => {
    const text = renderTextSummary(r);
    expect(text).toContain('  vs baseline  0 new, 1 escalated, 0 resolved');
    expect(text).toContain(`    runs  run run-baseline-0001 (as of 2026-11-19T00:00:00Z) → run ${r.run.id} (as of ${r.run.asOf})`);
    expect(text).toContain('    escalated: deprecation-soon → deprecated-ami on i-0de0000000000000c (222222222222 (payments-prod) us-east-1)');
    const cmd = renderDiffText(d, { id: 'run-baseline-0001', startedAt: '2026-11-19T00:00:00Z', asOf: '2026-11-19T00:00:00Z' }, r.run);
    expect(cmd).toMatch(/^ami-audit diff: 0 new, 1 escalated, /);
    expect(cmd).toContain('  old  run run-baseline-0001 started 2026-11-19T00:00:00Z, as of 2026-11-19T00:00:00Z');
    expect(cmd).toMatch(/\n {2}escalated {2}high {5}deprecated-ami .*\(deprecation-soon → deprecated-ami\)\n/);
  });
  test('Markdown: the header names both runs; an Escalated table; no escalation among new or resolved', () => {
    const md = renderMarkdown(r);
    expect(md).toContain(`Compared with baseline run run-baseline-0001 (as of 2026-11-19T00:00:00Z) → run ${r.run.id} (as of ${r.run.asOf}): 0 new, 1 escalated,`);
    expect(md).toContain('## Escalated findings');
    expect(md).toContain('| deprecation-soon → deprecated-ami | high | deprecated-ami |');
    expect(md).not.toContain('## New findings');
  });
  test('CSV and HTML mark the escalated finding escalated, with the rule it replaced', () => {
    const statusOf = diffStatusOf(d);
    const id = d.escalated![0]!.id;
    expect(statusOf(id)).toEqual({ status: 'escalated', detail: 'deprecation-soon → deprecated-ami' });
    const row = (parse(renderFindingsCsv(r), { bom: true, columns: true }) as Record<string, string>[]).find((x) => x.id === id)!;
    expect([row.diffStatus, row.diffDetail]).toEqual(['escalated', 'deprecation-soon → deprecated-ami']);
    const html = renderHtml(r, templates);
    const section = /<section id="diff".*?<\/section>/s.exec(html)![0];
    expect(section).toContain(`Baseline <code>run run-baseline-0001 (as of 2026-11-19T00:00:00Z)</code> against <code>run ${r.run.id} (as of ${r.run.asOf})</code>`);
    expect(section).toContain('<strong>1</strong> escalated');
    expect(section).toContain('escalated: <code>deprecation-soon → deprecated-ami</code> on <code>i-0de0000000000000c</code>');
    expect(html).toMatch(/<p class="diff-line" id="diff-line">Since the baseline run run-baseline-0001 \(as of 2026-11-19T00:00:00Z\): 0 new, <strong class="warn">1 escalated<\/strong>/);
  });
  test('a version 2 diff (no escalated, no current) has no escalated bucket, and its newer side is the report\'s run', () => {
    const v2 = withDiff(plain);
    const old = { ...v2, diff: { ...v2.diff!, escalated: undefined, current: undefined, counts: { ...v2.diff!.counts, escalated: undefined } } } as unknown as Report;
    expect(renderTextSummary(old)).not.toContain('escalated');
    expect(renderMarkdown(old)).toContain(`→ run ${plain.run.id} (as of ${plain.run.asOf})`);
    expect(/<section id="diff".*?<\/section>/s.exec(renderHtml(old, templates))![0]).not.toMatch(/<\/strong> escalated|Escalated findings/);
  });
});

describe('HTML', () => {
  const html = renderHtml(report, templates);
  test('the first screen has the overdue count and the oldest overdue finding beside the verdict', () => {
    const overview = /<div id="overview" class="overview">.*?<\/div>\s*<section id="plan"/s.exec(html)![0];
    const line = /<p class="overdue-line has-overdue" id="overdue-line">(.*?)<\/p>/s.exec(overview)![1]!;
    expect(line).toContain(`<strong>${h.overdue} overdue</strong> (2 high, 2 medium, 2 low)`);
    const oldest = report.findings.find((f) => f.id === h.oldestOverdue!.id)!;
    expect(line).toContain(`Oldest: <code>${oldest.ruleId}</code> on <code>${oldest.imageId}</code>`);
    expect(line).toContain('<strong>150 days</strong> since first seen');
    expect(html.indexOf('id="overdue-line"')).toBeGreaterThan(html.indexOf('id="verdict"'));
  });
  test('a trend chart of open findings by severity: inline SVG, no script, a line per severity with a direct label and its own dash and marker', () => {
    const svg = /<svg role="img" aria-labelledby="trend-title".*?<\/svg>/s.exec(html)![0];
    expect(svg).not.toMatch(/<script|href=|url\(/);
    for (const sev of ['high', 'medium', 'low']) {
      const g = new RegExp(`<g class="trend-line trend-${sev}">.*?</g>`, 's').exec(svg)![0];
      expect(g).toContain(`class="trend-label">${sev} ${h.trend[4]!.open[sev as 'high']}</text>`);
      expect((g.match(/<title>/g) ?? []).length).toBe(5);
    }
    const dashes = ['high', 'medium', 'low'].map((sev) => new RegExp(`trend-${sev}"><path d="[^"]*" fill="none" stroke="[^"]*" stroke-width="2"( stroke-dasharray="([^"]*)")?`).exec(svg)![2] ?? '');
    expect(new Set(dashes).size).toBe(3);
    expect(svg).toContain('>partial</text>');
    expect(html).toContain('<table class="plain" id="t-trend">');
  });
  test('median days to fix by severity, and the findings resolved since the last run with their days to fix', () => {
    const ttf = /<table class="plain" id="t-ttf">.*?<\/table>/s.exec(html)![0];
    expect(ttf).toContain('<td><span class="sevtext-high">high</span></td><td class="num">12</td><td class="num">30</td>');
    expect(ttf).toContain('<td><span class="sevtext-critical">critical</span></td><td class="num"><span class="muted">none fixed yet</span></td><td class="num">7</td>');
    const resolved = /<table class="plain" id="t-resolved">.*?<\/table>/s.exec(html)![0];
    for (const r of h.resolved) expect(resolved).toContain(`<tr><td class="num">${r.daysToFix}</td><td><span class="sevtext-${r.severity}">${r.severity}</span></td><td>${r.ruleId}</td>`);
    expect(html).toContain(`Resolved since the last run (${h.resolved.length})`);
  });
  test('the plan shows each AMI\'s oldest first sight and overdue count', () => {
    const img = report.images.find((i) => (i.overdue ?? 0) > 0)!;
    const row = new RegExp(`<tr class="plan-row" data-plan="${report.images.indexOf(img)}">.*?</tr>`, 's').exec(html)![0];
    expect(row).toContain(`<span class="ami-age">first seen ${img.oldestFirstSeenAt!.slice(0, 10)}; <strong class="overdue">${img.overdue} overdue</strong></span>`);    // and the first screen's Fix first table flags the AMIs with overdue findings
    const top = /<div class="top-plan" id="top-plan">.*?<\/table>/s.exec(html)![0];
    const first = report.images.slice(0, 5).find((i) => (i.overdue ?? 0) > 0)!;
    expect(top).toContain(`<strong class="overdue block small">${first.overdue} overdue</strong>`);
    expect((top.match(/class="overdue block small"/g) ?? []).length).toBe(report.images.slice(0, 5).filter((i) => (i.overdue ?? 0) > 0).length);
    expect(renderHtml(plain, templates)).not.toContain('class="overdue block small"');
  });
  test('the findings tables get Age, Due and Lifecycle columns and an "Overdue only" filter; their data rides beside the rows', () => {
    expect(html).toContain('<input type="checkbox" id="f-overdue"> Overdue only');
    expect(html.match(/data-col="20"/g)).toHaveLength(2);
    const data = JSON.parse(/<script type="application\/json" id="ami-audit-data">(.*?)<\/script>/s.exec(html)![1]!);
    expect(data.hist).toHaveLength(report.findings.length);
    report.findings.forEach((f, i) => expect(data.hist[i]).toEqual([f.ageDays, f.dueAt ? f.dueAt.slice(0, 10) : '', f.overdue ? 1 : 0, f.lifecycle === 'escalated' ? 'escalated from deprecation-soon' : f.lifecycle, f.firstSeenAt!.slice(0, 10)]));
  });
  test('without a history: no overdue line, no history section, no columns, no filter, no data', () => {
    const p = renderHtml(plain, templates);
    for (const s of ['id="overdue-line"', 'id="history"', 'data-col="20"', 'id="f-overdue"', 'class="ami-age"']) expect(p).not.toContain(s);
    const data = JSON.parse(/<script type="application\/json" id="ami-audit-data">(.*?)<\/script>/s.exec(p)![1]!);
    expect(data.hist).toBeNull();
  });
  test('golden: the history section and the overdue line', () => {
    golden('report-history.html', `${/<p class="overdue-line[^"]*" id="overdue-line">.*?<\/p>/s.exec(html)![0]}\n${/<section id="history".*?<\/section>/s.exec(html)![0]}\n`);
  });
});
