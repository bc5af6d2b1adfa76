/** The Allowed AMIs what-if as the renderers say it (report.whatIf; src/report/whatif.ts decides it). Pure. */
import type { WhatIf } from '../model/types.js';

const n = (x: number, one: string, many = `${one}s`): string => `${x.toLocaleString('en-US')} ${x === 1 ? one : many}`;

/** Which criteria the what-if used, in words. */
export function whatIfCriteriaText(w: WhatIf): string {
  return w.criteria === 'proposed' ? `the proposed criteria (--criteria, ${n(w.proposed?.length ?? 0, 'criterion', 'criteria')})` : 'each region\'s current criteria';
}

/** One line: what enabling Allowed AMIs would refuse, what cannot be decided, and where it was not looked at. */
export function whatIfLine(w: WhatIf): string {
  const t = w.totals;
  const parts = [
    `${n(t.refusedInstances, 'instance')} on ${n(t.refusedImages, 'AMI')} would be refused a relaunch`,
    t.undecidedInstances || t.undecidedImages ? `${n(t.undecidedInstances, 'instance')} on ${n(t.undecidedImages, 'AMI')} undecided (the metadata cannot tell)` : '',
    t.launchTemplates ? `${n(t.launchTemplates, 'launch template')} would fail` : '',
  ].filter(Boolean);
  const not = t.scopesNotEvaluated ? `; ${n(t.scopesNotEvaluated, 'scope')} not evaluated (enabled, state not read or not audited)` : '';
  return `${parts.join(', ')}, with ${whatIfCriteriaText(w)}, in ${n(t.scopesEvaluated, 'scope')} in audit-mode or disabled${not}`;
}

/** Why a scope was not evaluated, in words. */
export const WHATIF_REASON: Record<string, string> = {
  enabled: 'already enabled (not-allowed-ami reports what it refuses)',
  'state-unknown': 'the Allowed AMIs state could not be read',
  'state-not-read': 'the state was not read (no instance needed it): rerun to know',
  'criteria-not-read': 'the region\'s criteria were not read',
  'not-audited': 'the scope was not audited',
};
