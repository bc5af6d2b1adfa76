/** Every rule ami-audit has, in report order. Adding a rule: one file in defs/, one line here. */
import deprecatedAmi from './defs/deprecated-ami.js';
import deprecationSoon from './defs/deprecation-soon.js';
import deregisteredAmi from './defs/deregistered-ami.js';
import disabledAmi from './defs/disabled-ami.js';
import unverifiableAmi from './defs/unverifiable-ami.js';
import nonPublicAmi from './defs/non-public-ami.js';
import notAllowedAmi from './defs/not-allowed-ami.js';
import untrustedOwner from './defs/untrusted-owner.js';
import staleAmi from './defs/stale-ami.js';
import launchableBadAmi from './defs/launchable-bad-ami.js';
import publicAmi from './defs/public-ami.js';
import sharedOutsideOrg from './defs/shared-outside-org.js';
import unprotectedAmiInUse from './defs/unprotected-ami-in-use.js';
import deprecatedAmiInUse from './defs/deprecated-ami-in-use.js';
import noDeprecationTime from './defs/no-deprecation-time.js';
import unusedSharedAmi from './defs/unused-shared-ami.js';
import flaggedRootAmi from './defs/flagged-root-ami.js';
import type { Rule } from './types.js';

export const RULES: readonly Rule[] = [
  deprecatedAmi, deprecationSoon, deregisteredAmi, disabledAmi, unverifiableAmi, nonPublicAmi, notAllowedAmi, untrustedOwner, staleAmi, launchableBadAmi,
  // the publisher's view (ami-audit images): their subject is an AMI an audited account owns
  deprecatedAmiInUse, publicAmi, sharedOutsideOrg, unprotectedAmiInUse, flaggedRootAmi, noDeprecationTime, unusedSharedAmi,
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.meta.id);

/**
 * The escalation ladder: an AMI moves up it (deprecation-soon, then deprecated-ami, then
 * deregistered-ami or disabled-ami) and the risk of the instances on it grows. A finding that
 * replaces one of a lower rank on the same instance and AMI is an escalation, not a resolution and
 * a new finding (the diff and the run history read it so). Rules not listed never escalate.
 */
export const ESCALATION_RANK: ReadonlyMap<string, number> = new Map([
  ['deprecation-soon', 1],
  ['deprecated-ami', 2],
  ['deregistered-ami', 3],
  ['disabled-ami', 3],
]);
