/**
 * `ami-audit merge PART.json ...`: the JSON reports of the shards of one sharded run
 * (`scan --shard K/N`) into the report a single run over the same estate would have written
 * (src/report/merge.ts). A missing or doubled shard is a coverage gap of its accounts, never a
 * smaller estate. The as-of and the settings stored in the parts are used unless --as-of or
 * --config say otherwise, as for `report --input`.
 */
import { DateTime } from 'luxon';
import { settingsFrom, type AuditConfig } from '../../config/config.js';
import { mergeShards } from '../../report/merge.js';
import { ensureWritableDir, readInputFile } from '../../io/files.js';
import { DEFAULT_FORMATS } from '../../render/index.js';
import { fileStamp, loadBaseline, parseAsOf, parseFileMode, produce, shardKeyFrom } from '../pipeline.js';
import { readFlags, setting } from '../../config/options.js';
import { loadConfig, type CommandModule } from './context.js';
import { historyOptions } from '../history-options.js';

export const mergeCommand: CommandModule = {
  name: 'merge',
  command: 'merge <parts..>',
  describe: 'Combine the JSON reports of the shards of one sharded run (scan --shard K/N) into one report',
  builder: (y) => y.positional('parts', { type: 'string', array: true, describe: 'The JSON report of each shard (ami-audit-<stamp>.json)' }),
  run: async (argv, { io, state }) => {
    const a = readFlags('merge', argv);
    const files = (argv.parts as string[] | undefined ?? []).map(String);
    const cfg: AuditConfig = loadConfig(a.config);
    const formats = a.format?.length ? a.format : [...(cfg.formats ?? DEFAULT_FORMATS)];
    const fileMode = a.fileMode ?? parseFileMode(undefined);
    const baseline = loadBaseline(a.baseline);
    const shardKey = shardKeyFrom(io.env);
    const parsed = files.map((file) => readInputFile(file, 'merge', { instances: true, findings: false, digest: true }));
    const now = io.now();
    const startedAt = now.toISOString();
    const { inventory, stored } = mergeShards(parsed, startedAt, { asOfGiven: a.asOf !== undefined, storedSettings: a.config === undefined, shardKey });
    const notes = [...stored.notes];
    const asOf = a.asOf ?? (stored.asOf ? parseAsOf(stored.asOf, DateTime.fromMillis(0)) : DateTime.fromJSDate(now, { zone: 'utc' }));
    if (a.asOf !== undefined) notes.push(`Evaluated as of ${asOf.toISO({ suppressMilliseconds: true })} (--as-of).`);
    const settingsCfg = a.config === undefined && stored.config ? stored.config : cfg;
    if (a.config !== undefined) notes.push(`Waivers and rule settings from --config ${a.config}, not the ones stored in the shards.`);
    const settings = settingsFrom(settingsCfg, { includeTerminated: a.includeTerminated, tagColumns: a.tagColumns });
    const outDir = await ensureWritableDir(setting('out', a, cfg));
    const history = historyOptions(a, cfg, outDir, true);
    const res = await produce(inventory, settings, asOf, baseline, { formats, outDir, fileMode, failOn: setting('failOn', a, cfg), failOnOverdue: setting('failOnOverdue', a, cfg), history, stamp: fileStamp(startedAt), notes, quiet: a.quiet }, io.stdout);
    state.code = res.code;
  },
};
