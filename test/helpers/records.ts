import type { InstanceRecord, ImageMetadata } from '../../src/model/types.js';

/** A healthy instance record; pass overrides for the case under test. */
export function record(image: Partial<ImageMetadata> | null = {}, over: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    accountId: '123412341234',
    region: 'us-east-1',
    InstanceId: 'i-1234567890abcdef0',
    InstanceType: 't3.micro',
    LaunchTime: '2026-01-01T00:00:00.000Z',
    AvailabilityZone: 'us-east-1a',
    State: { Code: 16, Name: 'running' },
    OwnerId: '123412341234',
    Tags: [{ Key: 'Name', Value: 'web' }],
    ...(image === null ? {} : {
      ImageMetadata: {
        ImageId: 'ami-0b752bf1df193a6c4',
        Name: 'al2023-ami',
        OwnerId: '137112412989',
        State: 'available',
        ImageOwnerAlias: 'amazon',
        CreationDate: '2026-06-01T00:00:00Z',
        DeprecationTime: '2028-06-01T00:00:00Z',
        ImageAllowed: true,
        IsPublic: true,
        ...image,
      },
    }),
    ...over,
  };
}
