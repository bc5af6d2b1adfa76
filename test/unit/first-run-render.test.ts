/**
 * What a first run shows (issue 25): the plan's CSV names accounts, the terminal and the Markdown
 * count AMIs alike, numbers read with thousands separators, and every rule gets its line.
 */
import { describe, expect, test } from '@jest/globals';
import { parse } from 'csv-parse/sync';
import { renderImagesCsv } from '../../src/render/csv.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderTextSummary } from '../../src/render/text.js';
import type { Report } from '../../src/model/types.js';
import { fixtureReport, FIXTURE_ACCOUNTS } from '../helpers/fixture.js';

const report = fixtureReport();

describe('the -images.csv', () => {
  test('account cells hold names with ids, capped with "+N more"', () => {
    const many = Array.from({ length: 13 }, (_, i) => String(100000000000 + i));
    const first = report.images![0]!;
    const wide: Report = {
      ...report,
      accounts: [...(report.accounts ?? []), ...many.map((accountId, i) => ({ accountId, name: `team-${i}`, ouPath: null, state: 'ACTIVE' }))],
      images: [{ ...first, accounts: many }, ...report.images!.slice(1)],
    };
    const rows = parse(renderImagesCsv(wide), { bom: true, columns: true }) as Record<string, string>[];
    expect(rows[0]!.accounts).toBe(`${many.slice(0, 10).map((id, i) => `${id} (team-${i})`).join('; ')}; +3 more`);
    // the fixture's own plan: every account named
    const own = parse(renderImagesCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    const named = new Map(FIXTURE_ACCOUNTS.map((a) => [a.accountId, a.name]));
    report.images!.forEach((e, i) => expect(own[i]!.accounts).toBe(e.accounts.map((id) => (named.get(id) ? `${id} (${named.get(id)})` : id)).join('; ')));
  });
});

describe('the terminal summary and the Markdown', () => {
  const base = report.images!.find((e) => e.findings > 0)!;
  /** A plan of `n` AMIs flagged by `rule`, from place `from`. */
  const plan = (rule: string, n: number, from: number) => Array.from({ length: n }, (_, i) => ({
    ...base, priority: from + i, imageId: `ami-0${String(from + i).padStart(16, '0')}`, name: `${rule}-image-${i}`,
    rules: [{ ruleId: rule, severity: 'high' as const, findings: 2 }], findings: 2, waived: 0,
  }));

  test('count AMIs the same way: those with unwaived findings', () => {
    const waivedOnly = { ...base, priority: 99, imageId: 'ami-0ffffffffffffffff', findings: 0, waived: 3 };
    const r: Report = { ...report, images: [...plan('untrusted-owner', 8, 1), waivedOnly] };
    const text = renderTextSummary(r);
    const md = renderMarkdown(r);
    expect(text).toContain('fix first  5 of 8 AMIs with unwaived findings (+1 with waived findings only), in priority order');
    expect(md).toMatch(/^# AMI audit: .* on 8 AMIs \(\+1 with waived findings only\)/);
  });

  test('numbers read with thousands separators', () => {
    const s = report.summary;
    const r: Report = { ...report, summary: { ...s, instancesScanned: 150_000, instancesEvaluated: 149_990, findingsUnwaived: 137_191, bySeverity: { ...s.bySeverity, high: 137_191 } } };
    const text = renderTextSummary(r);
    const md = renderMarkdown(r);
    expect(text).toContain('instances  150,000 scanned, 149,990 evaluated');
    expect(text).toMatch(/\n {4}high +137,191\n/);
    expect(md).toContain('- Instances: 150,000 scanned, 149,990 evaluated');
    expect(md).toContain('| high | 137,191 |');
    expect(md).toMatch(/^# AMI audit: 137,191 unwaived findings/);
  });

  test('every rule gets a count line and its first AMIs, so a lifecycle finding is never crowded out', () => {
    // the plan's first 60 places go to untrusted owners; the deprecated, deregistered and disabled AMIs come after
    const images = [...plan('untrusted-owner', 60, 1), ...plan('deprecated-ami', 4, 61), ...plan('deregistered-ami', 1, 65), ...plan('disabled-ami', 1, 66)];
    const r: Report = { ...report, images };
    const text = renderTextSummary(r);
    const md = renderMarkdown(r);
    expect(text).toMatch(/\n {4}deprecated-ami +8 on 4 AMIs: #61 ami-0\d{16}, #62 ami-0\d{16}, #63 ami-0\d{16}, \+1 more\n/);
    expect(text).toMatch(/\n {4}deregistered-ami +2 on 1 AMI: #65 ami-0\d{16}\n/);
    expect(text).toMatch(/\n {4}disabled-ami +2 on 1 AMI: #66 ami-0\d{16}\n/);
    expect(text).toMatch(/\n {4}untrusted-owner +120 on 60 AMIs: #1 /);
    expect(md).toMatch(/\n\| deprecated-ami \| high \| 8 \| 4 \| 61: ami-0\d{16} \(deprecated-ami-image-0\), 62: [^|]* and 1 more \| NIST SP 800-53 r5: SI-2[^|\n]* \|\n/);
    expect(md).toMatch(/\n\| deregistered-ami \| high \| 2 \| 1 \| 65: ami-0\d{16} \(deregistered-ami-image-0\) \| NIST SP 800-53 r5: [^|\n]* \|\n/);
    expect(md).toMatch(/\n\| disabled-ami \| high \| 2 \| 1 \| 66: /);
    // the rule rows come before the plan, in the registry's order
    expect(md.indexOf('| deprecated-ami |')).toBeLessThan(md.indexOf('## AMIs to fix first'));
    expect(md.indexOf('| deprecated-ami |')).toBeLessThan(md.indexOf('| untrusted-owner |'));
  });
});
