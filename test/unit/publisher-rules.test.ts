import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import { evaluate, DEFAULT_SETTINGS, type EvalSettings } from '../../src/rules/engine.js';
import type { ImageConsumer, OwnedImage } from '../../src/model/types.js';
import type { OrganizationView } from '../../src/rules/types.js';
import { organizationIdOfArn } from '../../src/rules/owned.js';

const AS_OF = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });
const ORG: OrganizationView = { id: 'o-abcdefghij', members: new Set(['111111111111', '222222222222', '333333333333']) };
const OWN_ORG_ARN = 'arn:aws:organizations::111111111111:organization/o-abcdefghij';

function image(over: Partial<OwnedImage> = {}): OwnedImage {
  return {
    accountId: '111111111111', region: 'us-east-1', imageId: 'ami-0123456789abcdef0', name: 'golden-2026-01', state: 'available',
    creationDate: '2026-01-01T00:00:00Z', deprecationTime: '2027-06-01T00:00:00Z', lastLaunchedTime: '2026-11-20T00:00:00Z',
    deregistrationProtection: 'enabled-with-cooldown', isPublic: false,
    sharing: { public: false, accountIds: [], organizationArns: [OWN_ORG_ARN], organizationalUnitArns: [] },
    usage: { status: 'not-requested', reportId: null, reportCreationTime: null, consumers: [] },
    ...over,
  };
}
const known = (consumers: ImageConsumer[]): OwnedImage['usage'] => ({ status: 'known', reportId: 'amiur-0123456789abcdef0', reportCreationTime: '2026-11-25T00:00:00Z', consumers });

function run(img: OwnedImage, settings: Partial<EvalSettings> = {}, org: OrganizationView = ORG, others: OwnedImage[] = []) {
  return evaluate([], [], { ...DEFAULT_SETTINGS, ...settings }, AS_OF.toMillis(), [], { images: [img, ...others], organization: org }).findings.filter((f) => f.imageId === img.imageId);
}
const rules = (img: OwnedImage, s?: Partial<EvalSettings>, org?: OrganizationView, others?: OwnedImage[]) => run(img, s, org, others).map((f) => f.ruleId).sort();

