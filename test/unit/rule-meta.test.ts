/**
 * One registry per extension point: which rules flag an AMI for reference look-ups and which are
 * lifecycle rules are fields of each rule's meta, and the collector's own pre-rule check of which
 * AMIs to look up agrees with the rules that say they flag one.
 */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { RULES } from '../../src/rules/registry.js';
import { DEFAULT_SETTINGS, evaluate } from '../../src/rules/engine.js';
import { flaggedImages } from '../../src/collect/references.js';
import { ok } from '../../src/model/coverage.js';
import { findingTypes } from '../../src/render/ocsf.js';
import { record } from '../helpers/records.js';

const AS_OF = DateTime.fromISO('2027-01-15T00:00:00Z', { zone: 'utc' });

describe('rule meta', () => {
  test('every rule says its category; the lifecycle rules are the AMI lifecycle ones', () => {
    for (const r of RULES) expect(['lifecycle', 'provenance']).toContain(r.meta.category);
    expect(RULES.filter((r) => r.meta.category === 'lifecycle').map((r) => r.meta.id).sort()).toEqual(['deprecated-ami', 'deprecation-soon', 'deregistered-ami', 'disabled-ami', 'stale-ami']);
    expect(findingTypes('stale-ami')).toEqual(['Software and Configuration Checks/Patch Management']);
    expect(findingTypes('untrusted-owner')).toEqual(['Software and Configuration Checks/AWS Security Best Practices']);
    expect(findingTypes('a-rule-of-a-newer-version')).toEqual(['Software and Configuration Checks/AWS Security Best Practices']);
  });

  test('the collector looks up the references of exactly the AMIs that a rule flagging AMIs for references flags', () => {
    const cases: [string, Parameters<typeof record>[0]][] = [
      ['ami-00000000000000001', { DeprecationTime: '2026-12-01T00:00:00Z' }], // deprecated
      ['ami-00000000000000002', { DeprecationTime: '2027-01-20T00:00:00Z' }], // deprecation soon only
      ['ami-00000000000000003', { State: 'deregistered' }],
      ['ami-00000000000000004', { State: 'disabled' }],
      ['ami-00000000000000005', { ImageAllowed: false }],
      ['ami-00000000000000006', { OwnerId: '999988887777', ImageOwnerAlias: undefined }], // untrusted owner
      ['ami-00000000000000007', { IsPublic: false }],
      ['ami-00000000000000008', { CreationDate: '2020-01-01T00:00:00Z' }], // stale
      ['ami-00000000000000009', {}], // healthy
    ];
    const records = cases.map(([ImageId, over], i) => record({ ...over, ImageId }, { InstanceId: `i-${String(i).padStart(17, '0')}` }));
    const { findings } = evaluate(records, [ok('123412341234', 'us-east-1', { instanceCount: records.length, allowedImagesState: 'enabled' })], DEFAULT_SETTINGS, AS_OF.toMillis());
    const triggers = new Set(RULES.filter((r) => r.meta.flagsImageForReferences).map((r) => r.meta.id));
    expect([...triggers].sort()).toEqual(['deprecated-ami', 'deregistered-ami', 'disabled-ami', 'not-allowed-ami']);
    const byRules = [...new Set(findings.filter((f) => triggers.has(f.ruleId)).map((f) => f.imageId))].sort();
    expect(byRules).toEqual(['ami-00000000000000001', 'ami-00000000000000003', 'ami-00000000000000004', 'ami-00000000000000005']);
    expect(flaggedImages(records, AS_OF.toMillis())).toEqual(byRules);
    // the other AMIs do get findings, of rules that do not flag for references
    expect(new Set(findings.map((f) => f.imageId)).size).toBeGreaterThanOrEqual(7);
  });
});
