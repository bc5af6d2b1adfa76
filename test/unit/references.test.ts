/** --references: which AMIs are looked up, the lookups (batches, paging, groups), and the rule. */
import { describe, expect, test } from '@jest/globals';
import { DateTime } from 'luxon';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { collectReferences, flaggedImages, nameOfArn } from '../../src/collect/references.js';
import { evaluate } from '../../src/rules/engine.js';
import { imagePlan } from '../../src/report/plan.js';
import { diffReports } from '../../src/report/build.js';
import { DEFAULT_SETTINGS } from '../../src/rules/engine.js';
import type { ImageReference, InstanceRecord } from '../../src/model/types.js';
import { record } from '../helpers/records.js';

const ACCT = '222222222222';
const REGION = 'us-east-1';
const NOW = DateTime.fromISO('2026-11-26T00:00:00Z', { zone: 'utc' });
const ami = (n: number): string => `ami-${String(n).padStart(17, '0')}`;
const rec = (n: number, meta: Record<string, unknown>, id = `i-${String(n).padStart(17, '0')}`): InstanceRecord =>
  record({ ImageId: ami(n), ...meta }, { accountId: ACCT, region: REGION, InstanceId: id });

describe('flaggedImages', () => {
  test('deprecated at or before as-of, deregistered, disabled, not allowed: each AMI once; healthy and future deprecations not', () => {
    const list = [
      rec(1, { DeprecationTime: '2026-01-01T00:00:00Z', State: 'available' }),
      rec(1, { DeprecationTime: '2026-01-01T00:00:00Z', State: 'available' }, 'i-0000000000000000b'),
      rec(2, { State: 'deregistered' }),
      rec(3, { State: 'disabled' }),
      rec(4, { State: 'available', ImageAllowed: false }),
      rec(5, { State: 'available', DeprecationTime: '2027-06-01T00:00:00Z' }),
      rec(6, { State: 'available' }),
    ];
    expect(flaggedImages(list, NOW.toMillis())).toEqual([ami(1), ami(2), ami(3), ami(4)]);
  });
});

test('nameOfArn: launch template id, hierarchical SSM parameter, recipe name and version', () => {
  expect(nameOfArn('ec2:LaunchTemplate', `arn:aws:ec2:${REGION}:${ACCT}:launch-template/lt-0abc`)).toEqual({ name: 'lt-0abc', version: null });
  expect(nameOfArn('ssm:Parameter', `arn:aws:ssm:${REGION}:${ACCT}:parameter/golden/ami/web`)).toEqual({ name: '/golden/ami/web', version: null });
  expect(nameOfArn('ssm:Parameter', `arn:aws:ssm:${REGION}:${ACCT}:parameter/flat`)).toEqual({ name: 'flat', version: null });
  expect(nameOfArn('imagebuilder:ImageRecipe', `arn:aws:imagebuilder:${REGION}:${ACCT}:image-recipe/web/1.2.0`)).toEqual({ name: 'web', version: '1.2.0' });
});

