/**
 * Base credentials that are not there fail fast off EC2 and say where they were looked for
 * (issue 25). The instance metadata service is a loopback server of the test's own (never the
 * network): one that accepts connections and never answers, as 169.254.169.254 does off EC2 where
 * the packets are dropped, and one that answers 404, to count attempts.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientFactory } from '../../src/collect/clients.js';
import { rejection } from '../helpers/emulator.js';

const saved = { ...process.env };
let home: string;
let servers: (Server | HttpServer)[] = [];
const sockets: Socket[] = [];
let factory: ClientFactory | null = null;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ami-audit-nocreds-'));
  // no keys, no profile, no files, no container or web identity: only instance metadata is left
  for (const k of Object.keys(process.env)) if (/^AWS_/.test(k)) delete process.env[k];
  process.env.HOME = home;
});
afterEach(async () => {
  factory?.destroy();
  factory = null;
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  servers = [];
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  rmSync(home, { recursive: true, force: true });
});

/** A server that takes connections and never answers; its URL. */
async function blackHole(): Promise<string> {
  const s = createServer((socket) => {
    sockets.push(socket);
    socket.on('data', () => undefined);
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

/** A metadata service that answers 404 to everything; its URL and the requests it saw. */
async function notFound(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const s = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(404).end();
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, requests };
}

const newFactory = () => (factory = new ClientFactory({ region: 'us-east-1', maxAttempts: 8, retryMode: 'standard', verifySsl: true, maxSockets: 2, env: {} }));

describe('no credentials anywhere, off EC2', () => {
  test('fails within a second when instance metadata never answers, and names every source it tried', async () => {
    const url = await blackHole();
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = url;
    const t = Date.now();
    const err = await rejection(() => newFactory().resolveBaseCredentials());
    const ms = Date.now() - t;
    // the token request and the IMDSv1 fallback, 0.5 s each at most (the SDK's defaults take 1 s each)
    expect(ms).toBeLessThan(1_600);
    expect(err.name).toBe('UserError');
    expect(err.message).not.toContain('\n');
    expect(err.message).toBe(
      'no AWS credentials found; tried: environment variables (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set), '
      + 'the default profile in the shared config and credentials files (~/.aws/config and ~/.aws/credentials: not there), '
      + 'web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set), container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set), '
      + `EC2 instance metadata at ${url} (no credentials within 0.5 s, 1 attempt); `
      + 'set AWS_PROFILE or --profile to a configured profile, or use environment keys, SSO or an instance role',
    );
  });

  test('AWS_METADATA_SERVICE_NUM_ATTEMPTS and AWS_METADATA_SERVICE_TIMEOUT are honoured as AWS documents them', async () => {
    const imds = await notFound();
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = imds.url;
    await rejection(() => newFactory().resolveBaseCredentials());
    // one attempt: the token (404: no IMDSv2), then the role name once
    expect(imds.requests).toEqual(['PUT /latest/api/token', 'GET /latest/meta-data/iam/security-credentials/']);
    factory!.destroy();
    imds.requests.length = 0;
    process.env.AWS_METADATA_SERVICE_NUM_ATTEMPTS = '3';
    process.env.AWS_METADATA_SERVICE_TIMEOUT = '2';
    const err = await rejection(() => newFactory().resolveBaseCredentials());
    expect(imds.requests.filter((r) => r.startsWith('GET'))).toHaveLength(3);
    expect(err.message).toContain(`EC2 instance metadata at ${imds.url} (no credentials within 2 s, 3 attempts)`);
  });

  test('a metadata setting that is not a number is refused with its name', async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_METADATA_SERVICE_TIMEOUT = 'soon';
    const err = await rejection(() => newFactory().resolveBaseCredentials());
    expect(err.message).toBe('AWS_METADATA_SERVICE_TIMEOUT: "soon" is not a number of seconds; give 1 or more (the AWS SDKs\' setting), or unset it');
  });

  test('with AWS_EC2_METADATA_DISABLED the message says instance metadata was not asked', async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    const err = await rejection(() => newFactory().resolveBaseCredentials());
    expect(err.message).toContain('EC2 instance metadata (not asked: AWS_EC2_METADATA_DISABLED is set)');
  });
});
