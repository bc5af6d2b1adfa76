/**
 * The request handler every AWS client of a run shares: keep-alive agents, proxies from the
 * environment, and a total deadline per attempt.
 *
 * - Deadline: the SDK's retry middleware calls the request handler once per attempt, so a
 *   deadline set here bounds each attempt, response body included (the body is read here, under
 *   the same deadline, into a Uint8Array that the SDK's deserializer takes as it is). A passed
 *   deadline is a `TimeoutError`, which the SDK's retry strategy treats as transient. The run's
 *   abort signal still ends an attempt at once (`AbortError`).
 * - Proxies: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (lower-case forms first, as curl and the AWS CLI
 *   read them), decided per request URL. https targets go through a CONNECT tunnel (keep-alive
 *   agent per proxy, with the run's TLS settings for the target); http targets are sent to the
 *   proxy in absolute form, as the AWS CLI does.
 */
import { setMaxListeners } from 'node:events';
import { Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpsProxyAgent } from 'hpagent';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions, HttpResponse } from '@smithy/types';
import { abortError } from './errors.js';

export interface TransportOptions {
  maxSockets: number;
  verifySsl: boolean;
  /** Extra CA certificates (PEM) for TLS to the endpoints (and to an https proxy). */
  ca?: Buffer;
  /** 0 or absent: the SDK's default (none). */
  connectTimeoutMs?: number;
  /** Socket idle timeout; 0 or absent: none. */
  socketTimeoutMs?: number;
  /** Total time per attempt, response body included; 0 or absent: none. */
  callTimeoutMs?: number;
  /** Where HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read. */
  env: NodeJS.ProcessEnv;
}

const KEEP_ALIVE_MSECS = 10_000;

/** The request type of the SDK's Node handler (an HttpRequest of @smithy/core). */
type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];

// ---------------------------------------------------------------------------------------------
// Proxies from the environment

export interface ProxySettings {
  http?: URL;
  https?: URL;
  /** `*`: no request is proxied; otherwise host names (and suffixes), each with an optional port. */
  noProxy: '*' | { host: string; port: number }[];
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return v && v.trim() ? v.trim() : undefined;
}

