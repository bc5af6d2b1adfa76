import { Writable } from 'node:stream';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run, type CliIO } from '../../src/cli/main.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url));

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs the CLI in-process, as the binary would, with captured output. */
export async function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; now?: Date; io?: Partial<CliIO> } = {}): Promise<CliResult> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await run(args, {
    stdout, stderr, env: opts.env ?? { AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print' },
    now: () => opts.now ?? new Date('2026-11-26T00:00:00Z'), ...opts.io,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the built binary in a child process. */
export function spawnCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; onStart?: (pid: number) => void; onStderr?: (text: string, pid: number) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr, child.pid!);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    opts.onStart?.(child.pid!);
  });
}
