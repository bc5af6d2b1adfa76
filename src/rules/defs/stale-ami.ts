import { defineRule } from '../types.js';
import { DAY_MS, daysAgo, daysBetween } from '../dates.js';
import { CONTROLS as K } from '../controls.js';

export default defineRule({
  meta: {
    id: 'stale-ami',
    title: 'Instance runs on a very old AMI',
    description: 'The AMI was created more than maxAmiAgeDays (default 365) before the as-of time, or its CreationDate is not reported (unless the image is deregistered or disabled, which explains it and is reported on its own). Old images miss years of patches even when nobody deprecated them.',
    severity: 'low',
    remediation: 'Rebuild the image from a current base in your image pipeline and roll the instance; set a DeprecationTime on your own AMIs so age is tracked.',
    controls: [K.nistSi2, K.nistCm2, K.pci633, K.cis214, K.isoA88, K.e8PatchOs, K.e8PatchApps],
    category: 'lifecycle',
    options: { maxAmiAgeDays: { type: 'integer', default: 365, minimum: 1, description: 'Age in days beyond which an AMI counts as stale.' } },
  },
  evaluate(v, ctx) {
    if (v.bare) return [];
    const max = Number(ctx.options.maxAmiAgeDays ?? 365);
    const c = v.creation;
    if (!c) return v.stateExplainsGaps ? [] : [{ message: 'CreationDate not reported; the age of the AMI cannot be verified.' }];
    if (c.ms === null || c.ms >= ctx.asOfMs - max * DAY_MS) return [];
    return [{ message: `Created on ${ctx.fmt(c.ms)} (${daysAgo(daysBetween(c.ms, ctx.asOfMs))}).` }];
  },
});
