import { defineRule } from '../types.js';
import { daysAgo, daysBetween } from '../dates.js';
import { CONTROLS as K } from '../controls.js';

/** How a resource type reads in a message. */
const KIND: Record<string, string> = {
  'ec2:LaunchTemplate': 'launch template',
  'ssm:Parameter': 'SSM parameter',
  'imagebuilder:ImageRecipe': 'Image Builder image recipe',
  'imagebuilder:ContainerRecipe': 'Image Builder container recipe',
};
const sentence = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export default defineRule({
  meta: {
    id: 'launchable-bad-ami',
    title: 'A launch template, SSM parameter or recipe will launch a bad AMI again',
    description: 'With --references: a resource still references an AMI that is deprecated, deregistered, disabled or not allowed (DescribeImageReferences), so replacing the instances does not help: the next launch from it brings the AMI back. High when an Auto Scaling group launches from it (its next scale-out launches the AMI), medium otherwise. The finding\'s subject is the resource, not an instance.',
    severity: 'high',
    severityStates: { 'used-by-auto-scaling': 'base', 'not-used-by-auto-scaling': 'medium' },
    remediation: 'Point the resource at a current AMI (a new launch template version made the default, and every Auto Scaling group that names $Latest, $Default or the old version moved to it; the SSM parameter or recipe updated), then start an instance refresh.',
    controls: [K.nistCm2, K.nistSi2, K.isoA88, K.isoA89],
    category: 'provenance',
  },
  evaluate: () => [],
  evaluateReference(ref, v, ctx) {
    const why: string[] = [];
    if (v.state === 'deregistered') why.push('deregistered');
    else if (v.state === 'disabled') why.push('disabled');
    const d = v.deprecation;
    if (d?.ms != null && d.ms <= ctx.asOfMs) why.push(`deprecated on ${ctx.fmt(d.ms)} (${daysAgo(daysBetween(d.ms, ctx.asOfMs))})`);
    if (v.rec.ImageMetadata?.ImageAllowed === false) why.push('not allowed by the Allowed AMIs criteria');
    if (why.length === 0) return [];
    const kind = KIND[ref.resourceType] ?? ref.resourceType;
    const what = `${kind} ${ref.name ?? ref.arn}${ref.version ? ` (version ${ref.version})` : ''}`;
    const because = `the AMI is ${why.join(', and ')}`;
    if (ref.usedByUnknown) {
      // the group lookup failed: an Auto Scaling group may launch it, so it is not rated lower
      const known = ref.usedBy.length ? ` (at least ${ref.usedBy.join(', ')})` : '';
      return [{ message: `${sentence(what)} still references it, and which Auto Scaling groups launch from it could not be looked up${known}: ${because}.`, state: 'used-by-auto-scaling' }];
    }
    if (ref.usedBy.length) {
      const groups = ref.usedBy.length === 1 ? `Auto Scaling group ${ref.usedBy[0]}` : `Auto Scaling groups ${ref.usedBy.join(', ')}`;
      return [{ message: `${groups} will launch it on the next scale-out from ${what}: ${because}.`, state: 'used-by-auto-scaling' }];
    }
    return [{ message: `${sentence(what)} still references it, so the next launch from it brings it back: ${because}.`, severity: 'medium', state: 'not-used-by-auto-scaling' }];
  },
});
