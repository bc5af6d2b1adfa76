/**
 * Collection across cores: accounts are dealt out to worker threads, each running the collector
 * (the SDK's calls and the reading of pages) on its share, streaming each finished scope to the
 * main thread. With one worker (the default: each worker loads the SDK and warms it up anew, and
 * on two cores shared with the endpoint two workers cost 60 % more CPU for a slower run; see
 * docs/performance.md), or where options cannot cross a thread boundary, it runs in this thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CallEvent, CollectOptions, Progress } from './collector.js';
import type { CoverageEntry, ImageReference, InstanceRecord } from '../model/types.js';
import type { Inventory } from '../model/types.js';
import { UserError } from '../model/errors.js';
import { mergeMissingIds } from '../model/coverage.js';
import { isDeadline } from './deadline.js';
import { mergeSuccessors, successorWarning } from './successor-records.js';

export interface ParallelOptions extends CollectOptions {
  /** Worker threads (at most one per account); default 1, which runs in this thread. */
  workers?: number;
}

type WorkerMessage =
  | { type: 'progress'; progress: Progress }
  | { type: 'call'; event: CallEvent }
  | { type: 'diagnostic'; text: string }
  | { type: 'scope'; coverage: CoverageEntry; instances: InstanceRecord[]; references: ImageReference[] }
  | { type: 'done'; inventory: Inventory }
  | { type: 'error'; message: string; name: string; user: boolean };

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Splits accounts round-robin so that each worker gets a similar share. */
export function deal<T>(items: T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((x, i) => out[i % n]!.push(x));
  return out.filter((s) => s.length > 0);
}

/** Merges the inventories of the shares of one run. */
export function mergeInventories(parts: Inventory[], startedAt: string, finishedAt: string, requestedIds: string[] | undefined): Inventory {
  const first = parts[0]!;
  // A share found an id it does not list as missing (its instances travel apart, scope by scope).
  const missedBy = parts.map((p) => new Set([...p.notFoundInstanceIds, ...(p.uncheckedInstanceIds ?? [])]));
  const found = new Set((requestedIds ?? []).filter((id) => missedBy.some((m) => !m.has(id))));
  const ids = mergeMissingIds(parts, found, parts.flatMap((p) => p.coverage), requestedIds ?? []);
  const successors = parts.some((p) => p.successors) ? mergeSuccessors(parts.map((p) => p.successors ?? [])) : null;
  // each share counted its own failed successor lookups: count them once for the run
  const successorsWarning = successors ? successorWarning(successors) : null;
  const warnings = [...new Set(parts.flatMap((p) => p.run.warnings ?? []).filter((w) => !w.startsWith('Successors not looked up')).concat(successorsWarning ? [successorsWarning] : []))];
  return {
    run: {
      ...first.run, startedAt, finishedAt,
      accounts: parts.flatMap((p) => p.run.accounts).sort(),
      regions: [...new Set(parts.flatMap((p) => p.run.regions))].sort(),
      interrupted: parts.some((p) => p.run.interrupted),
      ...(warnings.length ? { warnings } : {}),
    },
    coverage: parts.flatMap((p) => p.coverage),
    instances: parts.flatMap((p) => p.instances),
    // with --references every share has the list (maybe empty); without, none has it
    ...(parts.some((p) => p.references) ? { references: parts.flatMap((p) => p.references ?? []) } : {}),
    ...(successors ? { successors } : {}),
    notFoundInstanceIds: ids.notFoundInstanceIds,
    ...(requestedIds ? { uncheckedInstanceIds: ids.uncheckedInstanceIds } : {}),
  };
}

export async function collectForCli(opts: ParallelOptions): Promise<Inventory> {
  const wanted = Math.min(opts.workers ?? 1, availableParallelism() * 4);
  const canCross = typeof opts.client.credentials !== 'function' && !import.meta.url.endsWith('.ts');
  // Without accounts given, the caller's own account is the whole run.
  const n = Math.min(wanted, opts.accounts.length);
  if (n <= 1 || !canCross) {
    // The SDK is loaded only where it runs: here, or in the workers.
    const { collect } = await import('./collector.js');
    return collect(opts);
  }

  const now = opts.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const shares = deal(opts.accounts, n);
  const progress = shares.map(() => ({ scopesTotal: 0, scopesDone: 0, instances: 0, errors: 0, accountsResolved: 0, accountsTotal: 0 }));
  const workers: Worker[] = [];
  // a worker records the same cause as this thread would: DeadlineExceeded or Interrupted
  const abortMessage = (): { type: 'abort'; deadline: boolean } => ({ type: 'abort', deadline: opts.signal ? isDeadline(opts.signal) : false });
  const onAbort = (): void => {
    for (const w of workers) w.postMessage(abortMessage());
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const { signal: _s, onProgress, onCall, onDiagnostic, now: _n, ...plain } = opts;
  try {
    const instances: InstanceRecord[] = [];
    const references: ImageReference[] = [];
    const parts = await Promise.all(shares.map((accounts, k) => new Promise<Inventory>((resolve, reject) => {
      const w = new Worker(WORKER_URL, {
        workerData: { ...plain, accounts, concurrency: Math.max(1, Math.ceil(opts.concurrency / shares.length)), debug: Boolean(onCall || onDiagnostic) },
      });
      workers.push(w);
      if (opts.signal?.aborted) w.postMessage(abortMessage());
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          progress[k] = m.progress;
          onProgress?.(progress.reduce((a, p) => ({
            scopesTotal: a.scopesTotal + p.scopesTotal, scopesDone: a.scopesDone + p.scopesDone, instances: a.instances + p.instances,
            errors: a.errors + p.errors, accountsResolved: a.accountsResolved + p.accountsResolved, accountsTotal: opts.accounts.length,
          })));
        } else if (m.type === 'scope') {
          for (const i of m.instances) instances.push(i);
          for (const r of m.references) references.push(r);
        } else if (m.type === 'call') onCall?.(m.event);
        else if (m.type === 'diagnostic') onDiagnostic?.(m.text);
        else if (m.type === 'done') resolve(m.inventory);
        else reject(m.user ? new UserError(m.message) : Object.assign(new Error(m.message), { name: m.name }));
      });
      w.on('error', reject);
      w.on('exit', (code) => {
        if (code !== 0) reject(new Error(`collector worker stopped with exit code ${code}`));
      });
    })));
    const merged = mergeInventories(parts, startedAt, now().toISOString(), opts.instanceIds);
    merged.instances = instances;
    if (opts.references) merged.references = references;
    return merged;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
