import { CONTROLS } from '../controls.js';
import { defineRule } from '../types.js';

export default defineRule({
  meta: {
    id: 'public-ami',
    title: 'An AMI you own is public',
    description: '`ami-audit images`: an AMI an audited account owns has a public launch permission (`group: all`, DescribeImages isPublic): any AWS account can launch it and read what its snapshots hold. AMIs the config allows to be public (`allowedPublicImages`: ids or name patterns) are not reported.',
    severity: 'high',
    controls: [CONTROLS.nistCm6, CONTROLS.cis215, CONTROLS.isoA89],
    category: 'provenance',
    remediation: 'Remove the public launch permission (aws ec2 modify-image-attribute --image-id AMI_ID --launch-permission "Remove=[{Group=all}]"), share it with the accounts or the organisation that need it instead, and turn on block public access for AMIs in the region (aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing).',
  },
  evaluate: () => [],
  evaluateOwnedImage(v) {
    const img = v.image;
    if (!(img.isPublic || img.sharing?.public) || v.allowedPublic) return [];
    return [{ message: 'Public: any AWS account can launch it.' }];
  },
});
