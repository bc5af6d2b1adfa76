import { defineRule } from '../types.js';
import { explainNotAllowed } from '../criteria.js';
import { CONTROLS as K } from '../controls.js';

export default defineRule({
  meta: {
    id: 'not-allowed-ami',
    title: 'Instance runs on an AMI outside the Allowed AMIs criteria',
    description: 'ImageAllowed is false. Where the region\'s Allowed AMIs state is enabled the AMI can no longer be discovered or launched (high); under audit-mode, or where the state could not be read, it would be blocked once enforcement starts (medium). A severity override changes the enabled case only; severityByState overrides each state by name.',
    severity: 'high',
    severityStates: { enabled: 'base', 'audit-mode': 'medium', disabled: 'medium', unknown: 'medium' },
    remediation: 'Move the workload to an AMI that meets the Allowed AMIs criteria, or, if the AMI is legitimate, add its provider to the criteria (ec2 replace-image-criteria-in-allowed-images-settings).',
    controls: [K.nistCm6, K.nistCm2, K.cis213, K.isoA89],
    category: 'provenance',
    flagsImageForReferences: true,
  },
  evaluate(v, ctx) {
    if (v.rec.ImageMetadata?.ImageAllowed !== false) return [];
    // why: the criteria it fails, when the region's criteria were read
    const why = explainNotAllowed(v.allowedImagesCriteria, v.allowedImagesManagedBy, v, ctx.asOfMs);
    const also = why ? ` ${why}` : '';
    switch (v.allowedImagesState) {
      case 'enabled': return [{ message: `Not allowed: Allowed AMIs is enabled in ${v.rec.region}, so it can no longer be launched.${also}`, state: 'enabled' }];
      case 'audit-mode': return [{ message: `Not allowed: Allowed AMIs is in audit-mode in ${v.rec.region}, so it would be blocked once enforcement is enabled.${also}`, severity: 'medium', state: 'audit-mode' }];
      case 'disabled': return [{ message: `Not allowed: Allowed AMIs is disabled in ${v.rec.region}, so nothing blocks it yet; enabling it would.${also}`, severity: 'medium', state: 'disabled' }];
      default: return [{ message: `Not allowed: the Allowed AMIs state of ${v.rec.region} could not be read, so whether it is blocked is unknown.${also}`, severity: 'medium', state: 'unknown' }];
    }
  },
});
