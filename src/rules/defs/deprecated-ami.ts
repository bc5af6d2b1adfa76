import { defineRule } from '../types.js';
import { daysAgo, daysBetween } from '../dates.js';
import { CONTROLS as K } from '../controls.js';

export default defineRule({
  meta: {
    id: 'deprecated-ami',
    title: 'Instance runs on a deprecated AMI',
    description: 'The AMI has a DeprecationTime at or before the as-of time. Deprecated AMIs no longer receive updates from their publisher and disappear from searches; relaunches and autoscaling will drift to other images.',
    severity: 'high',
    remediation: 'Rebuild the workload on a current AMI from a trusted publisher and replace the instance; update launch templates that still name the deprecated AMI.',
    controls: [K.nistSi2, K.nistCm2, K.pci633, K.isoA88, K.isoA89, K.e8PatchOs, K.e8PatchApps],
    category: 'lifecycle',
    flagsImageForReferences: true,
  },
  evaluate(v, ctx) {
    const d = v.deprecation;
    if (d?.ms == null || d.ms > ctx.asOfMs) return [];
    return [{ message: `Deprecated on ${ctx.fmt(d.ms)} (${daysAgo(daysBetween(d.ms, ctx.asOfMs))}).` }];
  },
});
