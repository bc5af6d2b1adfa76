/**
 * The HTML at organisation scale (issue 22): above GROUPED_ABOVE findings the page shows them
 * grouped by severity, rule and AMI with counts by account and region and a bounded sample of
 * instance rows, stays within its size bound, and says at the top of the findings and on paper
 * that every finding is in the CSV and JSON files, by name. Below the threshold it is as before.
 */
import { describe, expect, test } from '@jest/globals';
import { detailFilesText, GROUPED_ABOVE, renderHtml } from '../../src/render/html.js';
import { loadTemplates } from '../../src/io/files.js';
import { fixtureReport } from '../helpers/fixture.js';
import { generatedOrgReport } from '../helpers/org-report.js';

const FILES = { stem: 'ami-audit-20261126-000000', formats: ['html', 'csv', 'json', 'md'] };
const dataOf = (html: string) => JSON.parse(/<script type="application\/json" id="ami-audit-data">(.*?)<\/script>/s.exec(html)![1]!) as {
  rows: unknown[][]; grouped: { width: number; groups: unknown[][]; findings: number; omitted: { groups: number; findings: number }; tagCombos: unknown[] | null } | null; accounts: string[]; regions: string[]; rules: string[];
};
const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe('a report above the threshold', () => {
  const report = generatedOrgReport(24_000, 40);
  const html = renderHtml(report, loadTemplates(), FILES);
  const data = dataOf(html);

  test('is grouped, and the size stays bounded: a small fraction of the instance-by-instance page', () => {
    expect(report.findings.length).toBeGreaterThan(GROUPED_ABOVE * 3);
    const bytes = Buffer.byteLength(html);
    expect(bytes).toBeLessThan(10 * 1024 * 1024);
    // the same report drawn instance by instance: every finding a row
    const full = Buffer.byteLength(renderHtml({ ...report, findings: report.findings.slice(0, GROUPED_ABOVE) }, loadTemplates(), FILES)) * (report.findings.length / GROUPED_ABOVE);
    expect(bytes / full).toBeLessThan(0.5);
    // instance rows: a sample of at most 5,000
    expect(data.rows.length).toBeLessThanOrEqual(5_000);
    expect(data.rows.length).toBeGreaterThan(0);
  });

  test('the groups count every finding, by account and region', () => {
    const g = data.grouped!;
    expect(g.findings).toBe(report.findings.length);
    expect(g.omitted).toEqual({ groups: 0, findings: 0 });
    let total = 0;
    const byAccount = new Map<string, number>();
    for (const grp of g.groups) {
      const cells = grp[6] as number[];
      for (let i = 0; i < cells.length; i += g.width) {
        const n = cells[i + 2]! + cells[i + 3]!;
        total += n;
        const a = data.accounts[cells[i]!]!;
        byAccount.set(a, (byAccount.get(a) ?? 0) + n);
      }
    }
    expect(total).toBe(report.findings.length);
    const expected = new Map<string, number>();
    for (const f of report.findings) expected.set(f.accountId, (expected.get(f.accountId) ?? 0) + 1);
    expect(byAccount).toEqual(expected);
  });

  test('says at the top of the findings and on the first printed page that every finding is in the CSV and JSON, naming them', () => {
    const t = text(html);
    expect(html).toContain('id="detail-note"');
    expect(t).toContain(`The ${report.findings.length.toLocaleString('en-US')} findings are shown grouped by severity, rule and AMI`);
    expect(t).toContain('every finding, instance by instance, is in ami-audit-20261126-000000.csv and ami-audit-20261126-000000.json');
    // the first page's print note (the findings do not print by default at this size) and the one printed with them
    const note = /<p class="print-only" id="findings-print-note">(.*?)<\/p>/s.exec(html)![1]!;
    expect(note).toMatch(/shows them grouped by rule and AMI with a sample of instances: every one is in ami-audit-20261126-000000\.csv and ami-audit-20261126-000000\.json/);
    expect(html).toContain('id="grouped-print-note"');
    // the notice comes before the filters and the tables
    expect(html.indexOf('id="detail-note"')).toBeLessThan(html.indexOf('id="filters"'));
  });

  test('is deterministic, and carries tag values as combinations for the tag filters', () => {
    expect(renderHtml(report, loadTemplates(), FILES)).toBe(html);
    // a Name tag has a value per instance: too many to count by; the sample still carries them
    const tagged = generatedOrgReport(8_000, 12, { tagColumns: ['Name'] });
    const named = renderHtml(tagged, loadTemplates(), FILES);
    const d = dataOf(named);
    expect(tagged.findings.length).toBeGreaterThan(GROUPED_ABOVE);
    expect(d.grouped!.width).toBe(4);
    expect(d.grouped!.tagCombos).toBeNull();
    expect(d.rows.length).toBeLessThanOrEqual(5_000);
    // a tag with few values: counted by
    const teams = ['payments', 'search', 'platform'];
    const byTeam = { ...tagged, tagColumns: ['team'], findings: tagged.findings.map((f, i) => ({ ...f, tags: [teams[i % 3]!] })) };
    const t = dataOf(renderHtml(byTeam, loadTemplates(), FILES));
    expect(t.grouped!.width).toBe(5);
    expect([...(t.grouped!.tagCombos as string[][])].sort()).toEqual([['payments'], ['platform'], ['search']]);
  });
});

describe('below the threshold', () => {
  test('the findings are drawn instance by instance, as before, and no grouped notice appears', () => {
    const report = fixtureReport();
    const html = renderHtml(report, loadTemplates(), FILES);
    const data = dataOf(html);
    expect(data.grouped).toBeNull();
    expect(data.rows.length).toBe(report.findings.length);
    expect(html).not.toContain('id="detail-note"');
    expect(html).not.toContain('id="t-groups"');
    expect(html).toContain('<h2>Findings, instance by instance</h2>');
  });
});

describe('the files named', () => {
  test('by the run that writes them; what to do when it writes neither', () => {
    expect(detailFilesText(FILES)).toBe('ami-audit-20261126-000000.csv and ami-audit-20261126-000000.json');
    expect(detailFilesText({ stem: 'x', formats: ['json', 'html'] })).toBe('x.json');
    expect(detailFilesText({ stem: 'x', formats: ['html'] })).toMatch(/this run did not write .*--format csv or json/);
    expect(detailFilesText()).toBe('the findings CSV and the JSON report of this run');
  });
});
