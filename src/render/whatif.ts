/** The Allowed AMIs what-if as the renderers say it (report.whatIf; src/report/whatif.ts decides it). Pure. */
import type { WhatIf } from '../model/types.js';

const n = (x: number, one: string, many = `${one}s`): string => `${x.toLocaleString('en-US')} ${x === 1 ? one : many}`;

/** Which criteria the what-if used, in words. */
export function whatIfCriteriaText(w: WhatIf): string {
  return w.criteria === 'proposed' ? `the proposed criteria (--criteria, ${n(w.proposed?.length ?? 0, 'criterion', 'criteria')})` : 'each region\'s current criteria';
}

/** Why a scope was not evaluated, in a few words (the line's counts). */
const WHATIF_REASON_SHORT: Record<string, string> = {
  'state-not-read': 'state not read', 'state-unknown': 'state unknown', 'criteria-not-read': 'criteria not read', enabled: 'already enabled', 'not-audited': 'not audited',
};

/** Why a scope was not evaluated, in a few words: `state not read`. */
export function whatIfReasonShort(reason: string | null): string {
  return WHATIF_REASON_SHORT[reason ?? ''] ?? (reason || 'no reason given');
}

/** The scopes not evaluated, counted by reason: `1 state not read, 1 already enabled`. */
export function whatIfNotEvaluatedText(w: WhatIf): string {
  const by = new Map<string, number>();
  for (const s of w.scopes) if (!s.evaluated) by.set(s.reason ?? '', (by.get(s.reason ?? '') ?? 0) + 1);
  const order = Object.keys(WHATIF_REASON_SHORT);
  return [...by].sort((a, b) => (order.indexOf(a[0]) + 1 || 99) - (order.indexOf(b[0]) + 1 || 99) || (a[0] < b[0] ? -1 : 1))
    .map(([r, k]) => `${k.toLocaleString('en-US')} ${whatIfReasonShort(r)}`).join(', ');
}

/**
 * One line: what enabling Allowed AMIs would refuse, what cannot be decided, and where it was not
 * looked at, by reason. When no scope could be evaluated it says so, never "0 instances would be
 * refused" (which would read as "nothing would break").
 */
export function whatIfLine(w: WhatIf): string {
  const t = w.totals;
  if (t.scopesEvaluated === 0) {
    return `not evaluated in any scope: none is known to be in audit-mode or disabled with ${whatIfCriteriaText(w)} to judge (${n(t.scopesNotEvaluated, 'scope')}: ${whatIfNotEvaluatedText(w)}); what enabling would refuse is unknown`;
  }
  const parts = [
    `${n(t.refusedInstances, 'instance')} on ${n(t.refusedImages, 'AMI')} would be refused a relaunch`,
    t.undecidedInstances || t.undecidedImages ? `${n(t.undecidedInstances, 'instance')} on ${n(t.undecidedImages, 'AMI')} undecided (the metadata cannot tell)` : '',
    t.launchTemplates ? `${n(t.launchTemplates, 'launch template')} would fail` : '',
  ].filter(Boolean);
  const not = t.scopesNotEvaluated ? `; ${n(t.scopesNotEvaluated, 'scope')} not evaluated (${whatIfNotEvaluatedText(w)})` : '';
  return `${parts.join(', ')}, with ${whatIfCriteriaText(w)}, in ${n(t.scopesEvaluated, 'scope')} in audit-mode or disabled${not}`;
}

/** Why a scope was not evaluated, in words. */
export const WHATIF_REASON: Record<string, string> = {
  enabled: 'already enabled (not-allowed-ami reports what it refuses)',
  'state-unknown': 'the Allowed AMIs state could not be read',
  'state-not-read': 'the state was not read (no instance needed it): it may be disabled or in audit-mode; read it with aws ec2 get-allowed-images-settings',
  'criteria-not-read': 'the region\'s criteria were not read',
  'not-audited': 'the scope was not audited',
};

/** The scopes not evaluated that the what-if names (those not audited are the coverage gaps'), in the report's order. */
export function whatIfNotEvaluated(w: WhatIf): WhatIf['scopes'] {
  return w.scopes.filter((s) => !s.evaluated && s.reason !== 'not-audited');
}
