/**
 * Why an AMI is outside a region's Allowed AMIs criteria, from the instance's image metadata, as
 * the EC2 User Guide describes the evaluation: an AMI is allowed when it meets any one criterion;
 * it meets a criterion when it meets every parameter the criterion specifies (image providers, image
 * names, marketplace product codes, days since creation, days since deprecation); within a list,
 * one match is enough. Pure: the as-of time is passed in.
 */
import type { ImageCriterion } from '../model/types.js';
import type { RecordView } from './types.js';
import { DAY_MS } from './dates.js';

/** An image name pattern: `*` any run of characters, `?` one character, the rest literal. */
export function nameMatches(pattern: string, name: string): boolean {
  let re = '^';
  for (const ch of pattern) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  return new RegExp(`${re}$`, 's').test(name);
}

/** The parameters of one criterion the image fails ([] when it meets all), and those that cannot be judged from the metadata. */
export function criterionGaps(c: ImageCriterion, v: RecordView, asOfMs: number): { fails: string[]; unknown: string[] } {
  const fails: string[] = [];
  const unknown: string[] = [];
  const m = v.rec.ImageMetadata;
  if (c.imageProviders.length) {
    const own = v.imageOwner !== null && v.imageOwner === v.instanceAccount;
    const ok = c.imageProviders.some((p) => (p === 'none' ? own : p === v.imageOwner || (v.ownerAlias !== null && p === v.ownerAlias)));
    // 'amazon' also covers verified providers, which the metadata does not say: only a miss for other owners is certain
    if (!ok) {
      if (v.imageOwner === null && v.ownerAlias === null) unknown.push('the image provider (the metadata names no owner)');
      else if (c.imageProviders.includes('amazon') && v.ownerAlias === null) unknown.push(`whether owner ${v.imageOwner} is a verified provider (amazon)`);
      else fails.push(`its owner ${v.ownerAlias ?? v.imageOwner} is not among the providers (${c.imageProviders.join(', ')})`);
    }
  }
  if (c.imageNames.length) {
    const name = typeof m?.Name === 'string' ? m.Name : null;
    if (name === null) unknown.push('the image name (not in the metadata)');
    else if (!c.imageNames.some((p) => nameMatches(p, name))) fails.push(`its name ${JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name)} matches none of ${c.imageNames.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  if (c.marketplaceProductCodes.length) unknown.push('the marketplace product codes (not in the instance metadata)');
  if (c.imageWatermarks?.length) unknown.push('the watermark filters (ImageWatermarks: not evaluated by ami-audit)');
  if (c.maximumDaysSinceCreated !== null) {
    if (v.creation?.ms == null) unknown.push('the creation date (not in the metadata)');
    else {
      const days = Math.floor((asOfMs - v.creation.ms) / DAY_MS);
      if (asOfMs - v.creation.ms > c.maximumDaysSinceCreated * DAY_MS) fails.push(`it was created ${days} days ago, more than the ${c.maximumDaysSinceCreated} allowed`);
    }
  }
  if (c.maximumDaysSinceDeprecated !== null && v.deprecation?.ms != null && v.deprecation.ms <= asOfMs) {
    const max = c.maximumDaysSinceDeprecated;
    if (max === 0) fails.push('it is deprecated, and no deprecated image is allowed');
    else if (asOfMs - v.deprecation.ms > max * DAY_MS) fails.push(`it has been deprecated for ${Math.floor((asOfMs - v.deprecation.ms) / DAY_MS)} days, more than the ${max} allowed`);
  }
  return { fails, unknown };
}

/**
 * One sentence on why the image is outside the criteria, or why that cannot be told; null when the
 * criteria were not read. "criterion N" counts from 1 in the order GetAllowedImagesSettings gives.
 */
export function explainNotAllowed(criteria: readonly ImageCriterion[] | null, managedBy: string | null, v: RecordView, asOfMs: number): string | null {
  if (criteria === null) return null;
  const by = managedBy === 'declarative-policy' ? ' (set by a declarative policy of the organisation)' : '';
  if (criteria.length === 0) return `The region's criteria${by} list no image criterion, so only the account's own AMIs are allowed.`;
  const parts: string[] = [];
  let undecided = false;
  criteria.forEach((c, i) => {
    const g = criterionGaps(c, v, asOfMs);
    const n = criteria.length === 1 ? 'the criterion' : `criterion ${i + 1}`;
    if (g.fails.length) parts.push(`${n}: ${g.fails.join('; ')}`);
    else {
      undecided = true;
      parts.push(g.unknown.length ? `${n}: cannot be checked from the metadata (${g.unknown.join('; ')})` : `${n}: the metadata shows nothing it fails`);
    }
  });
  return `Against the region's criteria${by}: ${parts.join(' | ')}.${undecided ? ' EC2 judged it not allowed on facts the instance metadata does not carry.' : ''}`;
}
