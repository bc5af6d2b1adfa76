/**
 * The AWS-client edge of the collector against the local endpoint: the answer check, the per-call
 * deadline, interruption, renewal of expired credentials, clock skew, credentials kept out of
 * messages, proxies from the environment, and messages that say what happened.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import pLimit from 'p-limit';
import { DescribeInstanceImageMetadataCommand, DescribeInstancesCommand, DescribeRegionsCommand, GetAllowedImagesSettingsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ClientFactory, type ClientOptions } from '../../src/collect/clients.js';
import { AssumedCredentials } from '../../src/collect/credentials.js';
import { describeError } from '../../src/collect/errors.js';
import { generateFleet } from '../../src/emulator/generate.js';
import type { FaultPlan, FaultRule } from '../../src/emulator/faults.js';
import type { Emulator } from '../../src/emulator/server.js';
import { BASE_CREDS, emulator, rejection } from '../helpers/emulator.js';
import { startProxy, type Proxy } from '../helpers/proxy.js';

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const fleet = () => generateFleet({ accounts: 2, regions: REGIONS, instances: 40, seed: 7 });

let e: Emulator | null = null;
let factory: ClientFactory | null = null;
let proxy: Proxy | null = null;
afterEach(async () => {
  factory?.destroy();
  factory = null;
  await proxy?.close();
  proxy = null;
  await e?.close();
  e = null;
});

async function setup(faults: FaultPlan = {}, client: Partial<ClientOptions> = {}): Promise<{ e: Emulator; f: ClientFactory }> {
  e = await emulator({ fleet: fleet(), faults: { throttle: null, ...faults } });
  factory = new ClientFactory({ endpointUrl: e.url, region: 'us-east-1', maxAttempts: 1, retryMode: 'standard', verifySsl: true, maxSockets: 8, credentials: BASE_CREDS, env: {}, ...client });
  return { e, f: factory };
}

const roleArn = (accountId: string) => `arn:aws:iam::${accountId}:role/AmiAuditReadOnly`;

function assumed(f: ClientFactory, accountId: string, extra: Partial<ConstructorParameters<typeof AssumedCredentials>[1]> = {}): AssumedCredentials {
  return new AssumedCredentials(f.stsClient(), { roleArn: roleArn(accountId), sessionName: 'ami-audit', limit: (fn) => fn(), ...extra });
}

/** Records the access key id each request of a client was signed with. */
function signedKeys(client: EC2Client): string[] {
  const keys: string[] = [];
  client.middlewareStack.add((next) => async (args) => {
    const auth = String((args.request as { headers: Record<string, string> }).headers.authorization ?? '');
    keys.push(/Credential=([^/]+)\//.exec(auth)?.[1] ?? '?');
    return next(args);
  }, { step: 'deserialize', priority: 'low', name: 'testSignedKeys' });
  return keys;
}

const ec2Commands = [
  ['DescribeInstanceImageMetadata', () => new DescribeInstanceImageMetadataCommand({ MaxResults: 1000 })],
  ['DescribeInstances', () => new DescribeInstancesCommand({ MaxResults: 1000 })],
  ['DescribeRegions', () => new DescribeRegionsCommand({ AllRegions: true })],
  ['GetAllowedImagesSettings', () => new GetAllowedImagesSettingsCommand({})],
] as const;

describe('an HTTP 200 that is not the operation\'s answer is MalformedResponse (case 12)', () => {
  for (const kind of ['empty', 'wrong-root', 'error-200'] as const) {
    test(`${kind}: every EC2 action and both STS actions`, async () => {
      const rules: FaultRule[] = [
        ...ec2Commands.map(([action]) => ({ service: 'ec2' as const, action, kind, ...(kind === 'error-200' ? { error: 'InternalError' } : {}) })),
        { service: 'sts', action: 'AssumeRole', kind, ...(kind === 'error-200' ? { error: 'AccessDenied' } : {}) },
        { service: 'sts', action: 'GetCallerIdentity', kind, ...(kind === 'error-200' ? { error: 'AccessDenied' } : {}) },
      ];
      const { e, f } = await setup({ rules });
      const c = f.ec2Client('100000000000|base', 'us-east-1', undefined);
      const sts = f.stsClient();
      const calls: [string, () => Promise<unknown>][] = [
        ...ec2Commands.map(([action, make]) => [action, () => c.send(make() as never)] as [string, () => Promise<unknown>]),
        ['AssumeRole', () => sts.send(new AssumeRoleCommand({ RoleArn: roleArn(e.fleet.accounts[0]!.accountId), RoleSessionName: 'x1' }))],
        ['GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({}))],
      ];
      for (const [action, call] of calls) {
        const err = await rejection(call);
        const d = describeError(err);
        expect(`${action}: ${d.code}`).toBe(`${action}: MalformedResponse`);
        expect(d.message).toContain(`<${action}Response>`);
        if (kind === 'empty') expect(d.message).toContain('empty body');
        if (kind === 'wrong-root') expect(d.message).toMatch(/root element <\w+Response>/);
        if (kind === 'error-200') expect(d.message).toMatch(/code (InternalError|AccessDenied)/);
        expect(d.message).not.toContain('requestId');
        expect(err.$metadata?.httpStatusCode).toBe(200);
      }
    });
  }

  test('a good answer passes, and the body is read once', async () => {
    const { f } = await setup();
    const c = f.ec2Client('100000000000|base', 'us-east-1', undefined);
    const out = await c.send(new DescribeRegionsCommand({ AllRegions: true }));
    expect(out.Regions?.map((r) => r.RegionName).sort()).toEqual([...REGIONS].sort());
    const who = await f.stsClient().send(new GetCallerIdentityCommand({}));
    expect(who.Account).toBe('100000000000');
  });
});

describe('an error status whose body is not an AWS error names the status (case 26)', () => {
  test('403 with a text body, 503 with an HTML body, 502 with an empty body', async () => {
    const { f } = await setup({
      rules: [
        { service: 'ec2', action: 'DescribeRegions', kind: 'raw', status: 403, body: 'Forbidden by the egress filter', contentType: 'text/plain', count: 1 },
        { service: 'ec2', action: 'DescribeRegions', kind: 'raw', status: 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>', contentType: 'text/html', count: 1 },
        { service: 'ec2', action: 'DescribeRegions', kind: 'raw', status: 502, body: '', contentType: 'text/plain', count: 1 },
      ],
    });
    const c = f.ec2Client('100000000000|base', 'us-east-1', undefined);
    const first = describeError(await rejection(() => c.send(new DescribeRegionsCommand({}))));
    expect(first.code).toBe('HTTP403');
    expect(first.message).toContain('HTTP 403');
    expect(first.message).toContain('Forbidden by the egress filter');
    const second = describeError(await rejection(() => c.send(new DescribeRegionsCommand({}))));
    expect(second.code).toBe('HTTP503');
    expect(second.message).toContain('HTTP 503');
    const third = describeError(await rejection(() => c.send(new DescribeRegionsCommand({}))));
    expect(third.code).toBe('HTTP502');
    expect(third.message).toContain('empty body');
  });

  test('a 5xx with a text body is retried like any 5xx', async () => {
    const { e, f } = await setup({ rules: [{ service: 'ec2', action: 'DescribeRegions', kind: 'raw', status: 503, body: 'upstream down', contentType: 'text/plain', count: 1 }] }, { maxAttempts: 3 });
    const out = await f.ec2Client('100000000000|base', 'us-east-1', undefined).send(new DescribeRegionsCommand({}));
    expect(out.$metadata.attempts).toBe(2);
    expect(e.stats.byAction.DescribeRegions).toBe(2);
  });
});

describe('per-call deadline and interruption (case 6)', () => {
  test('an answer trickling a byte every 200 ms ends at the deadline as Timeout, and the attempt is retried', async () => {
    const { e, f } = await setup({ rules: [{ service: 'ec2', action: 'DescribeRegions', kind: 'trickle', intervalMs: 200 }] }, { callTimeoutSeconds: 1, maxAttempts: 2 });
    const t = Date.now();
    const err = await Promise.race([
      rejection(() => f.ec2Client('100000000000|base', 'us-east-1', undefined).send(new DescribeRegionsCommand({}))),
      new Promise<Error>((resolve) => setTimeout(() => resolve(new Error('still waiting after 8 s')), 8000).unref()),
    ]);
    const d = describeError(err);
    expect(d.code).toBe('Timeout');
    expect(d.message).toContain('deadline of 1 s');
    expect(d.retries).toBe(1);
    expect(e.stats.byAction.DescribeRegions).toBe(2);
    expect(Date.now() - t).toBeLessThan(5000);
  });

  test('the run\'s abort signal ends a call at once while its answer trickles', async () => {
    const { f } = await setup({ rules: [{ service: 'ec2', action: 'DescribeRegions', kind: 'trickle', intervalMs: 200 }] }, { callTimeoutSeconds: 60, maxAttempts: 3 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t = Date.now();
    const err = await rejection(() => f.ec2Client('100000000000|base', 'us-east-1', undefined).send(new DescribeRegionsCommand({}), { abortSignal: ac.signal }));
    expect(describeError(err).code).toBe('Interrupted');
    expect(Date.now() - t).toBeLessThan(2000);
  });

  test('AssumeRole takes the run\'s signal: waiting callers and queued assumes are released at once', async () => {
    const { e, f } = await setup({ latencyMs: { sts: 2000 } });
    const ac = new AbortController();
    const limit = pLimit(1);
    const [a, b] = e.fleet.accounts;
    const credsA = assumed(f, a!.accountId, { signal: ac.signal, limit: (fn) => limit(fn) });
    const credsB = assumed(f, b!.accountId, { signal: ac.signal, limit: (fn) => limit(fn) });
    const t = Date.now();
    const waits = [credsA.provider(), credsA.provider(), credsB.provider()].map((p) => p.then(() => 'resolved', (err: unknown) => describeError(err).code));
    setTimeout(() => ac.abort(), 200);
    expect(await Promise.all(waits)).toEqual(['Interrupted', 'Interrupted', 'Interrupted']);
    expect(Date.now() - t).toBeLessThan(1000);
    // the queued assume of account B never went out
    await new Promise((r) => setTimeout(r, 100));
    expect(e.stats.byAction.AssumeRole ?? 0).toBeLessThanOrEqual(1);
    expect(credsB.assumeCount).toBe(0);
  });
});

describe('credentials', () => {
  test('after RequestExpired, renew() makes the retry sign with fresh keys, one AssumeRole for any number of clients (case 7)', async () => {
    // credentials valid for an hour: longer than the SDK's 5-minute refresh window
    const { e, f } = await setup({ rules: [{ service: 'ec2', action: 'DescribeInstanceImageMetadata', error: 'RequestExpired', count: 2 }] });
    const account = e.fleet.accounts[0]!.accountId;
    const creds = assumed(f, account, { durationSeconds: 3600 });
    const c1 = f.ec2Client(`${account}|r`, 'us-east-1', creds.provider);
    const c2 = f.ec2Client(`${account}|r`, 'eu-west-1', creds.provider);
    const k1 = signedKeys(c1);
    const k2 = signedKeys(c2);
    const first = await Promise.all([c1, c2].map((c) => rejection(() => c.send(new DescribeInstanceImageMetadataCommand({ MaxResults: 1000 })))));
    for (const err of first) expect(describeError(err).code).toBe('RequestExpired');
    expect(e.stats.byAction.AssumeRole).toBe(1);
    await Promise.all([creds.renew(c1), creds.renew(c2)]);
    await c1.send(new DescribeInstanceImageMetadataCommand({ MaxResults: 1000 }));
    await c2.send(new DescribeInstanceImageMetadataCommand({ MaxResults: 1000 }));
    expect(e.stats.byAction.AssumeRole).toBe(2);
    expect(k1).toHaveLength(2);
    expect(k1[1]).not.toBe(k1[0]);
    expect(k2[1]).toBe(k1[1]);
    expect(creds.assumeCount).toBe(2);
  });

  test('credentials that arrive looking expired (clock ahead): one AssumeRole per account, skew reported (case 19)', async () => {
    const { e, f } = await setup({ clockSkewSeconds: 7200 });
    const accounts = e.fleet.accounts.map((a) => a.accountId);
    const all = accounts.map((a) => assumed(f, a));
    await Promise.all(all.map(async (creds, i) => {
      for (const region of REGIONS) {
        const c = f.ec2Client(`${accounts[i]}|r`, region, creds.provider);
        await c.send(new GetAllowedImagesSettingsCommand({}));
        await c.send(new DescribeInstanceImageMetadataCommand({ MaxResults: 1000 }));
        await c.send(new DescribeInstanceImageMetadataCommand({ MaxResults: 1000 }));
      }
    }));
    expect(e.stats.byAction.AssumeRole).toBe(2);
    for (const creds of all) {
      expect(creds.clockSkewSeconds).not.toBeNull();
      expect(Math.abs(creds.clockSkewSeconds! - 7200)).toBeLessThan(30);
    }
  });

  test('credentials never reach error messages or --debug lines, though the service quotes them (case 17)', async () => {
    const calls: string[] = [];
    const { e, f } = await setup({ rules: [{ service: 'ec2', action: 'DescribeInstanceImageMetadata', kind: 'echo-auth' }] }, { onCall: (ev) => ev.error && calls.push(ev.error) });
    const account = e.fleet.accounts[0]!.accountId;
    const creds = assumed(f, account);
    const id = await creds.provider();
    const c = f.ec2Client(`${account}|r`, 'us-east-1', creds.provider);
    const err = await rejection(() => c.send(new DescribeInstanceImageMetadataCommand({ MaxResults: 1000 })));
    // the service's message really does quote them
    expect(err.message).toContain(id.accessKeyId);
    expect(err.message).toContain(id.sessionToken!);
    const d = describeError(err);
    expect(d.code).toBe('SignatureDoesNotMatch');
    expect(calls).toHaveLength(1);
    for (const text of [d.message, calls[0]!]) {
      for (const secret of [id.accessKeyId, id.secretAccessKey, id.sessionToken!, id.sessionToken!.slice(0, 40)]) expect(text).not.toContain(secret);
      expect(text).toContain('[REDACTED]');
      expect(text).not.toMatch(/Signature=[0-9a-f]{16}/);
    }
    // the base credentials too, as soon as the factory holds them
    const base = await rejection(() => f.ec2Client('100000000000|base', 'us-east-1', undefined).send(new DescribeInstanceImageMetadataCommand({ MaxResults: 1000 })));
    expect(base.message).toContain(BASE_CREDS.accessKeyId);
    expect(describeError(base).message).not.toContain(BASE_CREDS.accessKeyId);
  });
});

describe('proxies from the environment (case 24)', () => {
  test('HTTP_PROXY carries every EC2 and STS call; NO_PROXY exempts a host', async () => {
    proxy = await startProxy();
    const { e, f } = await setup({}, { env: { HTTP_PROXY: proxy.url } });
    const host = new URL(e.url).host;
    await f.stsClient().send(new GetCallerIdentityCommand({}));
    await f.ec2Client('100000000000|base', 'us-east-1', undefined).send(new DescribeRegionsCommand({}));
    expect(proxy.requests).toEqual([`POST ${host}`, `POST ${host}`]);
    f.destroy();

    factory = new ClientFactory({ ...f.opts, env: { http_proxy: proxy.url, NO_PROXY: 'example.com, 127.0.0.1' } });
    await factory.ec2Client('100000000000|base', 'us-east-1', undefined).send(new DescribeRegionsCommand({}));
    expect(proxy.requests).toHaveLength(2);
  });

  test('HTTPS_PROXY: https endpoints are reached through a CONNECT tunnel', async () => {
    proxy = await startProxy();
    const { e } = await setup();
    const port = new URL(e.url).port;
    factory?.destroy();
    // the emulator speaks plain HTTP, so TLS fails after the tunnel is open: the tunnel is what counts
    factory = new ClientFactory({ endpointUrl: `https://127.0.0.1:${port}`, region: 'us-east-1', maxAttempts: 1, retryMode: 'standard', verifySsl: false, maxSockets: 4, credentials: BASE_CREDS, env: { HTTPS_PROXY: proxy.url }, callTimeoutSeconds: 5 });
    await rejection(() => factory!.stsClient().send(new GetCallerIdentityCommand({})));
    expect(proxy.requests).toEqual([`CONNECT 127.0.0.1:${port}`]);
  });

  test('a proxy password never appears in a message', async () => {
    proxy = await startProxy();
    const { f } = await setup({ rules: [{ service: 'ec2', action: 'DescribeRegions', kind: 'raw', status: 407, body: 'proxy said no to http://auditor:pr0xy-s3cret@proxy.internal:3128', contentType: 'text/plain' }] }, { env: {} });
    f.destroy();
    const proxyUrl = proxy.url.replace('http://', 'http://auditor:pr0xy-s3cret@');
    factory = new ClientFactory({ ...f.opts, env: { HTTP_PROXY: proxyUrl } });
    const d = describeError(await rejection(() => factory!.ec2Client('100000000000|base', 'us-east-1', undefined).send(new DescribeRegionsCommand({}))));
    expect(d.code).toBe('HTTP407');
    expect(d.message).not.toContain('pr0xy-s3cret');
    expect(proxy.requests).toHaveLength(1);
  });
});

describe('a named profile that does not exist (case 26)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  test('the SDK\'s multi-line warning stays off the terminal; one line names the profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-profile-'));
    try {
      Object.assign(process.env, {
        AWS_PROFILE: 'nope-not-configured', AWS_ACCESS_KEY_ID: 'AKIAENVENVENVENV0000', AWS_SECRET_ACCESS_KEY: 'env-secret-env-secret',
        AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_EC2_METADATA_DISABLED: 'true',
      });
      const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        const { f } = await setup({}, { credentials: undefined });
        await rejection(() => f.stsClient(undefined, undefined, false).config.credentials());
        const err = await rejection(() => f.resolveBaseCredentials());
        expect(warn).not.toHaveBeenCalled();
        expect(stderr).not.toHaveBeenCalled();
        expect(err.message).toContain('"nope-not-configured"');
        expect(err.message).toContain(`AWS_PROFILE: the profile "nope-not-configured" is not in the shared config or credentials file (${join(dir, 'config')} and ${join(dir, 'credentials')}); run "aws configure list-profiles" to see the profiles`);
        expect(err.message).not.toContain('\n');
        expect(err.message).not.toContain('env-secret-env-secret');
      } finally {
        warn.mockRestore();
        stderr.mockRestore();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** The environment of an offline credential lookup: no keys, no container or web identity, no instance metadata. */
  function offlineEnv(extra: Record<string, string>): void {
    for (const k of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
      'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN']) delete process.env[k];
    Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', ...extra });
  }

  test('--profile naming a profile the files do not have: the files read and how to list the profiles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-profile-'));
    try {
      writeFileSync(join(dir, 'config'), '[profile other]\nregion = eu-west-1\n');
      writeFileSync(join(dir, 'credentials'), '[other]\naws_access_key_id = AKIAOTHEROTHER000000\naws_secret_access_key = other-secret\n');
      offlineEnv({ AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });
      // no endpoint: nothing is sent anywhere, the lookup fails before any call
      factory = new ClientFactory({ region: 'us-east-1', maxAttempts: 1, retryMode: 'standard', verifySsl: true, maxSockets: 2, env: {}, profile: 'nope' });
      const err = await rejection(() => factory!.resolveBaseCredentials());
      expect(err.name).toBe('UserError');
      expect(err.message).toBe(`--profile: the profile "nope" is not in the shared config or credentials file (${join(dir, 'config')} and ${join(dir, 'credentials')}); run "aws configure list-profiles" to see the profiles`);
      // the profile that is there does resolve, so the files are the ones the SDK reads
      factory.destroy();
      factory = new ClientFactory({ region: 'us-east-1', maxAttempts: 1, retryMode: 'standard', verifySsl: true, maxSockets: 2, env: {}, profile: 'other' });
      expect((await factory.resolveBaseCredentials()).accessKeyId).toBe('AKIAOTHEROTHER000000');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('with neither AWS_CONFIG_FILE nor AWS_SHARED_CREDENTIALS_FILE, the message names the default files', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ami-audit-home-'));
    try {
      offlineEnv({ HOME: home, AWS_PROFILE: 'nope-env' });
      factory = new ClientFactory({ region: 'us-east-1', maxAttempts: 1, retryMode: 'standard', verifySsl: true, maxSockets: 2, env: {} });
      const err = await rejection(() => factory!.resolveBaseCredentials());
      expect(err.message).toBe('AWS_PROFILE: the profile "nope-env" is not in the shared config or credentials file (~/.aws/config and ~/.aws/credentials); run "aws configure list-profiles" to see the profiles');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('a profile named only in the wrong form for its file is not there, as the SDK reads it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-profile-'));
    try {
      // the config file names profiles [profile x]; a bare [x] there is not a profile (only [default] is)
      writeFileSync(join(dir, 'config'), '[bare]\nregion = eu-west-1\n');
      writeFileSync(join(dir, 'credentials'), '');
      offlineEnv({ AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });
      factory = new ClientFactory({ region: 'us-east-1', maxAttempts: 1, retryMode: 'standard', verifySsl: true, maxSockets: 2, env: {}, profile: 'bare' });
      const err = await rejection(() => factory!.resolveBaseCredentials());
      expect(err.message).toContain('--profile: the profile "bare" is not in the shared config or credentials file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a profile that is there but yields no credentials keeps the SDK\'s cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ami-audit-profile-'));
    try {
      writeFileSync(join(dir, 'config'), '[profile regiononly]\nregion = eu-west-1\n');
      offlineEnv({ AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') });
      factory = new ClientFactory({ region: 'us-east-1', maxAttempts: 1, retryMode: 'standard', verifySsl: true, maxSockets: 2, env: {}, profile: 'regiononly' });
      const err = await rejection(() => factory!.resolveBaseCredentials());
      expect(err.message).toContain('no AWS credentials found for the profile "regiononly" (--profile)');
      expect(err.message).not.toContain('is not in the shared config');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
