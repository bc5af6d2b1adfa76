// The bench's endpoint: the local EC2/STS endpoint serving a generated fleet, in its own process.
// argv[2]: JSON {accounts, regions, instances, seed, skew: "SHARE/SCOPES", single, style, throttle: "CAP,REFILL", latency: {ec2, sts}}
// Prints the URL it listens on (first line); serves until killed.
import { generateFleet } from '../dist/emulator/generate.js';
import { startEmulator } from '../dist/emulator/server.js';
import { parseThrottle } from '../dist/emulator/faults.js';

const cfg = JSON.parse(process.argv[2]);
const [si, ss] = (cfg.skew ?? '0/0').split('/').map(Number);
const fleet = generateFleet({
  accounts: cfg.accounts, regions: cfg.regions, instances: cfg.instances, seed: cfg.seed ?? 7,
  skewInstances: si, skewScopes: ss, singleScope: Boolean(cfg.single), style: cfg.style ?? 'realistic',
});
const throttle = cfg.throttle ? parseThrottle(cfg.throttle) : undefined;
const emu = await startEmulator({ fleet, faults: { latencyMs: cfg.latency, ...(throttle !== undefined ? { throttle } : {}) }, host: '127.0.0.1', port: 0 });
process.stdout.write(`${emu.url}\n`);
