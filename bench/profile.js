// Reads a V8 .cpuprofile (node --cpu-prof) and says where the CPU went.
//   node bench/profile.js FILE.cpuprofile [--top N]
// Exports summarize(profile) for bench/run.js.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The area a frame's code belongs to. */
export function areaOf(url, name) {
  if (name === '(garbage collector)') return 'gc';
  if (name === '(program)' || name === '(idle)' || name === '(root)') return 'other';
  if (/node_modules\/@(aws-sdk|smithy|aws-crypto)\//.test(url)) return 'sdk';
  if (/\/dist\/|\/src\//.test(url) && !url.includes('node_modules')) return 'own';
  if (url.startsWith('node:') || url === '') return 'node';
  return 'deps';
}

/**
 * Where a sample's time goes, by what is on its stack (the first rule that matches, leaf first for
 * the kinds of work, then the callers that say what it was for).
 */
const BUCKETS = [
  ['gc', (f) => f.functionName === '(garbage collector)'],
  ['start-up: loading modules', (f) => /^node:internal\/(modules|deps\/cjs-module-lexer)/.test(f.url) || ['wrapSafe', 'compileSourceTextModule', 'compileForInternalLoader'].includes(f.functionName) || (f.lineNumber === 0 && /node_modules/.test(f.url))],
  ['ami-audit: reading pages into records', (f) => /\/collect\/wire\.js$/.test(f.url) && !/^(checkAnswer|rootElement|indexOfSeq|expectedRoot|header|splitItemSet|addAnswerCheck)$/.test(f.functionName) && f.functionName !== '(anonymous)'],
  ['ami-audit: interning and sharing', (f) => /\/collect\/intern\.js$/.test(f.url)],
  ['SDK: client construction', (f) => /^(ec2Client|stsClient|autoScalingClient|organizationsClient)$/.test(f.functionName) && /clients\.js$/.test(f.url)],
  ['SDK: signing (SigV4, hashes)', (f) => /signature-v4|aws-crypto|node:internal\/crypto/.test(f.url) || /^(Hash|Hmac|digest|update)$/.test(f.functionName) && f.url === ''],
  ['SDK: XML parsing (root, requestId, nextToken, STS, errors)', (f) => /xml-builder|submodules\/protocols|RegExp: &/.test(f.url + f.functionName)],
  ['HTTP: Node (sockets, parser, streams) and the transport', (f) => /^node:(_http|http|net|internal\/streams|internal\/stream_base|stream|buffer|internal\/http|internal\/abort|events|internal\/event_target|internal\/timers|timers)/.test(f.url) || /collect\/transport\.js$|node-http-handler/.test(f.url) || ['writev', 'writeUtf8String', 'writeLatin1String', 'writeBuffer', 'shutdown', 'readStart'].includes(f.functionName)],
  ['SDK: middleware, endpoints, retries, serialization', (f) => /node_modules\/@(aws-sdk|smithy)\//.test(f.url)],
  ['ami-audit: collector, scopes, answer check', (f) => /\/(dist|src)\//.test(f.url) && !/node_modules/.test(f.url)],
  ['promises and microtasks', (f) => f.functionName === 'runMicrotasks' || /node:internal\/process/.test(f.url)],
];

/** Self time by area, by package/file and by function, in ms; and by bucket (see BUCKETS). */
export function summarize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) dt.set(samples[i], (dt.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0) / 1000);
  const areas = {};
  const files = {};
  const fns = {};
  let total = 0;
  for (const [id, ms] of dt) {
    const n = byId.get(id);
    const { url, functionName, lineNumber } = n.callFrame;
    const area = areaOf(url, functionName);
    if (functionName === '(idle)') continue;
    total += ms;
    areas[area] = (areas[area] ?? 0) + ms;
    const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/') || functionName;
    files[file] = (files[file] ?? 0) + ms;
    const fn = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    fns[fn] = (fns[fn] ?? 0) + ms;
  }
  // buckets: the leaf frame decides; for client construction, any caller on the stack does
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const buckets = {};
  const bucketFns = {};
  for (const [id, ms] of dt) {
    const leaf = byId.get(id).callFrame;
    if (leaf.functionName === '(idle)') continue;
    let name = null;
    const stack = [];
    for (let k = id; k !== undefined; k = parent.get(k)) stack.push(byId.get(k).callFrame);
    if (stack.some((f) => BUCKETS[1][1](f))) name = BUCKETS[1][0];
    else if (stack.some((f) => BUCKETS[4][1](f))) name = BUCKETS[4][0];
    else name = (BUCKETS.find(([, test]) => test(leaf)) ?? ['other'])[0];
    buckets[name] = (buckets[name] ?? 0) + ms;
    const fn = `${leaf.functionName || '(anonymous)'} ${leaf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/')}:${leaf.lineNumber + 1}`;
    const b = (bucketFns[name] ??= {});
    b[fn] = (b[fn] ?? 0) + ms;
  }
  return { totalMs: total, areas, files, fns, buckets, bucketFns };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args[0];
  const top = Number(process.argv[process.argv.indexOf('--top') + 1] || 40);
  const s = summarize(JSON.parse(readFileSync(file, 'utf8')));
  const pct = (ms) => `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / s.totalMs).toFixed(1).padStart(5)} %`;
  console.log(`total ${s.totalMs.toFixed(0)} ms (idle excluded)`);
  for (const [k, v] of Object.entries(s.areas).sort((a, b) => b[1] - a[1])) console.log(`${pct(v)}  ${k}`);
  console.log('\nby bucket');
  for (const [k, v] of Object.entries(s.buckets).sort((a, b) => b[1] - a[1])) {
    console.log(`${pct(v)}  ${k}`);
    if (args.includes('--detail')) for (const [f, ms] of Object.entries(s.bucketFns[k]).sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`      ${pct(ms)}    ${f}`);
  }
  console.log('\nby file');
  for (const [k, v] of Object.entries(s.files).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
  console.log('\nby function');
  for (const [k, v] of Object.entries(s.fns).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(v)}  ${k}`);
}
