import { defineRule, type RuleHit } from '../types.js';
import { CONTROLS as K } from '../controls.js';

const BROKEN_STATES = new Set(['failed', 'error', 'invalid']);

export default defineRule({
  meta: {
    id: 'unverifiable-ami',
    title: 'The AMI behind the instance cannot be assessed',
    description: 'The API returned no ImageMetadata, only an ImageId, no image State, a State of failed, error or invalid, or a DeprecationTime or CreationDate that is not an RFC 3339 date-time with a zone designator nor a date (YYYY-MM-DD); each reason is a finding of its own. Missing is not healthy: such an instance is reported rather than passed.',
    severity: 'medium',
    remediation: 'Look the AMI up with aws ec2 describe-images and in the instance\'s launch history; if its origin cannot be established, rebuild the instance on a known AMI.',
    controls: [K.nistCm8, K.nistCm2, K.isoA89],
    category: 'provenance',
  },
  evaluate(v) {
    const m = v.rec.ImageMetadata;
    if (!m) return [{ message: 'No ImageMetadata returned for this instance.' }];
    const present = Object.entries(m).filter(([, val]) => val !== undefined && val !== null && val !== '').map(([k]) => k);
    if (present.length === 0) return [{ message: 'ImageMetadata is empty.' }];
    if (present.length === 1 && present[0] === 'ImageId') return [{ message: 'Only the ImageId is known; name, owner, state and dates are missing.' }];
    const hits: RuleHit[] = [];
    if (v.state === null) hits.push({ message: 'State not reported; whether the AMI is available, deregistered or disabled is unknown.' });
    else if (BROKEN_STATES.has(v.state)) hits.push({ message: `State is ${v.state}.` });
    // One finding per reason: the state hit is at most one (and keeps the id of earlier versions);
    // each date has its own reason key.
    for (const [field, key, d] of [['DeprecationTime', 'deprecation-time', v.deprecation], ['CreationDate', 'creation-date', v.creation]] as const) {
      if (d && d.ms === null) hits.push({ key, message: `${field} ${JSON.stringify(d.raw.slice(0, 64))} is not a date: expected an RFC 3339 date-time with a zone (e.g. 2026-11-26T12:00:00Z) or a date (YYYY-MM-DD).` });
    }
    return hits;
  },
});