/** A proxy URL as the AWS CLI reads it: without a scheme, http:// is meant. */
function parseProxyUrl(value: string | undefined, name: string): URL | undefined {
  if (!value) return undefined;
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported scheme ${u.protocol}`);
    return u;
  } catch (e) {
    throw new ProxyConfigError(`${name}: not a usable proxy URL (${(e as Error).message}): ${withoutPassword(value)}`);
  }
}

export class ProxyConfigError extends Error {
  override readonly name = 'ProxyConfigError';
}

/** A URL for messages: the password, if any, masked. */
export function withoutPassword(url: string): string {
  return url.replace(/(\/\/[^/\s:@]*):[^/\s@]*@/, '$1:[REDACTED]@');
}

/** The proxy settings of an environment; null when no proxy is set. */
export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings | null {
  const http = parseProxyUrl(envValue(env, 'HTTP_PROXY'), 'HTTP_PROXY');
  const https = parseProxyUrl(envValue(env, 'HTTPS_PROXY'), 'HTTPS_PROXY');
  if (!http && !https) return null;
  const raw = (envValue(env, 'NO_PROXY') ?? '').toLowerCase();
  let noProxy: ProxySettings['noProxy'] = [];
  if (raw.trim() === '*') noProxy = '*';
  else {
    for (const item of raw.split(/[\s,]+/)) {
      if (!item) continue;
      const m = /^(.*?)(?::(\d+))?$/.exec(item)!;
      const host = m[1]!.replace(/^\*/, '').replace(/^\./, '').replace(/^\[(.*)\]$/, '$1');
      if (host) noProxy.push({ host, port: m[2] ? Number(m[2]) : 0 });
    }
  }
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), noProxy };
}

/** The proxy for a request URL (null: direct), by the environment's rules. */
export function proxyFor(settings: ProxySettings, protocol: string, hostname: string, port: number | undefined): URL | null {
  const proxy = protocol === 'https:' ? settings.https : settings.http;
  if (!proxy) return null;
  if (settings.noProxy === '*') return null;
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const effectivePort = port ?? (protocol === 'https:' ? 443 : 80);
  for (const n of settings.noProxy) {
    if (n.port && n.port !== effectivePort) continue;
    if (host === n.host || host.endsWith(`.${n.host}`)) return null;
  }
  return proxy;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** The error a passed per-call deadline gives: transient for the SDK's retry strategy. */
export function deadlineError(ms: number): Error {
  const s = ms / 1000;
  return Object.assign(new Error(`no complete answer within the per-call deadline of ${Number.isInteger(s) ? s : s.toFixed(1)} s (--call-timeout)`), { name: 'TimeoutError' });
}

function stopped(signal: AbortSignal): Error {
  return abortError('Request aborted: the run was interrupted', signal.reason);
}

// ---------------------------------------------------------------------------------------------
// Reading a body

function isNodeStream(b: unknown): b is IncomingMessage {
  return typeof b === 'object' && b !== null && typeof (b as IncomingMessage).on === 'function' && typeof (b as IncomingMessage).destroy === 'function';
}

/**
 * A body that ended early: a network error (ECONNRESET, which the SDK retries as transient),
 * created here so that it is an Error of this realm with a message that says what happened.
 */
function incomplete(cause?: Error): Error {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const e = new Error(`the connection closed before the answer was complete${cause?.message ? ` (${cause.message})` : ''}`);
  return Object.assign(e, { code: code && code !== 'ERR_STREAM_PREMATURE_CLOSE' ? code : 'ECONNRESET', cause });
}

/** An error of another realm (Node's own, seen from a test's VM context) as an Error of this one. */
function ownRealm(e: unknown): unknown {
  if (e instanceof Error || typeof e !== 'object' || e === null) return e;
  const o = e as { name?: string; message?: string; code?: string };
  return Object.assign(new Error(String(o.message ?? e)), { name: o.name ?? 'Error', ...(o.code ? { code: o.code } : {}), cause: e });
}

/** Reads a response body stream to the end; an error or a premature end rejects. */
function readStream(stream: IncomingMessage): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (c: Buffer): void => {
      chunks.push(c);
      length += c.length;
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e.name === 'TimeoutError' || e.name === 'AbortError' ? e : incomplete(e));
    };
    const onClose = (): void => {
      // 'close' without 'end': the connection went away mid-body
      cleanup();
      reject(incomplete());
    };
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    if (stream.destroyed) {
      reject(incomplete());
      return;
    }
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** One attempt under a deadline and/or the run's abort signal. */
class Attempt {
  readonly controller = new AbortController();
  timedOut = false;
  body: IncomingMessage | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deadlineMs: number, private readonly runSignal: AbortSignal | undefined) {}

  /** The run's signal fired (an EventListener object: no closure per attempt). */
  handleEvent(): void {
    this.stop(stopped(this.runSignal!));
  }

  stop(reason: Error): void {
    this.controller.abort(reason);
    this.body?.destroy(reason);
  }

  async run(inner: NodeHttpHandler, request: HttpRequest, options: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
    const run = this.runSignal;
    if (run?.aborted) throw stopped(run);
    if (this.deadlineMs > 0) this.timer = setTimeout(onDeadline, this.deadlineMs, this);
    run?.addEventListener('abort', this);
    try {
      const out = await inner.handle(request, { ...options, abortSignal: this.controller.signal });
      const body = out.response.body as unknown;
      if (isNodeStream(body)) {
        this.body = body;
        if (this.controller.signal.aborted) body.destroy(this.controller.signal.reason as Error);
        out.response.body = await readStream(body);
      }
      return out;
    } catch (e) {
      if (this.timedOut) throw deadlineError(this.deadlineMs);
      if (run?.aborted) throw stopped(run);
      throw ownRealm(e);
    } finally {
      if (this.timer) clearTimeout(this.timer);
      run?.removeEventListener('abort', this);
    }
  }
}

function onDeadline(a: Attempt): void {
  a.timedOut = true;
  a.stop(Object.assign(new Error('per-call deadline passed'), { name: 'TimeoutError' }));
}

// ---------------------------------------------------------------------------------------------
// Signals

/** A run's signal → the controllers of the signals handed out for it (see childSignal). */
const children = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * A signal that aborts, with the same reason, when `parent` does: for one scope's calls. Every
 * call adds listeners to the signal it is given (the SDK's retry wait, the attempt here), and
 * adding a listener costs time in proportion to the listeners already there: on the run's one
 * signal, shared by every call in flight, that grows with the concurrency; on a scope's, it stays
 * small. The run's signal gets one listener however many scopes run. `release` when done.
 */
export function childSignal(parent: AbortSignal): { signal: AbortSignal; release: () => void } {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  if (parent.aborted) {
    c.abort(parent.reason);
    return { signal: c.signal, release: () => {} };
  }
  let set = children.get(parent);
  if (!set) {
    const all = (set = new Set());
    children.set(parent, all);
    parent.addEventListener('abort', () => {
      for (const x of all) x.abort(parent.reason);
      all.clear();
    }, { once: true });
  }
  set.add(c);
  const held = set;
  return { signal: c.signal, release: () => void held.delete(c) };
}

// ---------------------------------------------------------------------------------------------
// The handler

/** What the SDK needs of a request handler (the `HttpHandler` interface of @smithy/protocol-http). */
export class AuditRequestHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly direct: NodeHttpHandler;
  private readonly proxy: ProxySettings | null;
  /** CONNECT-tunnel handlers per proxy URL. */
  private readonly tunnels = new Map<string, NodeHttpHandler>();
  /** The route per request origin: a handler and, for http through a proxy, the proxy. */
  private readonly routes = new Map<string, { handler: NodeHttpHandler; forward?: URL }>();
  private readonly deadlineMs: number;
  private readonly applied = new Map<string | symbol, unknown>();

  constructor(private readonly opts: TransportOptions) {
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets, keepAliveMsecs: KEEP_ALIVE_MSECS };
    this.direct = new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOpts),
      httpsAgent: new HttpsAgent({ ...agentOpts, rejectUnauthorized: opts.verifySsl, ...(opts.ca ? { ca: opts.ca } : {}) }),
      connectionTimeout: opts.connectTimeoutMs || undefined,
      socketTimeout: opts.socketTimeoutMs || undefined,
    });
    this.proxy = proxySettings(opts.env);
    this.deadlineMs = opts.callTimeoutMs && opts.callTimeoutMs > 0 ? opts.callTimeoutMs : 0;
  }

  /** The proxy settings in effect (null: every call goes direct). */
  get proxies(): ProxySettings | null {
    return this.proxy;
  }

  private tunnel(proxy: URL): NodeHttpHandler {
    const key = proxy.href;
    let h = this.tunnels.get(key);
    if (!h) {
      const o = this.opts;
      const ca = o.ca ? { ca: o.ca } : {};
      h = new NodeHttpHandler({
        httpsAgent: new HttpsProxyAgent({
          proxy,
          keepAlive: true,
          maxSockets: o.maxSockets,
          keepAliveMsecs: KEEP_ALIVE_MSECS,
          rejectUnauthorized: o.verifySsl,
          ...ca,
          // TLS to an https:// proxy itself
          proxyRequestOptions: { rejectUnauthorized: o.verifySsl, ...(o.ca ? { ca: [o.ca.toString('utf8')] } : {}) },
        }),
        connectionTimeout: o.connectTimeoutMs || undefined,
        socketTimeout: o.socketTimeoutMs || undefined,
      });
      for (const [k, v] of this.applied) h.updateHttpClientConfig(k as never, v as never);
      this.tunnels.set(key, h);
    }
    return h;
  }

  private routeFor(request: HttpRequest): { handler: NodeHttpHandler; forward?: URL } {
    const key = `${request.protocol}//${request.hostname}:${request.port ?? ''}`;
    let r = this.routes.get(key);
    if (!r) {
      const proxy = proxyFor(this.proxy!, request.protocol, request.hostname, request.port);
      if (!proxy) r = { handler: this.direct };
      else if (request.protocol === 'https:') r = { handler: this.tunnel(proxy) };
      else r = { handler: this.direct, forward: proxy };
      this.routes.set(key, r);
    }
    return r;
  }

  handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    let handler = this.direct;
    if (this.proxy) {
      const route = this.routeFor(request);
      handler = route.handler;
      if (route.forward) request = absoluteForm(request, route.forward);
    }
    const signal = options.abortSignal as AbortSignal | undefined;
    if (this.deadlineMs === 0 && !signal) return plain(handler, request, options);
    return new Attempt(this.deadlineMs, signal).run(handler, request, options);
  }

  updateHttpClientConfig(key: string | symbol, value: unknown): void {
    // Every client of the run passes its settings here (a logger, say): apply each setting once,
    // not once per client (each application chains another promise in the SDK's handler).
    if (this.applied.has(key) && this.applied.get(key) === value) return;
    this.applied.set(key, value);
    this.direct.updateHttpClientConfig(key as never, value as never);
    for (const h of this.tunnels.values()) h.updateHttpClientConfig(key as never, value as never);
  }

  httpHandlerConfigs(): object {
    return this.direct.httpHandlerConfigs();
  }

  destroy(): void {
    this.direct.destroy();
    for (const h of this.tunnels.values()) h.destroy();
  }
}

async function plain(handler: NodeHttpHandler, request: HttpRequest, options: HttpHandlerOptions): Promise<{ response: HttpResponse }> {
  try {
    const out = await handler.handle(request, options);
    const body = out.response.body as unknown;
    if (isNodeStream(body)) out.response.body = await readStream(body);
    return out;
  } catch (e) {
    throw ownRealm(e);
  }
}

/** The request as an http proxy takes it: sent to the proxy, with the full URL as its target. */
function absoluteForm(request: HttpRequest, proxy: URL): HttpRequest {
  const port = request.port ? `:${request.port}` : '';
  const headers = { ...request.headers };
  if (proxy.username || proxy.password) {
    headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  }
  return {
    ...request,
    headers,
    protocol: proxy.protocol,
    hostname: proxy.hostname,
    port: proxy.port ? Number(proxy.port) : proxy.protocol === 'https:' ? 443 : 80,
    path: `http://${request.hostname}${port}${request.path}`,
  } as unknown as HttpRequest;
}
