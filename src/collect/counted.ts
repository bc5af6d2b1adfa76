/**
 * The counted call of the collector's lookups (references, owned images, successors): each call
 * goes through the run's call limit, is counted, adds the SDK's retries (`$metadata.attempts` - 1,
 * on success or failure) to the count of retries, and a failure becomes the caller's own error,
 * built from describeError's code and message (credentials masked). When the run was aborted the
 * SDK's error is rethrown as it is: the scope's stop cause says why, not the call.
 */
import { describeError, type ScopeError } from './errors.js';

export interface CountedOptions {
  /** The run's call limit (concurrency and rate). */
  limit: <T>(fn: () => Promise<T>) => Promise<T>;
  signal: AbortSignal;
  /** The error a failed call throws. */
  fail: (action: string, error: ScopeError) => Error;
}

export class CountedCalls {
  /** Calls made (successful or not). */
  calls = 0;
  /** Retries the SDK made, as its `$metadata.attempts` says. */
  retries = 0;

  constructor(private readonly opts: CountedOptions) {}

  /** Makes one call, counted; `action` names it in the error. */
  readonly send = async <T>(action: string, call: () => Promise<T>): Promise<T> => {
    this.calls += 1;
    try {
      const out = await this.opts.limit(call);
      const attempts = (out as { $metadata?: { attempts?: number } } | null | undefined)?.$metadata?.attempts;
      this.retries += Math.max(0, (attempts ?? 1) - 1);
      return out;
    } catch (e) {
      if (this.opts.signal.aborted) throw e;
      const d = describeError(e);
      this.retries += d.retries;
      throw this.opts.fail(action, d);
    }
  };
}
