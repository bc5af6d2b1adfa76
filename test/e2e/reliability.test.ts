/** Nothing lost, nothing leaked: secrets, signals and hostile strings through the whole CLI. */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../src/emulator/server.js';
import type { Report } from '../../src/model/types.js';
import { emulator, NOW } from '../helpers/emulator.js';
import { spawnCli, cli } from '../helpers/cli.js';
import { generateFleet } from '../../src/emulator/generate.js';
import { demoFleet } from '../../src/emulator/demo.js';
import { HOSTILE } from '../helpers/fixture.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ami-audit-rel-'));
const allText = (dir: string): string => readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');

describe('nothing leaked', () => {
  let e: Emulator;
  beforeAll(async () => {
    const fleet = demoFleet(NOW);
    fleet.accounts.find((a) => a.accountId === '333333333333')!.externalId = 'ext-SECRET-7f3a9c';
    e = await emulator({ fleet, faults: { rules: [{ account: '222222222222', region: 'eu-west-1', action: 'DescribeInstanceImageMetadata', error: 'InternalError', count: 1 }] } });
  });
  afterAll(async () => e.close());

  test('no access key, secret, session token or external id in any output, --debug included', async () => {
    const out = tmp();
    const env = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7LEAKME1', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYLEAKMEKEY', AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEJr//////////LEAKMETOKEN' };
    const r = await spawnCli(['scan', '--endpoint-url', e.url.replace('http://', 'http://proxyuser:proxy-PASS-1@'), '--accounts', '222222222222', '333333333333', '444444444444', '--role-name', 'AmiAuditReadOnly',
      '--external-id', 'ext-SECRET-7f3a9c', '--regions', 'us-east-1', 'eu-west-1', '--debug', '--out', out], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('debug: DescribeInstanceImageMetadata');
    expect(r.stderr).toContain('debug: AssumeRole');
    const everything = [r.stdout, r.stderr, allText(out)].join('\n');
    for (const secret of [...Object.values(env), 'ext-SECRET-7f3a9c', 'proxy-PASS-1']) expect(everything).not.toContain(secret);
    // credentials the endpoint issued through AssumeRole
    expect(everything).not.toMatch(/ASIA[A-Z0-9]{16}/);
    expect(everything).not.toContain('FwoGZXIvYXdzE');
    const rep = JSON.parse(readFileSync(join(out, readdirSync(out).find((f) => f.endsWith('.json'))!), 'utf8')) as Report;
    expect(rep.run.options.externalIdSet).toBe(true);
    expect(rep.coverage.find((c) => c.accountId === '333333333333' && c.region === 'us-east-1')!.status).toBe('ok');
  });
});

/** Calls act once the scan's first scope is done (its first progress line is out). */
function afterFirstScope(act: (pid: number) => void): (stderr: string, pid: number) => void {
  let done = false;
  return (stderr, pid) => {
    if (!done && stderr.includes(' scopes (')) {
      done = true;
      act(pid);
    }
  };
}

describe('interruption', () => {
  let e: Emulator;
  beforeAll(async () => {
    const fleet = generateFleet({ accounts: 8, regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], instances: 600, seed: 21 });
    e = await emulator({ fleet, latencyMs: 60, faults: { throttle: null } });
  });
  afterAll(async () => e.close());
  const args = (out: string) => ['scan', '--endpoint-url', e.url, '--accounts', ...generateFleet({ accounts: 8, regions: 1, instances: 0 }).accounts.map((a) => a.accountId),
    '--role-name', 'AmiAuditReadOnly', '--regions', 'us-east-1', 'eu-west-1', 'ap-southeast-2', '--page-size', '3', '--account-concurrency', '1', '--concurrency', '4', '--out', out];

  test('SIGINT writes a report marked partial with the scopes completed so far, then exits 3', async () => {
    const out = tmp();
    const r = await spawnCli(args(out), { onStderr: afterFirstScope((pid) => process.kill(pid, 'SIGINT')) });
    expect(r.stderr).toContain('SIGINT received');
    expect(r.code).toBe(3);
    const names = readdirSync(out);
    expect(names.filter((n) => n.includes('.tmp'))).toEqual([]);
    const rep = JSON.parse(readFileSync(join(out, names.find((f) => f.endsWith('.json'))!), 'utf8')) as Report;
    expect(rep.run.interrupted).toBe(true);
    expect(rep.run.status).toBe('partial');
    expect(rep.coverage).toHaveLength(24);
    expect(rep.coverage.filter((c) => c.errorCode === 'Interrupted').length).toBeGreaterThan(0);
    for (const c of rep.coverage.filter((x) => x.status === 'ok')) expect(rep.instances.filter((i) => i.accountId === c.accountId && i.region === c.region)).toHaveLength(c.instanceCount);
  }, 30_000);

  test('a second signal stops at once, without a report', async () => {
    const out = tmp();
    const r = await spawnCli(args(out), { onStderr: afterFirstScope((pid) => {
      process.kill(pid, 'SIGTERM');
      setTimeout(() => process.kill(pid, 'SIGINT'), 5);
    }) });
    expect(r.code).toBe(130);
    // no temporary file is left; a report already renamed into place is complete
    const names = readdirSync(out);
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    for (const n of names.filter((x) => x.endsWith('.json'))) expect(() => JSON.parse(readFileSync(join(out, n), 'utf8'))).not.toThrow();
  }, 30_000);

  test('the second signal\'s exit code is decided by the CLI\'s one place for exit codes, never by process.exit inside a command', async () => {
    const out = tmp();
    const exits: number[] = [];
    const processExit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      const r = await cli(args(out), { io: {
        onSignal: (handler) => {
          setImmediate(() => {
            handler('SIGTERM');
            handler('SIGINT');
          });
          return () => undefined;
        },
        exit: (code) => exits.push(code),
      } });
      expect(processExit).not.toHaveBeenCalled();
      expect(r.code).toBe(130);
      expect(exits).toEqual([130]);
      expect(r.stderr).toContain('SIGINT received again; stopping now without a report');
    } finally {
      processExit.mockRestore();
    }
  }, 30_000);
});