/** A fake EC2 + Auto Scaling pair answering by command class name. */
function fakes(o: {
  refs: Record<string, { type: string; arn: string }[]>;
  templates?: Record<string, { name: string; default: number; versions: Record<number, string> }>;
  groups?: { AutoScalingGroupName: string; LaunchTemplate?: Record<string, string>; MixedInstancesPolicy?: unknown }[];
  page?: number;
  deny?: string;
}) {
  const calls: { action: string; input: Record<string, unknown> }[] = [];
  const answer = async (cmd: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> => {
    const action = cmd.constructor.name.replace(/Command$/, '');
    calls.push({ action, input: cmd.input });
    if (o.deny === action) throw Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403, attempts: 1 } });
    const page = o.page ?? 1000;
    const start = Number(cmd.input.NextToken ?? 0);
    switch (action) {
      case 'DescribeImageReferences': {
        const ids = cmd.input.ImageIds as string[];
        if (ids.length > 10) throw new Error('more than 10 ids');
        const all = ids.flatMap((id) => (o.refs[id] ?? []).map((r) => ({ ImageId: id, ResourceType: r.type, Arn: r.arn })));
        const items = all.slice(start, start + page);
        return { ImageReferences: items, ...(start + page < all.length ? { NextToken: String(start + page) } : {}), $metadata: {} };
      }
      case 'DescribeLaunchTemplateVersions': {
        const id = cmd.input.LaunchTemplateId as string;
        const t = o.templates![id]!;
        const spec = (cmd.input.Versions as string[])[0]!;
        const n = spec === '$Latest' ? Math.max(...Object.keys(t.versions).map(Number)) : spec === '$Default' ? t.default : Number(spec);
        return { LaunchTemplateVersions: [{ LaunchTemplateId: id, LaunchTemplateName: t.name, VersionNumber: n, DefaultVersion: n === t.default, LaunchTemplateData: { ImageId: t.versions[n] } }], $metadata: {} };
      }
      case 'DescribeAutoScalingGroups': {
        const all = o.groups ?? [];
        const items = all.slice(start, start + 2);
        return { AutoScalingGroups: items, ...(start + 2 < all.length ? { NextToken: String(start + 2) } : {}), $metadata: {} };
      }
      default: throw new Error(`unexpected ${action}`);
    }
  };
  return { ec2: { send: answer } as unknown as EC2Client, autoscaling: { send: answer } as unknown as AutoScalingClient, calls };
}

const lt = (id: string): string => `arn:aws:ec2:${REGION}:${ACCT}:launch-template/${id}`;
const base = { accountId: ACCT, region: REGION, asOfMs: NOW.toMillis(), limit: <T>(fn: () => Promise<T>) => fn(), signal: new AbortController().signal };

