import { CONTROLS } from '../controls.js';
import { defineRule } from '../types.js';

export default defineRule({
  meta: {
    id: 'no-deprecation-time',
    title: 'A shared AMI you own has no deprecation time',
    description: '`ami-audit images`: an available AMI an audited account owns is shared (publicly, or with accounts, an organisation or OUs) and has no DeprecationTime: its consumers get no signal that it is out of date, and deprecated-ami cannot warn them.',
    severity: 'low',
    controls: [CONTROLS.nistCm2, CONTROLS.isoA89],
    category: 'provenance',
    remediation: 'Set a deprecation time when the AMI is published (aws ec2 enable-image-deprecation --image-id AMI_ID --deprecate-at 2027-06-30T00:00:00Z), for example the date its successor is due plus a grace period.',
  },
  evaluate: () => [],
  evaluateOwnedImage(v) {
    if (!v.shared || v.image.deprecationTime !== null || (v.image.state !== null && v.image.state !== 'available')) return [];
    return [{ message: 'Shared, and no deprecation time is set.' }];
  },
});
