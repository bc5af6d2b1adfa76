/**
 * The local endpoint's DescribeImages and SSM public parameters, as the SDK sees them: owners and
 * name filters with wildcards, IncludeDeprecated, what the caller may see, the Allowed AMIs rule
 * (enabled: only allowed images), ids that do not exist, paging; GetParameters and
 * GetParametersByPath; and the fault plan's denied, throttled and malformed answers for SSM.
 */
import { describe, expect, test } from '@jest/globals';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { GetParametersByPathCommand, GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { publicImages } from '../../src/emulator/demo.js';
import { validateFleet, type Fleet } from '../../src/emulator/fleet.js';
import { BASE_CREDS, ec2, NOW, withEmulator } from '../helpers/emulator.js';
import type { Emulator } from '../../src/emulator/server.js';

const DAY = 86_400_000;
const at = (days: number): string => new Date(Date.now() + days * DAY).toISOString();
const ME = '210987654321';
const OTHER = '555555555555';

function fleet(state?: 'enabled' | 'audit-mode'): Fleet {
  const pub = publicImages(at);
  return validateFleet({
    fleetVersion: 1, caller: { accountId: ME }, regions: [{ name: 'us-east-1' }, { name: 'eu-west-1' }],
    accounts: [{
      accountId: ME,
      ...(state ? { allowedImages: { 'us-east-1': state }, allowedImagesCriteria: { 'us-east-1': [{ ImageProviders: ['amazon'], ImageNames: ['al2023-ami-*'] }] } } : {}),
    }],
    images: [
      ...pub.images,
      { imageId: 'ami-0b000000000000001', name: 'app-2026-01-01', ownerId: OTHER, architecture: 'x86_64', creationDate: at(-100) },
      { imageId: 'ami-0b000000000000002', name: 'app-2026-02-01', ownerId: OTHER, architecture: 'x86_64', creationDate: at(-70), sharedWith: [ME] },
      { imageId: 'ami-0b000000000000003', name: 'mine-2026-01-01', ownerId: ME, architecture: 'arm64', creationDate: at(-100), deprecationTime: at(-1) },
    ],
    publicParameters: pub.publicParameters,
  });
}
const ssm = (e: Emulator, region = 'us-east-1'): SSMClient => new SSMClient({ region, endpoint: e.url, credentials: BASE_CREDS, maxAttempts: 1 });
const names = (out: { Images?: { Name?: string }[] }): string[] => (out.Images ?? []).map((i) => i.Name!).sort();

describe('DescribeImages', () => {
  test('owners and a name filter with wildcards; deprecated images only with IncludeDeprecated', async () => {
    await withEmulator(fleet(), async (e) => {
      const c = ec2(e);
      const q = { Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['amzn2-ami-hvm-*-x86_64-gp?'] }] };
      const now = await c.send(new DescribeImagesCommand(q));
      expect(names(now)).toEqual(['amzn2-ami-hvm-2.0.20260715.0-x86_64-gp2']);
      expect(now.Images![0]).toMatchObject({ Architecture: 'x86_64', ImageOwnerAlias: 'amazon', State: 'available', Public: true });
      expect(names(await c.send(new DescribeImagesCommand({ ...q, IncludeDeprecated: true })))).toHaveLength(3);
      // a name alone reaches every owner's images: the collector never sends one without Owners
      expect(names(await c.send(new DescribeImagesCommand({ Owners: [OTHER], Filters: [{ Name: 'name', Values: ['app-*'] }] })))).toEqual(['app-2026-02-01']);
      // the caller's own deprecated image is listed without IncludeDeprecated; by id, anyone's is
      expect(names(await c.send(new DescribeImagesCommand({ Owners: ['self'] })))).toEqual(['mine-2026-01-01']);
      expect(names(await c.send(new DescribeImagesCommand({ ImageIds: ['ami-0f282000000000000'.replace(/2(0{12})$/, '0$1')] })))).toHaveLength(1);
    });
  });
  test('ids that do not exist or are not ids; paging', async () => {
    await withEmulator(fleet(), async (e) => {
      const c = ec2(e, 'us-east-1', BASE_CREDS, { maxAttempts: 1 });
      await expect(c.send(new DescribeImagesCommand({ ImageIds: ['ami-0b000000000000001'] }))).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
      await expect(c.send(new DescribeImagesCommand({ ImageIds: ['nope'] }))).rejects.toMatchObject({ name: 'InvalidAMIID.Malformed' });
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const out = await c.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5, IncludeDeprecated: true, NextToken: token }));
        expect(out.Images!.length).toBeLessThanOrEqual(5);
        seen.push(...out.Images!.map((i) => i.ImageId!));
        token = out.NextToken;
      } while (token);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toHaveLength(33);
    });
  });
  test('Allowed AMIs enabled: only allowed images (and the caller\'s own); audit-mode: all, each saying imageAllowed', async () => {
    await withEmulator(fleet('enabled'), async (e) => {
      const out = await ec2(e).send(new DescribeImagesCommand({ Owners: ['amazon'] }));
      expect(names(out).every((n) => n.startsWith('al2023-ami-'))).toBe(true);
      expect(out.Images!.every((i) => i.ImageAllowed === true)).toBe(true);
      expect(names(await ec2(e).send(new DescribeImagesCommand({ Owners: ['self'] })))).toEqual(['mine-2026-01-01']);
    });
    await withEmulator(fleet('audit-mode'), async (e) => {
      const out = await ec2(e).send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'name', Values: ['amzn2-*'] }] }));
      expect(out.Images!.length).toBeGreaterThan(0);
      expect(out.Images!.every((i) => i.ImageAllowed === false)).toBe(true);
    });
  });
});

