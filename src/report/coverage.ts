import type { CoverageEntry, ScopeFailure, ScopeStatus } from '../model/types.js';

/**
 * A coverage entry for one account x region with the status it was settled with: there is no
 * default, so no path can leave a scope reading `ok` because nobody wrote its outcome down.
 */
export function emptyCoverage(accountId: string, region: string, status: ScopeStatus): CoverageEntry {
  return {
    accountId, region, status, errorCode: null, errorMessage: null, reason: null, instanceCount: 0, pageCount: 0,
    apiCalls: 0, retries: 0, allowedImagesState: 'unknown', disruptedZones: [], uncoveredInstanceCount: 0, failures: [],
  };
}

/** The action whose failure leaves a scope's listing complete (its instances were all listed). */
export const ALLOWED_IMAGES_ACTION = 'GetAllowedImagesSettings';

/** Every instance of the scope was listed: it is ok, or partial only because its Allowed AMIs state could not be read. */
export function listedCompletely(c: Pick<CoverageEntry, 'status' | 'failures'>): boolean {
  if (c.status === 'ok') return true;
  return c.status === 'partial' && (c.failures ?? []).length > 0 && (c.failures ?? []).every((f) => f.action === ALLOWED_IMAGES_ACTION);
}

/** How bad a scope status is, for "the worse status wins": error > partial > skipped > ok. */
export const STATUS_RANK: Readonly<Record<ScopeStatus, number>> = { ok: 0, skipped: 1, partial: 2, error: 3 };

export function worseStatus(a: ScopeStatus, b: ScopeStatus): ScopeStatus {
  return STATUS_RANK[b] > STATUS_RANK[a] ? b : a;
}

/**
 * Records a part of a scope that failed after its listing: the scope becomes at least partial,
 * keeps its first error code and message, and lists the failure with the others.
 */
export function addFailure(c: CoverageEntry, failure: ScopeFailure): void {
  c.status = worseStatus(c.status, 'partial');
  c.errorCode ??= failure.code;
  c.errorMessage ??= failure.message;
  c.failures = [...(c.failures ?? []), failure];
}
