/**
 * The demo's config: the accounts discovered with AWS Organizations (the demo caller is the
 * management account of the demo organisation), a role name, a trusted image account, what
 * references the flagged AMIs (--references), and waivers active, expired and stale.
 */
import { DateTime } from 'luxon';
import type { AuditConfig } from '../config/config.js';
import { DEMO_ACCOUNTS, DEMO_OPT_IN_REGION, DEMO_REGIONS, DEMO_TRUSTED_ACCOUNT } from '../emulator/demo.js';

export function demoConfig(now: DateTime): AuditConfig {
  const day = (d: number): string => now.plus({ days: d }).toISODate()!;
  return {
    organization: true,
    references: true,
    successors: true,
    roleName: 'AmiAuditReadOnly',
    regions: [...DEMO_REGIONS, DEMO_OPT_IN_REGION],
    trustedAccounts: [DEMO_TRUSTED_ACCOUNT],
    waivers: [
      { id: 'legacy-monolith-migration', ruleId: 'stale-ami', tag: 'Name=legacy-monolith', reason: 'Replatforming in Q1; tracked in the migration plan', expires: day(90), ticket: 'SEC-1042', approvedBy: 'ciso@example.com' },
      { id: 'billing-worker-freeze', ruleId: 'deprecated-ami', accountId: DEMO_ACCOUNTS.prod, tag: 'Name=billing-worker-1', reason: 'Change freeze over month end', expires: day(-10), ticket: 'SEC-0977', approvedBy: 'secops@example.com' },
      { id: 'decommissioned-host', instanceId: 'i-0123456789abcdef0', reason: 'Host retired last year', expires: day(30), ticket: 'SEC-0500' },
    ],
  };
}
