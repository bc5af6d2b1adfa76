/** The bench's scripts are plain JavaScript no build checks: each must at least parse, and the targets block must print. */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../bench/', import.meta.url));
const scripts = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();

describe('bench scripts', () => {
  test.each(scripts)('%s parses', (f) => {
    const r = spawnSync(process.execPath, ['--check', join(dir, f)], { encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('the targets block lists every target, each measured or saying why not', async () => {
    const { targetRows } = (await import(join(dir, 'targets.js'))) as { targetRows: (o: Record<string, unknown>) => { key: string; met: boolean | null; notMeasured?: string }[] };
    const rows = targetRows({ org: null, medium: null, baseline: null, browser: null, million: null, millionAsked: false });
    expect(rows.map((r) => r.key)).toEqual(['orgDefaultOverJson', 'orgDefaultOverCollect', 'orgPeakRssEvery', 'orgCpuPerInstance', 'mediumVsBaseline', 'orgHtmlMb', 'orgHtmlFirstScreenMs', 'orgHtmlFilterMs', 'millionMergePeakRss']);
    for (const r of rows) expect(r.met === null && typeof r.notMeasured === 'string').toBe(true);
  });
});
