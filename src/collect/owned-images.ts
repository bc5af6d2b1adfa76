/**
 * `ami-audit images`: the AMIs one account owns in one region, the publisher's view. DescribeImages
 * (Owners=self, deprecated and disabled ones included, every page), the region's block public
 * access for AMIs (GetImageBlockPublicAccessState), each AMI's launch permissions
 * (DescribeImageAttribute launchPermission), its ancestry (GetImageAncestry), and, for the AMIs that
 * matter, who uses them: a usage report (CreateImageUsageReport for instances and launch templates,
 * or one of the same AMI reused: available and younger than --usage-max-age, or still pending
 * whatever its age, since EC2 allows one pending report per AMI), polled with
 * DescribeImageUsageReports until it is available or --usage-wait has passed, then read with
 * DescribeImageUsageReportEntries (every page).
 *
 * Nothing here modifies an image: CreateImageUsageReport is the one call that creates anything
 * (a report, which EC2 deletes after 30 days). A part that fails is never read as "nothing": the
 * scope is partial with the call named, the AMI says its sharing, usage or ancestry is unknown, and a
 * report that never completes is "consumers unknown", never "no consumers".
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { onFirstUse, sdk, type LazyClient } from './clients.js';
import type { CoverageEntry, ImageAncestor, ImageConsumer, ImageSharing, ImageUsage, OwnedImage, ScopeFailure } from '../model/types.js';
import { parseInstantMs } from '../model/time.js';
import { AMI_ID_RE, cmp } from '../model/ids.js';
import { error, ok, partial } from '../model/coverage.js';
import { CountedCalls } from './counted.js';
import { paginate } from './paginate.js';
import pLimit from 'p-limit';

const IMAGES_PAGE = 1000;
const REPORTS_PAGE = 200;
const ENTRIES_PAGE = 1000;
/** DescribeImageUsageReports takes at most 200 image ids or report ids a call. */
const IDS_PER_CALL = 200;
const DAY_MS = 86_400_000;
/**
 * Per-AMI calls (DescribeImageAttribute, GetImageAncestry, the roots' DescribeImages) in flight at
 * once in one scope: EC2 throttles each action per account and region (a bucket of 100 that refills
 * at 20 a second for most describes), and an account with hundreds of AMIs would otherwise spend
 * the SDK's retry quota at once and leave AMIs unread.
 */
const PER_IMAGE_IN_FLIGHT = 4;
/** The longest pause between two polls of pending usage reports (the ImageUsageReportAvailable waiter's delay). */
const MAX_POLL_MS = 15_000;

export interface UsageSettings {
  /** AMIs deprecated within this many days of as-of (or already) and shared get a usage report. */
  horizonDays: number;
  /** How long to wait for reports to become available (ms). */
  waitMs: number;
  /** The first pause between polls while waiting (ms); it doubles up to 15 s. */
  pollMs: number;
  /** A report of the same AMI younger than this is reused instead of creating one (ms). */
  maxAgeMs: number;
  /** AMIs named with --image-ids: always reported on. */
  imageIds: readonly string[];
}

export interface OwnedImagesRequest {
  accountId: string;
  region: string;
  ec2: LazyClient<EC2Client>;
  asOfMs: number;
  /** Usage reports; null: none are made (usage `not-requested`). */
  usage: UsageSettings | null;
  /** GetImageAncestry for every owned AMI. */
  ancestry: boolean;
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  signal: AbortSignal;
  /** Waits between polls (injected in tests); resolves early when the signal aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** The clock for the usage wait and report ages (injected in tests). */
  now?: () => number;
  /** MaxResults of DescribeImages and DescribeImageUsageReportEntries (5 to 1000; default 1000). */
  pageSize?: number;
  /** What to record when the run stopped part-way (Interrupted, DeadlineExceeded). */
  stopCause?: () => ScopeFailure;
}

export interface OwnedImagesResult {
  coverage: CoverageEntry;
  images: OwnedImage[];
}

