/**
 * Golden files of every format on a generated fleet with skew (test/helpers/fixture.ts
 * generatedReport: 300 instances, half of them in a tenth of the scopes, one account refusing
 * AssumeRole, two tag columns, an active and an expired waiver). The files live in
 * test/golden/generated; after a deliberate change, regenerate them with
 * `UPDATE_GOLDEN=1 npm test -- test/unit/render-generated.test.ts` and review the diff.
 */
import { describe, expect, test } from '@jest/globals';
import { checkGolden } from '../helpers/golden.js';
import { contentText, FORMATS, RENDERERS, renderFormat } from '../../src/render/index.js';
import { renderTextSummary } from '../../src/render/text.js';
import { loadTemplates } from '../../src/io/files.js';
import { generatedReport, GENERATED_TAG_COLUMNS } from '../helpers/fixture.js';
import type { Report } from '../../src/model/types.js';

const templates = loadTemplates();
const dir = new URL('../golden/generated/', import.meta.url);

/** Every file of every format in the registry, plus the terminal summary, by golden file name. */
function renderAll(report: Report): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of RENDERERS) {
    for (const f of renderFormat(r.format, report, templates)) files.set(`report${f.suffix}`, contentText(f));
  }
  files.set('summary.txt', renderTextSummary(report, ['reports/ami-audit-20261126T000000Z.json']));
  return files;
}

const report = generatedReport();
const files = renderAll(report);

describe('the generated fleet with skew', () => {
  test('is the fleet it says: skewed, one account failing, tag columns, every severity the rules give', () => {
    const perScope = report.coverage.filter((c) => c.status === 'ok').map((c) => c.instanceCount).sort((a, b) => b - a);
    expect(perScope[0]!).toBeGreaterThan(3 * perScope[perScope.length - 1]!);
    expect(report.coverageGaps.map((g) => [g.status, g.cause, g.regions.length])).toEqual([['error', 'AccessDenied', 3]]);
    expect(report.tagColumns).toEqual(GENERATED_TAG_COLUMNS);
    expect(report.owners.map((o) => o.value)).toContain(null);
    expect(new Set(report.findings.map((f) => f.severity))).toEqual(new Set(['high', 'medium', 'low']));
    const notAllowed = report.findings.filter((f) => f.ruleId === 'not-allowed-ami');
    expect(new Set(notAllowed.map((f) => f.severity))).toEqual(new Set(['high', 'medium']));
    expect(report.findings.some((f) => f.waiver)).toBe(true);
    expect(report.findings.some((f) => f.expiredWaiver)).toBe(true);
  });
});

describe('golden files of the generated fleet', () => {
  test('one file per rendered file of every format, and the terminal summary', () => {
    // one file per account and region, named by them: 7 of findings, 3 of the failing account's scopes (one per region: they are never silent)
    const asff = [...files.keys()].filter((n) => /^report-asff-\d{12}-[a-z]{2}(-[a-z]+)+-\d-\d{3}\.json$/.test(n)).sort();
    expect(asff).toHaveLength(10);
    expect([...files.keys()].sort()).toEqual([...asff, 'report-coverage.csv', 'report-images.csv', 'report-whatif.csv', 'report.csv', 'report.html', 'report.json', 'report.md', 'report.ocsf.json', 'summary.txt']);
    expect(RENDERERS.map((r) => r.format)).toEqual([...FORMATS]);
  });
  test.each([...files.keys()])('%s', (name) => {
    checkGolden(new URL(name, dir), files.get(name)!);
  });
  test('the files stay small', () => {
    // the default formats and the summary; the security-pipeline formats (a copy of every finding each) apart
    const security = (name: string) => /(\.ocsf|-asff-.+)\.json$/.test(name);
    const size = (pick: (name: string) => boolean) => [...files].filter(([name]) => pick(name)).reduce((n, [, c]) => n + Buffer.byteLength(c), 0);
    // (420 KB: the rule reference of JSON and HTML carries seventeen rules with their controls)
    expect(size((name) => !security(name))).toBeLessThan(420_000);
    expect(size(security)).toBeLessThan(250_000);
  });
  test('deterministic: the same fleet, built and rendered again, gives the same bytes', () => {
    const again = renderAll(generatedReport());
    expect([...again.keys()]).toEqual([...files.keys()]);
    for (const [name, content] of files) expect(again.get(name)).toBe(content);
  });
});
