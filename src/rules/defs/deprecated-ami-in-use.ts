import { CONTROLS } from '../controls.js';
import { defineRule } from '../types.js';
import { daysAgo, daysBetween, plural } from '../dates.js';

export default defineRule({
  meta: {
    id: 'deprecated-ami-in-use',
    title: 'An AMI you own is deprecated but still used (blast radius)',
    description: '`ami-audit images`: an AMI an audited account owns is deprecated at the as-of time and its usage report (CreateImageUsageReport) shows at least blastRadiusAccounts accounts with instances or launch templates on it: disabling or deregistering it breaks them. When the report did not complete, the AMI is reported with its consumers unknown (medium), never as unused.',
    severity: 'high',
    severityStates: { 'in-use': 'base', 'usage-unknown': 'medium' },
    controls: [CONTROLS.nistSi2, CONTROLS.nistCm8, CONTROLS.isoA88],
    category: 'provenance',
    remediation: 'Tell the consumer accounts (the report lists them, with their instances and launch templates) to move to the successor AMI; keep the deprecated AMI (with deregistration protection) until its usage report shows no consumer.',
    options: { blastRadiusAccounts: { type: 'integer', default: 1, minimum: 1, description: 'Consumer accounts from which a deprecated AMI is reported.' } },
  },
  evaluate: () => [],
  evaluateOwnedImage(v, ctx) {
    const d = v.deprecation;
    if (d?.ms == null || d.ms > ctx.asOfMs || v.image.state === 'deregistered') return [];
    const when = `Deprecated on ${ctx.fmt(d.ms)} (${daysAgo(daysBetween(d.ms, ctx.asOfMs))})`;
    const usage = v.image.usage;
    if (v.consumers === null) {
      if (usage?.status !== 'unknown') return [];
      return [{ message: `${when}; who still uses it is unknown: ${usage.reason ?? 'the usage report did not complete'}.`, severity: 'medium', state: 'usage-unknown', key: 'usage-unknown' }];
    }
    const users = v.consumers.filter((c) => c.instances + c.launchTemplates > 0);
    if (users.length < Number(ctx.options.blastRadiusAccounts ?? 1)) return [];
    const outside = users.filter((c) => c.inOrganization === false).length;
    const instances = users.reduce((n, c) => n + c.instances, 0);
    const templates = users.reduce((n, c) => n + c.launchTemplates, 0);
    return [{
      message: `${when}; still used by ${plural(users.length, 'account')}${outside ? ` (${outside} outside the organisation)` : ''}: ${plural(instances, 'instance')}, ${plural(templates, 'launch template')}.`,
      state: 'in-use', key: 'in-use',
    }];
  },
});
