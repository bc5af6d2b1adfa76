/** `ami-audit rules`: the rules with their default severities and options. */
import { RULES } from '../../rules/registry.js';
import { readFlags } from '../../config/options.js';
import type { CommandModule } from './context.js';

export const rulesCommand: CommandModule = {
  name: 'rules',
  command: 'rules',
  describe: 'List the rules with their default severities',
  run: (argv, { io }) => {
    if (readFlags('rules', argv).textFormat === 'json') {
      io.stdout.write(JSON.stringify(RULES.map((r) => r.meta), null, 2) + '\n');
      return;
    }
    const lines = RULES.map((r) => `${r.meta.id.padEnd(18)} ${r.meta.severity.padEnd(7)} ${r.meta.title}${r.meta.options ? `  [options: ${Object.entries(r.meta.options).map(([k, o]) => `${k}=${o.default}`).join(', ')}]` : ''}`);
    io.stdout.write(`${'id'.padEnd(18)} ${'default'.padEnd(7)} title\n${lines.join('\n')}\n\nDocs: docs/rules/<id>.md\n`);
  },
};
