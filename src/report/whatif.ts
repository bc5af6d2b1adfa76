/**
 * The Allowed AMIs what-if: for each account x region whose Allowed AMIs state is audit-mode or
 * disabled, the instances (and, with --references, the launch templates) whose AMI would be
 * refused if Allowed AMIs were enabled with the region's current criteria, or with a proposed set
 * (--criteria FILE), grouped by account and AMI. The criteria are judged by the one evaluation of
 * src/rules/criteria.ts. Allowed AMIs never restricts the account's own AMIs. What the instance
 * metadata cannot decide (marketplace product codes, watermark filters, an owner or name it does
 * not carry, whether an owner is a verified provider) is `undecided`, never allowed. Under
 * audit-mode with the current criteria, EC2's own ImageAllowed decides where the metadata has it.
 * Enabling stops new launches from an AMI, not running instances: "refused" means a relaunch, a
 * scale-out or a launch from the template would fail. Pure: the as-of is passed in.
 */
import type { CoverageEntry, ImageCriterion, ImageReference, InstanceRecord, WhatIf, WhatIfImage, WhatIfScope, WhatIfVerdict } from '../model/types.js';
import { GONE_STATES, viewOf } from '../rules/engine.js';
import { cmp } from '../model/ids.js';
import { criterionGaps } from '../rules/criteria.js';
import type { RecordView } from '../rules/types.js';

export interface WhatIfInput {
  coverage: readonly CoverageEntry[];
  instances: readonly InstanceRecord[];
  references?: readonly ImageReference[];
  /** The --criteria file's criteria; null: each region's current criteria. */
  proposed: readonly ImageCriterion[] | null;
  asOfMs: number;
}

type Judgement = { verdict: WhatIfVerdict | 'allowed'; why: string; source: 'ec2' | 'metadata' };

/** An AMI against a criteria list, from the instance metadata. */
export function judgeCriteria(v: RecordView, list: readonly ImageCriterion[], asOfMs: number): Judgement {
  if (v.imageOwner !== null && v.imageOwner === v.instanceAccount) return { verdict: 'allowed', why: 'the account\'s own AMI (Allowed AMIs never restricts those)', source: 'metadata' };
  if (list.length === 0) {
    return v.imageOwner === null
      ? { verdict: 'undecided', why: 'The criteria list no image criterion, so only the account\'s own AMIs are allowed, and the metadata names no owner.', source: 'metadata' }
      : { verdict: 'refused', why: 'The criteria list no image criterion, so only the account\'s own AMIs are allowed.', source: 'metadata' };
  }
  const parts: string[] = [];
  let undecided = false;
  for (const [i, c] of list.entries()) {
    const g = criterionGaps(c, v, asOfMs);
    if (!g.fails.length && !g.unknown.length) return { verdict: 'allowed', why: `criterion ${i + 1} allows it`, source: 'metadata' };
    const n = list.length === 1 ? 'the criterion' : `criterion ${i + 1}`;
    if (g.fails.length) parts.push(`${n}: ${g.fails.join('; ')}`);
    else {
      undecided = true;
      parts.push(`${n}: cannot be checked from the metadata (${g.unknown.join('; ')})`);
    }
  }
  const text = parts.join(' | ');
  return undecided ? { verdict: 'undecided', why: `Undecided: ${text}.`, source: 'metadata' } : { verdict: 'refused', why: `Outside the criteria: ${text}.`, source: 'metadata' };
}

function scopeReason(c: CoverageEntry, proposed: boolean): string | null {
  if (c.status === 'error' || c.status === 'skipped') return 'not-audited';
  switch (c.allowedImagesState) {
    case 'enabled': return 'enabled';
    case 'unknown': return 'state-unknown';
    case 'not-needed': return 'state-not-read';
    default: return !proposed && !Array.isArray(c.allowedImagesCriteria) ? 'criteria-not-read' : null;
  }
}

/**
 * Whether a report has something for the what-if to look at: a scope in audit-mode or disabled,
 * proposed criteria, or an audited scope with instances whose state was never read or could not be
 * read (it may be in audit-mode or disabled: the what-if names it as not evaluated rather than
 * leaving it out, which would read as "nothing would break").
 */
export function whatIfApplies(coverage: readonly CoverageEntry[], proposed: readonly ImageCriterion[] | null): boolean {
  return proposed !== null || coverage.some((c) => c.allowedImagesState === 'audit-mode' || c.allowedImagesState === 'disabled'
    || ((c.status === 'ok' || c.status === 'partial') && (c.allowedImagesState === 'not-needed' || c.allowedImagesState === 'unknown') && c.instanceCount > 0));
}

