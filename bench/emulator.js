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
if (cfg.successors) {
  // --successors: DescribeImages answers for the fleet's AMIs that still exist, and the public families
  const { publicImages } = await import('../dist/emulator/demo.js');
  const images = new Map();
  for (const a of fleet.accounts) {
    for (const list of Object.values(a.instances ?? {})) {
      for (const i of list) {
        const m = i.ImageMetadata;
        if (!m || images.has(m.ImageId) || !/^ami-[0-9a-f]{8,17}$/.test(m.ImageId ?? '') || m.State === 'deregistered' || !m.Name || !/^\d{12}$/.test(m.OwnerId ?? '') || !Number.isFinite(Date.parse(m.CreationDate ?? ''))) continue;
        images.set(m.ImageId, {
          imageId: m.ImageId, name: m.Name, ownerId: m.OwnerId, ...(['amazon', 'aws-marketplace'].includes(m.ImageOwnerAlias) ? { ownerAlias: m.ImageOwnerAlias } : {}),
          architecture: /arm64|aarch64/.test(m.Name) ? 'arm64' : 'x86_64', creationDate: m.CreationDate,
          ...(Number.isFinite(Date.parse(m.DeprecationTime ?? '')) ? { deprecationTime: m.DeprecationTime } : {}),
          state: m.State === 'disabled' ? 'disabled' : 'available', public: true,
        });
      }
    }
  }
  const pub = publicImages((days) => new Date(Date.now() + days * 86_400_000).toISOString());
  fleet.images = [...pub.images, ...images.values()];
  fleet.publicParameters = pub.publicParameters;
}
const throttle = cfg.throttle ? parseThrottle(cfg.throttle) : undefined;
const emu = await startEmulator({ fleet, faults: { latencyMs: cfg.latency, ...(throttle !== undefined ? { throttle } : {}) }, host: '127.0.0.1', port: 0 });
process.stdout.write(`${emu.url}\n`);
