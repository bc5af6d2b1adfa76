/**
 * Progress on stderr: a bar when stderr is a terminal, a plain line at most every 10 seconds
 * otherwise (cron mails and CI logs stay short), nothing with --quiet.
 */
import cliProgress from 'cli-progress';
import type { Progress } from '../collect/collector.js';

export interface ProgressSink {
  update(p: Progress): void;
  stop(p?: Progress): void;
}

export function progressSink(stream: NodeJS.WriteStream | NodeJS.WritableStream, quiet: boolean, now: () => number = Date.now): ProgressSink {
  if (quiet) return { update() {}, stop() {} };
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  if (tty) {
    const bar = new cliProgress.SingleBar({
      stream: stream as NodeJS.WriteStream,
      format: 'scanning {bar} {value}/{total} scopes | {instances} instances | {errors} errors | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 5,
    }, cliProgress.Presets.shades_classic);
    let started = false;
    return {
      update(p) {
        if (!started) {
          bar.start(Math.max(p.scopesTotal, 1), p.scopesDone, { instances: p.instances, errors: p.errors });
          started = true;
        }
        bar.setTotal(Math.max(p.scopesTotal, 1));
        bar.update(p.scopesDone, { instances: p.instances, errors: p.errors });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  const line = (p: Progress): string => `ami-audit: ${p.scopesDone}/${p.scopesTotal} scopes (${p.accountsResolved}/${p.accountsTotal} accounts), ${p.instances} instances, ${p.errors} scope errors\n`;
  return {
    update(p) {
      const t = now();
      if (t - last >= 10_000) {
        last = t;
        stream.write(line(p));
      }
    },
    stop(p) {
      if (p && last > 0) stream.write(line(p));
    },
  };
}
