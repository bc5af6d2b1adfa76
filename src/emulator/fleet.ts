/**
 * The fleet the local endpoint serves: accounts -> regions -> instances, with the EC2 API's own
 * field names for instances, and optionally an AWS Organizations organisation (see docs/emulator.md).
 */
import { UserError } from '../model/errors.js';
import { checkOrganization } from './organizations.js';

import type { Fleet, FleetAccount, FleetRegion } from './fleet-types.js';

export type * from './fleet-types.js';

const ACCOUNT_RE = /^\d{12}$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ISO_INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Checks a parsed fleet document; throws a UserError naming the path at fault. */
export function validateFleet(doc: unknown, file = 'fleet'): Fleet {
  const fail = (path: string, what: string): never => {
    throw new UserError(`${file}: ${path}: ${what}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('(root)', 'expected a JSON object');
  const f = doc as Record<string, unknown>;
  if (f.fleetVersion !== 1) fail('fleetVersion', 'expected 1');
  if (f.asOf !== undefined && (typeof f.asOf !== 'string' || !ISO_INSTANT_RE.test(f.asOf) || !Number.isFinite(Date.parse(f.asOf)))) fail('asOf', 'expected an ISO 8601 date-time in UTC such as 2026-11-26T00:00:00Z');
  const caller = f.caller as Record<string, unknown> | undefined;
  if (!caller || typeof caller.accountId !== 'string' || !ACCOUNT_RE.test(caller.accountId)) fail('caller.accountId', 'expected a 12-digit account id');
  if (!Array.isArray(f.regions) || f.regions.length === 0) fail('regions', 'expected a non-empty array of {name, optIn?}');
  const regionNames = new Set<string>();
  (f.regions as unknown[]).forEach((r, i) => {
    const name = (r as FleetRegion)?.name;
    if (typeof name !== 'string' || !REGION_RE.test(name)) fail(`regions[${i}].name`, 'expected a region name such as us-east-1');
    regionNames.add(name);
  });
  if (!Array.isArray(f.accounts)) fail('accounts', 'expected an array');
  const seen = new Set<string>();
  (f.accounts as unknown[]).forEach((a, i) => {
    const acc = a as FleetAccount;
    if (typeof acc?.accountId !== 'string' || !ACCOUNT_RE.test(acc.accountId)) fail(`accounts[${i}].accountId`, 'expected a 12-digit account id');
    if (seen.has(acc.accountId)) fail(`accounts[${i}].accountId`, `duplicate account ${acc.accountId}`);
    seen.add(acc.accountId);
    for (const [region, list] of Object.entries(acc.instances ?? {})) {
      if (!regionNames.has(region)) fail(`accounts[${i}].instances.${region}`, 'region is not listed in regions');
      if (!Array.isArray(list)) fail(`accounts[${i}].instances.${region}`, 'expected an array of instances');
      list.forEach((inst, j) => {
        if (typeof inst?.InstanceId !== 'string') fail(`accounts[${i}].instances.${region}[${j}].InstanceId`, 'expected a string');
      });
    }
    for (const [region, state] of Object.entries(acc.allowedImages ?? {})) {
      if (!['enabled', 'audit-mode', 'disabled'].includes(state)) fail(`accounts[${i}].allowedImages.${region}`, 'expected enabled, audit-mode or disabled');
    }
    checkReferences(acc, `accounts[${i}]`, regionNames, fail);
  });
  if (f.organization !== undefined) checkOrganization(f.organization, fail);
  checkImages(f, regionNames, fail);
  return doc as Fleet;
}

type Fail = (path: string, what: string) => never;

const LT_ID_RE = /^lt-[0-9a-f]{17}$/;
const LT_NAME_RE = /^[a-zA-Z0-9().\/_-]{3,128}$/;
const LT_VERSION_RE = /^(\$Latest|\$Default|[1-9]\d*)$/;
const IMAGE_PROVIDER_RE = /^(amazon|aws-marketplace|aws-backup-vault|none|\d{12})$/;
const PRODUCT_CODE_RE = /^[a-zA-Z0-9]{1,25}$/;
const IMAGE_NAME_RE = /^[a-zA-Z0-9()[\].\/\-'@_*? ]{1,128}$/;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

/** The per-region maps of an account: each key a listed region, each value an array. */
function perRegion(acc: Record<string, unknown>, key: string, at: string, regions: Set<string>, fail: Fail): [string, unknown[]][] {
  const v = acc[key];
  if (v === undefined) return [];
  if (!isObject(v)) fail(`${at}.${key}`, 'expected an object keyed by region');
  return Object.entries(v as Record<string, unknown>).map(([region, list]) => {
    if (!regions.has(region)) fail(`${at}.${key}.${region}`, 'region is not listed in regions');
    if (!Array.isArray(list)) fail(`${at}.${key}.${region}`, 'expected an array');
    return [region, list as unknown[]];
  });
}

function checkSpec(spec: unknown, at: string, fail: Fail): void {
  if (!isObject(spec)) fail(at, 'expected {id?, name?, version?}');
  const s = spec as Record<string, unknown>;
  if (s.id === undefined && s.name === undefined) fail(at, 'expected an id or a name');
  if (s.id !== undefined && (typeof s.id !== 'string' || !LT_ID_RE.test(s.id))) fail(`${at}.id`, 'expected a launch template id (lt- and 17 hex digits)');
  if (s.name !== undefined && (typeof s.name !== 'string' || !LT_NAME_RE.test(s.name))) fail(`${at}.name`, 'expected a launch template name (3-128 letters, digits, ( ) . / - _)');
  if (s.version !== undefined && (typeof s.version !== 'string' || !LT_VERSION_RE.test(s.version))) fail(`${at}.version`, 'expected $Latest, $Default or a version number');
}

/** Checks the launch templates, Auto Scaling groups, SSM parameters, recipes and Allowed AMIs criteria of one account. */
function checkReferences(acc: FleetAccount, at: string, regions: Set<string>, fail: Fail): void {
  const a = acc as unknown as Record<string, unknown>;
  for (const [region, list] of perRegion(a, 'launchTemplates', at, regions, fail)) {
    const ids = new Set<string>();
    const names = new Set<string>();
    list.forEach((t, j) => {
      const p = `${at}.launchTemplates.${region}[${j}]`;
      if (!isObject(t)) fail(p, 'expected {id, name, defaultVersion, versions}');
      const lt = t as Record<string, unknown>;
      if (typeof lt.id !== 'string' || !LT_ID_RE.test(lt.id)) fail(`${p}.id`, 'expected a launch template id (lt- and 17 hex digits)');
      if (ids.has(lt.id as string)) fail(`${p}.id`, `duplicate launch template ${String(lt.id)}`);
      ids.add(lt.id as string);
      if (typeof lt.name !== 'string' || !LT_NAME_RE.test(lt.name)) fail(`${p}.name`, 'expected a launch template name (3-128 letters, digits, ( ) . / - _)');
      if (names.has(lt.name as string)) fail(`${p}.name`, `duplicate launch template name ${String(lt.name)}`);
      names.add(lt.name as string);
      if (!Array.isArray(lt.versions) || lt.versions.length === 0) fail(`${p}.versions`, 'expected a non-empty array of {number, imageId?, createTime?}');
      const numbers = new Set<number>();
      (lt.versions as unknown[]).forEach((v, k) => {
        const vp = `${p}.versions[${k}]`;
        if (!isObject(v)) fail(vp, 'expected {number, imageId?, createTime?}');
        const ver = v as Record<string, unknown>;
        if (!Number.isInteger(ver.number) || (ver.number as number) < 1) fail(`${vp}.number`, 'expected a version number (1, 2, ...)');
        if (numbers.has(ver.number as number)) fail(`${vp}.number`, `duplicate version ${String(ver.number)}`);
        numbers.add(ver.number as number);
        if (ver.imageId !== undefined && typeof ver.imageId !== 'string') fail(`${vp}.imageId`, 'expected a string');
        if (ver.createTime !== undefined && (typeof ver.createTime !== 'string' || Number.isNaN(Date.parse(ver.createTime)))) fail(`${vp}.createTime`, 'expected an ISO 8601 time');
      });
      if (!numbers.has(lt.defaultVersion as number)) fail(`${p}.defaultVersion`, 'expected the number of one of versions');
    });
  }
  for (const [region, list] of perRegion(a, 'autoScalingGroups', at, regions, fail)) {
    const known = new Set((acc.instances?.[region] ?? []).map((x) => x.InstanceId));
    const names = new Set<string>();
    list.forEach((g, j) => {
      const p = `${at}.autoScalingGroups.${region}[${j}]`;
      if (!isObject(g)) fail(p, 'expected {name, launchTemplate?, mixedInstancesPolicy?, ...}');
      const grp = g as Record<string, unknown>;
      if (typeof grp.name !== 'string' || grp.name.length < 1 || grp.name.length > 255) fail(`${p}.name`, 'expected a group name (1-255 characters)');
      if (names.has(grp.name as string)) fail(`${p}.name`, `duplicate group ${String(grp.name)}`);
      names.add(grp.name as string);
      if (grp.launchTemplate !== undefined && grp.mixedInstancesPolicy !== undefined) fail(p, 'a group has a launchTemplate or a mixedInstancesPolicy, not both');
      if (grp.launchTemplate !== undefined) checkSpec(grp.launchTemplate, `${p}.launchTemplate`, fail);
      if (grp.mixedInstancesPolicy !== undefined) {
        const m = grp.mixedInstancesPolicy;
        if (!isObject(m)) fail(`${p}.mixedInstancesPolicy`, 'expected {launchTemplate, overrides?}');
        const mp = m as Record<string, unknown>;
        checkSpec(mp.launchTemplate, `${p}.mixedInstancesPolicy.launchTemplate`, fail);
        if (mp.overrides !== undefined && !Array.isArray(mp.overrides)) fail(`${p}.mixedInstancesPolicy.overrides`, 'expected an array');
        ((mp.overrides ?? []) as unknown[]).forEach((o, k) => {
          const op = `${p}.mixedInstancesPolicy.overrides[${k}]`;
          if (!isObject(o)) fail(op, 'expected {instanceType?, launchTemplate?, imageId?}');
          const ov = o as Record<string, unknown>;
          if (ov.launchTemplate !== undefined) checkSpec(ov.launchTemplate, `${op}.launchTemplate`, fail);
          if (ov.instanceType !== undefined && typeof ov.instanceType !== 'string') fail(`${op}.instanceType`, 'expected a string');
          if (ov.imageId !== undefined && (typeof ov.imageId !== 'string' || !/^ami-[a-z0-9]{1,17}$/.test(ov.imageId))) fail(`${op}.imageId`, 'expected an AMI id');
        });
      }
      for (const k of ['minSize', 'maxSize', 'desiredCapacity'] as const) if (grp[k] !== undefined && !isCount(grp[k])) fail(`${p}.${k}`, 'expected a whole number');
      if (grp.instanceIds !== undefined && !Array.isArray(grp.instanceIds)) fail(`${p}.instanceIds`, 'expected an array of instance ids');
      ((grp.instanceIds ?? []) as unknown[]).forEach((id, k) => {
        if (typeof id !== 'string' || !known.has(id)) fail(`${p}.instanceIds[${k}]`, `expected an instance of this account and region, got ${String(id)}`);
      });
      const desired = (grp.desiredCapacity as number | undefined) ?? ((grp.instanceIds as unknown[] | undefined)?.length ?? 0);
      const min = (grp.minSize as number | undefined) ?? desired;
      const max = (grp.maxSize as number | undefined) ?? Math.max(desired, 1);
      if (!(min <= desired && desired <= max)) fail(p, `expected minSize <= desiredCapacity <= maxSize, got ${min}, ${desired}, ${max}`);
      if (grp.createdTime !== undefined && (typeof grp.createdTime !== 'string' || Number.isNaN(Date.parse(grp.createdTime)))) fail(`${p}.createdTime`, 'expected an ISO 8601 time');
      if (grp.tags !== undefined && !(Array.isArray(grp.tags) && grp.tags.every((t) => isObject(t) && typeof t.key === 'string' && typeof t.value === 'string'))) fail(`${p}.tags`, 'expected an array of {key, value}');
    });
  }
  for (const [region, list] of perRegion(a, 'ssmParameters', at, regions, fail)) {
    list.forEach((x, j) => {
      const p = `${at}.ssmParameters.${region}[${j}]`;
      if (!isObject(x)) fail(p, 'expected {name, value}');
      if (typeof x.name !== 'string' || x.name.length === 0) fail(`${p}.name`, 'expected a parameter name');
      if (typeof x.value !== 'string') fail(`${p}.value`, 'expected a string');
    });
  }
  for (const key of ['imageRecipes', 'containerRecipes'] as const) {
    for (const [region, list] of perRegion(a, key, at, regions, fail)) {
      list.forEach((x, j) => {
        const p = `${at}.${key}.${region}[${j}]`;
        if (!isObject(x)) fail(p, 'expected {name, version, parentImage}');
        if (typeof x.name !== 'string' || x.name.length === 0) fail(`${p}.name`, 'expected a recipe name');
        if (typeof x.version !== 'string' || !/^\d+\.\d+\.\d+$/.test(x.version)) fail(`${p}.version`, 'expected a semantic version such as 1.0.0');
        if (typeof x.parentImage !== 'string') fail(`${p}.parentImage`, 'expected a string (an AMI id or an image ARN)');
      });
    }
  }
  for (const [region, list] of perRegion(a, 'allowedImagesCriteria', at, regions, fail)) {
    if (list.length > 10) fail(`${at}.allowedImagesCriteria.${region}`, 'at most 10 image criteria');
    list.forEach((x, j) => {
      const p = `${at}.allowedImagesCriteria.${region}[${j}]`;
      if (!isObject(x)) fail(p, 'expected {ImageProviders?, MarketplaceProductCodes?, ImageNames?, DeprecationTimeCondition?, CreationDateCondition?, ImageWatermarks?}');
      const lists: [string, RegExp, number, string][] = [
        ['ImageProviders', IMAGE_PROVIDER_RE, 200, 'amazon, aws-marketplace, aws-backup-vault, none or 12-digit account ids'],
        ['MarketplaceProductCodes', PRODUCT_CODE_RE, 50, 'product codes (1-25 letters or digits)'],
        ['ImageNames', IMAGE_NAME_RE, 50, 'names or patterns (1-128 letters, digits, spaces and ( ) [ ] . / - \' @ _ * ?)'],
      ];
      for (const [k, re, most, what] of lists) {
        const v = x[k];
        if (v === undefined) continue;
        if (!Array.isArray(v) || v.length === 0 || v.length > most || !v.every((s) => typeof s === 'string' && re.test(s))) fail(`${p}.${k}`, `expected 1-${most} ${what}`);
      }
      const providers = x.ImageProviders as string[] | undefined;
      if (providers?.includes('none') && (providers.length > 1 || Object.keys(x).length > 1)) fail(`${p}.ImageProviders`, 'none allows no other provider and no other criterion');
      const conditions: [string, string][] = [['DeprecationTimeCondition', 'MaximumDaysSinceDeprecated'], ['CreationDateCondition', 'MaximumDaysSinceCreated']];
      for (const [k, field] of conditions) {
        const c = x[k];
        if (c === undefined) continue;
        if (!isObject(c)) fail(`${p}.${k}`, `expected {${field}}`);
        const n = (c as Record<string, unknown>)[field];
        if (!isCount(n) || n > 2147483647) fail(`${p}.${k}.${field}`, 'expected a whole number of days (0-2147483647)');
      }
      const marks = x.ImageWatermarks;
      if (marks !== undefined) {
        if (!Array.isArray(marks) || marks.length === 0 || marks.length > 50) fail(`${p}.ImageWatermarks`, 'expected 1-50 watermark filters');
        (marks as unknown[]).forEach((m, k) => {
          const at2 = `${p}.ImageWatermarks[${k}]`;
          if (!isObject(m)) fail(at2, 'expected {WatermarkKey?, SourceImageRegion?, MaximumDaysSinceSourceImageCreated?, MaximumDaysSinceWatermarkCreated?}');
          for (const [field, v] of Object.entries(m)) {
            if (field === 'WatermarkKey' || field === 'SourceImageRegion') {
              if (typeof v !== 'string' || v.length === 0 || v.length > 256) fail(`${at2}.${field}`, 'expected 1-256 characters (with * and ?)');
            } else if (field === 'MaximumDaysSinceSourceImageCreated' || field === 'MaximumDaysSinceWatermarkCreated') {
              if (!isCount(v) || v > 2147483647) fail(`${at2}.${field}`, 'expected a whole number of days (0-2147483647)');
            } else fail(`${at2}.${field}`, 'unknown field (expected WatermarkKey, SourceImageRegion, MaximumDaysSinceSourceImageCreated or MaximumDaysSinceWatermarkCreated)');
          }
        });
      }
      const unknown = Object.keys(x).find((k) => ![...lists.map((l) => l[0]), ...conditions.map((c) => c[0]), 'ImageWatermarks'].includes(k));
      if (unknown !== undefined) fail(`${p}.${unknown}`, 'unknown criterion (expected ImageProviders, MarketplaceProductCodes, ImageNames, DeprecationTimeCondition, CreationDateCondition or ImageWatermarks)');
    });
  }
  if (a.allowedImagesManagedBy !== undefined) {
    if (!isObject(a.allowedImagesManagedBy)) fail(`${at}.allowedImagesManagedBy`, 'expected an object keyed by region');
    for (const [region, by] of Object.entries(a.allowedImagesManagedBy as Record<string, unknown>)) {
      if (!regions.has(region)) fail(`${at}.allowedImagesManagedBy.${region}`, 'region is not listed in regions');
      if (by !== 'account' && by !== 'declarative-policy') fail(`${at}.allowedImagesManagedBy.${region}`, 'expected account or declarative-policy');
    }
  }
}

const ARCHITECTURES = new Set(['x86_64', 'arm64', 'i386', 'x86_64_mac', 'arm64_mac']);
const IMAGE_STATES = new Set(['available', 'pending', 'disabled', 'deregistered', 'failed']);

function checkImages(f: Record<string, unknown>, regions: Set<string>, fail: (path: string, what: string) => never): void {
  const regionList = (v: unknown, p: string): void => {
    if (v === undefined) return;
    if (!Array.isArray(v) || !v.every((r) => typeof r === 'string' && regions.has(r))) fail(p, 'expected regions listed in regions');
  };
  const date = (v: unknown, p: string, optional: boolean): void => {
    if (v === undefined && optional) return;
    if (typeof v !== 'string' || !Number.isFinite(Date.parse(v))) fail(p, 'expected an ISO 8601 time');
  };
  if (f.images !== undefined) {
    if (!Array.isArray(f.images)) fail('images', 'expected an array');
    const ids = new Set<string>();
    (f.images as unknown[]).forEach((x, i) => {
      const p = `images[${i}]`;
      if (!isObject(x)) fail(p, 'expected {imageId, name, ownerId, architecture, creationDate, ...}');
      if (typeof x.imageId !== 'string' || !/^ami-[0-9a-f]{8,17}$/.test(x.imageId)) fail(`${p}.imageId`, 'expected ami- and 8 or 17 hex digits');
      if (ids.has(x.imageId as string)) fail(`${p}.imageId`, 'duplicate image id');
      ids.add(x.imageId as string);
      if (typeof x.name !== 'string' || x.name.length === 0) fail(`${p}.name`, 'expected a name');
      if (typeof x.ownerId !== 'string' || !ACCOUNT_RE.test(x.ownerId)) fail(`${p}.ownerId`, 'expected a 12-digit account id');
      if (x.ownerAlias !== undefined && !['amazon', 'aws-marketplace', 'aws-backup-vault'].includes(x.ownerAlias as string)) fail(`${p}.ownerAlias`, 'expected amazon, aws-marketplace or aws-backup-vault');
      if (!ARCHITECTURES.has(x.architecture as string)) fail(`${p}.architecture`, `expected ${[...ARCHITECTURES].join(', ')}`);
      date(x.creationDate, `${p}.creationDate`, false);
      date(x.deprecationTime, `${p}.deprecationTime`, true);
      if (x.state !== undefined && !IMAGE_STATES.has(x.state as string)) fail(`${p}.state`, `expected ${[...IMAGE_STATES].join(', ')}`);
      if (x.public !== undefined && typeof x.public !== 'boolean') fail(`${p}.public`, 'expected true or false');
      if (x.sharedWith !== undefined && (!Array.isArray(x.sharedWith) || !x.sharedWith.every((s) => typeof s === 'string' && ACCOUNT_RE.test(s)))) fail(`${p}.sharedWith`, 'expected 12-digit account ids');
      regionList(x.regions, `${p}.regions`);
      if (x.deregistrationProtection !== undefined && !['disabled', 'enabled-with-cooldown', 'enabled-without-cooldown'].includes(x.deregistrationProtection as string)) fail(`${p}.deregistrationProtection`, 'expected disabled, enabled-with-cooldown or enabled-without-cooldown');
      date(x.lastLaunchedTime, `${p}.lastLaunchedTime`, true);
      if (x.sourceImageId !== undefined && (typeof x.sourceImageId !== 'string' || !/^ami-[0-9a-f]{8,17}$/.test(x.sourceImageId))) fail(`${p}.sourceImageId`, 'expected an AMI id');
      if (x.imageWatermarks !== undefined && (!Array.isArray(x.imageWatermarks) || !x.imageWatermarks.every((w) => isObject(w)
        && typeof w.WatermarkKey === 'string' && /^\d{12}:.{3,128}$/.test(w.WatermarkKey) && typeof w.SourceImageId === 'string' && /^ami-[0-9a-f]{8,17}$/.test(w.SourceImageId)
        && typeof w.SourceImageRegion === 'string' && [w.SourceImageCreationTime, w.WatermarkCreationTime].every((t) => t === undefined || (typeof t === 'string' && Number.isFinite(Date.parse(t))))))) {
        fail(`${p}.imageWatermarks`, 'expected [{WatermarkKey: accountId:name, SourceImageId, SourceImageRegion, SourceImageCreationTime?, WatermarkCreationTime?}]');
      }
      if (x.usageReportPolls !== undefined && (!Number.isInteger(x.usageReportPolls) || (x.usageReportPolls as number) < -1)) fail(`${p}.usageReportPolls`, 'expected an integer >= -1');
      if (x.usage !== undefined && (!Array.isArray(x.usage) || !x.usage.every((u) => isObject(u) && typeof u.accountId === 'string' && ACCOUNT_RE.test(u.accountId) && (u.resourceType === 'ec2:Instance' || u.resourceType === 'ec2:LaunchTemplate') && Number.isInteger(u.count) && (u.count as number) > 0))) fail(`${p}.usage`, 'expected [{accountId, resourceType: ec2:Instance | ec2:LaunchTemplate, count}]');
    });
  }
  if (f.publicParameters !== undefined) {
    if (!Array.isArray(f.publicParameters)) fail('publicParameters', 'expected an array');
    (f.publicParameters as unknown[]).forEach((x, i) => {
      const p = `publicParameters[${i}]`;
      if (!isObject(x)) fail(p, 'expected {name, imageId, regions?}');
      if (typeof x.name !== 'string' || !x.name.startsWith('/aws/service/')) fail(`${p}.name`, 'expected a public parameter name under /aws/service/');
      if (typeof x.imageId !== 'string' || !/^ami-[0-9a-f]{8,17}$/.test(x.imageId)) fail(`${p}.imageId`, 'expected an AMI id');
      date(x.lastModified, `${p}.lastModified`, true);
      regionList(x.regions, `${p}.regions`);
    });
  }
}

/** Region facts for one account, as DescribeRegions reports them. */
export function optInStatus(fleet: Fleet, account: FleetAccount | undefined, region: string): 'opt-in-not-required' | 'opted-in' | 'not-opted-in' | null {
  const r = fleet.regions.find((x) => x.name === region);
  if (!r) return null;
  if (!r.optIn) return 'opt-in-not-required';
  return account?.optedInRegions?.includes(region) ? 'opted-in' : 'not-opted-in';
}

/** Counts the instances of a fleet (for summaries and the benchmark). */
export function fleetSize(fleet: Fleet): number {
  let n = 0;
  for (const a of fleet.accounts) for (const list of Object.values(a.instances ?? {})) n += list.length;
  return n;
}
