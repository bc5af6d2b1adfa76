/** `ami-audit diff <old> <new>`: what changed between two JSON reports. */
import type { DiffEntry } from '../../model/types.js';
import { diffReports } from '../../report/build.js';
import { termJson, termSafe } from '../../render/sanitize.js';
import { changeText, diffCounts, unverifiedWhy } from '../../render/summary.js';
import { loadBaseline } from '../pipeline.js';
import { readFlags } from '../options.js';
import type { CliIO, CommandModule } from './context.js';

function runDiff(a: { old: string; new: string; format?: 'text' | 'json' }, io: CliIO): void {
  // Saved reports are untrusted: every string printed below goes through termSafe (text) or termJson (json).
  const before = loadBaseline(a.old, 'diff')!;
  const after = loadBaseline(a.new, 'diff')!;
  const d = diffReports(before, after);
  if (a.format === 'json') {
    io.stdout.write(termJson(d) + '\n');
    return;
  }
  const t = (v: unknown, max = 40): string => termSafe(v, max);
  const row = (label: string, f: DiffEntry, extra = ''): string =>
    `  ${label.padEnd(11)}${t(f.severity, 8).padEnd(9)}${t(f.ruleId, 18).padEnd(19)}${t(f.accountId, 20)} ${t(f.region, 30).padEnd(15)} ${t(f.instanceId, 40).padEnd(20)} ${t(f.imageId ?? '', 40)}${extra ? `  (${extra})` : ''}`;
  const c = d.counts;
  const lines = [
    `ami-audit diff: ${diffCounts(d)}`,
    `  old  run ${t(before.run.id, 80)} started ${t(before.run.startedAt)}`,
    `  new  run ${t(after.run.id, 80)} started ${t(after.run.startedAt)}`,
  ];
  if (c.unverified) lines.push(`  ${c.unverified} unverified: gone from the new report, but the new run could not check them (their scope was not ok in one of the two runs, or the run did not look), so they are not resolved (the reason is on each line)`);
  for (const f of d.new) lines.push(row('new', f));
  for (const f of d.changed) lines.push(row('changed', f, changeText(f)));
  for (const f of d.resolved) lines.push(row('resolved', f));
  for (const f of d.unverified) lines.push(row('unverified', f, unverifiedWhy(f, 'the new run')));
  for (const s of d.scopes.added) lines.push(`  scope added    ${t(s.accountId, 20)} ${t(s.region, 30).padEnd(15)} ${t(s.status, 10)} (only in the new report)`);
  for (const s of d.scopes.removed) lines.push(`  scope removed  ${t(s.accountId, 20)} ${t(s.region, 30).padEnd(15)} ${t(s.status, 10)} (only in the old report: its findings are unverified)`);
  io.stdout.write(lines.join('\n') + '\n');
}

export const diffCommand: CommandModule = {
  name: 'diff',
  command: 'diff <old> <new>',
  describe: 'Compare two JSON reports: findings new, changed, unchanged, resolved and unverified',
  builder: (y) => y
    .positional('old', { type: 'string', demandOption: true, describe: 'The earlier JSON report' })
    .positional('new', { type: 'string', demandOption: true, describe: 'The later JSON report' }),
  run: (argv, { io }) => runDiff({ old: String(argv.old), new: String(argv.new), format: readFlags('diff', argv).textFormat }, io),
};
