/**
 * Renderers against a fixed model. Golden files live in test/golden; after a deliberate change,
 * regenerate them with `UPDATE_GOLDEN=1 npm test -- test/unit/render.test.ts` and review the diff.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { checkGolden } from '../helpers/golden.js';
import { parse } from 'csv-parse/sync';
import { renderFormat, FORMATS, contentText } from '../../src/render/index.js';
import { renderFindingsCsv, renderCoverageCsv, FINDING_COLUMNS, COVERAGE_COLUMNS } from '../../src/render/csv.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderTextSummary } from '../../src/render/text.js';
import { renderHtml } from '../../src/render/html.js';
import { csvCell, jsonForScript, termSafe } from '../../src/render/sanitize.js';
import { diffStatusOf, elideMiddle, gapText } from '../../src/render/summary.js';
import { loadTemplates } from '../../src/io/files.js';
import { coverageGaps } from '../../src/report/plan.js';
import { reportSchema } from '../../src/schema/report.js';
import { reportValidator } from '../../src/schema/validate.js';
import { fixtureReport, HOSTILE } from '../helpers/fixture.js';
import type { CoverageEntry, Finding, Report } from '../../src/model/types.js';

const report = fixtureReport();
const templates = loadTemplates();
const golden = (name: string, content: string) => {
  checkGolden(new URL(`../golden/${name}`, import.meta.url), content);
};

describe('golden files', () => {
  test.each(FORMATS)('%s', (format) => {
    for (const f of renderFormat(format, report, templates)) golden(`report${f.suffix}`, contentText(f));
  });
  test('terminal summary', () => golden('summary.txt', renderTextSummary(report, ['reports/ami-audit-20261126T000000Z.json'])));
  test('rendering is deterministic: same model, same bytes', () => {
    for (const format of FORMATS) {
      const a = renderFormat(format, fixtureReport(), templates).map(contentText);
      const b = renderFormat(format, fixtureReport(), templates).map(contentText);
      expect(a).toEqual(b);
    }
  });
});

/**
 * A baseline that differs from the fixture in every way a diff can: a finding the fixture lacks in
 * an ok scope (resolved), findings of scopes that are error now or gone (unverified), a severity
 * and a waiver status that differ (changed), a finding it lacks (new), a scope only in one run.
 */
function baselineOf(report: Report): Report {
  const findings = report.findings.slice(1).map((f) => {
    if (f.ruleId === 'not-allowed-ami' && f.region === 'eu-west-1') return { ...f, severity: 'high' as const };
    if (f.waiver) return { ...f, waiver: null };
    return f;
  });
  const gone = (over: Partial<Finding>): Finding => ({ ...report.findings[1]!, ...over });
  findings.push(
    gone({ id: 'aaaaaaaaaaaaaaaaaaa1', ruleId: 'stale-ami', severity: 'low', instanceId: 'i-0gone00000000000001' }),
    gone({ id: 'aaaaaaaaaaaaaaaaaaa2', accountId: '444444444444', region: 'us-east-1', instanceId: 'i-0gone00000000000002' }),
    gone({ id: 'aaaaaaaaaaaaaaaaaaa3', accountId: '555555555555', region: 'us-east-1', instanceId: 'i-0gone00000000000003' }),
  );
  const coverage = report.coverage.filter((c) => !(c.accountId === '111111111111' && c.region === 'eu-west-1'))
    .map((c) => (c.accountId === '444444444444' ? { ...c, status: 'ok' as const, errorCode: null, errorMessage: null } : c));
  coverage.push({ ...report.coverage[0]!, accountId: '555555555555', region: 'us-east-1', status: 'ok', errorCode: null, errorMessage: null });
  return { ...report, run: { ...report.run, id: 'run-baseline-0001', startedAt: '2026-11-19T00:00:00Z', asOf: '2026-11-19T00:00:00Z' }, findings, coverage };
}

describe('golden files with a baseline', () => {
  const withDiff = fixtureReport(baselineOf(report));
  test('the diff has every bucket', () => {
    expect(withDiff.diff!.counts).toEqual({ new: 1, escalated: 0, resolved: 1, unverified: 2, changed: 2, unchanged: 15 });
  });
  test('terminal summary', () => golden('summary-diff.txt', renderTextSummary(withDiff, [], { failOn: 'high' })));
  test('Markdown', () => golden('report-diff.md', renderMarkdown(withDiff)));
  test('CSV', () => golden('report-diff.csv', renderFindingsCsv(withDiff)));
  test('HTML diff section', () => golden('report-diff.html', /<section id="diff".*?<\/section>/s.exec(renderHtml(withDiff, templates))![0]));
});

