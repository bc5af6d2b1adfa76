import { CONTROLS } from '../controls.js';
import { defineRule } from '../types.js';

export default defineRule({
  meta: {
    id: 'flagged-root-ami',
    title: 'An AMI you own was built from a flagged root',
    description: '`ami-audit images`: the ancestry of an AMI an audited account owns (GetImageAncestry) ends at a root that is deprecated, deregistered or disabled, from an owner that is not trusted, or that can no longer be described: the golden AMI inherits what is wrong with its base.',
    severity: 'medium',
    controls: [CONTROLS.nistCm2, CONTROLS.nistSi2, CONTROLS.isoA88],
    category: 'provenance',
    remediation: 'Rebuild the AMI from a current base of a trusted publisher (update the Image Builder recipe or Packer source), publish it, and deprecate this one.',
  },
  evaluate: () => [],
  evaluateOwnedImage(v) {
    const r = v.flaggedRoot;
    if (!r) return [];
    const chain = (v.image.ancestry ?? []).map((a) => a.imageId).join(' <- ');
    return [{ message: `Built from a flagged root: ${r.why}. Ancestry: ${chain}.` }];
  },
});
