/** `ami-audit emulator`: serve the local EC2/STS/Organizations endpoint until stopped. Loads src/emulator only when run. */
import { UserError } from '../../model/errors.js';
import { readJsonFile } from '../../io/files.js';
import { readFlags } from '../../config/options.js';
import { parseGenerateSpec } from './generate-fleet.js';
import type { CommandModule } from './context.js';

export const emulatorCommand: CommandModule = {
  name: 'emulator',
  command: 'emulator',
  describe: 'Serve the local EC2/STS endpoint until stopped',
  run: async (argv, { io }) => {
    const a = readFlags('emulator', argv);
    if (a.fleet && a.generate) throw new UserError('--fleet and --generate: give one of them');
    const spec = a.generate ? parseGenerateSpec(a.generate) : undefined;
    // one after another: modules shared by these (the fleet's generator) load once, in order
    const { startEmulator } = await import('../../emulator/server.js');
    const { validateFleet } = await import('../../emulator/fleet.js');
    const { validateFaults, parseThrottle } = await import('../../emulator/faults.js');
    const { generateFleet } = await import('../../emulator/generate.js');
    const { demoFleet } = await import('../../emulator/demo.js');
    const fleet = a.fleet ? validateFleet(readJsonFile(a.fleet, '--fleet'), a.fleet) : spec ? generateFleet(spec) : demoFleet(io.now().toISOString());
    let faults = a.faults ? validateFaults(readJsonFile(a.faults, '--faults'), a.faults) : {};
    if (a.throttle !== undefined) {
      const t = parseThrottle(a.throttle);
      faults = { ...faults, throttle: t && { ...t, overrides: faults.throttle?.overrides } };
    }
    const emu = await startEmulator({ fleet, faults, host: a.host ?? '127.0.0.1', port: a.port ?? 4566, latencyMs: a.latencyMs });
    io.stdout.write(`${emu.url}\n`);
    const org = fleet.organization;
    io.stdout.write(`ami-audit emulator: EC2, STS, Auto Scaling${org ? ' and AWS Organizations' : ''} for ${fleet.accounts.length} accounts${org ? ` (organisation ${org.id}, ${org.members.length} members)` : ''}, ${fleet.regions.length} regions; caller account ${fleet.caller.accountId}. Stop with Ctrl-C.\n`);
    const who = org && org.managementAccountId === fleet.caller.accountId ? '--org' : `--accounts ${fleet.accounts.slice(0, 3).map((x) => x.accountId).join(' ')}`;
    io.stdout.write(`  try: npx ami-audit scan --endpoint-url ${emu.url} ${who} --role-name AmiAuditReadOnly --all-regions --references\n`);
    await new Promise<void>((resolve) => {
      const stop = async (): Promise<void> => {
        off?.();
        await emu.close();
        resolve();
      };
      const off = io.onSignal?.(() => void stop());
      io.onServe?.(stop);
    });
  },
};