describe('SSM public parameters', () => {
  test('GetParameters: found and invalid names; at most 10', async () => {
    await withEmulator(fleet(), async (e) => {
      const name = '/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2';
      const out = await ssm(e).send(new GetParametersCommand({ Names: [name, '/aws/service/nope'] }));
      expect(out.Parameters).toEqual([expect.objectContaining({ Name: name, Type: 'String', Value: 'ami-0f282000000000000', DataType: 'aws:ec2:image', ARN: `arn:aws:ssm:us-east-1::parameter${name}` })]);
      expect(out.Parameters![0]!.LastModifiedDate).toBeInstanceOf(Date);
      expect(out.InvalidParameters).toEqual(['/aws/service/nope']);
      await expect(ssm(e).send(new GetParametersCommand({ Names: Array.from({ length: 11 }, (_, i) => `/x${i}`) }))).rejects.toMatchObject({ name: 'ValidationException' });
    });
  });
  test('GetParametersByPath: one level, or recursive; pages of at most MaxResults', async () => {
    await withEmulator(fleet(), async (e) => {
      const all: string[] = [];
      let token: string | undefined;
      do {
        const out = await ssm(e).send(new GetParametersByPathCommand({ Path: '/aws/service/ami-amazon-linux-latest', MaxResults: 4, NextToken: token }));
        expect(out.Parameters!.length).toBeLessThanOrEqual(4);
        all.push(...out.Parameters!.map((p) => p.Name!));
        token = out.NextToken;
      } while (token);
      expect(all).toHaveLength(6);
      expect((await ssm(e).send(new GetParametersByPathCommand({ Path: '/aws/service/eks' }))).Parameters).toEqual([]);
      expect((await ssm(e).send(new GetParametersByPathCommand({ Path: '/aws/service/eks', Recursive: true }))).Parameters).toHaveLength(2);
    });
  });
  test('faults: denied, throttled and malformed answers', async () => {
    const f = fleet();
    await withEmulator(f, async (e) => {
      await expect(ssm(e).send(new GetParametersCommand({ Names: ['/aws/service/x'] }))).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('ssm:GetParameters') });
    }, { rules: [{ service: 'ssm', action: 'GetParameters', error: 'AccessDeniedException' }] });
    await withEmulator(f, async (e) => {
      await expect(ssm(e).send(new GetParametersCommand({ Names: ['/aws/service/x'] }))).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    }, { rules: [{ service: 'ssm', error: 'ThrottlingException' }] });
    await withEmulator(f, async (e) => {
      await expect(ssm(e).send(new GetParametersCommand({ Names: ['/aws/service/x'] }))).rejects.toBeTruthy();
    }, { rules: [{ service: 'ssm', action: 'GetParameters', kind: 'malformed' }] });
    // a rule without a service does not reach SSM unless it names the action
    await withEmulator(f, async (e) => {
      expect((await ssm(e).send(new GetParametersCommand({ Names: ['/aws/service/x'] }))).InvalidParameters).toEqual(['/aws/service/x']);
    }, { rules: [{ error: 'InternalError' }] });
    void NOW;
  });
});
