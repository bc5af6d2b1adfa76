/**
 * The publisher view (`ami-audit images`) in the HTML and the CSV: the owned AMIs, the blast
 * radius first (deprecated or not, the AMIs with the most consumer accounts), then every owned AMI
 * with its sharing, protection, last launch and ancestry. Pure: the model in, rows or text out;
 * every AWS string goes through csvCell here and Handlebars' escaping in templates/partials/publisher.hbs.
 */
import { stringify } from 'csv-stringify/sync';
import type { ImageConsumer, ImagePlanEntry, OwnedImage, Report } from '../model/types.js';
import { NAME_MAX, OU_MAX, accountIndex, display, type AccountIndex } from './accounts.js';
import { csvCell } from './sanitize.js';
import { plural } from './summary.js';
import { parseInstantMs } from '../model/time.js';

const BOM = '\ufeff';
const HOUR_MS = 3_600_000;

function sharingText(img: OwnedImage): string {
  const s = img.sharing;
  if (!s) return img.isPublic ? 'public (launch permissions not read)' : `not read${img.sharingError ? `: ${img.sharingError}` : ''}`;
  const parts: string[] = [];
  if (s.public || img.isPublic) parts.push('public');
  if (s.accountIds.length) parts.push(`${s.accountIds.length} account${s.accountIds.length === 1 ? '' : 's'}: ${s.accountIds.join(' ')}`);
  if (s.organizationArns.length) parts.push(`organisation ${s.organizationArns.join(' ')}`);
  if (s.organizationalUnitArns.length) parts.push(`OU ${s.organizationalUnitArns.join(' ')}`);
  return parts.length ? parts.join('; ') : 'not shared';
}

/** How old the usage data is, as of the report: "2 h old", "3 days old". */
function ageText(img: OwnedImage, asOfMs: number): string | null {
  const t = img.usage?.reportCreationTime ? parseInstantMs(img.usage.reportCreationTime) : null;
  if (t === null || t === undefined) return null;
  const h = Math.max(0, Math.floor((asOfMs - t) / HOUR_MS));
  return h < 1 ? 'under an hour old' : h < 48 ? `${h} h old` : `${Math.floor(h / 24)} days old`;
}

/**
 * A consumer account as the report names it: `222222222222 (payments-prod, Root/Workloads/Prod)`,
 * the name and OU path from the report's accounts, else from the consumer itself, either left out
 * when unknown. Display text: each format escapes it its own way.
 */
export function consumerLabel(c: ImageConsumer, accounts: AccountIndex): string {
  const known = accounts.labelWithOu(c.accountId);
  if (known !== c.accountId) return known;
  const parts = [display(c.name, NAME_MAX), display(c.ouPath, OU_MAX)].filter((x): x is string => x !== null);
  return parts.length ? `${c.accountId} (${parts.join(', ')})` : c.accountId;
}

function usageText(img: OwnedImage, label: (c: ImageConsumer) => string): string {
  const u = img.usage;
  if (!u || u.status === 'not-requested') return 'not asked (no usage report)';
  if (u.status === 'unknown') return `consumers unknown: ${u.reason ?? 'the usage report did not complete'}`;
  const users = u.consumers.filter((c) => c.instances + c.launchTemplates > 0);
  if (!users.length) return 'no consumer account';
  return users.map((c) => `${label(c)}${c.inOrganization === false ? ' (outside the organisation)' : ''}: ${c.instances} instance${c.instances === 1 ? '' : 's'}, ${c.launchTemplates} launch template${c.launchTemplates === 1 ? '' : 's'}`).join('; ');
}

function ancestryText(img: OwnedImage): string | null {
  if (img.ancestryError) return `not read: ${img.ancestryError}`;
  if (!img.ancestry) return null;
  const last = img.ancestry[img.ancestry.length - 1];
  return img.ancestry.map((a) => a.imageId + (a.imageOwnerAlias ? ` (${a.imageOwnerAlias})` : '')).join(' <- ') + (last?.sourceImageId ? ` <- ${last.sourceImageId} (no longer described)` : '');
}

/** What the plan says of an owned AMI instead of its instance counts: the text, and whether it points to "Your AMIs". */
export interface OwnedPlanUsage {
  text: string;
  /** The consumers are not known from a usage report: the text is "owned AMI: see Your AMIs". */
  see: boolean;
}

export const SEE_YOUR_AMIS = 'owned AMI: see Your AMIs';

