/**
 * The compliance crosswalk as the renderers show it: each rule's controls (the report's rules[]
 * carry them; findings refer to them by rule id), a finding's controls as one short string, and the
 * by-control summary (control -> unwaived findings by severity). Pure.
 */
import type { ControlRef, Report, Severity } from '../model/types.js';
import { SEVERITIES } from '../model/types.js';
import { cmp } from '../model/ids.js';
import { FRAMEWORKS, controlLabel } from '../rules/controls.js';

export { controlLabel };

/** The controls of each rule of the report, by rule id ([] for a rule a report does not describe). */
export function ruleControls(report: Pick<Report, 'rules'>): (ruleId: string) => readonly ControlRef[] {
  const byId = new Map(report.rules.map((r) => [r.id, r.controls ?? []]));
  return (id) => byId.get(id) ?? [];
}

/** A finding's controls in one cell: `NIST SP 800-53 r5 SI-2; PCI DSS v4.0 6.3.3; ...` (empty when none). */
export function controlsText(controls: readonly ControlRef[]): string {
  return controls.map(controlLabel).join('; ');
}

/** The frameworks in the order every output lists them; others (a newer report's) after, by name. */
const FRAMEWORK_ORDER: readonly string[] = Object.values(FRAMEWORKS);
function frameworkRank(f: string): number {
  const i = FRAMEWORK_ORDER.indexOf(f);
  return i < 0 ? FRAMEWORK_ORDER.length : i;
}

/** Control ids in reading order: numbers compared as numbers (CM-2 before CM-6 before CM-8, A.8.8 before A.8.9). */
function idOrder(a: string, b: string): number {
  const pa = a.split(/(\d+)/), pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!, y = pb[i]!;
    if (x === y) continue;
    const nx = Number(x), ny = Number(y);
    if (i % 2 === 1 && Number.isFinite(nx) && Number.isFinite(ny)) return nx - ny;
    return cmp(x, y);
  }
  return pa.length - pb.length;
}

export interface ControlSummaryRow {
  framework: string;
  id: string;
  title: string;
  /** The title when it says more than the id (an Essential Eight strategy's id is its name), else null. */
  detail: string | null;
  /** The rules that map to it, in report order. */
  rules: string[];
  /** Unwaived findings of those rules. */
  findings: number;
  bySeverity: Record<Severity, number>;
}

/**
 * Every control a rule of the report maps to, with the unwaived findings of its rules by severity
 * (a finding counts once per control, however many of its rules map there: one rule per finding).
 * Controls whose rules found nothing are listed with 0: an auditor sees what was checked. Sorted
 * by framework, then control id.
 */
export function controlSummary(report: Pick<Report, 'rules' | 'findings'>): ControlSummaryRow[] {
  const rows = new Map<string, ControlSummaryRow>();
  const byRule = new Map<string, ControlSummaryRow[]>();
  for (const r of report.rules) {
    if (r.severity === 'off') continue;
    const list: ControlSummaryRow[] = [];
    for (const c of r.controls ?? []) {
      const key = `${c.framework}\u0000${c.id}`;
      let row = rows.get(key);
      if (!row) {
        row = { framework: c.framework, id: c.id, title: c.title, detail: c.title === c.id ? null : c.title, rules: [], findings: 0, bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number> };
        rows.set(key, row);
      }
      if (!row.rules.includes(r.id)) row.rules.push(r.id);
      list.push(row);
    }
    byRule.set(r.id, list);
  }
  for (const f of report.findings) {
    if (f.waiver) continue;
    for (const row of byRule.get(f.ruleId) ?? []) {
      row.findings += 1;
      row.bySeverity[f.severity] += 1;
    }
  }
  return [...rows.values()].sort((a, b) => frameworkRank(a.framework) - frameworkRank(b.framework) || cmp(a.framework, b.framework) || idOrder(a.id, b.id));
}

/** Controls grouped by framework, for a narrow cell: `NIST SP 800-53 r5: SI-2, CM-2; PCI DSS v4.0: 6.3.3`. */
export function controlsByFramework(controls: readonly ControlRef[]): string {
  const groups = new Map<string, string[]>();
  for (const c of controls) {
    const ids = groups.get(c.framework) ?? [];
    ids.push(c.id);
    groups.set(c.framework, ids);
  }
  return [...groups].map(([f, ids]) => `${f}: ${ids.join(', ')}`).join('; ');
}
