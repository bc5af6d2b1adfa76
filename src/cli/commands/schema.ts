/** `ami-audit schema <which>`: the JSON Schema of the config file or of the report model. */
import { configSchema } from '../../schema/config.js';
import { reportSchema } from '../../schema/report.js';
import type { CommandModule } from './context.js';

export const schemaCommand: CommandModule = {
  name: 'schema',
  command: 'schema <which>',
  describe: 'Print the JSON Schema of the config file or the report model',
  builder: (y) => y.positional('which', { choices: ['config', 'report'] as const, demandOption: true }),
  run: (argv, { io }) => void io.stdout.write(JSON.stringify(argv.which === 'config' ? configSchema : reportSchema, null, 2) + '\n'),
};
