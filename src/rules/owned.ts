/**
 * The views the publisher's rules judge (`ami-audit images`): each owned AMI with its dates parsed,
 * its protection and sharing read, the launch permissions that reach outside the organisation, its
 * consumers, and why the root of its ancestry is flagged. Pure.
 */
import type { ImageConsumer, OwnedImage } from '../model/types.js';
import { fmtDay, parseDate } from './dates.js';
import type { OrganizationView, OwnedImageView } from './types.js';

const ACCOUNT_RE = /^\d{12}$/;

/** The organisation id an Organizations ARN names (`organization/o-x`, `ou/o-x/ou-y`), or null. */
export function organizationIdOfArn(arn: string): string | null {
  const m = /:(?:organization|ou)\/(o-[a-z0-9]{10,32})(?:\/|$)/.exec(arn);
  return m ? m[1]! : null;
}

/** The launch permissions of an image that reach outside the organisation, as a reader names them. */
export function outsideShares(img: OwnedImage, org: OrganizationView): string[] {
  const s = img.sharing;
  if (!s) return [];
  const out: string[] = [];
  for (const a of s.accountIds) if (!org.members.has(a)) out.push(`account ${a}`);
  for (const arn of s.organizationArns) {
    const id = organizationIdOfArn(arn);
    if (org.id === null || id !== org.id) out.push(`organisation ${arn}`);
  }
  for (const arn of s.organizationalUnitArns) {
    const id = organizationIdOfArn(arn);
    if (org.id === null || id !== org.id) out.push(`OU ${arn}`);
  }
  return out;
}

/** Glob of `allowedPublicImages`: an AMI id, or a name pattern with `*` and `?`. */
function allowedPublic(img: OwnedImage, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    if (p === img.imageId) return true;
    if (img.name === null) return false;
    const re = new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
    return re.test(img.name);
  });
}

export interface OwnedViewSettings {
  trustedAccounts: ReadonlySet<string>;
  trustedOwnerAliases: ReadonlySet<string>;
  allowedPublicImages: readonly string[];
}

/** The views of every owned AMI, in the order given. */
export function ownedImageViews(images: readonly OwnedImage[], org: OrganizationView, s: OwnedViewSettings, asOfMs: number): OwnedImageView[] {
  const byId = new Map(images.map((i) => [i.imageId, i]));
  return images.map((img) => {
    const deprecation = parseDate(img.deprecationTime);
    const usage = img.usage;
    const consumers: ImageConsumer[] | null = usage?.status === 'known'
      ? usage.consumers.map((c) => ({ ...c, inOrganization: c.inOrganization ?? org.members.has(c.accountId) }))
      : null;
    const sh = img.sharing;
    return {
      image: img,
      deprecation,
      lastLaunched: parseDate(img.lastLaunchedTime),
      creation: parseDate(img.creationDate),
      protected: typeof img.deregistrationProtection === 'string' && img.deregistrationProtection.startsWith('enabled'),
      shared: img.isPublic || (sh !== null && (sh.public || sh.accountIds.length > 0 || sh.organizationArns.length > 0 || sh.organizationalUnitArns.length > 0)),
      allowedPublic: allowedPublic(img, s.allowedPublicImages),
      organization: org,
      outsideShares: outsideShares(img, org),
      consumers,
      flaggedRoot: flaggedRoot(img, byId, s, asOfMs),
    };
  });
}

/**
 * Why the root of an image's ancestry is flagged: the chain ends at a source no longer described
 * (deregistered, or no longer shared), at a root the run owns that is deprecated, deregistered or
 * disabled, or at a root whose owner alias is not trusted. Null without ancestry or when the image
 * is its own root.
 */
function flaggedRoot(img: OwnedImage, owned: ReadonlyMap<string, OwnedImage>, s: OwnedViewSettings, asOfMs: number): { imageId: string; why: string } | null {
  const chain = img.ancestry;
  if (!chain || chain.length === 0) return null;
  const last = chain[chain.length - 1]!;
  // what DescribeImages says of the root now (ami-audit images looks it up)
  const now = img.ancestryRoot;
  if (now && now.imageId !== img.imageId && !owned.has(now.imageId)) {
    if (!now.described) return { imageId: now.imageId, why: `its root ${now.imageId} can no longer be described: deregistered, or no longer shared` };
    if (now.state === 'deregistered' || now.state === 'disabled') return { imageId: now.imageId, why: `its root ${now.imageId} is ${now.state}` };
    const d = parseDate(now.deprecationTime);
    if (d?.ms != null && d.ms <= asOfMs) return { imageId: now.imageId, why: `its root ${now.imageId} was deprecated on ${fmtDay(d.ms)}` };
    const trusted = (now.ownerId !== null && s.trustedAccounts.has(now.ownerId)) || (now.ownerAlias !== null && s.trustedOwnerAliases.has(now.ownerAlias));
    if (!trusted && now.ownerId !== img.accountId) return { imageId: now.imageId, why: `its root ${now.imageId} is from owner ${now.ownerAlias ?? now.ownerId ?? 'unknown'}, which is not trusted` };
    return null;
  }
  if (last.sourceImageId) {
    return { imageId: last.sourceImageId, why: `its source ${last.sourceImageId}${last.sourceImageRegion ? ` (${last.sourceImageRegion})` : ''} can no longer be described: deregistered, or no longer shared` };
  }
  if (chain.length === 1 || last.imageId === img.imageId) return null;
  const root = owned.get(last.imageId);
  if (root) {
    if (root.state === 'deregistered' || root.state === 'disabled') return { imageId: root.imageId, why: `its root ${root.imageId} is ${root.state}` };
    const dep = parseDate(root.deprecationTime);
    if (dep?.ms != null && dep.ms <= asOfMs) return { imageId: root.imageId, why: `its root ${root.imageId} was deprecated on ${fmtDay(dep.ms)}` };
    return null;
  }
  const alias = last.imageOwnerAlias;
  if (alias !== null && !(ACCOUNT_RE.test(alias) ? s.trustedAccounts.has(alias) : s.trustedOwnerAliases.has(alias))) {
    return { imageId: last.imageId, why: `its root ${last.imageId} is from owner ${alias}, which is not trusted` };
  }
  return null;
}