/** A call that did not answer: the action and the error. */
class CallFailed extends Error {
  constructor(readonly failure: ScopeFailure) {
    super(failure.message);
  }
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function iso(d: Date | string | undefined): string | null {
  if (d === undefined) return null;
  return d instanceof Date ? d.toISOString() : d;
}

/** Shared at all: public, or with an account, an organisation or an OU. */
export function isShared(s: ImageSharing | null, isPublic: boolean): boolean {
  return isPublic || (s !== null && (s.public || s.accountIds.length > 0 || s.organizationArns.length > 0 || s.organizationalUnitArns.length > 0));
}

/**
 * Whether an AMI is worth a usage report: named with --image-ids, or shared and deprecated
 * already or within the horizon. An AMI whose sharing could not be read counts as shared.
 */
export function needsUsageReport(img: Pick<OwnedImage, 'imageId' | 'sharing' | 'isPublic' | 'deprecationTime'>, asOfMs: number, s: Pick<UsageSettings, 'horizonDays' | 'imageIds'>): boolean {
  if (s.imageIds.includes(img.imageId)) return true;
  if (img.sharing !== null && !isShared(img.sharing, img.isPublic)) return false;
  const dep = img.deprecationTime === null ? null : parseInstantMs(img.deprecationTime);
  return dep !== null && dep <= asOfMs + s.horizonDays * DAY_MS;
}

/** Per-failure bookkeeping: each action and code is named once, with how many AMIs it cost. */
class Failures {
  private readonly byKey = new Map<string, { f: ScopeFailure; n: number }>();
  add(f: ScopeFailure): void {
    const k = `${f.action}|${f.code}`;
    const had = this.byKey.get(k);
    if (had) had.n += 1;
    else this.byKey.set(k, { f, n: 1 });
  }
  list(): ScopeFailure[] {
    return [...this.byKey.values()].map(({ f, n }) => (n > 1 ? { ...f, message: `${f.message} (and ${n - 1} more AMI${n === 2 ? '' : 's'} alike)` } : f));
  }
}

export async function collectOwnedImages(req: OwnedImagesRequest): Promise<OwnedImagesResult> {
  const { accountId, region } = req;
  const pageSize = Math.min(IMAGES_PAGE, Math.max(5, req.pageSize ?? IMAGES_PAGE));
  const sleep = req.sleep ?? defaultSleep;
  const now = req.now ?? Date.now;
  const ec2 = onFirstUse(req.ec2);
  const opt = { abortSignal: req.signal };
  let pages = 0;
  const failures = new Failures();
  const counted = new CountedCalls({ limit: req.limit, signal: req.signal, fail: (action, d) => new CallFailed({ action, code: d.code, message: `${action}: ${d.message}` }) });
  const send: Send = counted.send;
  const malformed = (action: string, what: string): CallFailed => new CallFailed({ action, code: 'MalformedResponse', message: `${action}: ${what}; the answer was not trusted` });
  const details = (images: number, bpa: string): Partial<CoverageEntry> => ({ ownedImageCount: images, imageBlockPublicAccessState: bpa, apiCalls: counted.calls, retries: counted.retries, pageCount: pages, allowedImagesState: 'not-needed' });

  // 1. The AMIs the account owns: nothing listed is an error scope.
  const images = new Map<string, OwnedImage>();
  let listing: Awaited<ReturnType<typeof paginate>>;
  try {
    listing = await paginate({
      action: 'DescribeImages', pageSize,
      fetch: async (token) => {
        const out = await send('DescribeImages', () => ec2().send(new sdk.ec2.DescribeImagesCommand({
          Owners: ['self'], IncludeDeprecated: true, IncludeDisabled: true, MaxResults: pageSize, ...(token ? { NextToken: token } : {}),
        }), opt));
        if (!Array.isArray(out.Images)) throw malformed('DescribeImages', 'the answer has no imagesSet');
        return { items: out.Images, nextToken: out.NextToken };
      },
      onItems: (items) => {
        let fresh = 0;
        for (const i of items) {
          if (typeof i.ImageId !== 'string' || !AMI_ID_RE.test(i.ImageId) || images.has(i.ImageId)) continue;
          // Owners=self: an image of another owner in the answer is not ours to report
          if (i.OwnerId !== undefined && i.OwnerId !== accountId) continue;
          fresh += 1;
          images.set(i.ImageId, {
            accountId, region, imageId: i.ImageId, name: i.Name ?? null, state: i.State ?? null, creationDate: i.CreationDate ?? null,
            deprecationTime: i.DeprecationTime ?? null, lastLaunchedTime: i.LastLaunchedTime ?? null, deregistrationProtection: i.DeregistrationProtection ?? null,
            isPublic: i.Public === true, sharing: null,
            ...(i.SourceImageId ? { sourceImageId: i.SourceImageId } : {}), ...(i.SourceImageRegion ? { sourceImageRegion: i.SourceImageRegion } : {}),
            ...(i.ImageWatermarks?.length ? { imageWatermarks: i.ImageWatermarks.map((w) => ({ WatermarkKey: w.WatermarkKey, SourceImageRegion: w.SourceImageRegion, SourceImageId: w.SourceImageId, SourceImageCreationTime: iso(w.SourceImageCreationTime) ?? undefined, WatermarkCreationTime: iso(w.WatermarkCreationTime) ?? undefined })) } : {}),
          });
        }
        return fresh;
      },
    });
  } catch (e) {
    if (e instanceof CallFailed) return { coverage: error(accountId, region, e.failure, details(0, 'unknown')), images: [] };
    throw e;
  }
  pages += listing.pages;
  if (listing.failure) failures.add(listing.failure);

  // 2. The region's block public access for AMIs.
  let bpa = 'unknown';
  await send('GetImageBlockPublicAccessState', () => ec2().send(new sdk.ec2.GetImageBlockPublicAccessStateCommand({}), opt))
    .then((out) => {
      if (typeof out.ImageBlockPublicAccessState !== 'string') throw malformed('GetImageBlockPublicAccessState', 'the answer has no imageBlockPublicAccessState');
      bpa = out.ImageBlockPublicAccessState;
    })
    .catch((e: unknown) => {
      if (e instanceof CallFailed) failures.add(e.failure);
      else throw e;
    });

  const list = [...images.values()].sort((a, b) => cmp(a.imageId, b.imageId));
  const perImage = pLimit(PER_IMAGE_IN_FLIGHT);
  // 3. Each AMI's launch permissions.
  await Promise.all(list.map((img) => perImage(async () => {
    try {
      const out = await send('DescribeImageAttribute', () => ec2().send(new sdk.ec2.DescribeImageAttributeCommand({ ImageId: img.imageId, Attribute: 'launchPermission' }), opt));
      if (!Array.isArray(out.LaunchPermissions)) throw malformed('DescribeImageAttribute', `the answer for ${img.imageId} has no launchPermission`);
      const s: ImageSharing = { public: false, accountIds: [], organizationArns: [], organizationalUnitArns: [] };
      for (const p of out.LaunchPermissions) {
        if (p.Group === 'all') s.public = true;
        if (p.UserId) s.accountIds.push(p.UserId);
        if (p.OrganizationArn) s.organizationArns.push(p.OrganizationArn);
        if (p.OrganizationalUnitArn) s.organizationalUnitArns.push(p.OrganizationalUnitArn);
      }
      s.accountIds = [...new Set(s.accountIds)].sort();
      s.organizationArns = [...new Set(s.organizationArns)].sort();
      s.organizationalUnitArns = [...new Set(s.organizationalUnitArns)].sort();
      img.sharing = s;
    } catch (e) {
      if (!(e instanceof CallFailed)) throw e;
      failures.add(e.failure);
      img.sharingError = `${e.failure.code}: ${e.failure.message}`;
    }
  })));

  // 4. Ancestry.
  if (req.ancestry) {
    await Promise.all(list.map((img) => perImage(async () => {
      try {
        const out = await send('GetImageAncestry', () => ec2().send(new sdk.ec2.GetImageAncestryCommand({ ImageId: img.imageId }), opt));
        if (!Array.isArray(out.ImageAncestryEntries)) throw malformed('GetImageAncestry', `the answer for ${img.imageId} has no imageAncestryEntrySet`);
        img.ancestry = out.ImageAncestryEntries.map((x): ImageAncestor => ({
          imageId: x.ImageId ?? '', creationDate: iso(x.CreationDate), imageOwnerAlias: x.ImageOwnerAlias ?? null,
          sourceImageId: x.SourceImageId ?? null, sourceImageRegion: x.SourceImageRegion ?? null,
        }));
      } catch (e) {
        if (!(e instanceof CallFailed)) throw e;
        failures.add(e.failure);
        img.ancestryError = `${e.failure.code}: ${e.failure.message}`;
      }
    })));
  }

  // 4b. The roots of the ancestries the run does not own: what DescribeImages says of them now.
  if (req.ancestry) await describeRoots(list, send, ec2, opt, failures);

  // 5. Usage, for the AMIs that matter.
  if (req.usage) await collectUsage(req, req.usage, list, send, failures, sleep, now, () => { pages += 1; });
  else for (const img of list) img.usage = { status: 'not-requested', reportId: null, reportCreationTime: null, consumers: [] };

  // stopped part-way (a usage wait cut short): never an ok scope
  if (req.signal.aborted) failures.add(req.stopCause?.() ?? { action: 'Run', code: 'Interrupted', message: 'The run was interrupted before this scope finished.' });
  const d = details(list.length, bpa);
  const f = failures.list();
  return { coverage: f.length ? partial(accountId, region, f, d) : ok(accountId, region, d), images: list };
}

type Send = CountedCalls['send'];

interface ReportState {
  reportId: string; imageId: string; state: string; createdMs: number; reason: string | null;
  /** What the report leaves out next to the one ami-audit makes (every account, instances and launch templates, 20 versions); null: nothing. */
  narrower: string | null;
}

/** The launch template versions a report checks when it names none (the model's documented default). */
const DEFAULT_VERSION_DEPTH = 20;

/**
 * What a report made elsewhere leaves out next to the one ami-audit makes: a resource type, accounts
 * (AccountIds names some, so the others are not counted), launch template versions. Its entries are
 * never read as the AMI's whole usage.
 */
function narrowerThanFull(r: { ResourceTypes?: { ResourceType?: string; ResourceTypeOptions?: { OptionName?: string; OptionValues?: string[] }[] }[]; AccountIds?: string[] }): string | null {
  const types = r.ResourceTypes ?? [];
  const out: string[] = [];
  if (!types.some((t) => t.ResourceType === 'ec2:Instance')) out.push('no instances');
  const lt = types.find((t) => t.ResourceType === 'ec2:LaunchTemplate');
  if (!lt) out.push('no launch templates');
  else {
    const depth = lt.ResourceTypeOptions?.find((o) => o.OptionName === 'version-depth')?.OptionValues?.[0];
    if (depth !== undefined && !(Number(depth) >= DEFAULT_VERSION_DEPTH)) out.push(`launch template versions ${depth}`);
  }
  if (r.AccountIds?.length) out.push(`${r.AccountIds.length} account${r.AccountIds.length === 1 ? '' : 's'} named`);
  return out.length ? out.join(', ') : null;
}

function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

async function collectUsage(req: OwnedImagesRequest, s: UsageSettings, list: OwnedImage[], send: Send, failures: Failures, sleep: NonNullable<OwnedImagesRequest['sleep']>, now: () => number, onPage: () => void): Promise<void> {
  const ec2 = onFirstUse(req.ec2);
  const opt = { abortSignal: req.signal };
  const wanted = list.filter((img) => img.state !== 'deregistered' && needsUsageReport(img, req.asOfMs, s));
  for (const img of list) if (!wanted.includes(img)) img.usage = { status: 'not-requested', reportId: null, reportCreationTime: null, consumers: [] };
  if (wanted.length === 0) return;
  const unknown = (img: OwnedImage, reason: string, r?: ReportState): void => {
    img.usage = { status: 'unknown', reportId: r?.reportId ?? null, reportCreationTime: r ? new Date(r.createdMs).toISOString() : null, consumers: [], reason };
  };

  /** --page-size caps these pages like the others (MaxResults has no upper bound in the API; ami-audit asks 200 at most). */
  const reportsPage = Math.min(REPORTS_PAGE, Math.max(5, req.pageSize ?? REPORTS_PAGE));
  /** DescribeImageUsageReports by image ids or report ids, every page. */
  const describe = async (by: 'ImageIds' | 'ReportIds', ids: string[]): Promise<ReportState[]> => {
    const out: ReportState[] = [];
    for (const batch of chunks(ids, IDS_PER_CALL)) {
      const seen = new Set<string>();
      const res = await paginate({
        action: 'DescribeImageUsageReports', pageSize: reportsPage,
        fetch: async (token) => {
          const page = await send('DescribeImageUsageReports', () => ec2().send(new sdk.ec2.DescribeImageUsageReportsCommand({ [by]: batch, MaxResults: reportsPage, ...(token ? { NextToken: token } : {}) }), opt));
          if (!Array.isArray(page.ImageUsageReports)) throw new CallFailed({ action: 'DescribeImageUsageReports', code: 'MalformedResponse', message: 'DescribeImageUsageReports: the answer has no imageUsageReportSet; the answer was not trusted' });
          onPage();
          return { items: page.ImageUsageReports, nextToken: page.NextToken };
        },
        onItems: (items) => {
          let fresh = 0;
          for (const r of items) {
            if (!r.ReportId || !r.ImageId || seen.has(r.ReportId)) continue;
            seen.add(r.ReportId);
            fresh += 1;
            const created = r.CreationTime instanceof Date ? r.CreationTime.getTime() : NaN;
            out.push({ reportId: r.ReportId, imageId: r.ImageId, state: r.State ?? 'unknown', createdMs: created, reason: r.StateReason ?? null, narrower: narrowerThanFull(r) });
          }
          return fresh;
        },
      });
      if (res.failure) throw new CallFailed(res.failure);
    }
    return out;
  };

  // Existing reports of these AMIs are reused: an available one younger than --usage-max-age, else
  // a pending one whatever its age (waited for like a new one): EC2 allows one pending report per
  // AMI and region, so another CreateImageUsageReport would be refused until it is available. Only
  // reports as wide as ami-audit's count; a narrower one still pending holds the AMI's report back.
  const reports = new Map<string, ReportState>();
  const blocking = new Map<string, ReportState>();
  try {
    const existing = await describe('ImageIds', wanted.map((i) => i.imageId));
    const t = now();
    for (const r of existing) {
      if (r.narrower !== null) {
        if (r.state === 'pending') blocking.set(r.imageId, r);
        continue;
      }
      const usable = r.state === 'pending' || (r.state === 'available' && Number.isFinite(r.createdMs) && t - r.createdMs <= s.maxAgeMs);
      if (!usable) continue;
      const had = reports.get(r.imageId);
      // the newest young available one, else the newest pending one
      const newer = !Number.isFinite(had?.createdMs) || r.createdMs > had!.createdMs;
      const better = !had || (r.state === 'available' && had.state !== 'available') || (r.state === had.state && newer);
      if (better) reports.set(r.imageId, r);
    }
  } catch (e) {
    if (!(e instanceof CallFailed)) throw e;
    // the reuse is an economy: without it, reports are created
    failures.add(e.failure);
  }
  const reused = new Set(reports.keys());
  for (const img of wanted) {
    if (reports.has(img.imageId)) continue;
    const b = blocking.get(img.imageId);
    if (b) {
      unknown(img, `another usage report of this AMI, narrower than a full one (${b.narrower}), is still pending (${b.reportId}); EC2 allows one pending report per AMI, so none was created: run again once it is available`);
      continue;
    }
    try {
      const out = await send('CreateImageUsageReport', () => ec2().send(new sdk.ec2.CreateImageUsageReportCommand({
        ImageId: img.imageId, ResourceTypes: [{ ResourceType: 'ec2:Instance' }, { ResourceType: 'ec2:LaunchTemplate' }],
      }), opt));
      if (!out.ReportId) throw new CallFailed({ action: 'CreateImageUsageReport', code: 'MalformedResponse', message: `CreateImageUsageReport: the answer for ${img.imageId} has no reportId; the answer was not trusted` });
      reports.set(img.imageId, { reportId: out.ReportId, imageId: img.imageId, state: 'pending', createdMs: now(), reason: null, narrower: null });
    } catch (e) {
      if (!(e instanceof CallFailed)) throw e;
      failures.add(e.failure);
      unknown(img, e.failure.code === 'ResourceLimitExceeded'
        ? 'no usage report: ResourceLimitExceeded (EC2 allows one pending usage report per AMI, and 2,000 per account, in a region; one not seen here is still pending)'
        : `no usage report: ${e.failure.code}`);
    }
  }

  // Poll until every report is available (or failed), or the wait is over.
  const deadline = now() + s.waitMs;
  // the first poll soon, then less and less often (up to every 15 s, the AWS waiter's delay)
  let interval = s.pollMs;
  for (;;) {
    const pending = [...reports.values()].filter((r) => r.state === 'pending');
    if (pending.length === 0 || req.signal.aborted) break;
    if (now() >= deadline) break;
    await sleep(Math.min(interval, Math.max(0, deadline - now())), req.signal);
    interval = Math.min(interval * 2, Math.max(s.pollMs, MAX_POLL_MS));
    if (req.signal.aborted) break;
    try {
      const states = await describe('ReportIds', pending.map((r) => r.reportId));
      for (const st of states) {
        const r = [...reports.values()].find((x) => x.reportId === st.reportId);
        if (r) {
          r.state = st.state;
          r.reason = st.reason;
          if (Number.isFinite(st.createdMs)) r.createdMs = st.createdMs;
        }
      }
    } catch (e) {
      if (!(e instanceof CallFailed)) throw e;
      failures.add(e.failure);
      for (const r of pending) r.state = 'unread';
      break;
    }
  }

  // Read the entries of every available report.
  for (const img of wanted) {
    const r = reports.get(img.imageId);
    if (!r || img.usage) continue;
    if (r.state === 'pending') {
      unknown(img, req.signal.aborted ? 'the run stopped before the usage report was available' : `the usage report was still pending after ${Number((s.waitMs / 1000).toFixed(1))} s (--usage-wait)`, r);
      continue;
    }
    if (r.state !== 'available') {
      unknown(img, r.state === 'unread' ? 'the usage report\'s state could not be read' : `the usage report is in state ${r.state}${r.reason ? ` (${r.reason})` : ''}`, r);
      continue;
    }
    const byAccount = new Map<string, ImageConsumer>();
    try {
      const seen = new Set<string>();
      const res = await paginate({
        action: 'DescribeImageUsageReportEntries', pageSize: Math.min(ENTRIES_PAGE, Math.max(5, req.pageSize ?? ENTRIES_PAGE)),
        fetch: async (token) => {
          const page = await send('DescribeImageUsageReportEntries', () => ec2().send(new sdk.ec2.DescribeImageUsageReportEntriesCommand({ ReportIds: [r.reportId], MaxResults: Math.min(ENTRIES_PAGE, Math.max(5, req.pageSize ?? ENTRIES_PAGE)), ...(token ? { NextToken: token } : {}) }), opt));
          if (!Array.isArray(page.ImageUsageReportEntries)) throw new CallFailed({ action: 'DescribeImageUsageReportEntries', code: 'MalformedResponse', message: 'DescribeImageUsageReportEntries: the answer has no imageUsageReportEntrySet; the answer was not trusted' });
          onPage();
          return { items: page.ImageUsageReportEntries, nextToken: page.NextToken };
        },
        onItems: (items) => {
          let fresh = 0;
          for (const e of items) {
            const key = `${e.AccountId}|${e.ResourceType}`;
            if (!e.AccountId || seen.has(key)) continue;
            seen.add(key);
            fresh += 1;
            const c = byAccount.get(e.AccountId) ?? { accountId: e.AccountId, instances: 0, launchTemplates: 0 };
            const n = typeof e.UsageCount === 'number' ? e.UsageCount : Number(e.UsageCount ?? 0);
            if (e.ResourceType === 'ec2:Instance') c.instances += n;
            else if (e.ResourceType === 'ec2:LaunchTemplate') c.launchTemplates += n;
            byAccount.set(e.AccountId, c);
          }
          return fresh;
        },
      });
      if (res.failure) throw new CallFailed(res.failure);
      img.usage = {
        status: 'known', reportId: r.reportId, reportCreationTime: new Date(r.createdMs).toISOString(), ...(reused.has(img.imageId) ? { reused: true } : {}),
        consumers: [...byAccount.values()].sort((a, b) => cmp(a.accountId, b.accountId)),
      } satisfies ImageUsage;
    } catch (e) {
      if (!(e instanceof CallFailed)) throw e;
      failures.add(e.failure);
      unknown(img, `the usage report's entries could not be read: ${e.failure.code}`, r);
    }
  }
}

/** The root of an image's ancestry: the last entry's source when it names one, else the last entry. */
function rootOf(img: OwnedImage): string | null {
  const chain = img.ancestry;
  if (!chain || chain.length === 0) return null;
  const last = chain[chain.length - 1]!;
  const id = last.sourceImageId ?? last.imageId;
  return id === img.imageId || !AMI_ID_RE.test(id) ? null : id;
}

/**
 * DescribeImages for each distinct root (one call each: a root that no longer exists fails the
 * call with InvalidAMIID.NotFound, which is the answer "no longer described", not a failure).
 */
async function describeRoots(list: OwnedImage[], send: Send, ec2: () => EC2Client, opt: { abortSignal: AbortSignal }, failures: Failures): Promise<void> {
  const roots = [...new Set(list.map(rootOf).filter((x): x is string => x !== null))].sort();
  const found = new Map<string, NonNullable<OwnedImage['ancestryRoot']>>();
  const perRoot = pLimit(PER_IMAGE_IN_FLIGHT);
  await Promise.all(roots.map((id) => perRoot(async () => {
    try {
      const out = await send('DescribeImages', () => ec2().send(new sdk.ec2.DescribeImagesCommand({ ImageIds: [id], IncludeDeprecated: true, IncludeDisabled: true }), opt));
      const i = (out.Images ?? []).find((x) => x.ImageId === id);
      found.set(id, i
        ? { imageId: id, described: true, ownerId: i.OwnerId ?? null, ownerAlias: i.ImageOwnerAlias ?? null, state: i.State ?? null, deprecationTime: i.DeprecationTime ?? null }
        : { imageId: id, described: false, ownerId: null, ownerAlias: null, state: null, deprecationTime: null });
    } catch (e) {
      if (!(e instanceof CallFailed)) throw e;
      if (e.failure.code === 'InvalidAMIID.NotFound' || e.failure.code === 'InvalidAMIID.Unavailable') {
        found.set(id, { imageId: id, described: false, ownerId: null, ownerAlias: null, state: null, deprecationTime: null });
        return;
      }
      failures.add({ ...e.failure, message: `${e.failure.message} (the root ${id} of an owned AMI's ancestry)` });
    }
  })));
  for (const img of list) {
    const r = rootOf(img);
    const f = r === null ? undefined : found.get(r);
    if (f) img.ancestryRoot = f;
  }
}
