/**
 * The coverage ledger of a run: one entry per account x region, opened unsettled as soon as the
 * scope is known and settled exactly once as ok, partial, error or skipped. Whatever is still
 * unsettled when the run ends (interrupted, out of time, or a bug) is closed as an error, so an
 * account x region can never read as covered because nobody wrote its outcome down.
 */
import type { CoverageEntry, ScopeFailure } from '../model/types.js';
import { error, skipped } from '../model/coverage.js';

export interface LedgerCounts { total: number; settled: number; failed: number }

export class CoverageLedger {
  private readonly pending = new Map<string, { accountId: string; region: string }>();
  private readonly settled = new Map<string, CoverageEntry>();
  private readonly onChange?: (c: LedgerCounts) => void;
  private failed = 0;

  constructor(onChange?: (c: LedgerCounts) => void) {
    this.onChange = onChange;
  }

  private static key(accountId: string, region: string): string {
    return `${accountId}|${region}`;
  }

  /** Opens an unsettled entry; false when the scope is already in the ledger (it is never counted twice). */
  open(accountId: string, region: string): boolean {
    const k = CoverageLedger.key(accountId, region);
    if (this.pending.has(k) || this.settled.has(k)) return false;
    this.pending.set(k, { accountId, region });
    this.changed();
    return true;
  }

  /** Settles an open entry (opening it first if needed). A scope is settled once; a second outcome is a bug. */
  settle(entry: CoverageEntry): void {
    const k = CoverageLedger.key(entry.accountId, entry.region);
    if (this.settled.has(k)) throw new Error(`coverage for ${entry.accountId} ${entry.region} was settled twice`);
    this.pending.delete(k);
    this.settled.set(k, entry);
    if (entry.status === 'error' || entry.status === 'partial') this.failed += 1;
    this.changed();
  }

  skip(accountId: string, region: string, reason: string, message: string | null = null): void {
    this.settle(skipped(accountId, region, reason, message));
  }

  fail(accountId: string, region: string, failure: ScopeFailure): void {
    this.settle(error(accountId, region, failure));
  }

  /** Whether the scope has its outcome already. */
  isSettled(accountId: string, region: string): boolean {
    return this.settled.has(CoverageLedger.key(accountId, region));
  }

  counts(): LedgerCounts {
    return { total: this.pending.size + this.settled.size, settled: this.settled.size, failed: this.failed };
  }

  /** Ends the run: every entry still open becomes an error with the given cause. */
  close(cause: ScopeFailure): CoverageEntry[] {
    for (const { accountId, region } of [...this.pending.values()]) this.settle(error(accountId, region, cause));
    return [...this.settled.values()];
  }

  private changed(): void {
    this.onChange?.(this.counts());
  }
}
