/**
 * What a run keeps of each instance and finding is a string of its own, not a view into a larger
 * one: V8 cuts a substring of 13 characters or more as a view (a sliced string: 32 bytes more, and
 * the string it was cut from kept alive), and joins strings as a tree of pieces (a cons string: 32
 * bytes a piece). At a million instances each such string costs tens of megabytes. The strings are
 * counted in a heap snapshot of a small child process (the build's modules), by kind.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { flat } from '../../src/model/intern.js';

const dist = (p: string): string => JSON.stringify(pathToFileURL(resolve('dist', p)).href);

/** Runs `body` in a child with `keep` (what it leaves in globalThis.keep) counted by string kind. */
function stringKinds(body: string): Record<string, number> {
  const script = `
    import v8 from 'node:v8';
    ${body}
    globalThis.keep = keep;
    const chunks = [];
    for await (const c of v8.getHeapSnapshot()) chunks.push(c);
    const snap = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const m = snap.snapshot.meta, nf = m.node_fields.length, ef = m.edge_fields.length, types = m.node_types[0];
    const iType = m.node_fields.indexOf('type'), iName = m.node_fields.indexOf('name'), iEc = m.node_fields.indexOf('edge_count'), eTo = m.edge_fields.indexOf('to_node');
    // only what globalThis.keep reaches: every node walked from the array it names
    const byIndex = new Map(); let e = 0;
    for (let i = 0; i < snap.nodes.length; i += nf) { byIndex.set(i, e); e += snap.nodes[i + iEc] * ef; }
    const strings = snap.strings; const eName = m.edge_fields.indexOf('name_or_index');
    let root = -1;
    for (let i = 0; i < snap.nodes.length && root < 0; i += nf) {
      const first = byIndex.get(i);
      for (let k = 0; k < snap.nodes[i + iEc]; k++) {
        const at = first + k * ef;
        if (m.edge_types[0][snap.edges[at]] === 'property' && strings[snap.edges[at + eName]] === 'keep' && strings[snap.nodes[snap.edges[at + eTo] + iName]] === 'Array') { root = snap.edges[at + eTo]; break; }
      }
    }
    if (root < 0) throw new Error('globalThis.keep not found in the heap snapshot');
    const seen = new Set([root]); const queue = [root]; const counts = {};
    while (queue.length) {
      const n = queue.pop(); const t = types[snap.nodes[n + iType]];
      if (t.includes('string')) counts[t] = (counts[t] ?? 0) + 1;
      if (t === 'code' || t === 'closure' || t === 'hidden' || t === 'object shape') continue;
      const first = byIndex.get(n);
      for (let k = 0; k < snap.nodes[n + iEc]; k++) {
        const to = snap.edges[first + k * ef + eTo];
        if (!seen.has(to)) { seen.add(to); queue.push(to); }
      }
    }
    process.stdout.write(JSON.stringify(counts));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
}

describe('strings a run keeps', () => {
  test('flat() gives back every string as it was: quotes, escapes, control characters, lone surrogates, any length', () => {
    const samples = ['', 'a', 'i-0123456789abc', '"quoted" \\ back\\slash', 'tab\tline\nfeed\u0000nul', '\ud800 lone high, lone low \udfff', 'emoji \u{1F600} and \u00e9\u00e8 and \u4e2d\u6587', 'x'.repeat(100_000), '\u2028\u2029 separators'];
    for (const s of samples) expect(flat(s)).toBe(s);
  });

  test('flat() is a string of its own, short or long, not a view into what it was cut from', () => {
    const kinds = stringKinds(`
      const { flat } = await import(${dist('model/intern.js')});
      const page = Array.from({ length: 2000 }, (_, n) => '<instanceId>i-' + String(n).padStart(17, '0') + '</instanceId><x>' + n + '</x>').join('');
      const keep = [];
      for (let n = 0, at = 0; n < 2000; n++) {
        at = page.indexOf('<instanceId>', at) + 12;
        const id = page.slice(at, page.indexOf('<', at));
        keep.push(flat(id), flat(id.slice(0, 6)), flat('launched ' + n + ' days ago, on a Tuesday'));
      }`);
    expect(kinds['sliced string'] ?? 0).toBe(0);
    expect(kinds['concatenated string'] ?? 0).toBe(0);
    expect(kinds.string).toBeGreaterThanOrEqual(4000);
  });

  test('a finding id is a string of its own, not a view into the whole digest', () => {
    const kinds = stringKinds(`
      const { findingId } = await import(${dist('rules/engine.js')});
      const keep = Array.from({ length: 2000 }, (_, n) => findingId('deprecated-ami', '111122223333', 'eu-west-1', 'i-' + n, 'ami-1'));`);
    expect(kinds['sliced string'] ?? 0).toBe(0);
    expect(kinds.string).toBeGreaterThanOrEqual(2000);
  });

  test('findings of the same rule on the same AMI share one message, not a tree of pieces each', () => {
    const kinds = stringKinds(`
      const { evaluate, DEFAULT_SETTINGS } = await import(${dist('rules/engine.js')});
      const meta = { ImageId: 'ami-0abc1234def567890', Name: 'golden', OwnerId: '123456789012', State: 'available', CreationDate: '2020-01-01T00:00:00.000Z', DeprecationTime: '2021-01-01T00:00:00.000Z', IsPublic: true, ImageAllowed: true };
      const records = Array.from({ length: 2000 }, (_, n) => ({ accountId: '111122223333', region: 'eu-west-1', InstanceId: 'i-' + String(n).padStart(17, '0'), State: { Code: 16, Name: 'running' }, ImageMetadata: meta }));
      const { findings } = evaluate(records, [], DEFAULT_SETTINGS, Date.parse('2026-01-01T00:00:00Z'));
      if (findings.length < 4000) throw new Error('expected two findings or more an instance, got ' + findings.length);
      const keep = findings.map((f) => f.message);`);
    expect(kinds['concatenated string'] ?? 0).toBe(0);
    expect(kinds.string ?? 0).toBeLessThan(50);
  });
});