/**
 * For the plan ("Fix first", "AMIs to fix first") of a report with the publisher view: an entry
 * whose findings are all about an owned AMI itself (`ec2:Image`) has no instance finding, so its
 * instance counts (0) and accounts (the owner) would say nobody uses it. What is true instead: the
 * consumers of its usage report (`7 instances in 3 accounts, by the usage report of 2026-11-25`),
 * or, when no usage report says (not asked, pending, refused), that it is an owned AMI to look up
 * in "Your AMIs". null for every other entry (and in a report without the publisher view).
 */
export function ownedPlanUsage(report: Pick<Report, 'ownedImages' | 'findings'>): (e: ImagePlanEntry) => OwnedPlanUsage | null {
  const owned = report.ownedImages;
  if (!owned?.length) return () => null;
  const byId = new Map<string, OwnedImage[]>();
  for (const img of owned) {
    const list = byId.get(img.imageId);
    if (list) list.push(img);
    else byId.set(img.imageId, [img]);
  }
  // AMIs with a finding about anything but the owned AMI itself (an instance, a launch template): their counts stand
  const other = new Set<string | null>();
  for (const f of report.findings) if (f.resource?.type !== 'ec2:Image') other.add(f.imageId ?? null);
  return (e) => {
    if (e.imageId === null || other.has(e.imageId) || e.instances.total > 0) return null;
    const imgs = byId.get(e.imageId);
    if (!imgs) return null;
    if (imgs.some((i) => i.usage?.status !== 'known')) return { text: SEE_YOUR_AMIS, see: true };
    const accounts = new Set<string>();
    let instances = 0;
    let templates = 0;
    let oldest: number | null = null;
    for (const i of imgs) {
      for (const c of i.usage!.consumers) {
        if (c.instances + c.launchTemplates <= 0) continue;
        accounts.add(c.accountId);
        instances += c.instances;
        templates += c.launchTemplates;
      }
      const t = i.usage!.reportCreationTime ? parseInstantMs(i.usage!.reportCreationTime) : null;
      if (t !== null && t !== undefined && (oldest === null || t < oldest)) oldest = t;
    }
    const of = oldest === null ? 'by its usage report' : `by the usage report of ${new Date(oldest).toISOString().slice(0, 10)}`;
    if (!accounts.size) return { text: `no consumer account, ${of}`, see: false };
    return { text: `${plural(instances, 'instance')}${templates ? ` and ${plural(templates, 'launch template')}` : ''} in ${plural(accounts.size, 'account')}, ${of}`, see: false };
  };
}

/** Its watermarks (DescribeImages imageWatermarkSet), each with the AMI and region it was first attached to: they survive copies. */
function watermarkText(img: OwnedImage): string | null {
  const marks = img.imageWatermarks ?? [];
  if (!marks.length) return null;
  return marks.map((w) => `watermark ${w.WatermarkKey ?? '(no key)'} from ${w.SourceImageId ?? 'an unnamed AMI'} (${w.SourceImageRegion ?? 'region not given'})`).join('; ');
}

/** The watermarks in one CSV cell: `key@sourceImageId/sourceImageRegion`, space-separated. */
function watermarkCell(img: OwnedImage): string | null {
  const marks = img.imageWatermarks ?? [];
  return marks.length ? marks.map((w) => `${w.WatermarkKey ?? ''}@${w.SourceImageId ?? ''}/${w.SourceImageRegion ?? ''}`).join(' ') : null;
}