describe('the publisher\'s rules', () => {
  test('a well-kept golden AMI shared with its own organisation has no finding', () => {
    expect(rules(image())).toEqual([]);
  });

  test('public-ami: public unless the config allows it (by id or name pattern)', () => {
    const pub = image({ isPublic: true, sharing: { public: true, accountIds: [], organizationArns: [], organizationalUnitArns: [] } });
    expect(rules(pub)).toContain('public-ami');
    expect(rules(pub, { allowedPublicImages: ['golden-*'] })).not.toContain('public-ami');
    expect(rules(pub, { allowedPublicImages: ['ami-0123456789abcdef0'] })).not.toContain('public-ami');
    expect(rules(pub, { allowedPublicImages: ['other-*'] })).toContain('public-ami');
    const f = run(pub).find((x) => x.ruleId === 'public-ami')!;
    expect(f.resource).toEqual({ type: 'ec2:Image', arn: 'arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0', name: 'golden-2026-01', version: null, usedBy: [] });
    expect(f.instanceId).toBe('');
  });

  test('shared-outside-org: an account, organisation or OU outside; a consumer outside', () => {
    const out = image({ sharing: { public: false, accountIds: ['222222222222', '999999999999'], organizationArns: [], organizationalUnitArns: [] } });
    const f = run(out).find((x) => x.ruleId === 'shared-outside-org')!;
    expect(f.message).toBe('Shared outside the organisation o-abcdefghij with account 999999999999. Whether they use it is unknown (no usage report).');
    expect(rules(image({ sharing: { public: false, accountIds: [], organizationArns: ['arn:aws:organizations::999999999999:organization/o-zzzzzzzzzz'], organizationalUnitArns: [] } }))).toContain('shared-outside-org');
    expect(rules(image({ sharing: { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdef3456'] } }))).not.toContain('shared-outside-org');
    const used = image({ usage: known([{ accountId: '999999999999', instances: 2, launchTemplates: 0, inOrganization: false }]) });
    expect(run(used).find((x) => x.ruleId === 'shared-outside-org')!.message).toContain('Used by 1 account outside it: 999999999999.');
    // without --org the run's accounts are the yardstick, and the message says so
    expect(run(out, {}, { id: null, members: new Set(['111111111111', '222222222222']) }).find((x) => x.ruleId === 'shared-outside-org')!.message).toContain('the accounts of this run (no --org)');
    expect(organizationIdOfArn('arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cdef3456')).toBe('o-abcdefghij');
  });

  test('unprotected-ami-in-use: in use by a consumer or a recent launch, protection off', () => {
    const off = { deregistrationProtection: 'disabled' };
    expect(rules(image(off))).toContain('unprotected-ami-in-use');
    expect(rules(image({ ...off, lastLaunchedTime: '2025-01-01T00:00:00Z' }))).not.toContain('unprotected-ami-in-use');
    expect(rules(image({ ...off, lastLaunchedTime: '2025-01-01T00:00:00Z', usage: known([{ accountId: '222222222222', instances: 1, launchTemplates: 0, inOrganization: true }]) }))).toContain('unprotected-ami-in-use');
    expect(rules(image({ lastLaunchedTime: '2026-11-20T00:00:00Z' }))).not.toContain('unprotected-ami-in-use');
    expect(rules(image({ ...off, lastLaunchedTime: '2026-06-01T00:00:00Z' }), { options: { unusedDays: 30 } })).not.toContain('unprotected-ami-in-use');
  });

  test('deprecated-ami-in-use: the blast radius, and "consumers unknown" never read as none', () => {
    const dep = { deprecationTime: '2026-11-06T00:00:00Z' };
    const consumers: ImageConsumer[] = [
      { accountId: '222222222222', instances: 3, launchTemplates: 1, inOrganization: true },
      { accountId: '999999999999', instances: 2, launchTemplates: 0, inOrganization: false },
    ];
    const f = run(image({ ...dep, usage: known(consumers) })).find((x) => x.ruleId === 'deprecated-ami-in-use')!;
    expect(f.severity).toBe('high');
    expect(f.message).toBe('Deprecated on 2026-11-06 (20 days ago); still used by 2 accounts (1 outside the organisation): 5 instances, 1 launch template.');
    expect(rules(image({ ...dep, usage: known(consumers) }), { rules: { 'deprecated-ami-in-use': { blastRadiusAccounts: 3 } } })).not.toContain('deprecated-ami-in-use');
    expect(rules(image({ ...dep, usage: known([]) }))).not.toContain('deprecated-ami-in-use');
    const pending = run(image({ ...dep, usage: { status: 'unknown', reportId: 'amiur-0123456789abcdef0', reportCreationTime: null, consumers: [], reason: 'the usage report was still pending after 300 s (--usage-wait)' } })).find((x) => x.ruleId === 'deprecated-ami-in-use')!;
    expect(pending.severity).toBe('medium');
    expect(pending.message).toBe('Deprecated on 2026-11-06 (20 days ago); who still uses it is unknown: the usage report was still pending after 300 s (--usage-wait).');
    expect(rules(image({ deprecationTime: '2026-12-06T00:00:00Z', usage: known(consumers) }))).not.toContain('deprecated-ami-in-use');
  });

  test('no-deprecation-time: shared and available without one', () => {
    expect(rules(image({ deprecationTime: null }))).toContain('no-deprecation-time');
    expect(rules(image({ deprecationTime: null, sharing: { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: [] } }))).not.toContain('no-deprecation-time');
    expect(rules(image({ deprecationTime: null, state: 'disabled' }))).not.toContain('no-deprecation-time');
  });

  test('unused-shared-ami: --unused-days without a launch, unless a consumer shows', () => {
    const old = image({ lastLaunchedTime: '2026-01-01T00:00:00Z' });
    expect(run(old).find((x) => x.ruleId === 'unused-shared-ami')!.message).toBe('Still shared; last launched an instance on 2026-01-01 (329 days ago).');
    expect(rules(old, { options: { unusedDays: 400 } })).not.toContain('unused-shared-ami');
    expect(rules(image({ lastLaunchedTime: null, creationDate: '2025-01-01T00:00:00Z' }))).toContain('unused-shared-ami');
    expect(rules(image({ lastLaunchedTime: null, creationDate: '2026-10-01T00:00:00Z' }))).not.toContain('unused-shared-ami');
    expect(rules(image({ lastLaunchedTime: '2026-01-01T00:00:00Z', usage: known([{ accountId: '222222222222', instances: 0, launchTemplates: 1, inOrganization: true }]) }))).not.toContain('unused-shared-ami');
  });

  test('flagged-root-ami: a vanished source, an owned root deprecated, an untrusted owner alias', () => {
    const chain = (root: { imageId: string; imageOwnerAlias?: string | null; sourceImageId?: string | null }) => image({
      ancestry: [
        { imageId: 'ami-0123456789abcdef0', creationDate: null, imageOwnerAlias: null, sourceImageId: root.imageId, sourceImageRegion: 'us-east-1' },
        { imageId: root.imageId, creationDate: null, imageOwnerAlias: root.imageOwnerAlias ?? null, sourceImageId: root.sourceImageId ?? null, sourceImageRegion: root.sourceImageId ? 'eu-west-1' : null },
      ],
    });
    expect(rules(chain({ imageId: 'ami-0aaaaaaaaaaaaaaa1', imageOwnerAlias: 'amazon' }))).not.toContain('flagged-root-ami');
    expect(run(chain({ imageId: 'ami-0aaaaaaaaaaaaaaa1', imageOwnerAlias: 'amazon', sourceImageId: 'ami-0bbbbbbbbbbbbbbb2' })).find((x) => x.ruleId === 'flagged-root-ami')!.message)
      .toBe('Built from a flagged root: its source ami-0bbbbbbbbbbbbbbb2 (eu-west-1) can no longer be described: deregistered, or no longer shared. Ancestry: ami-0123456789abcdef0 <- ami-0aaaaaaaaaaaaaaa1.');
    expect(rules(chain({ imageId: 'ami-0aaaaaaaaaaaaaaa1', imageOwnerAlias: 'sketchy-vendor' }))).toContain('flagged-root-ami');
    const root = image({ imageId: 'ami-0aaaaaaaaaaaaaaa1', deprecationTime: '2026-01-01T00:00:00Z' });
    expect(rules(chain({ imageId: 'ami-0aaaaaaaaaaaaaaa1' }), {}, ORG, [root])).toContain('flagged-root-ami');
  });

  test('flagged-root-ami: what DescribeImages says of a root the run does not own', () => {
    const chain = [
      { imageId: 'ami-0123456789abcdef0', creationDate: null, imageOwnerAlias: null, sourceImageId: 'ami-0aaaaaaaaaaaaaaa1', sourceImageRegion: 'us-east-1' },
      { imageId: 'ami-0aaaaaaaaaaaaaaa1', creationDate: null, imageOwnerAlias: 'amazon', sourceImageId: null, sourceImageRegion: null },
    ];
    const root = (r: Partial<NonNullable<OwnedImage['ancestryRoot']>>) => image({ ancestry: chain, ancestryRoot: { imageId: 'ami-0aaaaaaaaaaaaaaa1', described: true, ownerId: '137112412989', ownerAlias: 'amazon', state: 'available', deprecationTime: null, ...r } });
    expect(rules(root({}))).not.toContain('flagged-root-ami');
    expect(run(root({ deprecationTime: '2026-10-01T00:00:00Z' })).find((f) => f.ruleId === 'flagged-root-ami')!.message).toContain('its root ami-0aaaaaaaaaaaaaaa1 was deprecated on 2026-10-01');
    expect(rules(root({ described: false }))).toContain('flagged-root-ami');
    expect(rules(root({ ownerId: '999999999999', ownerAlias: null }))).toContain('flagged-root-ami');
    expect(rules(root({ ownerId: '999999999999', ownerAlias: null }), { trustedAccounts: ['999999999999'] })).not.toContain('flagged-root-ami');
  });

  test('waivers by image id apply to owned-image findings', () => {
    const pub = image({ isPublic: true });
    const f = run(pub, { waivers: [{ id: 'w-1', ruleId: 'public-ami', imageId: 'ami-0123456789abcdef0', reason: 'marketplace listing', expires: '2027-01-01' }] }).find((x) => x.ruleId === 'public-ami')!;
    expect(f.waiver?.id).toBe('w-1');
  });
});