describe('collectReferences', () => {
  test('nothing flagged: no call, skipped nothing-flagged', async () => {
    const f = fakes({ refs: {} });
    const r = await collectReferences({ ...base, ...f, instances: [rec(1, { State: 'available' })] });
    expect(r.coverage).toEqual({ status: 'skipped', code: 'nothing-flagged', message: null, images: 0, apiCalls: 0 });
    expect(f.calls).toEqual([]);
  });

  test('23 flagged AMIs: 3 calls of at most 10 ids, every page followed, each reference once', async () => {
    const instances = Array.from({ length: 23 }, (_, i) => rec(i + 1, { State: 'deregistered' }));
    const refs = Object.fromEntries(instances.map((x, i) => [x.ImageMetadata!.ImageId!, [{ type: 'ssm:Parameter', arn: `arn:aws:ssm:${REGION}:${ACCT}:parameter/p${i}` }, { type: 'ssm:Parameter', arn: `arn:aws:ssm:${REGION}:${ACCT}:parameter/q${i}` }]]));
    const f = fakes({ refs, page: 7 });
    const r = await collectReferences({ ...base, ...f, instances });
    const dir = f.calls.filter((c) => c.action === 'DescribeImageReferences');
    expect(new Set(dir.map((c) => (c.input.ImageIds as string[]).join()))).toHaveProperty('size', 3);
    expect(Math.max(...dir.map((c) => (c.input.ImageIds as string[]).length))).toBe(10);
    expect(r.references).toHaveLength(46);
    expect(r.coverage).toMatchObject({ status: 'ok', images: 23 });
    expect(r.coverage.apiCalls).toBe(f.calls.length);
    // the launch template type asks for the version depth
    expect(dir[0]!.input.ResourceTypes).toContainEqual({ ResourceType: 'ec2:LaunchTemplate', ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['10'] }] });
  });

  test('Auto Scaling groups: $Latest, $Default, a pinned version, a name instead of an id, and a mixed instances policy resolve to the AMI or not', async () => {
    const bad = ami(1);
    const f = fakes({
      refs: { [bad]: [{ type: 'ec2:LaunchTemplate', arn: lt('lt-0aaa') }] },
      templates: { 'lt-0aaa': { name: 'web', default: 1, versions: { 1: ami(9), 2: bad } } },
      groups: [
        { AutoScalingGroupName: 'web-prod', LaunchTemplate: { LaunchTemplateId: 'lt-0aaa', Version: '$Latest' } },
        { AutoScalingGroupName: 'web-default', LaunchTemplate: { LaunchTemplateId: 'lt-0aaa', Version: '$Default' } },
        { AutoScalingGroupName: 'web-pinned-2', LaunchTemplate: { LaunchTemplateName: 'web', Version: '2' } },
        { AutoScalingGroupName: 'web-unversioned', LaunchTemplate: { LaunchTemplateId: 'lt-0aaa' } },
        { AutoScalingGroupName: 'web-mixed', MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-0aaa', Version: '$Latest' } } } },
        { AutoScalingGroupName: 'other', LaunchTemplate: { LaunchTemplateId: 'lt-0bbb', Version: '$Latest' } },
      ],
    });
    const r = await collectReferences({ ...base, ...f, instances: [rec(1, { State: 'deregistered' })] });
    // defaultVersion: the template's default ($Default resolved), the version a rollout starts from when no group launches the AMI
    expect(r.references).toEqual([{ accountId: ACCT, region: REGION, imageId: bad, resourceType: 'ec2:LaunchTemplate', arn: lt('lt-0aaa'), name: 'web', version: '2', usedBy: ['web-mixed', 'web-pinned-2', 'web-prod'], defaultVersion: '1' }]);
    expect(r.coverage.status).toBe('ok');
  });

  test('a denied DescribeImageReferences is an error with its code, never "no references"', async () => {
    const f = fakes({ refs: {}, deny: 'DescribeImageReferences' });
    const r = await collectReferences({ ...base, ...f, instances: [rec(1, { State: 'disabled' })] });
    expect(r.coverage).toMatchObject({ status: 'error', code: 'UnauthorizedOperation', images: 1 });
    expect(r.failure).toMatchObject({ action: 'DescribeImageReferences', code: 'UnauthorizedOperation' });
  });

  test('a denied DescribeAutoScalingGroups keeps the references but is an error (which groups launch them is unknown)', async () => {
    const f = fakes({ refs: { [ami(1)]: [{ type: 'ec2:LaunchTemplate', arn: lt('lt-0aaa') }] }, templates: { 'lt-0aaa': { name: 'web', default: 1, versions: { 1: ami(1) } } }, deny: 'DescribeAutoScalingGroups' });
    const r = await collectReferences({ ...base, ...f, instances: [rec(1, { State: 'disabled' })] });
    expect(r.references).toHaveLength(1);
    expect(r.failure).toMatchObject({ action: 'DescribeAutoScalingGroups', code: 'UnauthorizedOperation' });
  });

  test('a reference to an AMI not asked about, or to another account, is not trusted', async () => {
    const f = fakes({ refs: { [ami(1)]: [{ type: 'ssm:Parameter', arn: `arn:aws:ssm:${REGION}:999999999999:parameter/x` }] } });
    const r = await collectReferences({ ...base, ...f, instances: [rec(1, { State: 'disabled' })] });
    expect(r.failure).toMatchObject({ code: 'MalformedResponse' });
    expect(r.references).toEqual([]);
  });
});

