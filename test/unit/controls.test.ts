/** The compliance crosswalk: every rule maps to controls, each mapping is cited, and every format carries them. */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { RULES } from '../../src/rules/registry.js';
import { CONTROLS, FRAMEWORKS, controlLabel } from '../../src/rules/controls.js';
import { controlSummary, controlsText } from '../../src/render/controls.js';
import { renderFindingsCsv, FINDING_COLUMNS } from '../../src/render/csv.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderHtml, tableData } from '../../src/render/html.js';
import { ocsfEvents } from '../../src/render/ocsf.js';
import { asffBatches, MAX_RELATED_REQUIREMENTS } from '../../src/render/asff.js';
import { renderJsonChunks } from '../../src/render/json.js';
import { loadTemplates } from '../../src/io/files.js';
import { reportValidator } from '../../src/schema/validate.js';
import { fixtureReport } from '../helpers/fixture.js';
import type { Report } from '../../src/model/types.js';

const report = fixtureReport();
const known = new Set(Object.values(CONTROLS).map(controlLabel));

describe('rule metadata', () => {
  test('every rule maps to at least one control, each from the table, none twice', () => {
    for (const r of RULES) {
      const labels = r.meta.controls.map(controlLabel);
      expect(`${r.meta.id}: ${labels.length > 0}`).toBe(`${r.meta.id}: true`);
      for (const l of labels) expect(known.has(l)).toBe(true);
      expect(new Set(labels).size).toBe(labels.length);
    }
  });

  test('every mapping is cited in the rule\'s docs: a Compliance section names each control and the sources', () => {
    for (const r of RULES) {
      const doc = readFileSync(new URL(`../../docs/rules/${r.meta.id}.md`, import.meta.url), 'utf8');
      const at = doc.indexOf('\n## Compliance\n');
      expect(`${r.meta.id}: ${at >= 0}`).toBe(`${r.meta.id}: true`);
      const section = doc.slice(at);
      for (const c of r.meta.controls) {
        const row = section.split('\n').find((l) => l.startsWith(`| ${c.framework} | ${c.id} |`));
        expect(`${r.meta.id} ${controlLabel(c)}: ${row !== undefined && /Here: \S/.test(row)}`).toBe(`${r.meta.id} ${controlLabel(c)}: true`);
      }
      // a source for every framework the rule maps to
      const frameworks = new Set(r.meta.controls.map((c) => c.framework));
      const sources = section.slice(section.indexOf('Sources of the control texts'));
      const words: Record<string, RegExp> = {
        [FRAMEWORKS.nist]: /NIST SP 800-53 Rev\. 5 control statements: \[/, [FRAMEWORKS.pci]: /PCI DSS v4\.0 requirement 6\.3\.3 text: \[/,
        [FRAMEWORKS.cis]: /CIS AWS Compute Services Benchmark v1\.0\.0 .*\]\(https:/, [FRAMEWORKS.iso]: /ISO\/IEC 27001:2022 Annex A: \[/, [FRAMEWORKS.e8]: /ASD Essential Eight maturity model: \[/,
      };
      for (const f of frameworks) expect(`${r.meta.id} ${f}: ${words[f]!.test(sources)}`).toBe(`${r.meta.id} ${f}: true`);
    }
  });

  test('the CIS ids are 2.1.x of the benchmark, from the table: 2.1.3 for running AMIs, 2.1.4 only for stale-ami, 2.1.5 for public AMIs', () => {
    const table = new Set(Object.values(CONTROLS).filter((c) => c.framework === FRAMEWORKS.cis).map((c) => c.id));
    expect([...table].sort()).toEqual(['2.1.3', '2.1.4', '2.1.5']);
    const cis = RULES.flatMap((r) => r.meta.controls.filter((c) => c.framework === FRAMEWORKS.cis).map((c) => `${r.meta.id}:${c.id}`)).sort();
    for (const x of cis) expect(table.has(x.split(':')[1]!)).toBe(true);
    expect(cis).toContain('public-ami:2.1.5');
    expect(cis.filter((x) => x.endsWith(':2.1.4'))).toEqual(['stale-ami:2.1.4']);
    expect(cis.filter((x) => x.endsWith(':2.1.5'))).toEqual(['public-ami:2.1.5']);
    expect(CONTROLS.cis215.title).toBe('Ensure Images are not Publicly Available');
  });
});

describe('every format carries the controls', () => {
  const f = report.findings.find((x) => x.ruleId === 'deprecated-ami' && !x.waiver) ?? report.findings.find((x) => x.ruleId === 'deprecated-ami')!;
  const expected = controlsText(RULES.find((r) => r.meta.id === 'deprecated-ami')!.meta.controls);

  test('JSON: rules[] carry them, findings do not copy them, and the report validates', () => {
    const doc = JSON.parse([...renderJsonChunks(report)].join('')) as Report;
    const rule = doc.rules.find((r) => r.id === 'deprecated-ami')!;
    expect(rule.controls!.map(controlLabel)).toContain('NIST SP 800-53 r5 SI-2');
    expect(doc.findings.every((x) => !('controls' in x))).toBe(true);
    expect(reportValidator()(doc)).toBe(true);
  });

  test('CSV: a controls column after the frozen ones, filled from the finding\'s rule', () => {
    expect(FINDING_COLUMNS.at(-1)).toBe('controls');
    expect(FINDING_COLUMNS.indexOf('lifecycle')).toBe(FINDING_COLUMNS.length - 2);
    const rows = parse(renderFindingsCsv(report), { bom: true, columns: true }) as Record<string, string>[];
    const row = rows.find((r) => r.id === f.id)!;
    expect(row.controls).toBe(expected);
    expect(expected).toMatch(/^NIST SP 800-53 r5 SI-2; NIST SP 800-53 r5 CM-2; PCI DSS v4\.0 6\.3\.3; /);
  });

  test('Markdown: the rule table names the controls and a by-control table counts the findings', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('## Compliance controls');
    expect(md).toMatch(/\| deprecated-ami \| high \|[^\n]*\| NIST SP 800-53 r5: SI-2, CM-2; PCI DSS v4\.0: 6\.3\.3;/);
    const sum = controlSummary(report).find((c) => c.id === 'CM-6')!;
    expect(md).toContain(`| NIST SP 800-53 r5 | CM-6 Configuration Settings | ${sum.findings} |`);
  });

  test('HTML: a by-control section, the controls of each rule, and each finding row\'s rule controls (escaped data)', () => {
    const html = renderHtml(report, loadTemplates());
    expect(html).toContain('<section id="controls" aria-label="Compliance controls">');
    expect(html).toContain('<span class="chip" title="Flaw Remediation">NIST SP 800-53 r5 SI-2</span>');
    const data = tableData(report.findings, report.diff, report.images, report.tagColumns, undefined, report.rules);
    expect(data.ruleControls[data.rules.indexOf('deprecated-ami')]).toBe(expected);
  });

  test('OCSF: unmapped.ami_audit.compliance with standards, requirements and the rule as control; not at the top level, not on coverage records', () => {
    const events = ocsfEvents(report);
    const ev = events.find((e) => (e.unmapped as { ami_audit: { finding_id?: string } }).ami_audit.finding_id === f.id)!;
    const c = (ev.unmapped as { ami_audit: { compliance: { control: string; standards: string[]; requirements: string[]; status_id: number } } }).ami_audit.compliance;
    expect(c.control).toBe('deprecated-ami');
    expect(c.standards).toEqual([FRAMEWORKS.nist, FRAMEWORKS.pci, FRAMEWORKS.iso, FRAMEWORKS.e8]);
    expect(c.requirements).toContain('ISO/IEC 27001:2022 A.8.8');
    expect(c.status_id).toBe(3);
    expect('compliance' in ev).toBe(false);
    const scope = events.find((e) => (e.metadata as { event_code: string }).event_code === 'coverage');
    if (scope) expect('compliance' in (scope.unmapped as { ami_audit: object }).ami_audit).toBe(false);
  });

  test('ASFF: Compliance.RelatedRequirements, at most 32, none for a rule without controls', () => {
    const all = asffBatches(report).flat();
    const a = all.find((x) => x.ProductFields['ami-audit/FindingId'] === f.id)!;
    expect(a.Compliance.Status).toBe('FAILED');
    expect(a.Compliance.RelatedRequirements).toEqual(expected.split('; '));
    // a rule with more controls than the API takes is cut to 32; one with none gets no list
    const many = Array.from({ length: 40 }, (_, i) => ({ framework: 'X', id: `C-${i}`, title: 't' }));
    const wide: Report = { ...report, rules: report.rules.map((r) => (r.id === 'deprecated-ami' ? { ...r, controls: many } : r.id === 'stale-ami' ? { ...r, controls: [] } : r)) };
    const w = asffBatches(wide).flat();
    expect(w.find((x) => x.ProductFields['ami-audit/FindingId'] === f.id)!.Compliance.RelatedRequirements).toHaveLength(MAX_RELATED_REQUIREMENTS);
    const stale = w.find((x) => x.ProductFields['ami-audit/RuleId'] === 'stale-ami')!;
    expect('RelatedRequirements' in stale.Compliance).toBe(false);
    for (const x of all) for (const r of x.Compliance.RelatedRequirements ?? []) expect(r).toMatch(/\S/);
  });
});

describe('the by-control summary', () => {
  test('counts unwaived findings of the rules that map to each control, by severity, and lists quiet controls with 0', () => {
    const rows = controlSummary(report);
    const si2 = rows.find((c) => c.id === 'SI-2')!;
    const rulesOfSi2 = new Set(RULES.filter((r) => r.meta.controls.some((c) => c.id === 'SI-2')).map((r) => r.meta.id));
    const open = report.findings.filter((x) => !x.waiver && rulesOfSi2.has(x.ruleId));
    expect(si2.findings).toBe(open.length);
    expect(si2.bySeverity.high).toBe(open.filter((x) => x.severity === 'high').length);
    // a rule switched off takes its controls out; a control whose rules found nothing stays with 0
    const quiet: Report = { ...report, findings: [] };
    expect(controlSummary(quiet).every((c) => c.findings === 0)).toBe(true);
    expect(controlSummary(quiet).length).toBe(rows.length);
    const cm6 = new Set(RULES.filter((r) => r.meta.controls.some((c) => c.id === 'CM-6')).map((r) => r.meta.id));
    const off: Report = { ...report, rules: report.rules.map((r) => (cm6.has(r.id) ? { ...r, severity: 'off' as const } : r)) };
    expect(controlSummary(off).some((c) => c.id === 'CM-6')).toBe(false);
    // framework order, then ids in number order
    expect(rows.map((c) => c.id).slice(0, 4)).toEqual(['CM-2', 'CM-6', 'CM-8', 'SI-2']);
  });
});
