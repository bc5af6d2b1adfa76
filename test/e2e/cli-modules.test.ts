/**
 * The command modules: one per command, and only demo, emulator and generate-fleet load the local
 * endpoint's code (src/emulator). Checked on the built binary in a child process run with V8's
 * coverage on (NODE_V8_COVERAGE), which lists every script V8 compiled, so that what is checked is
 * what Node loads, static and dynamic imports alike. (A module customization hook did this before;
 * Node 20 runs those hooks on a separate thread, and under load its asynchronous linking now and
 * then linked a module against another's source: "does not provide an export named …".)
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, ROOT } from '../helpers/cli.js';
import { emulator } from '../helpers/emulator.js';
import type { Emulator } from '../../src/emulator/server.js';

const COMMANDS = ['scan', 'report', 'merge', 'diff', 'rules', 'demo', 'emulator', 'generate-fleet', 'iam-policy', 'schema'];
const dir = mkdtempSync(join(tmpdir(), 'ami-audit-modules-'));

let n = 0;
/** Runs the built CLI; returns its exit code and the modules of this package it loaded (paths under dist/). */
function traced(args: string[]): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  const coverage = join(dir, `coverage-${n++}`);
  mkdirSync(coverage);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_V8_COVERAGE: coverage, AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const urls = readdirSync(coverage).flatMap((f) => (JSON.parse(readFileSync(join(coverage, f), 'utf8')) as { result: { url: string }[] }).result.map((s) => s.url));
      const modules = urls.filter((u) => u.startsWith('file:')).map((u) => relative(join(ROOT, 'dist'), fileURLToPath(u)))
        .filter((p) => !p.startsWith('..'));
      resolve({ code, stderr, modules: [...new Set(modules)].sort() });
    });
  });
}

let e: Emulator;
beforeAll(async () => {
  e = await emulator();
});
afterAll(async () => e.close());

describe('command modules', () => {
  test('one module per command', () => {
    for (const c of COMMANDS) expect(`${c}: ${existsSync(join(ROOT, 'src', 'cli', 'commands', `${c}.ts`))}`).toBe(`${c}: true`);
  });

  test('the trace sees the emulator when a command loads it (the check below can fail)', async () => {
    const r = await traced(['generate-fleet', '--spec', 'accounts=1,regions=1,instances=1']);
    expect(r.code).toBe(0);
    expect(r.modules).toContain('cli/commands/generate-fleet.js');
    expect(r.modules).toContain('emulator/generate.js');
  });

  test.each([
    ['a whole scan', () => ['scan', '--endpoint-url', e.url, '--accounts', '222222222222', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--format', 'json', '--out', join(dir, 'out'), '--quiet']],
    ['scan --help', () => ['scan', '--help']],
    ['--help', () => ['--help']],
    ['a usage error', () => ['scan', '--regoins', 'us-east-1']],
  ])('%s does not load src/emulator', async (_name, args) => {
    const r = await traced(args());
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.modules).toContain('cli/main.js');
    expect(r.modules.filter((m) => m.startsWith('emulator/'))).toEqual([]);
    expect(r.modules).not.toContain('cli/demo-config.js');
  }, 60_000);

  test('a scan really ran in the child (the trace covers the collector)', async () => {
    const r = await traced(['scan', '--endpoint-url', e.url, '--accounts', '222222222222', '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', '--format', 'json', '--out', join(dir, 'out2'), '--quiet']);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.modules).toEqual(expect.arrayContaining(['cli/commands/scan.js', 'collect/parallel.js']));
  }, 60_000);
});
