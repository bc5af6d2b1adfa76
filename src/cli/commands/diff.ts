/** `ami-audit diff <old> <new>`: what changed between two JSON reports. */
import { diffReports } from '../../report/build.js';
import { termJson } from '../../render/sanitize.js';
import { renderDiffText } from '../../render/text.js';
import { loadBaseline } from '../pipeline.js';
import { readFlags } from '../../config/options.js';
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
  io.stdout.write(renderDiffText(d, before.run, after.run));
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