/** The HTML view: null in a report without the publisher view. */
export function ownedImagesView(report: Report) {
  const owned = report.ownedImages;
  if (!owned) return null;
  const accounts = accountIndex(report);
  const asOfMs = parseInstantMs(report.run.asOf) ?? 0;
  const findings = new Map<string, number>();
  for (const f of report.findings) if (f.resource?.type === 'ec2:Image' && !f.waiver) findings.set(`${f.accountId}|${f.region}|${f.imageId}`, (findings.get(`${f.accountId}|${f.region}|${f.imageId}`) ?? 0) + 1);
  const row = (img: OwnedImage) => {
    const users = img.usage?.status === 'known' ? img.usage.consumers.filter((c) => c.instances + c.launchTemplates > 0) : [];
    const dep = img.deprecationTime ? parseInstantMs(img.deprecationTime) : null;
    return {
      imageId: img.imageId, name: img.name ?? '', account: accounts.label(img.accountId), region: img.region, state: img.state ?? '',
      deprecationTime: img.deprecationTime ?? 'none', deprecated: dep !== null && dep !== undefined && dep <= asOfMs,
      lastLaunchedTime: img.lastLaunchedTime ?? 'never (or not reported)', protection: img.deregistrationProtection ?? 'not reported',
      unprotected: !(img.deregistrationProtection ?? '').startsWith('enabled'),
      sharing: sharingText(img), usage: usageText(img, (c) => consumerLabel(c, accounts)), usageAge: ageText(img, asOfMs), usageUnknown: img.usage?.status === 'unknown', usageNotAsked: !img.usage || img.usage.status === 'not-requested',
      consumerAccounts: users.length, outside: users.filter((c) => c.inOrganization === false).length,
      instances: users.reduce((n, c) => n + c.instances, 0), launchTemplates: users.reduce((n, c) => n + c.launchTemplates, 0),
      ancestry: [ancestryText(img), watermarkText(img)].filter((x) => x !== null).join('; ') || null, findings: findings.get(`${img.accountId}|${img.region}|${img.imageId}`) ?? 0,
    };
  };
  const rows = owned.map(row);
  // a state that could not be read (GetImageBlockPublicAccessState refused: the scope's gap names it) is neither on nor off
  const bpa = report.coverage.filter((c) => c.imageBlockPublicAccessState !== undefined && c.imageBlockPublicAccessState !== 'block-new-sharing' && c.imageBlockPublicAccessState !== 'unknown')
    .map((c) => `${accounts.label(c.accountId)} ${c.region}: ${c.imageBlockPublicAccessState}`);
  const bpaUnknown = report.coverage.filter((c) => c.imageBlockPublicAccessState === 'unknown' && c.status !== 'error' && c.status !== 'skipped')
    .map((c) => `${accounts.label(c.accountId)} ${c.region}`);
  return {
    total: rows.length,
    blastRadius: rows.filter((r) => r.consumerAccounts > 0 || r.usageUnknown),
    /** Deprecated AMIs whose usage was not asked for (no usage report): their consumers are not known either. */
    deprecatedNotAsked: rows.filter((r) => r.deprecated && r.usageNotAsked).length,
    rows,
    bpaOpen: bpa,
    bpaUnknown,
  };
}

export const OWNED_IMAGE_COLUMNS = [
  'accountId', 'accountName', 'region', 'imageId', 'name', 'state', 'creationDate', 'deprecationTime', 'lastLaunchedTime', 'deregistrationProtection', 'public',
  'sharedAccounts', 'sharedOrganizations', 'sharedOus', 'usageStatus', 'usageReportId', 'usageReportCreationTime', 'consumerAccounts', 'consumersOutsideOrganization',
  'consumerInstances', 'consumerLaunchTemplates', 'consumers', 'ancestry', 'sourceImageId', 'sourceImageRegion', 'watermarks',
] as const;

/** The `-owned-images.csv` file: one row per owned AMI, the blast radius first (the report's order). */
export function renderOwnedImagesCsv(report: Report): string {
  const accounts = accountIndex(report);
  const rows = (report.ownedImages ?? []).map((img) => {
    const known = img.usage?.status === 'known' ? img.usage.consumers : [];
    const users = known.filter((c) => c.instances + c.launchTemplates > 0);
    return [
      img.accountId, accounts.name(img.accountId), img.region, img.imageId, img.name, img.state, img.creationDate, img.deprecationTime, img.lastLaunchedTime,
      img.deregistrationProtection, img.isPublic || img.sharing?.public === true, img.sharing?.accountIds.join(' ') ?? null, img.sharing?.organizationArns.join(' ') ?? null,
      img.sharing?.organizationalUnitArns.join(' ') ?? null, img.usage?.status ?? null, img.usage?.reportId ?? null, img.usage?.reportCreationTime ?? null,
      img.usage?.status === 'known' ? users.length : null, img.usage?.status === 'known' ? users.filter((c) => c.inOrganization === false).length : null,
      img.usage?.status === 'known' ? users.reduce((n, c) => n + c.instances, 0) : null, img.usage?.status === 'known' ? users.reduce((n, c) => n + c.launchTemplates, 0) : null,
      users.map((c) => `${c.accountId}=${c.instances}i/${c.launchTemplates}lt`).join(' '), ancestryText(img), img.sourceImageId ?? null, img.sourceImageRegion ?? null, watermarkCell(img),
    ].map(csvCell);
  });
  return BOM + stringify([[...OWNED_IMAGE_COLUMNS], ...rows], { record_delimiter: 'windows', quoted_match: /[",\r\n]/ });
}
