/** Which owned AMIs cost a usage report: named with --image-ids, or shared and deprecated already or within --horizon; none other. */
import { describe, expect, test } from '@jest/globals';
import { needsUsageReport } from '../../src/collect/owned-images.js';
import type { ImageSharing } from '../../src/model/types.js';

const AS_OF = Date.parse('2026-11-26T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number): string => new Date(AS_OF + days * DAY).toISOString();
const NOT_SHARED: ImageSharing = { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: [] };
const ACCOUNT: ImageSharing = { ...NOT_SHARED, accountIds: ['999999999999'] };
const ORG: ImageSharing = { ...NOT_SHARED, organizationArns: ['arn:aws:organizations::111111111111:organization/o-abc1234567'] };
const OU: ImageSharing = { ...NOT_SHARED, organizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-abc1234567/ou-ab12-cdef3456'] };
const PUBLIC: ImageSharing = { ...NOT_SHARED, public: true };
const ID = 'ami-0123456789abcdef0';

describe('needsUsageReport', () => {
  // [case, sharing, isPublic, deprecationTime, horizon days, --image-ids, expected]
  const table: [string, ImageSharing | null, boolean, string | null, number, string[], boolean][] = [
    ['shared with an account, deprecated', ACCOUNT, false, at(-10), 30, [], true],
    ['shared with the organisation, deprecated', ORG, false, at(-1), 30, [], true],
    ['shared with an OU, deprecated', OU, false, at(-1), 30, [], true],
    ['public by its launch permission, deprecated', PUBLIC, false, at(-1), 30, [], true],
    ['public by DescribeImages only, deprecated', NOT_SHARED, true, at(-1), 30, [], true],
    ['shared, deprecated at the as-of instant', ACCOUNT, false, at(0), 30, [], true],
    ['shared, deprecation within the horizon', ACCOUNT, false, at(29), 30, [], true],
    ['shared, deprecation at the end of the horizon', ACCOUNT, false, at(30), 30, [], true],
    ['shared, deprecation just past the horizon', ACCOUNT, false, new Date(AS_OF + 30 * DAY + 1).toISOString(), 30, [], false],
    ['shared, deprecation within a longer horizon', ACCOUNT, false, at(60), 90, [], true],
    ['shared, deprecation past a horizon of 0', ACCOUNT, false, at(1), 0, [], false],
    ['shared, no deprecation time', ACCOUNT, false, null, 30, [], false],
    ['shared, a deprecation time that does not parse', ACCOUNT, false, 'soon', 30, [], false],
    ['not shared, deprecated', NOT_SHARED, false, at(-10), 30, [], false],
    ['not shared, deprecation within the horizon', NOT_SHARED, false, at(5), 30, [], false],
    ['sharing not read (counts as shared), deprecated', null, false, at(-10), 30, [], true],
    ['sharing not read, no deprecation time', null, false, null, 30, [], false],
    ['named with --image-ids, not shared, no deprecation time', NOT_SHARED, false, null, 30, [ID], true],
    ['named with --image-ids, shared, deprecation far off', ACCOUNT, false, at(400), 30, [ID], true],
    ['another AMI named with --image-ids', NOT_SHARED, false, null, 30, ['ami-0fffffffffffffff0'], false],
  ];
  test.each(table)('%s', (_case, sharing, isPublic, deprecationTime, horizonDays, imageIds, expected) => {
    expect(needsUsageReport({ imageId: ID, sharing, isPublic, deprecationTime }, AS_OF, { horizonDays, imageIds })).toBe(expected);
  });
});
