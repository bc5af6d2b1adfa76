import { CONTROLS } from '../controls.js';
import { defineRule } from '../types.js';
import { daysAgo, daysBetween } from '../dates.js';

export default defineRule({
  meta: {
    id: 'unused-shared-ami',
    title: 'A shared AMI you own has not launched an instance for a long time',
    description: '`ami-audit images`: an AMI an audited account owns is still shared but has not launched an instance for unusedDays days (--unused-days, default 180; DescribeImages lastLaunchedTime, which AWS reports about a day late), or never did and is older than that, and no usage report shows a consumer. Sharing it keeps it launchable for no one\'s benefit.',
    severity: 'low',
    controls: [CONTROLS.nistCm8, CONTROLS.isoA89],
    category: 'provenance',
    remediation: 'Stop sharing it (remove its launch permissions), deprecate it, and deregister it (with its snapshots) once nothing needs it.',
    options: { unusedDays: { type: 'integer', default: 180, minimum: 1, description: 'Days since its last launch after which an AMI counts as unused (--unused-days).' } },
  },
  evaluate: () => [],
  evaluateOwnedImage(v, ctx) {
    if (!v.shared || v.image.state === 'deregistered') return [];
    if ((v.consumers ?? []).some((c) => c.instances + c.launchTemplates > 0)) return [];
    const days = Number(ctx.options.unusedDays ?? 180);
    const last = v.lastLaunched?.ms ?? null;
    if (last !== null) {
      const n = daysBetween(last, ctx.asOfMs);
      if (n < days) return [];
      return [{ message: `Still shared; last launched an instance on ${ctx.fmt(last)} (${daysAgo(n)}).` }];
    }
    const c = v.creation?.ms ?? null;
    if (c === null || daysBetween(c, ctx.asOfMs) < days) return [];
    return [{ message: `Still shared; it has never launched an instance since it was created on ${ctx.fmt(c)} (${daysAgo(daysBetween(c, ctx.asOfMs))}).` }];
  },
});
