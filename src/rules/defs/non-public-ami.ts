import { defineRule } from '../types.js';
import { CONTROLS as K } from '../controls.js';

export default defineRule({
  meta: {
    id: 'non-public-ami',
    title: 'Instance runs on a non-public AMI of another account',
    description: 'IsPublic is false (or not reported) and the AMI belongs to neither the instance\'s account nor a trusted account: it was shared with the account or made private by its owner, and a relaunch may be impossible once the share is withdrawn. An IsPublic that is not reported is not held against a deregistered or disabled image (its state explains it and is reported on its own).',
    severity: 'medium',
    remediation: 'Copy the AMI into the account (or a trusted image account) or move to a public AMI from a trusted publisher; add the owner to trustedAccounts if it is your own organisation.',
    controls: [K.nistCm2, K.isoA89],
    category: 'provenance',
  },
  evaluate(v, ctx) {
    const m = v.rec.ImageMetadata;
    if (v.bare || !m || m.IsPublic === true || !v.imageOwner) return [];
    if (v.imageOwner === v.instanceAccount || ctx.trustedAccounts.has(v.imageOwner)) return [];
    if (m.IsPublic === undefined) return v.stateExplainsGaps ? [] : [{ message: `Not reported as public; owned by account ${v.imageOwner}, which is not trusted.` }];
    return [{ message: `Not public; owned by account ${v.imageOwner}, which is not trusted.` }];
  },
});
