/**
 * Coverage entries: one per account x region, built only by the four typed constructors below
 * (`ok`, `partial`, `error`, `skipped`), each with what its status requires, so that no path creates
 * an entry with one status and corrects it later. `entryProblem` states the same invariant for
 * entries read back from a saved report.
 */
import type { CoverageEntry, ScopeFailure, ScopeStatus } from './types.js';

/** What a scope measured, beside its status: counts, the Allowed AMIs state, zones, references. */
export type ScopeDetails = Partial<Omit<CoverageEntry, 'accountId' | 'region' | 'status' | 'errorCode' | 'errorMessage' | 'reason' | 'failures'>>;

/** What failed: a partial or error scope names at least one failure (an empty list is a bug, refused). */
export type Failures = readonly ScopeFailure[];

function atLeastOne(status: ScopeStatus, failures: Failures): readonly [ScopeFailure, ...ScopeFailure[]] {
  if (failures.length === 0) throw new Error(`a ${status} coverage entry must name what failed`);
  return failures as readonly [ScopeFailure, ...ScopeFailure[]];
}

function entry(accountId: string, region: string, status: ScopeStatus, details: ScopeDetails): CoverageEntry {
  return {
    accountId, region, status, errorCode: null, errorMessage: null, reason: null, instanceCount: 0, pageCount: 0,
    apiCalls: 0, retries: 0, allowedImagesState: 'unknown', disruptedZones: [], uncoveredInstanceCount: 0, failures: [],
    ...details,
  };
}

/** The measurements of an entry, without its status and what the status carries. */
export function detailsOf(c: CoverageEntry): ScopeDetails {
  const { accountId: _a, region: _r, status: _s, errorCode: _c, errorMessage: _m, reason: _x, failures: _f, ...details } = c;
  return details;
}

/** The first failure's message, then the others by action and code. */
function summary(failures: readonly [ScopeFailure, ...ScopeFailure[]]): string {
  return failures[0].message + failures.slice(1).map((f) => `; also ${f.action}: ${f.code}`).join('');
}

/** Every instance of the scope was listed and everything it needed was read. */
export function ok(accountId: string, region: string, details: ScopeDetails = {}): CoverageEntry {
  return entry(accountId, region, 'ok', details);
}

/**
 * Something was listed, but not everything (a zone, a page, an interruption part-way), or the
 * listing was complete but a part it needed failed (the Allowed AMIs state, a reference lookup).
 * `message` overrides the summary of the failures (the first failure's message, then the others).
 */
export function partial(accountId: string, region: string, failures: Failures, details: ScopeDetails = {}, message?: string): CoverageEntry {
  const list = atLeastOne('partial', failures);
  return { ...entry(accountId, region, 'partial', details), errorCode: list[0].code, errorMessage: message ?? summary(list), failures: [...list] };
}

/** Nothing could be listed: why, first. */
export function error(accountId: string, region: string, failures: Failures | ScopeFailure, details: ScopeDetails = {}, message?: string): CoverageEntry {
  const list = atLeastOne('error', 'action' in failures ? [failures] : failures);
  return { ...entry(accountId, region, 'error', details), errorCode: list[0].code, errorMessage: message ?? summary(list), failures: [...list] };
}

/** Not audited, on purpose: the reason (`not-enabled`, `not-offered`, an Organizations state) and what to tell the reader. */
export function skipped(accountId: string, region: string, reason: string, message: string | null = null): CoverageEntry {
  return { ...entry(accountId, region, 'skipped', {}), reason, errorMessage: message };
}

/**
 * What is wrong with an entry read back from a report, or null: the status must agree with the
 * fields it carries, as the constructors build them. Reports written before `failures` existed read
 * it as empty, so a partial or error entry without failures is accepted when it has its error code.
 */
export function entryProblem(c: CoverageEntry): string | null {
  const failures = c.failures ?? [];
  switch (c.status) {
    case 'ok':
      if (c.errorCode !== null || failures.length) return `status ok, yet it carries ${c.errorCode !== null ? `errorCode ${JSON.stringify(c.errorCode)}` : ''}${c.errorCode !== null && failures.length ? ' and ' : ''}${failures.length ? `${failures.length} failure${failures.length === 1 ? '' : 's'}` : ''}`;
      if (c.reason !== null) return 'status ok, yet it carries a skip reason';
      return null;
    case 'skipped':
      if (c.reason === null) return 'status skipped without a reason';
      if (c.errorCode !== null || failures.length) return 'status skipped, yet it carries an error code or failures';
      return null;
    case 'partial':
    case 'error':
      if (c.errorCode === null) return `status ${c.status} without an errorCode`;
      if (failures.length && failures[0]!.code !== c.errorCode) return `status ${c.status} with errorCode ${JSON.stringify(c.errorCode)} that is not its first failure's (${JSON.stringify(failures[0]!.code)})`;
      if (c.reason !== null) return `status ${c.status}, yet it carries a skip reason`;
      return null;
    default:
      return `unknown status ${JSON.stringify(c.status)}`;
  }
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
 * A scope with one more part that failed after its listing: at least partial (an error stays an
 * error), its first error code and message kept, the failure listed with the others.
 */
export function withFailure(c: CoverageEntry, failure: ScopeFailure): CoverageEntry {
  const failures = [...(c.failures ?? []), failure];
  const message = c.errorMessage !== null && c.status !== 'skipped' && c.status !== 'ok' ? c.errorMessage : failure.message;
  const details = detailsOf(c);
  const next = c.status === 'error' ? error(c.accountId, c.region, failures, details, message) : partial(c.accountId, c.region, failures, details, message);
  return c.errorCode !== null && c.status !== 'skipped' && c.status !== 'ok' ? { ...next, errorCode: c.errorCode } : next;
}

/** withFailure, in place: for a scope still being assembled by its owner (the collector's reference step). */
export function addFailure(c: CoverageEntry, failure: ScopeFailure): void {
  Object.assign(c, withFailure(c, failure));
}

/** What an inventory says of the instance ids asked for with --instance-ids that it did not find. */
export interface MissingIds { notFoundInstanceIds: string[]; uncheckedInstanceIds?: string[] }

/**
 * The one rule for instance ids asked for and not found, wherever inventories are combined (the
 * collector's worker threads, `report --input`, `merge`): an id found anywhere is found; one that
 * is not is "not found" only if every scope of every part was listed completely, otherwise
 * unchecked (it may live in a scope that could not be listed). Skipped scopes hold no instances.
 * `requested`: the ids asked for, when known; otherwise every id a part reports missing.
 */
export function mergeMissingIds(parts: readonly MissingIds[], found: ReadonlySet<string>, coverage: Iterable<Pick<CoverageEntry, 'status' | 'failures'>>, requested?: readonly string[]): Required<MissingIds> {
  const asked = requested ?? parts.flatMap((p) => [...p.notFoundInstanceIds, ...(p.uncheckedInstanceIds ?? [])]);
  const missing = [...new Set(asked)].filter((id) => !found.has(id)).sort();
  let complete = true;
  for (const c of coverage) if (c.status !== 'skipped' && !listedCompletely(c)) complete = false;
  return complete ? { notFoundInstanceIds: missing, uncheckedInstanceIds: [] } : { notFoundInstanceIds: [], uncheckedInstanceIds: missing };
}
