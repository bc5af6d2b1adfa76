/** The import boundary: pure layers cannot reach the AWS SDK, the file system, the process or the clock. */
import { describe, expect, test } from '@jest/globals';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const cwd = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd });
const messages = async (code: string, filePath: string) => (await eslint.lintText(code, { filePath }))[0]!.messages.map((m) => m.ruleId);

describe('import boundaries', () => {
  test.each(['src/rules/x.ts', 'src/report/x.ts', 'src/render/x.ts'])('%s may not import fs, the SDK or process, nor read the clock', async (file) => {
    expect(await messages("import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n", file)).toContain('no-restricted-imports');
    expect(await messages("import { EC2Client } from '@aws-sdk/client-ec2';\nexport const a = EC2Client;\n", file)).toContain('no-restricted-imports');
    expect(await messages('export const a = process.env;\n', file)).toContain('no-restricted-globals');
    expect(await messages('export const a = Date.now();\n', file)).toContain('no-restricted-syntax');
    expect(await messages("import { collect } from '../collect/collector.js';\nexport const a = collect;\n", file)).toContain('no-restricted-imports');
  });
  test('the collector may not import the command line, the report, the renderers, the history or the local endpoint', async () => {
    for (const spec of ['../cli/main.js', '../render/index.js', '../report/build.js', '../emulator/server.js', '../history/store.js']) {
      expect(await messages(`import * as m from '${spec}';\nexport const a = m;\n`, 'src/collect/x.ts')).toContain('no-restricted-imports');
    }
    expect(await messages("import { ok } from '../model/coverage.js';\nexport const a = ok;\n", 'src/collect/x.ts')).toEqual([]);
  });
  test('config may not import the command line, the collector (but its filter syntax) or the SDK', async () => {
    for (const spec of ['../cli/main.js', '../collect/collector.js', '@aws-sdk/client-ec2']) {
      expect(await messages(`import * as m from '${spec}';\nexport const a = m;\n`, 'src/config/x.ts')).toContain('no-restricted-imports');
    }
    expect(await messages("import { parseFilters } from '../collect/filters.js';\nexport const a = parseFilters;\n", 'src/config/x.ts')).toEqual([]);
  });
  test('the edges may', async () => {
    expect(await messages("import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n", 'src/io/x.ts')).toEqual([]);
  });
  test('the whole tree lints clean', async () => {
    const results = await eslint.lintFiles(['.']);
    expect(results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}:${m.line} ${m.ruleId} ${m.message}`))).toEqual([]);
  }, 60_000);
});