export function allowedAmisWhatIf(input: WhatIfInput): WhatIf {
  const { proposed, asOfMs } = input;
  const scopes = new Map<string, WhatIfScope & { criteria: readonly ImageCriterion[] }>();
  for (const c of input.coverage) {
    const key = `${c.accountId}|${c.region}`;
    if (scopes.has(key)) continue;
    const reason = scopeReason(c, proposed !== null);
    scopes.set(key, {
      accountId: c.accountId, region: c.region, allowedImagesState: c.allowedImagesState, evaluated: reason === null, reason,
      refused: 0, undecided: 0, allowed: 0, criteria: proposed ?? c.allowedImagesCriteria ?? [],
    });
  }
  const images = new Map<string, WhatIfImage>();
  const entry = (accountId: string, v: RecordView, j: Judgement): WhatIfImage => {
    const key = `${accountId}\u0000${v.imageId ?? ''}\u0000${j.verdict}`;
    let e = images.get(key);
    if (!e) {
      const m = v.rec.ImageMetadata;
      e = {
        accountId, imageId: v.imageId, name: typeof m?.Name === 'string' ? m.Name : null, ownerId: v.imageOwner, ownerAlias: v.ownerAlias,
        verdict: j.verdict as WhatIfVerdict, why: j.why, source: j.source, regions: [], instances: [], launchTemplates: [],
      };
      images.set(key, e);
    }
    if (!e.regions.includes(v.rec.region)) e.regions.push(v.rec.region);
    return e;
  };
  const judge = (s: WhatIfScope & { criteria: readonly ImageCriterion[] }, v: RecordView): Judgement => {
    const j = judgeCriteria(v, s.criteria, asOfMs);
    const allowed = v.rec.ImageMetadata?.ImageAllowed;
    // audit-mode with the current criteria: EC2 says what it would refuse (product codes included)
    if (proposed === null && s.allowedImagesState === 'audit-mode' && typeof allowed === 'boolean') {
      if (allowed) return { verdict: 'allowed', why: 'EC2 reports ImageAllowed true', source: 'ec2' };
      return { verdict: 'refused', why: `EC2 reports ImageAllowed false under the current criteria (audit-mode).${j.verdict === 'allowed' ? '' : ` ${j.why}`}`, source: 'ec2' };
    }
    return j;
  };
  // the first view of each AMI per scope: what the launch templates are judged with
  const imageViews = new Map<string, RecordView>();
  const seen = new Set<string>();
  for (const rec of input.instances) {
    const s = scopes.get(`${rec.accountId}|${rec.region}`);
    if (!s?.evaluated) continue;
    if (rec.InstanceId) {
      const k = `${rec.accountId}|${rec.region}|${rec.InstanceId}`;
      if (seen.has(k)) continue;
      seen.add(k);
    }
    const v = viewOf(rec, s.allowedImagesState);
    if (v.imageId !== null && !imageViews.has(`${rec.accountId}|${rec.region}|${v.imageId}`)) imageViews.set(`${rec.accountId}|${rec.region}|${v.imageId}`, v);
    if (GONE_STATES.has(rec.State?.Name ?? '')) continue;
    const j = judge(s, v);
    if (j.verdict === 'allowed') {
      s.allowed += 1;
      continue;
    }
    s[j.verdict] += 1;
    entry(rec.accountId, v, j).instances.push(rec.InstanceId ?? '(no instance id)');
  }
  let launchTemplates = 0;
  for (const r of input.references ?? []) {
    if (r.resourceType !== 'ec2:LaunchTemplate') continue;
    const s = scopes.get(`${r.accountId}|${r.region}`);
    const v = imageViews.get(`${r.accountId}|${r.region}|${r.imageId}`);
    if (!s?.evaluated || !v) continue;
    const j = judge(s, v);
    if (j.verdict === 'allowed') continue;
    entry(r.accountId, v, j).launchTemplates.push({ region: r.region, arn: r.arn, name: r.name, version: r.version });
    launchTemplates += 1;
  }
  const list = [...images.values()];
  for (const e of list) {
    e.regions.sort(cmp);
    e.instances.sort(cmp);
    e.launchTemplates.sort((a, b) => cmp(a.region, b.region) || cmp(a.arn, b.arn));
  }
  list.sort((a, b) => cmp(a.accountId, b.accountId) || (a.verdict === b.verdict ? 0 : a.verdict === 'refused' ? -1 : 1) || b.instances.length - a.instances.length || cmp(a.imageId ?? '', b.imageId ?? ''));
  const scopeList: WhatIfScope[] = [...scopes.values()].map(({ criteria: _c, ...s }) => s).sort((a, b) => cmp(a.accountId, b.accountId) || cmp(a.region, b.region));
  const refused = list.filter((e) => e.verdict === 'refused');
  const undecided = list.filter((e) => e.verdict === 'undecided');
  return {
    criteria: proposed === null ? 'current' : 'proposed',
    ...(proposed !== null ? { proposed: proposed.map((c) => ({ ...c })) } : {}),
    scopes: scopeList,
    images: list,
    totals: {
      refusedInstances: refused.reduce((n, e) => n + e.instances.length, 0),
      undecidedInstances: undecided.reduce((n, e) => n + e.instances.length, 0),
      refusedImages: refused.length,
      undecidedImages: undecided.length,
      launchTemplates,
      scopesEvaluated: scopeList.filter((s) => s.evaluated).length,
      scopesNotEvaluated: scopeList.filter((s) => !s.evaluated).length,
    },
  };
}
