/**
 * `ami-audit demo`: a whole scan of the built-in demo fleet, served on a local endpoint, with the
 * demo's config (organisation discovery, a role name, waivers). Loads src/emulator only when run.
 */
import { DateTime } from 'luxon';
import { readFlags } from '../options.js';
import { runScan } from './scan.js';
import type { CommandModule } from './context.js';

export const demoCommand: CommandModule = {
  name: 'demo',
  command: 'demo',
  describe: 'Run a full scan against the built-in demo fleet on a local endpoint',
  helpOrder: ['out', 'format', 'fail-on', 'quiet'],
  run: async (argv, { io, state }) => {
    const a = readFlags('demo', argv);
    const [{ startEmulator }, { demoFleet }, { demoConfig }] = await Promise.all([import('../../emulator/server.js'), import('../../emulator/demo.js'), import('../demo-config.js')]);
    const now = io.now();
    const emu = await startEmulator({ fleet: demoFleet(now.toISOString()) });
    try {
      io.stderr.write(`ami-audit demo: local EC2/STS endpoint with the demo fleet at ${emu.url}\n`);
      // no progress (the demo is over in a moment); the whole summary unless --quiet
      await runScan(a, io, state, {
        progress: false,
        config: demoConfig(DateTime.fromJSDate(now, { zone: 'utc' })),
        endpointUrl: emu.url,
        credentials: { accessKeyId: 'AKIADEMODEMODEMO0000', secretAccessKey: 'demo-secret-not-a-real-key' },
      });
    } finally {
      await emu.close();
    }
  },
};
