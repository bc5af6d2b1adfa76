import { defineRule } from '../types.js';
import { DAY_MS, daysUntil, plural } from '../dates.js';
import { CONTROLS as K } from '../controls.js';

export default defineRule({
  meta: {
    id: 'deprecation-soon',
    title: 'Instance runs on an AMI that will be deprecated soon',
    description: 'The AMI\'s DeprecationTime falls after the as-of time but within the deprecation window (deprecationWindowDays, default 30).',
    severity: 'medium',
    remediation: 'Plan the move to a current AMI before the deprecation date; update launch templates and image pipelines now.',
    controls: [K.nistCm2, K.nistSi2, K.isoA88, K.e8PatchOs],
    category: 'lifecycle',
    options: { deprecationWindowDays: { type: 'integer', default: 30, minimum: 0, description: 'How many days ahead of as-of a deprecation counts as soon.' } },
  },
  evaluate(v, ctx) {
    const d = v.deprecation;
    if (d?.ms == null || d.ms <= ctx.asOfMs) return [];
    const days = Number(ctx.options.deprecationWindowDays ?? 30);
    if (d.ms > ctx.asOfMs + days * DAY_MS) return [];
    return [{ message: `Will be deprecated on ${ctx.fmt(d.ms)} (in ${plural(daysUntil(ctx.asOfMs, d.ms), 'day')}).` }];
  },
});
