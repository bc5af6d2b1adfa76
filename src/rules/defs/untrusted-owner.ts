import { defineRule } from '../types.js';
import { CONTROLS as K } from '../controls.js';

export default defineRule({
  meta: {
    id: 'untrusted-owner',
    title: 'Instance runs on an AMI from an untrusted owner',
    description: 'The AMI owner is neither the instance\'s account, nor in trustedAccounts, nor has an alias in trustedOwnerAliases (default amazon, aws-marketplace). Community AMIs from unknown accounts are a supply-chain risk. An ImageOwnerAlias that holds a 12-digit account id counts as an owner id, not an alias. An owner that is not reported is a finding, unless the image is deregistered or disabled (which explains it and is reported on its own).',
    severity: 'high',
    remediation: 'Replace the instance with one built from an AMI of a trusted publisher or of your own image pipeline; if the owner is trusted, add it to trustedAccounts.',
    controls: [K.nistCm2, K.cis213, K.isoA89],
    category: 'provenance',
  },
  evaluate(v, ctx) {
    if (v.bare) return [];
    if (v.ownerAlias && ctx.trustedOwnerAliases.has(v.ownerAlias)) return [];
    const owner = v.imageOwner;
    if (owner && (owner === v.instanceAccount || ctx.trustedAccounts.has(owner))) return [];
    if (!owner && !v.ownerAlias) return v.stateExplainsGaps ? [] : [{ message: 'Owner not reported; it cannot be shown to be trusted.' }];
    const who = owner ? `account ${owner}${v.ownerAlias ? ` (alias ${v.ownerAlias})` : ''}` : `alias ${v.ownerAlias}`;
    return [{ message: `Owner ${who} is not trusted.` }];
  },
});