describe('diff presentation', () => {
  const withDiff = fixtureReport(baselineOf(report));
  const d = withDiff.diff!;
  test('diffStatusOf gives every current finding one status, the same in the CSV and the HTML', () => {
    const statusOf = diffStatusOf(d);
    const statuses = withDiff.findings.map((f) => statusOf(f.id).status);
    expect(statuses.filter((x) => x === 'new')).toHaveLength(d.counts.new);
    expect(statuses.filter((x) => x === 'changed')).toHaveLength(d.counts.changed);
    expect(statuses.filter((x) => x === 'unchanged')).toHaveLength(d.counts.unchanged);
    const csv = parse(renderFindingsCsv(withDiff), { bom: true, columns: true }) as Record<string, string>[];
    const html = renderHtml(withDiff, templates);
    const rows = JSON.parse(/<script type="application\/json" id="ami-audit-data">(.*?)<\/script>/s.exec(html)![1]!).rows as unknown[][];
    withDiff.findings.forEach((f, i) => {
      const row = csv.find((r) => r.id === f.id)!;
      expect([row.diffStatus, row.diffDetail]).toEqual([statusOf(f.id).status, statusOf(f.id).detail]);
      expect([rows[i]![11], rows[i]![12] ?? '']).toEqual([statusOf(f.id).status, statusOf(f.id).detail]);
    });
  });
  test('the HTML puts a one-line diff summary by the cards, linking to the diff section, which comes before the findings', () => {
    const html = renderHtml(withDiff, templates);
    const line = /<p class="diff-line" id="diff-line">(.*?)<\/p>/s.exec(html)![1]!;
    expect(line).toContain('<strong class="warn">2 unverified</strong>');
    expect(line).toContain('Unverified (2 high): gone, but the newer run could not check them');
    expect(line).toContain('href="#diff"');
    expect(html.indexOf('id="diff-line"')).toBeLessThan(html.indexOf('id="charts"'));
    expect(html.indexOf('<section id="diff"')).toBeLessThan(html.indexOf('<section id="findings"'));
    expect(renderHtml(report, templates)).not.toContain('id="diff-line"');
  });
  test('the waived table has the Change column when there is a diff', () => {
    const waivedHead = (html: string) => /<table class="findings" id="t-waived">.*?<\/thead>/s.exec(html)![0];
    expect(waivedHead(renderHtml(withDiff, templates))).toContain('data-col="11"');
    expect(waivedHead(renderHtml(report, templates))).not.toContain('data-col="11"');
  });
});

const ASSUME_MESSAGE = 'AssumeRole arn:aws:iam::444444444444:role/AmiAuditReadOnly: User: arn:aws:iam::111111111111:user/ami-auditor is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444444444444:role/AmiAuditReadOnly';
const ALLOWED_MESSAGE = 'GetAllowedImagesSettings: You are not authorized to perform this operation. User is not authorized to perform: ec2:GetAllowedImagesSettings';

/** The fixture with the failures a real run records: a partial scope (Allowed AMIs unreadable) and AssumeRole refusals. */
function withFailures(r: Report): Report {
  const coverage = r.coverage.map((c): CoverageEntry => {
    if (c.accountId === '333333333333' && c.region === 'eu-west-1') {
      return { ...c, status: 'partial', allowedImagesState: 'unknown', errorCode: 'UnauthorizedOperation', errorMessage: ALLOWED_MESSAGE, failures: [{ action: 'GetAllowedImagesSettings', code: 'UnauthorizedOperation', message: ALLOWED_MESSAGE }] };
    }
    if (c.accountId === '444444444444') return { ...c, errorMessage: ASSUME_MESSAGE, failures: [{ action: 'AssumeRole', code: 'AccessDenied', message: ASSUME_MESSAGE }] };
    return c;
  });
  return { ...r, coverage, coverageGaps: coverageGaps(coverage) };
}

/** A run stopped by its --deadline, as the collector records it. */
function pastDeadline(r: Report): Report {
  const message = "The run's deadline (2s) passed before this scope finished.";
  const coverage = r.coverage.map((c): CoverageEntry => (c.accountId === '222222222222' && c.region === 'us-east-1'
    ? { ...c, status: 'error', errorCode: 'DeadlineExceeded', errorMessage: message, failures: [{ action: 'Run', code: 'DeadlineExceeded', message }] }
    : c));
  return { ...r, coverage, run: { ...r.run, interrupted: true, warnings: ["The run's deadline (2s) passed: scopes not finished by then are recorded with DeadlineExceeded."] } };
}

