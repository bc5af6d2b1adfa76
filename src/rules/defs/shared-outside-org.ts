import { CONTROLS } from '../controls.js';
import { defineRule } from '../types.js';
import { plural } from '../dates.js';

export default defineRule({
  meta: {
    id: 'shared-outside-org',
    title: 'An AMI you own is shared outside the organisation',
    description: '`ami-audit images`: an AMI an audited account owns has a launch permission for an account that is not a member of the organisation (with --org; without it, not one of the run\'s accounts), or for another organisation or one of its OUs; or its usage report shows an account outside the organisation using it. Public AMIs are public-ami\'s.',
    severity: 'high',
    controls: [CONTROLS.nistCm6, CONTROLS.isoA89],
    category: 'provenance',
    remediation: 'Check that each outside account still needs the AMI; remove the launch permissions that are not needed (aws ec2 modify-image-attribute --image-id AMI_ID --launch-permission "Remove=[{UserId=ACCOUNT}]"), and prefer sharing with the organisation or an OU (organizationArn, organizationalUnitArn) to sharing with accounts.',
  },
  evaluate: () => [],
  evaluateOwnedImage(v) {
    const users = (v.consumers ?? []).filter((c) => c.inOrganization === false).map((c) => c.accountId);
    const granted = v.outsideShares;
    const usedOnly = users.filter((a) => !granted.includes(`account ${a}`));
    if (granted.length === 0 && usedOnly.length === 0) return [];
    const where = v.organization.id ? `the organisation ${v.organization.id}` : 'the accounts of this run (no --org)';
    const parts: string[] = [];
    if (granted.length) parts.push(`Shared outside ${where} with ${granted.join(', ')}.`);
    if (users.length) parts.push(`Used by ${plural(users.length, 'account')} outside it: ${users.join(', ')}.`);
    else if (granted.length) parts.push(v.consumers === null ? 'Whether they use it is unknown (no usage report).' : 'Its usage report shows none of them using it.');
    if (!granted.length) parts.push('(through a launch permission that does not name them: an organisation, OU or public share)');
    return [{ message: parts.join(' ') }];
  },
});
