import { defineRule } from '../types.js';
import { CONTROLS as K } from '../controls.js';

export default defineRule({
  meta: {
    id: 'disabled-ami',
    title: 'Instance runs on a disabled AMI',
    description: 'The image State is disabled: the AMI cannot be used for new launches until its owner re-enables it.',
    severity: 'high',
    remediation: 'Ask the AMI owner whether the image was disabled on purpose (e.g. a vulnerability); move the workload to a current AMI.',
    controls: [K.nistSi2, K.nistCm2, K.pci633, K.isoA88, K.isoA89, K.e8PatchOs],
    category: 'lifecycle',
    flagsImageForReferences: true,
  },
  evaluate(v) {
    return v.state === 'disabled' ? [{ message: 'Disabled.' }] : [];
  },
});