describe('launchable-bad-ami', () => {
  const ref = (over: Partial<ImageReference>): ImageReference => ({ accountId: ACCT, region: REGION, imageId: ami(1), resourceType: 'ec2:LaunchTemplate', arn: lt('lt-0aaa'), name: 'web', version: '2', usedBy: [], ...over });
  const instances = [rec(1, { State: 'available', DeprecationTime: '2026-01-01T00:00:00Z' }), rec(2, { State: 'available' })];

  test('high when an Auto Scaling group launches it, medium otherwise; the subject is the resource', () => {
    const ev = evaluate(instances, [], DEFAULT_SETTINGS, NOW.toMillis(), [ref({ usedBy: ['web-prod'] }), ref({ resourceType: 'ssm:Parameter', arn: `arn:aws:ssm:${REGION}:${ACCT}:parameter/golden/web`, name: '/golden/web', version: null })]);
    const hits = ev.findings.filter((f) => f.ruleId === 'launchable-bad-ami');
    expect(hits.map((f) => [f.severity, f.instanceId, f.resource!.arn])).toEqual([
      ['high', '', lt('lt-0aaa')],
      ['medium', '', `arn:aws:ssm:${REGION}:${ACCT}:parameter/golden/web`],
    ]);
    expect(hits[0]!.message).toMatch(/^Auto Scaling group web-prod will launch it on the next scale-out from launch template web \(version 2\): the AMI is deprecated on 2026-01-01/);
    expect(hits[1]!.message).toMatch(/^SSM parameter \/golden\/web still references it/);
    expect(new Set(hits.map((f) => f.id)).size).toBe(2);
  });

  test('a reference to a healthy AMI, or to one no instance of the scope carries, is no finding', () => {
    const ev = evaluate(instances, [], DEFAULT_SETTINGS, NOW.toMillis(), [ref({ imageId: ami(2) }), ref({ imageId: ami(7) })]);
    expect(ev.findings.filter((f) => f.ruleId === 'launchable-bad-ami')).toEqual([]);
  });

  test('the plan lists the references under the AMI, groups first, and counts no instance for a resource finding', () => {
    const refs = [ref({ resourceType: 'ssm:Parameter', arn: `arn:aws:ssm:${REGION}:${ACCT}:parameter/a`, name: 'a' }), ref({ usedBy: ['web-prod'] })];
    const ev = evaluate(instances, [], DEFAULT_SETTINGS, NOW.toMillis(), refs);
    const plan = imagePlan(ev.findings, instances, refs);
    const entry = plan.find((p) => p.imageId === ami(1))!;
    expect(entry.references!.map((r) => r.arn)).toEqual([lt('lt-0aaa'), `arn:aws:ssm:${REGION}:${ACCT}:parameter/a`]);
    expect(entry.instances.total).toBe(1);
    expect(imagePlan(ev.findings, instances)[0]!.references).toBeUndefined();
  });

  test('waived like any finding: by rule and account', () => {
    const settings = { ...DEFAULT_SETTINGS, waivers: [{ id: 'lt-ok', ruleId: 'launchable-bad-ami', accountId: ACCT, reason: 'replaced next sprint', expires: '2027-01-01' }] };
    const ev = evaluate(instances, [], settings, NOW.toMillis(), [ref({ usedBy: ['web-prod'] })]);
    expect(ev.findings.find((f) => f.ruleId === 'launchable-bad-ami')!.waiver).toMatchObject({ id: 'lt-ok' });
  });
});