describe('hostile strings from AWS', () => {
  test('are safe in HTML, CSV, Markdown, JSON and the terminal', async () => {
    const fleet = demoFleet(NOW);
    const target = fleet.accounts.find((a) => a.accountId === '222222222222')!.instances!['eu-west-1']!.find((i) => i.ImageMetadata?.ImageId === 'ami-0d1e2f3a4b5c60018')!;
    target.Tags = HOSTILE.map((v, n) => ({ Key: n === 0 ? 'Name' : `k${n}`, Value: v }));
    target.ImageMetadata = { ...target.ImageMetadata, Name: `${HOSTILE[0]!}${HOSTILE[8]!}` };
    const e = await emulator({ fleet });
    try {
      const out = tmp();
      const r = await cli(['scan', '--endpoint-url', e.url, '--accounts', '222222222222', '--role-name', 'AmiAuditReadOnly', '--regions', 'eu-west-1', '--out', out]);
      expect(r.code).toBe(0);
      const read = (suffix: string) => readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(suffix))!), 'utf8');
      const rep = JSON.parse(read('Z.json')) as Report;
      const inst = rep.instances.find((i) => i.InstanceId === target.InstanceId)!;
      // every value arrives intact in the model...
      HOSTILE.forEach((h, n) => {
        // XML parsers normalise a carriage return to a line feed; everything else arrives as sent
        if (!h.includes('\r')) expect(inst.Tags!.find((t) => t.Key === (n === 0 ? 'Name' : `k${n}`))!.Value).toBe(h);
      });
      expect(inst.Tags).toHaveLength(HOSTILE.length);
      // ...and is neutralised in every rendering
      const html = read('Z.html');
      expect(html.match(/<script/g)).toHaveLength(2);
      expect(html).not.toContain('<img src=x');
      const csvText = read('Z.csv');
      expect(csvText).not.toMatch(/(^|,)[=+\-@]/m);
      expect(read('Z.md')).not.toContain('<script');
      expect(r.stdout).not.toMatch(/\u001b/);
    } finally {
      await e.close();
    }
  });
});
