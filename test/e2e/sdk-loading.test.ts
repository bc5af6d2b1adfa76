/**
 * Issue 23, item 10: the SDK is loaded one way, on first use (src/collect/clients.ts). Importing
 * the collector, discovery or the reference lookups loads no AWS client package; each is loaded
 * when a client of it is first needed. Checked on the built modules in a child process that
 * records every AWS client package Node loads (require calls, and the module cache that ES imports
 * of these CommonJS packages fill too).
 */
import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ami-audit-sdk-'));
/** The AWS client packages loaded after running `code` (an ES module body) in a child. */
function clientsLoaded(code: string): string[] {
  const main = join(dir, `main-${Math.random().toString(36).slice(2)}.mjs`);
  const dist = pathToFileURL(join(ROOT, 'dist/')).href;
  writeFileSync(main, `import { createRequire } from 'node:module';
const seen = new Set();
const origLoad = (await import('node:module')).default._load;
(await import('node:module')).default._load = function (request, ...rest) {
  const m = /^@aws-sdk\\/(client-[a-z0-9-]+)$/.exec(request);
  if (m) seen.add(m[1]);
  return origLoad.call(this, request, ...rest);
};
const dist = ${JSON.stringify(dist)};
${code}
for (const k of Object.keys(createRequire(import.meta.url).cache)) { const m = /@aws-sdk[\\\\/](client-[a-z0-9-]+)[\\\\/]/.exec(k); if (m) seen.add(m[1]); }
console.log(JSON.stringify([...seen].sort()));
`);
  const r = spawnSync(process.execPath, [main], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as string[];
}

test('importing the collector, discovery and the reference lookups loads no AWS client package; the first use loads just that one', () => {
  expect(clientsLoaded(`await import(dist + 'collect/collector.js'); await import(dist + 'collect/org.js'); await import(dist + 'collect/references.js'); await import(dist + 'collect/plan.js'); await import(dist + 'collect/credentials.js');`)).toEqual([]);
  // the check can fail: a client made loads its package
  expect(clientsLoaded(`const { sdk } = await import(dist + 'collect/clients.js'); void sdk.ec2.EC2Client;`)).toEqual(['client-ec2']);
}, 60_000);