describe('not-allowed-ami names the criteria the AMI fails', () => {
  const crit = (over: Partial<import('../../src/model/types.js').ImageCriterion>) => ({ imageProviders: [], marketplaceProductCodes: [], imageNames: [], maximumDaysSinceDeprecated: null, maximumDaysSinceCreated: null, ...over });
  const notAllowed = rec(1, { State: 'available', ImageAllowed: false, OwnerId: '999999999999', ImageOwnerAlias: undefined, Name: 'vendor-appliance-2023', CreationDate: '2024-01-01T00:00:00Z' });
  const cov = (criteria: ReturnType<typeof crit>[], managedBy = 'account') => [{
    accountId: ACCT, region: REGION, status: 'ok' as const, errorCode: null, errorMessage: null, reason: null, instanceCount: 1, pageCount: 1, apiCalls: 2, retries: 0,
    allowedImagesState: 'enabled' as const, disruptedZones: [], uncoveredInstanceCount: 0, failures: [], allowedImagesCriteria: criteria, allowedImagesManagedBy: managedBy,
  }];
  const message = (criteria: ReturnType<typeof crit>[], managedBy?: string): string =>
    evaluate([notAllowed], cov(criteria, managedBy), DEFAULT_SETTINGS, NOW.toMillis()).findings.find((f) => f.ruleId === 'not-allowed-ami')!.message;

  test('owner, name and creation limit, each named', () => {
    const m = message([crit({ imageProviders: ['111111111111', '222222222222'], imageNames: ['golden-*'], maximumDaysSinceCreated: 365 })]);
    expect(m).toMatch(/Against the region's criteria: the criterion: its owner 999999999999 is not among the providers \(111111111111, 222222222222\); its name "vendor-appliance-2023" matches none of "golden-\*"; it was created 1060 days ago, more than the 365 allowed\./);
  });

  test('several criteria: each one\'s failure, numbered; a declarative policy is said', () => {
    const m = message([crit({ imageProviders: ['111111111111'] }), crit({ imageNames: ['vendor-appliance-202?'], maximumDaysSinceCreated: 30 })], 'declarative-policy');
    expect(m).toMatch(/criteria \(set by a declarative policy of the organisation\): criterion 1: its owner 999999999999 is not among the providers \(111111111111\) \| criterion 2: it was created 1060 days ago/);
  });

  test('what the metadata cannot tell is said, not guessed', () => {
    const m = message([crit({ marketplaceProductCodes: ['abc123'] })]);
    expect(m).toMatch(/cannot be checked from the metadata \(the marketplace product codes .*\)\. EC2 judged it not allowed on facts the instance metadata does not carry\./);
  });

  test('without criteria read, the message is as before', () => {
    const m = evaluate([notAllowed], [{ ...cov([])[0]!, allowedImagesCriteria: undefined }], DEFAULT_SETTINGS, NOW.toMillis()).findings.find((f) => f.ruleId === 'not-allowed-ami')!.message;
    expect(m).toBe('Not allowed: Allowed AMIs is enabled in us-east-1, so it can no longer be launched.');
  });
});

describe('review fixes', () => {
  const ref = (over: Partial<ImageReference> = {}): ImageReference => ({ accountId: ACCT, region: REGION, imageId: ami(1), resourceType: 'ec2:LaunchTemplate', arn: lt('lt-0aaa'), name: 'web', version: '2', usedBy: ['web-prod'], ...over });
  const deprecated = rec(1, { State: 'available', DeprecationTime: '2026-01-01T00:00:00Z' });

  test('a group lookup that failed keeps the finding high and says the groups are unknown', async () => {
    const f = fakes({ refs: { [ami(1)]: [{ type: 'ec2:LaunchTemplate', arn: lt('lt-0aaa') }] }, templates: { 'lt-0aaa': { name: 'web', default: 1, versions: { 1: ami(1) } } }, deny: 'DescribeAutoScalingGroups' });
    const r = await collectReferences({ ...base, ...f, instances: [deprecated] });
    expect(r.references[0]!.usedByUnknown).toBe(true);
    const ev = evaluate([deprecated], [], DEFAULT_SETTINGS, NOW.toMillis(), r.references);
    const hit = ev.findings.find((x) => x.ruleId === 'launchable-bad-ami')!;
    expect(hit.severity).toBe('high');
    expect(hit.message).toMatch(/which Auto Scaling groups launch from it could not be looked up/);
  });

  test('the AMI of a terminated instance is still judged: its template may launch it again', () => {
    const gone = rec(1, { State: 'deregistered' });
    gone.State = { Code: 48, Name: 'terminated' };
    const ev = evaluate([gone], [], DEFAULT_SETTINGS, NOW.toMillis(), [ref()]);
    expect(ev.findings.map((x) => x.ruleId)).toEqual(['launchable-bad-ami']);
    expect(ev.instancesTerminatedSkipped).toBe(1);
    expect(ev.instancesEvaluated).toBe(0);
  });

  test('a baseline finding about a resource is resolved only where the newer run looked up references for that AMI', () => {
    const scopeOk = (refs?: 'ok' | 'error') => [{ accountId: ACCT, region: REGION, status: 'ok' as const, errorCode: null, errorMessage: null, reason: null, instanceCount: 1, pageCount: 1, apiCalls: 2, retries: 0, allowedImagesState: 'disabled' as const, disruptedZones: [], uncoveredInstanceCount: 0, failures: [], ...(refs ? { references: { status: refs, code: null, message: null, images: 1, apiCalls: 1 } } : {}) }];
    const before = evaluate([deprecated], scopeOk('ok'), DEFAULT_SETTINGS, NOW.toMillis(), [ref()]);
    const baseline = { run: { id: 'b', startedAt: 'x', asOf: 'x', options: { references: { versionDepth: 10 } } }, findings: before.findings, coverage: scopeOk('ok') } as never;
    const launchableId = before.findings.find((x) => x.resource)!.id;
    const verdict = (current: Parameters<typeof diffReports>[1]) => {
      const d = diffReports(baseline, current);
      return d.resolved.some((x) => x.id === launchableId) ? 'resolved' : d.unverified.find((x) => x.id === launchableId)?.notLookedAt ?? 'absent';
    };
    // the instances moved to a good AMI: nobody asked about the old one's references
    const moved = evaluate([rec(2, { State: 'available' })], scopeOk('ok'), DEFAULT_SETTINGS, NOW.toMillis(), []);
    expect(verdict({ findings: moved.findings, coverage: scopeOk('ok'), run: { options: { references: { versionDepth: 10 } } } })).toBe('references');
    // no --references at all
    const plain = evaluate([deprecated], scopeOk(), DEFAULT_SETTINGS, NOW.toMillis());
    expect(verdict({ findings: plain.findings, coverage: scopeOk(), run: { options: {} } })).toBe('references');
    // looked up, the AMI still flagged, the reference gone: resolved
    const fixed = evaluate([deprecated], scopeOk('ok'), DEFAULT_SETTINGS, NOW.toMillis(), []);
    expect(verdict({ findings: fixed.findings, coverage: scopeOk('ok'), run: { options: { references: { versionDepth: 10 } } } })).toBe('resolved');
    // looked up but the lookup failed
    expect(verdict({ findings: fixed.findings, coverage: scopeOk('error'), run: { options: { references: { versionDepth: 10 } } } })).toBe('references');
  });

  test('no deprecated image allowed: an AMI deprecated an hour ago fails it', () => {
    const fresh = rec(1, { State: 'available', ImageAllowed: false, OwnerId: '999999999999', ImageOwnerAlias: undefined, DeprecationTime: NOW.minus({ hours: 1 }).toISO()! });
    const cov = [{ accountId: ACCT, region: REGION, status: 'ok' as const, errorCode: null, errorMessage: null, reason: null, instanceCount: 1, pageCount: 1, apiCalls: 2, retries: 0, allowedImagesState: 'enabled' as const, disruptedZones: [], uncoveredInstanceCount: 0, failures: [], allowedImagesCriteria: [{ imageProviders: [], marketplaceProductCodes: [], imageNames: [], maximumDaysSinceDeprecated: 0, maximumDaysSinceCreated: null }], allowedImagesManagedBy: 'account' }];
    const m = evaluate([fresh], cov, DEFAULT_SETTINGS, NOW.toMillis()).findings.find((x) => x.ruleId === 'not-allowed-ami')!.message;
    expect(m).toMatch(/it is deprecated, and no deprecated image is allowed/);
  });
});
