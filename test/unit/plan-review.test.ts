/** What a security lead reading the plan found (issue 12 review): each fixed here. */
import { describe, expect, test } from '@jest/globals';
import type { CoverageEntry } from '../../src/model/types.js';
import { coverageGaps } from '../../src/report/plan.js';
import { error as errorScope } from '../../src/model/coverage.js';
import { renderHtml } from '../../src/render/html.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderTextSummary } from '../../src/render/text.js';
import { csvCell } from '../../src/render/sanitize.js';
import { loadTemplates } from '../../src/io/files.js';
import { fixtureReport, generatedReport } from '../helpers/fixture.js';

const failed = (accountId: string, region: string, code: string, action: string, message: string): CoverageEntry => errorScope(accountId, region, { action, code, message });

describe('coverage gaps: the worst never hides behind a cut list', () => {
  test('an account that could not be reached at all comes first, then the gaps covering the most regions', () => {
    const cov: CoverageEntry[] = [];
    for (let a = 0; a < 50; a++) cov.push(failed(`1000000000${String(a).padStart(2, '0')}`, 'eu-west-1', 'MalformedResponse', 'DescribeInstanceImageMetadata', 'not its answer'));
    for (const r of ['us-east-1', 'eu-west-1', 'ap-southeast-2']) cov.push(failed('999999999999', r, 'AccessDenied', 'AssumeRole', 'AssumeRole arn: not authorized'));
    cov.push(failed('100000000001', 'us-east-1', 'UnauthorizedOperation', 'DescribeInstanceImageMetadata', 'not authorized'));
    const gaps = coverageGaps(cov);
    expect(gaps[0]).toMatchObject({ accountId: '999999999999', cause: 'AccessDenied', regions: ['ap-southeast-2', 'eu-west-1', 'us-east-1'] });
    expect(gaps[0]!.hint).toContain('deploy it');
  });
});

describe('the plan reads right', () => {
  const templates = loadTemplates();
  test('a deprecation date still ahead reads "deprecates", a past one "deprecated"', () => {
    const report = fixtureReport();
    // the text as read: the day and the time of day are kept whole in spans of their own
    const html = renderHtml(report, templates).replace(/<[^>]+>/g, '');
    const future = report.images.find((i) => i.deprecationTime && i.deprecationTime > report.run.asOf)!;
    const past = report.images.find((i) => i.deprecationTime && i.deprecationTime < report.run.asOf)!;
    expect(html).toContain(`deprecates ${future.deprecationTime}`);
    expect(html).toContain(`deprecated ${past.deprecationTime}`);
    expect(html).not.toContain(`deprecated ${future.deprecationTime}`);
  });

  test('the HTML, Markdown and terminal count AMIs with open findings the same way; fully waived ones apart', () => {
    const report = fixtureReport();
    const open = report.images.filter((i) => i.findings > 0).length;
    const waivedOnly = report.images.length - open;
    expect(waivedOnly).toBeGreaterThan(0);
    expect(renderHtml(report, templates)).toContain(`on ${open} AMIs (+${waivedOnly} with waived findings only)`);
    expect(renderMarkdown(report)).toContain(`on ${open} AMIs`);
    expect(renderMarkdown(report)).toContain(`on ${open} AMIs (+${waivedOnly} with waived findings only)`);
    expect(renderTextSummary(report)).toContain(`of ${open} AMIs with unwaived findings (+${waivedOnly} with waived findings only)`);
  });

  test('the by-owner rollup is in the HTML and the Markdown, with its untagged group', () => {
    const report = generatedReport();
    expect(report.owners.length).toBeGreaterThan(1);
    const html = renderHtml(report, templates);
    expect(html).toContain('id="t-owners"');
    expect(html).toContain('<em>(untagged)</em>');
    const md = renderMarkdown(report);
    expect(md).toContain(`## By ${report.owners[0]!.tag}`);
    expect(md).toContain('| (untagged) |');
  });
});

describe('CSV cells', () => {
  test('control characters never reach a CSV cell; tabs and line breaks stay data; formulas are still neutralised', () => {
    // whole escape sequences go (sanitize.ts: cleanText), not only their ESC
    expect(csvCell('k8 \u001b[31mred\u001b]0;title\u0007 end')).toBe('k8 red end');
    expect(csvCell('\u001b=cmd')).toBe("'=cmd");
    expect(csvCell('a\tb\nc')).toBe('a\tb\nc');
  });
});
