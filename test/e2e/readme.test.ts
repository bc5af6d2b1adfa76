/**
 * README.md and docs/commands.md against the code: the command reference (docs/commands.md) is
 * generated from the yargs definitions, every rule and exit code is documented in the README, and
 * the README's blocks marked runnable run as written against the local endpoint. After changing
 * options: `UPDATE_README=1 npm test -- test/e2e/readme.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { cli, ROOT } from '../helpers/cli.js';
import { RULES } from '../../src/rules/registry.js';
import { emulator } from '../helpers/emulator.js';
import type { Emulator } from '../../src/emulator/server.js';

const README = join(ROOT, 'README.md');
const COMMANDS_DOC = join(ROOT, 'docs', 'commands.md');
const COMMANDS_HEAD = '# Command reference\n\nEvery command and option of `ami-audit`, generated from the command definitions (a test keeps it in step with them; `UPDATE_README=1 npm test -- test/e2e/readme.test.ts` regenerates it).\n\n';
const COMMANDS = ['scan', 'report', 'merge', 'diff', 'rules', 'demo', 'emulator', 'generate-fleet', 'iam-policy', 'schema', 'images'];

async function reference(): Promise<string> {
  const parts = ['```text', (await cli(['--help'])).stdout.trimEnd(), '```'];
  for (const c of COMMANDS) parts.push('', `## \`ami-audit ${c}\``, '', '```text', (await cli([c, '--help'])).stdout.trimEnd(), '```');
  return parts.join('\n');
}

describe('README', () => {
  const text = readFileSync(README, 'utf8');
  test('the command reference (docs/commands.md) is the one the code defines, and the README links it', async () => {
    const ref = `${COMMANDS_HEAD}${await reference()}\n`;
    if (process.env.UPDATE_README) writeFileSync(COMMANDS_DOC, ref);
    expect(readFileSync(COMMANDS_DOC, 'utf8')).toBe(ref);
    expect(text).toContain('(docs/commands.md)');
  });
  test('every rule is documented and linked, every exit code explained', () => {
    for (const r of RULES) expect(text).toContain(`[\`${r.meta.id}\`](docs/rules/${r.meta.id}.md)`);
    for (const code of ['| 0 |', '| 1 |', '| 2 |', '| 3 |', '| 4 |']) expect(text).toContain(code);
    expect(text).toContain('npm ci && npm run demo');
    expect(text).toContain('npm test');
  });
});

/** The README's try-out folder: the user's, never written or removed by the tests. */
const TRY = join(ROOT, 'reports', 'try');
const listing = (d: string): string[] | null => (existsSync(d) ? readdirSync(d).sort() : null);

describe('README runnable blocks', () => {
  let e: Emulator;
  let url = 'http://127.0.0.1:4566';
  // the blocks write to a folder of the test's own instead of reports/try
  const out = mkdtempSync(join(tmpdir(), 'ami-audit-readme-'));
  const tryBefore = listing(TRY);
  beforeAll(async () => {
    // the README's port when it is free, else any port (and the blocks are pointed at it)
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer().once('error', () => resolve(false)).listen(4566, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    e = await emulator({ port: free ? 4566 : 0 });
    url = e.url;
  });
  afterAll(async () => {
    await e.close();
    rmSync(out, { recursive: true, force: true });
  });
  const text = readFileSync(README, 'utf8');
  const blocks = [...text.matchAll(/<!-- runnable: exit=(\d+) -->\n```sh\n([\s\S]*?)```/g)].map((m) => ({ exit: Number(m[1]), lines: m[2]!.trim().split('\n') }));
  test('there are runnable blocks', () => expect(blocks.length).toBeGreaterThanOrEqual(3));
  test.each(blocks.flatMap((b) => b.lines.map((line) => [line, b.exit] as const)))('%s', async (line, exit) => {
    const cmd = line.replaceAll('http://127.0.0.1:4566', url).replaceAll('reports/try', out);
    // asynchronously: the endpoint runs in this process
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', cmd], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect({ code: r.code, stderr: r.code === exit ? '' : r.stderr }).toEqual({ code: exit, stderr: '' });
  }, 60_000);
  test('reports/try, the folder the README\'s try-out commands write to, is left as it was', () => {
    expect(listing(TRY)).toEqual(tryBefore);
  });
});
