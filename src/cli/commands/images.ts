/**
 * `ami-audit images`: the publisher's view. Over the accounts that own AMIs (the same --accounts,
 * --org, --role-name and regions as scan), the AMIs each owns: their sharing, block public access,
 * deregistration protection, deprecation, last launch, ancestry and, for those that matter, who
 * still uses them (usage reports). A command of its own because its subject is the images an
 * account publishes, not the instances it runs (docs/publisher.md); it reuses scan's collector,
 * coverage and report pipeline whole.
 */
import { readFlags, type FlagValues, setting } from '../../config/options.js';
import { loadConfig, type CommandModule } from './context.js';
import { runScan, type ImagesMode } from './scan.js';
import { UsageError } from '../../model/errors.js';

/** scan's flags that select instances or scan-only lookups: they mean nothing here. */
const NOT_FOR_IMAGES: { id: keyof FlagValues; flag: string }[] = [
  { id: 'filters', flag: '--filters' }, { id: 'instanceIds', flag: '--instance-ids' }, { id: 'discoverOnly', flag: '--discover-only' },
  { id: 'shard', flag: '--shard' }, { id: 'accountsFile', flag: '--accounts-file' }, { id: 'referenceVersionDepth', flag: '--reference-version-depth' },
  { id: 'workers', flag: '--workers' }, { id: 'includeTerminated', flag: '--include-terminated' },
];

/** The first pause between DescribeImageUsageReports polls while reports are pending (it doubles up to 15 s). */
export const USAGE_POLL_MS = 1000;

export const imagesCommand: CommandModule = {
  name: 'images',
  command: 'images',
  describe: 'The publisher\'s view: the AMIs the audited accounts own, who still uses them, how they are shared and guarded, and what they were built from',
  run: async (argv, { io, state }) => {
    const a = readFlags('images', argv);
    for (const o of NOT_FOR_IMAGES) {
      if (a[o.id] !== undefined && a[o.id] !== false) throw new UsageError(`${o.flag} is a scan option: ami-audit images lists the AMIs the accounts own, not instances`);
    }
    const cfg = loadConfig(a.config);
    const unusedDays = setting('unusedDays', a, cfg);
    const config = { ...cfg, ...(unusedDays !== undefined ? { unusedDays } : {}) };
    await runScan(a, io, state, undefined, { config, mode: imagesMode(a) });
  },
};

/** The images run the flags ask for (the defaults where a flag is not given, as in the demo). */
export function imagesMode(a: FlagValues): ImagesMode {
  return {
    usage: a.usageReports === false ? null : {
      horizonDays: setting('horizon', a, {}), waitMs: setting('usageWait', a, {}) * 1000, pollMs: USAGE_POLL_MS,
      maxAgeMs: setting('usageMaxAge', a, {}), imageIds: a.imageIds ?? [],
    },
    ancestry: a.ancestry !== false,
    asOfMs: a.asOf?.toMillis(),
  };
}
