/**
 * A generated 300,000-instance fleet rendered with every format by the built CLI in a child
 * process whose JavaScript heap is limited (--max-old-space-size): a renderer that built a whole
 * format in memory (the JSON alone is over 250 MB of text here), or a second copy of the findings,
 * runs out of heap and fails this test. The figure for a larger fleet is the bench's
 * (docs/performance.md); memory here still grows with the instances the report model holds (about
 * 570 bytes each once read).
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BIN } from '../helpers/cli.js';
import { writeLargeFleet } from '../helpers/large-fleet.js';

const INSTANCES = Number(process.env.LARGE_N ?? 300_000);
/**
 * MB of JavaScript heap the child may use: the run fits in about 450 (records read from the file
 * share their repeated values and none of its text; it needed over 512 when they kept slices of
 * it); the JSON as one string would add 250.
 */
const HEAP_MB = 512;
const dir = mkdtempSync(join(tmpdir(), 'ami-audit-large-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, BIN, ...args], {
      env: { PATH: process.env.PATH, HOME: dir, AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST0000', AWS_SECRET_ACCESS_KEY: 'test-secret-key-do-not-print' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function lines(path: string): Promise<number> {
  let n = 0;
  for await (const _ of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) n += 1;
  return n;
}

describe('a 300,000-instance report under a heap limit', () => {
  test(`every format, in ${HEAP_MB} MB of heap: every file complete, every finding in each`, async () => {
    const input = join(dir, 'describe-instance-image-metadata.json');
    const fleet = await writeLargeFleet(input, INSTANCES);
    expect(fleet.flagged).toBeGreaterThan(INSTANCES / 8);
    const out = join(dir, 'out');
    const r = await run(['report', '--input', input, '--as-of', '2026-12-01', '--format', 'html,csv,json,md,rollout,ocsf,asff', '--out', out, '--no-history', '--quiet']);
    expect(r.stderr).not.toMatch(/heap out of memory/);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const files = readdirSync(out).sort();
    const one = (suffix: string): string => {
      const f = files.filter((x) => /^ami-audit-\d{8}T\d{6}Z(?!-asff-)/.test(x) && x.replace(/^ami-audit-\d{8}T\d{6}Z/, '') === suffix);
      expect(f).toHaveLength(1);
      return join(out, f[0]!);
    };
    // CSV: a header and a row per finding (no value here holds a line break)
    expect(await lines(one('.csv'))).toBe(fleet.flagged + 1);
    // Markdown: the headline counts them
    expect(readFileSync(one('.md'), 'utf8')).toMatch(new RegExp(`^# AMI audit: ${fleet.flagged.toLocaleString('en-US')} unwaived findings`));
    // JSON and OCSF: complete documents, one finding (event) a line
    const json = one('.json');
    expect(statSync(json).size).toBeGreaterThan(INSTANCES * 300);
    let findings = 0;
    let inFindings = false;
    for await (const l of createInterface({ input: createReadStream(json), crlfDelay: Infinity })) {
      if (l === '  "findings": [') inFindings = true;
      else if (inFindings && l.startsWith('  ]')) inFindings = false;
      else if (inFindings) findings += 1;
    }
    expect(findings).toBe(fleet.flagged);
    expect(await lines(one('.ocsf.json'))).toBe(fleet.flagged + 2);
    // ASFF: a file per account and region (at most 100 findings each), every finding in one
    const asff = files.filter((f) => f.includes('-asff-'));
    let sent = 0;
    for (const f of asff) {
      const batch = JSON.parse(readFileSync(join(out, f), 'utf8')) as unknown[];
      expect(batch.length).toBeLessThanOrEqual(100);
      sent += batch.length;
    }
    expect(sent).toBe(fleet.flagged);
    const html = readFileSync(one('.html'), 'utf8');
    expect(html.length).toBeLessThan(10e6);
    expect(html).toContain(fleet.flagged.toLocaleString('en-US'));
  }, 240_000);
});
