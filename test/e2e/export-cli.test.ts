/**
 * The security formats as the CLI writes them: UpdatedAt (ASFF) and modified_time (OCSF) are the
 * time the files were written, read once by the command, whatever the as-of; a scope that could
 * not be read is a record in both.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';

const ex = (n: number) => new URL(`../fixtures/cli-example-${n}.json`, import.meta.url).pathname;

describe('report --format ocsf,asff', () => {
  test('a pinned --as-of still gives a later UpdatedAt and modified_time: the time written', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ami-audit-export-'));
    const before = Date.now();
    const r = await cli(['report', '--input', ex(1), ex(2), ex(3), '--as-of', '2026-11-26', '--out', out, '--format', 'ocsf,asff']);
    const after = Date.now();
    expect(r.code).toBe(3);
    const files = readdirSync(out);
    const asff = files.filter((f) => /-asff-\d{12}-[a-z0-9-]+-\d{3,}\.json$/.test(f)).flatMap((f) => JSON.parse(readFileSync(join(out, f), 'utf8')) as { Id: string; CreatedAt: string; UpdatedAt: string; Compliance: { Status: string } }[]);
    const ocsf = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith('.ocsf.json'))!), 'utf8')) as { finding_info: { uid: string; created_time: number; modified_time: number } }[];
    expect(asff.length).toBeGreaterThan(0);
    const written = new Set(asff.map((a) => a.UpdatedAt));
    expect(written.size).toBe(1);
    const at = Date.parse([...written][0]!);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(after + 1000);
    for (const a of asff) expect(a.CreatedAt).toBe('2026-11-26T00:00:00.000Z');
    for (const e of ocsf) expect(e.finding_info.modified_time).toBe(at);
    // the dump that was not complete is a scope that could not be fully read: a record in both
    expect(asff.some((a) => a.Id.startsWith('ami-audit/coverage/') && a.Compliance.Status !== 'FAILED')).toBe(true);
    expect(ocsf.some((e) => e.finding_info.uid.startsWith('ami-audit/coverage/'))).toBe(true);
  });
});
