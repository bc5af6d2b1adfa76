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
import type { Rule } from './types.js';

export const RULES: readonly Rule[] = [
  deprecatedAmi, deprecationSoon, deregisteredAmi, disabledAmi, unverifiableAmi, nonPublicAmi, notAllowedAmi, untrustedOwner, staleAmi, launchableBadAmi,
];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.meta.id);