describe('coverage failures', () => {
  const r = withFailures(report);
  const partial = r.coverage.find((c) => c.status === 'partial')!;
  const refused = r.coverage.find((c) => c.accountId === '444444444444')!;
  test('a gap names the failing action and code first, and keeps what was refused', () => {
    expect(gapText(partial)).toMatch(/^partial, \d+ instances? read: GetAllowedImagesSettings UnauthorizedOperation \(You are not authorized/);
    expect(gapText(refused)).toMatch(/^error: AssumeRole AccessDenied \(arn:aws:iam::444444444444:role\/AmiAuditReadOnly: User: /);
    const text = renderTextSummary(r);
    expect(text).toContain('not authorized to perform: sts:AssumeRole');
    expect(text).toContain('ec2:GetAllowedImagesSettings');
    const md = renderMarkdown(r);
    expect(md).toContain('not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444444444444:role/AmiAuditReadOnly)');
    // grouped by account and cause: the partial scope is one line, the failing action and code first, then where and the hint
    expect(md).toContain('- 333333333333 (data-dev, Root/Workloads/Dev): partial: GetAllowedImagesSettings UnauthorizedOperation in eu-west-1 — every instance was listed');
    expect(md).toContain('- 444444444444 (legacy): error: AssumeRole AccessDenied in 3 regions (ap-southeast-2, eu-west-1, us-east-1) — the role is missing');
    expect(text).toContain('    333333333333 (data-dev)  partial: GetAllowedImagesSettings UnauthorizedOperation in eu-west-1 — every instance was listed');
  });
  test('a message too long for its room loses its middle, not its end', () => {
    const long = `AssumeRole ${'arn:aws:iam::444444444444:role/'.repeat(20)}x is not authorized to perform: sts:AssumeRole`;
    const short = elideMiddle(long, 120);
    expect([...short]).toHaveLength(120);
    expect(short).toMatch(/^AssumeRole arn/);
    expect(short).toMatch(/not authorized to perform: sts:AssumeRole$/);
    expect(elideMiddle('short', 120)).toBe('short');
  });
  test('the coverage CSV has a failures column of action:code, before the account\'s name and OU path', () => {
    const rows = parse(renderCoverageCsv(r), { bom: true, columns: true }) as Record<string, string>[];
    expect(COVERAGE_COLUMNS.slice(-4)).toEqual(['failures', 'accountName', 'ouPath', 'references']);
    expect(rows.find((x) => x.accountId === partial.accountId && x.region === partial.region)!.failures).toBe('GetAllowedImagesSettings:UnauthorizedOperation');
    expect(rows.find((x) => x.accountId === '444444444444')!.failures).toBe('AssumeRole:AccessDenied');
    expect(rows.find((x) => x.status === 'ok')!.failures).toBe('');
  });
  test('the HTML matrix says a cell is partial and what failed; the detail lists every failure; the legend has "not scanned"', () => {
    const html = renderHtml(r, templates);
    // the cell's text may break between its words (<wbr>)
    const cell = new RegExp(`<td class="cell partial" title="([^"]*)">(.*?)</td>`).exec(html.replace(/<wbr>/g, ''))!;
    expect(cell[2]).toBe(`partial: GetAllowedImagesSettings UnauthorizedOperation; ${partial.instanceCount} instances read`);
    expect(cell[1]).toMatch(/^333333333333 \(data-dev\) \/ eu-west-1: partial, \d+ instances read: GetAllowedImagesSettings/);
    expect(cell[1]).not.toMatch(/partial \(partial/);
    const details = /<ul class="gaps" id="gap-details">(.*?)<\/ul>\s*<\/section>/s.exec(html)![1]!;
    expect(details).toContain('<code>GetAllowedImagesSettings UnauthorizedOperation</code>: You are not authorized');
    expect(details).toContain('<code>AssumeRole AccessDenied</code>');
    expect(html).toContain('<span class="cell none">not scanned</span>');
  });
  test('the banner words each status: error means nothing was checked, partial names what is missing', () => {
    const banner = /<div class="banner".*?<\/div>/s.exec(renderHtml(r, templates))![0];
    expect(banner).toMatch(/\d+ with an error: nothing was checked there, so absence of findings there means nothing/);
    expect(banner).toMatch(/1 partial: something there could not be listed or read/);
    expect(banner).toContain('only the Allowed AMIs state is unknown');
    expect(banner).not.toContain('interrupted');
  });
  test('a run past its --deadline says so, not that it was interrupted', () => {
    const banner = /<div class="banner".*?<\/div>/s.exec(renderHtml(pastDeadline(r), templates))![0];
    expect(banner).toContain("the run&#x27;s deadline passed before they finished");
    expect(banner).not.toContain('interrupted');
    expect(banner).toContain('DeadlineExceeded');
    const interrupted = /<div class="banner".*?<\/div>/s.exec(renderHtml({ ...r, run: { ...r.run, interrupted: true } }, templates))![0];
    expect(interrupted).toContain('the scan was interrupted');
  });
});

describe('ids asked for and run warnings', () => {
  const r: Report = { ...report, notFoundInstanceIds: ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'], uncheckedInstanceIds: ['i-0bbbbbbbbbbbbbbb1'], run: { ...report.run, warnings: ['The local clock looks about 600 s ahead of AWS'] } };
  test('every output lists not-found and unchecked ids whole, and the run warnings', () => {
    const md = renderMarkdown(r);
    const html = renderHtml(r, templates);
    const text = renderTextSummary(r, [], { warnings: true });
    for (const out of [md, html, text]) {
      for (const id of ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2', 'i-0bbbbbbbbbbbbbbb1']) expect(out).toContain(id);
      expect(out).toContain('clock looks about 600 s ahead');
    }
    expect(renderTextSummary(r)).not.toContain('clock looks');
  });
});

describe('JSON', () => {
  test('validates against the published schema with a real validator', () => {
    const validate = reportValidator();
    const doc = JSON.parse(contentText(renderFormat('json', report, templates)[0]!));
    expect(validate(doc)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    expect(validate({ ...doc, run: { ...doc.run, startedAt: 'yesterday' } })).toBe(false);
    expect(validate({ ...doc, schemaVersion: 5 })).toBe(false);
  });
  test('the published schema file is the one the code holds', () => {
    const published = JSON.parse(readFileSync(new URL('../../docs/schema/report.schema.json', import.meta.url), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(reportSchema)));
  });
  test('findings are sorted by severity, then rule, account, region, instance', () => {
    const rank = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
    for (let i = 1; i < report.findings.length; i++) {
      const a = report.findings[i - 1]!, b = report.findings[i]!;
      expect(rank[a.severity] >= rank[b.severity]).toBe(true);
    }
  });
});

describe('CSV', () => {
  const rows = parse(renderFindingsCsv(report), { bom: true, relax_column_count: false }) as string[][];
  test('frozen column order', () => {
    expect(rows[0]).toEqual([...FINDING_COLUMNS]);
    expect(FINDING_COLUMNS.slice(0, 6)).toEqual(['id', 'severity', 'ruleId', 'accountId', 'region', 'instanceId']);
    expect((parse(renderCoverageCsv(report), { bom: true }) as string[][])[0]).toEqual([...COVERAGE_COLUMNS]);
  });
  test('one row per finding, RFC 4180 CRLF records', () => {
    expect(rows.length - 1).toBe(report.findings.length);
    expect(renderFindingsCsv(report)).toContain('\r\n');
  });
  test('cells that start with = + - @ tab or CR are neutralised', () => {
    for (const row of rows.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    const hostile = rows.find((r) => r[6]?.includes('script'))!;
    expect(hostile[6]).toBe(HOSTILE[0]);
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@x')).toBe("'@x");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe("'\rx");
    expect(csvCell('ok=1')).toBe('ok=1');
  });
  test('coverage CSV has every scope', () => {
    expect((parse(renderCoverageCsv(report), { bom: true }) as string[][]).length - 1).toBe(report.coverage.length);
  });
});

describe('HTML', () => {
  const html = renderHtml(report, templates);
  test('is one self-contained file: no external URLs, no remote resources', () => {
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain('Content-Security-Policy');
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/);
  });
  test('templates never triple-stash', () => {
    const all = [templates.main, ...Object.values(templates.partials)].join('\n');
    expect(all).not.toContain('{{{');
  });
  test('hostile strings are escaped and cannot close the data script', () => {
    // only the two script elements of the template
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('</script><script>alert');
    expect(html).toContain('\\u003c/script\\u003e');
    const data = /<script type="application\/json" id="ami-audit-data">(.*?)<\/script>/s.exec(html)![1]!;
    expect(JSON.parse(data).rows.some((r: unknown[]) => r[5] === HOSTILE[0])).toBe(true);
  });
  test('jsonForScript escapes what could break out', () => {
    expect(jsonForScript({ a: '</script><!--' })).toBe('{"a":"\\u003c/script\\u003e\\u003c!--"}');
    expect(jsonForScript('\u2028')).toBe('"\\u2028"');
  });
  test('shows the partial banner, the coverage gaps and every rule', () => {
    expect(html).toContain('id="partial-banner"');
    expect(html).toContain('AccessDenied');
    for (const r of report.rules) expect(html).toContain(`id="rule-${r.id}"`);
  });
});

describe('Markdown and terminal', () => {
  test('Markdown neutralises tables, HTML and emphasis', () => {
    const md = renderMarkdown(report);
    expect(md).not.toContain('<script>');
    expect(md.split('\n').filter((l) => l.startsWith('|')).every((l) => !/[^\\]\|[^|]*\n/.test(l))).toBe(true);
    expect(md).toContain('## Coverage gaps');
  });
  test('terminal output carries no escape sequences or control characters', () => {
    expect(termSafe(HOSTILE[8])).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(termSafe('a\u202eb')).toBe('a b');
    expect([...termSafe('x'.repeat(500), 50)]).toHaveLength(50);
    expect(renderTextSummary(report)).not.toMatch(/\u001b/);
  });
});
