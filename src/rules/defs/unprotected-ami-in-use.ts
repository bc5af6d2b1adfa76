import { CONTROLS } from '../controls.js';
import { defineRule } from '../types.js';
import { daysAgo, daysBetween, plural } from '../dates.js';

export default defineRule({
  meta: {
    id: 'unprotected-ami-in-use',
    title: 'An AMI you own is in use but can be deregistered by accident',
    description: '`ami-audit images`: an AMI an audited account owns is in use (its usage report shows an account using it, or it launched an instance within the last unusedDays days, DescribeImages lastLaunchedTime) and deregistration protection is off. Deregistering it breaks every launch template and Auto Scaling group that names it.',
    severity: 'medium',
    controls: [CONTROLS.nistCm6, CONTROLS.nistCm2, CONTROLS.isoA89],
    category: 'provenance',
    remediation: 'Turn deregistration protection on (aws ec2 enable-image-deregistration-protection --image-id AMI_ID --with-cooldown); deprecate the AMI first when it is to be retired, and deregister it only when its usage report shows no consumer.',
    options: { unusedDays: { type: 'integer', default: 180, minimum: 1, description: 'Days since its last launch after which an AMI counts as unused (--unused-days).' } },
  },
  evaluate: () => [],
  evaluateOwnedImage(v, ctx) {
    if (v.protected || v.image.state === 'deregistered') return [];
    const users = (v.consumers ?? []).filter((c) => c.instances + c.launchTemplates > 0);
    const days = Number(ctx.options.unusedDays ?? 180);
    const last = v.lastLaunched?.ms ?? null;
    const recent = last !== null && last <= ctx.asOfMs && daysBetween(last, ctx.asOfMs) <= days;
    if (users.length === 0 && !recent) return [];
    const why = users.length
      ? `used by ${plural(users.length, 'account')} (${users.map((c) => c.accountId).join(', ')})`
      : `last launched an instance on ${ctx.fmt(last!)} (${daysAgo(daysBetween(last!, ctx.asOfMs))})`;
    return [{ message: `Deregistration protection is ${v.image.deregistrationProtection ?? 'not set'}, and it is ${why}.` }];
  },
});
