/**
 * `ami-audit demo`: a whole scan of the built-in demo fleet, served on a local endpoint, with the
 * demo's config (organisation discovery, a role name, waivers). Loads src/emulator only when run.
 *
 * The demo keeps a run history of its own (ami-audit-demo-history.sqlite in the --out folder, so
 * that it never mixes with the history of real scheduled runs there). When that history is empty,
 * the demo first records an earlier run, as of DEMO_EARLIER_DAYS days before now (no report
 * files), so that its report shows a trend, ages and an overdue finding.
 *
 * After the scan, the demo shows the publisher view too: `ami-audit images` over the same
 * organisation on the same endpoint (the demo organisation's golden AMI, shared to three accounts,
 * one outside the organisation, deprecated, without deregistration protection), written to
 * `<out>/your-amis/` in the same formats. Its exit code is the worse of the two runs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { readFlags, setting } from '../../config/options.js';
import { runScan } from './scan.js';
import { imagesMode } from './images.js';
import { termSafe } from '../../render/sanitize.js';
import type { CommandModule, RunState } from './context.js';
import { HistoryStore } from '../../history/store.js';
import { DEFAULT_HISTORY_WAIT_SECONDS, DEMO_HISTORY_FILE } from '../history-options.js';

export { DEMO_HISTORY_FILE };
/** How long before now the demo's earlier run is: past the high SLA (30 days), so a finding seen then is overdue now. */
export const DEMO_EARLIER_DAYS = 35;

/** The folder of the --out folder where the demo writes its publisher report (ami-audit images). */
export const DEMO_PUBLISHER_DIR = 'your-amis';

/**
 * The demo's exit code from its two runs, the instance scan and the images audit: the worse one,
 * in the README's order (3, coverage partial, over 1, findings at --fail-on, over 0); any other
 * code (4, the reports could not be written) over all of them.
 */
export function worstExitCode(a: number, b: number): number {
  const rank = (c: number): number => (c === 0 ? 0 : c === 1 ? 1 : c === 3 ? 2 : 3);
  return rank(a) >= rank(b) ? a : b;
}

/** Whether the history file has no run yet. */
function emptyHistory(file: string, waitSeconds: number): boolean {
  if (!existsSync(file)) return true;
  const store = HistoryStore.open(file, waitSeconds);
  try {
    return store.newest() === null;
  } finally {
    store.close();
  }
}

export const demoCommand: CommandModule = {
  name: 'demo',
  command: 'demo',
  describe: 'Run a full scan against the built-in demo fleet on a local endpoint',
  helpOrder: ['out', 'format', 'fail-on', 'quiet'],
  run: async (argv, { io, state }) => {
    const a = readFlags('demo', argv);
    // one after another: modules shared by these (the fleet's generator) load once, in order
    const { startEmulator } = await import('../../emulator/server.js');
    const { demoFleet } = await import('../../emulator/demo.js');
    const { demoConfig } = await import('../demo-config.js');
    const now = io.now();
    const emu = await startEmulator({ fleet: demoFleet(now.toISOString()) });
    try {
      io.stderr.write(`ami-audit demo: local EC2/STS endpoint with the demo fleet at ${emu.url}\n`);
      const start = DateTime.fromJSDate(now, { zone: 'utc' });
      // no progress (the demo is over in a moment); the whole summary unless --quiet
      const preset = {
        progress: false,
        config: demoConfig(start),
        endpointUrl: emu.url,
        credentials: { accessKeyId: 'AKIADEMODEMODEMO0000', secretAccessKey: 'demo-secret-not-a-real-key' },
      };
      const history = a.history === false ? false : a.history ?? join(setting('out', a, {}), DEMO_HISTORY_FILE);
      if (history !== false && emptyHistory(history, a.historyWait ?? DEFAULT_HISTORY_WAIT_SECONDS)) {
        const earlier = start.minus({ days: DEMO_EARLIER_DAYS });
        io.stderr.write(`ami-audit demo: recording an earlier run as of ${earlier.toISODate()} in ${history} first, so the report shows a trend and ages\n`);
        const scratch: RunState = { code: 0 };
        await runScan({ ...a, history, asOf: earlier, quiet: true }, io, scratch, { ...preset, historyOnly: true });
      }
      const scan: RunState = { code: 0 };
      await runScan({ ...a, history }, io, scan, preset);
      // the publisher view: the AMIs the demo organisation owns, who still runs them (ami-audit images)
      const dir = join(setting('out', a, {}), DEMO_PUBLISHER_DIR);
      io.stderr.write(`ami-audit demo: now the AMIs the demo organisation publishes (ami-audit images): who still runs them, how they are shared and guarded; reports in ${termSafe(dir, 400)}\n`);
      const images: RunState = { code: 0 };
      const { references: _r, successors: _s, ...config } = preset.config;
      await runScan({ ...a, out: dir, history: false }, io, images, { ...preset, config }, { config, mode: imagesMode({ ...a, asOf: undefined }) });
      io.stderr.write(`ami-audit demo: the instance scan's reports are in ${termSafe(setting('out', a, {}), 400)}, the publisher report (the AMIs you publish) in ${termSafe(dir, 400)}\n`);
      state.code = worstExitCode(scan.code, images.code);
    } finally {
      await emu.close();
    }
  },
};
