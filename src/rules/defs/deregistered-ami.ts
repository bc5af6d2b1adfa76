import { defineRule } from '../types.js';
import { CONTROLS as K } from '../controls.js';

export default defineRule({
  meta: {
    id: 'deregistered-ami',
    title: 'Instance runs on a deregistered AMI',
    description: 'The image State is deregistered: the AMI no longer exists, so the instance cannot be relaunched, replaced or scaled out from it.',
    severity: 'high',
    remediation: 'Create a new AMI from a current, patched build (or from this instance if it must be preserved) and replace the instance; fix launch templates that name the old AMI.',
    controls: [K.nistCm2, K.nistCm8, K.nistSi2, K.isoA88, K.isoA89, K.e8PatchOs],
    category: 'lifecycle',
    flagsImageForReferences: true,
  },
  evaluate(v) {
    return v.state === 'deregistered' ? [{ message: 'Deregistered.' }] : [];
  },
});
