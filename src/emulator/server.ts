/**
 * The local EC2/STS/Organizations/Auto Scaling/SSM endpoint: one HTTP server that speaks the AWS
 * Query protocols (EC2 2016-11-15, STS 2011-06-15, Auto Scaling 2011-01-01) and AWS JSON 1.1
 * (Organizations 2016-11-28, SSM 2014-11-06) for the calls ami-audit makes. Region and service come from the SigV4 credential scope, so one URL serves every
 * region and every service.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import type { Fleet, FleetAccount } from './fleet.js';
import { optInStatus } from './fleet.js';
import { FaultState, statusFor, type FaultPlan, type FaultRule, type CallContext, type Service } from './faults.js';
import {
  ApiError, describeImageReferences, describeImages, describeInstanceImageMetadata, describeInstances, describeLaunchTemplateVersions, describeRegions, getAllowedImagesSettings,
  type Ec2Call, type PagingCursor,
} from './ec2.js';
import { AUTOSCALING_NS, autoscalingCall, autoscalingError, autoscalingResponse } from './autoscaling.js';
import { ec2Error, ec2Response, el, EC2_NS, stsError, stsResponse, XML_DECL } from './xml.js';
import {
  ORGANIZATIONS_ACTIONS, ORGANIZATIONS_CONTENT_TYPE, ORGANIZATIONS_TARGET_PREFIX, OrganizationsError, moveMember, organizationsCall, organizationsMessage,
} from './organizations.js';
import { UserError } from '../model/errors.js';
import { SSM_ACTIONS, SSM_TARGET_PREFIX, SsmError, ssmCall } from './ssm.js';
import { PUBLISHER_ACTIONS, publisherAction } from './images.js';

export interface EmulatorOptions {
  fleet: Fleet;
  faults?: FaultPlan;
  host?: string;
  port?: number;
  /** Latency added to every call, on top of the plan's per-service latency. */
  latencyMs?: number;
  /**
   * The endpoint's now (epoch ms): what it stamps and judges by the time. Default: the fleet's
   * `asOf`, running in real time from the endpoint's start (fleetClock); the wall clock for a fleet
   * without one.
   */
  clock?: () => number;
}

/**
 * A fleet's clock: its `asOf` when the endpoint starts, advancing in real time from there (so a
 * usage report made during a run of the demo as of a past day is of that day, and reports still
 * age); the wall clock when the fleet gives no `asOf`.
 */
export function fleetClock(fleet: Fleet, elapsedMs: () => number = monotonicSince()): () => number {
  if (fleet.asOf === undefined) return Date.now;
  const start = Date.parse(fleet.asOf);
  return () => start + elapsedMs();
}

/** Milliseconds since it was made, from the monotonic clock (a wall clock that jumps does not move it). */
function monotonicSince(): () => number {
  const t0 = performance.now();
  return () => Math.floor(performance.now() - t0);
}

export interface EmulatorStats {
  requests: number;
  byAction: Record<string, number>;
  errors: Record<string, number>;
  throttled: number;
}

interface Session { accountId: string; roleArn: string; sessionName: string; token: string; expiresAt: number; roleName: string }

const EC2_ACTIONS = new Set(['DescribeInstanceImageMetadata', 'DescribeInstances', 'DescribeRegions', 'GetAllowedImagesSettings', 'DescribeImageReferences', 'DescribeLaunchTemplateVersions', 'DescribeImages', ...PUBLISHER_ACTIONS]);
const ROLE_ARN_RE = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const XML_TYPE = 'text/xml;charset=UTF-8';
/** A `trickle` answer stops by itself (the connection is dropped) after this long. */
const TRICKLE_MAX_MS = 10 * 60 * 1000;

export class Emulator {
  readonly server: Server;
  readonly faults: FaultState;
  readonly stats: EmulatorStats = { requests: 0, byAction: {}, errors: {}, throttled: 0 };
  private readonly sessions = new Map<string, Session>();
  private readonly sockets = new Set<Socket>();
  /** Timers of `trickle` answers in progress (cleared when the client leaves and on close()). */
  private readonly trickles = new Set<NodeJS.Timeout>();
  private readonly pagingCursors = new Map<string, PagingCursor>();
  private readonly pagingSerial = { n: 0 };
  /** Signs the Organizations NextTokens this endpoint issues. */
  private readonly tokenKey = randomBytes(32);
  private counter = 0;
  /** The endpoint's now: see EmulatorOptions.clock. */
  private readonly now: () => number;
  /** When the endpoint was made, by its clock: the LastModifiedDate of public parameters that give none. */
  private readonly startMs: number;
  url = '';

  constructor(private readonly opts: EmulatorOptions) {
    this.now = opts.clock ?? fleetClock(opts.fleet);
    this.startMs = this.now();
    this.faults = new FaultState(opts.faults ?? {});
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get fleet(): Fleet {
    return this.opts.fleet;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (e: NodeJS.ErrnoException) => {
        const where = `${this.opts.host ?? '127.0.0.1'}:${this.opts.port ?? 0}`;
        if (e.code === 'EADDRINUSE') reject(new UserError(`--port: ${where} is already in use; stop what listens there or choose another port (0 picks a free one)`));
        else if (e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') reject(new UserError(`--host/--port: cannot listen on ${where} (${e.code})`));
        else reject(e);
      });
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    this.url = `http://${host}:${a.port}`;
    return this.url;
  }

  /** How many `trickle` answers are still sending. */
  get trickling(): number {
    return this.trickles.size;
  }

  async close(): Promise<void> {
    for (const t of this.trickles) clearInterval(t);
    this.trickles.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private account(id: string): FleetAccount | undefined {
    return this.opts.fleet.accounts.find((a) => a.accountId === id);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method === 'GET' && req.url === '/_emulator/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.stats));
      return;
    }
    const requestId = randomUUID();
    // The Query protocols take parameters in a form-encoded POST body or in the query string;
    // JSON 1.1 (Organizations) takes a JSON body and names the action in X-Amz-Target.
    const query = new URL(req.url ?? '/', 'http://local').searchParams;
    // SigV4 from the Authorization header, or from a presigned request's X-Amz-Credential.
    const credential = req.headers.authorization ?? (query.get('X-Amz-Credential') ? `Credential=${query.get('X-Amz-Credential')}` : '');
    const scope = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(credential);
    const target = String(req.headers['x-amz-target'] ?? '');
    const service: Service = scope?.[3] === 'sts' ? 'sts'
      : scope?.[3] === 'autoscaling' ? 'autoscaling'
        : scope?.[3] === 'ssm' || (!scope && target.startsWith(SSM_TARGET_PREFIX)) ? 'ssm'
          : scope?.[3] === 'organizations' || (!scope && target.startsWith(ORGANIZATIONS_TARGET_PREFIX)) ? 'organizations' : 'ec2';
    const json = service === 'organizations' || service === 'ssm';
    const params = json ? new URLSearchParams() : req.method === 'GET' ? query : new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const prefix = service === 'ssm' ? SSM_TARGET_PREFIX : ORGANIZATIONS_TARGET_PREFIX;
    const action = json ? (target.startsWith(prefix) ? target.slice(prefix.length) : target) : params.get('Action') ?? '';
    // Organizations is global (signed in us-east-1); any region in its scope is accepted.
    const region = scope?.[2] ?? 'us-east-1';
    const contentTypeOf = json ? ORGANIZATIONS_CONTENT_TYPE : XML_TYPE;
    const send = (status: number, body: string, contentType = contentTypeOf, headers: Record<string, string> = {}): void => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(body), ...headers }).end(body);
    };
    const fail = (code: string, message: string, status = statusFor(code), extra: Record<string, string> = {}): void => {
      this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
      if (json) send(status, jsonError(code, message, extra), ORGANIZATIONS_CONTENT_TYPE, { 'x-amzn-ErrorType': code });
      else send(status, queryError(service, code, message, requestId, status));
    };
    this.stats.requests += 1;
    this.stats.byAction[action] = (this.stats.byAction[action] ?? 0) + 1;

    if (!scope) {
      if (service === 'sts') fail('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
      else if (json) fail('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      else fail('AuthFailure', 'AWS was not able to validate the provided access credentials');
      return;
    }
    const accessKey = scope[1]!;
    const session = this.sessions.get(accessKey);
    const accountId = session?.accountId ?? this.opts.fleet.caller.accountId;
    const ctx: CallContext = { service, action, account: accountId, region };

    const delay = (this.opts.latencyMs ?? 0) + this.faults.latency(ctx);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay).unref());

    if (session) {
      if ((req.headers['x-amz-security-token'] ?? query.get('X-Amz-Security-Token')) !== session.token) {
        if (json) fail('UnrecognizedClientException', 'The security token included in the request is invalid.');
        else if (service === 'autoscaling') fail('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
        else fail(service === 'sts' ? 'InvalidClientTokenId' : 'AuthFailure', service === 'sts' ? 'The security token included in the request is invalid.' : 'AWS was not able to validate the provided access credentials');
        return;
      }
      // credentials expire by the wall clock, which is the SDK's: see sts()
      if (Date.now() >= session.expiresAt) {
        if (service === 'sts') fail('ExpiredToken', 'The security token included in the request is expired');
        else if (service === 'autoscaling') fail('ExpiredToken', 'The security token included in the request is expired', 403);
        else if (json) fail('ExpiredTokenException', 'The security token included in the request is expired');
        else fail('RequestExpired', 'Request has expired.');
        return;
      }
    }

    const fault = this.faults.fault(ctx);
    if (fault) {
      const kind = fault.kind ?? 'error';
      if (kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (kind === 'hang') return; // never answers; the client's read timeout ends it
      if (kind === 'malformed') {
        send(200, json ? '<<<this is not JSON>>>' : '<<<this is not XML>>>');
        return;
      }
      if (kind === 'raw') {
        send(fault.status ?? 200, String(fault.body ?? '').replaceAll('{action}', action).replaceAll('{requestId}', requestId), fault.contentType ?? contentTypeOf);
        return;
      }
      if (kind === 'empty') {
        send(200, '');
        return;
      }
      if (kind === 'wrong-root') {
        send(200, wrongRoot(service, action, requestId));
        return;
      }
      if (kind === 'error-200') {
        const code = fault.error ?? (json ? 'ServiceException' : service === 'autoscaling' ? 'InternalFailure' : 'InternalError');
        this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1;
        const message = fault.message ?? defaultMessage(code, ctx);
        send(200, json ? jsonError(code, message) : queryError(service, code, message, requestId, statusFor(code)));
        return;
      }
      if (kind === 'echo-auth') {
        fail(fault.error ?? 'SignatureDoesNotMatch', signatureMessage(req, Buffer.concat(chunks), region, service, fault), fault.status ?? 403);
        return;
      }
      if (kind === 'trickle') {
        this.trickle(req, res, fault, service, action, requestId);
        return;
      }
      if (kind === 'truncated') {
        const body = json ? '{"Accounts":[{"Id":"1'
          : service === 'autoscaling' ? `${XML_DECL}<${action}Response xmlns="${AUTOSCALING_NS}"><${action}Result><AutoScalingGroups><member><AutoScalingGroupName>web-`
            : `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId><instanceImageMetadataSet><item><instanceId>i-0`;
        res.writeHead(200, { 'content-type': contentTypeOf, 'content-length': Buffer.byteLength(body) + 200 });
        res.write(body);
        setTimeout(() => req.socket.destroy(), 5);
        return;
      }
      fail(fault.error!, fault.message ?? defaultMessage(fault.error!, ctx), fault.status ?? statusFor(fault.error!));
      return;
    }

    try {
      if (service === 'sts') send(200, stsResponse(action, requestId, this.sts(action, params, accountId, session)));
      else if (service === 'autoscaling') {
        const account = this.account(accountId);
        const status = optInStatus(this.opts.fleet, account, region);
        if (status === null || status === 'not-opted-in') throw new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
        if (!this.faults.take(ctx)) {
          this.stats.throttled += 1;
          throw new ApiError('Throttling', 'Rate exceeded');
        }
        send(200, autoscalingResponse(action, requestId, autoscalingCall({ account, accountId, region, action, params })));
      } else if (service === 'ssm') {
        if (!target.startsWith(SSM_TARGET_PREFIX) || !SSM_ACTIONS.has(action)) throw new SsmError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`);
        if (!this.faults.take(ctx)) {
          this.stats.throttled += 1;
          throw new SsmError('ThrottlingException', 'Rate exceeded');
        }
        let input: unknown;
        try {
          const text = Buffer.concat(chunks).toString('utf8').trim();
          input = text ? JSON.parse(text) : {};
        } catch {
          throw new SsmError('SerializationException', 'The request body is not valid JSON');
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SsmError('SerializationException', 'The request body must be a JSON object');
        send(200, JSON.stringify(ssmCall(this.opts.fleet, region, action, input as Record<string, unknown>, this.startMs)));
      } else if (json) {
        if (!target.startsWith(ORGANIZATIONS_TARGET_PREFIX) || !ORGANIZATIONS_ACTIONS.has(action)) {
          throw new OrganizationsError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`);
        }
        if (!this.faults.take(ctx)) {
          this.stats.throttled += 1;
          throw new OrganizationsError('TooManyRequestsException', organizationsMessage('TooManyRequestsException')!);
        }
        let input: unknown;
        try {
          const text = Buffer.concat(chunks).toString('utf8').trim();
          input = text ? JSON.parse(text) : {};
        } catch {
          throw new OrganizationsError('SerializationException', 'The request body is not valid JSON');
        }
        if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new OrganizationsError('SerializationException', 'The request body must be a JSON object');
        const out = organizationsCall({ fleet: this.opts.fleet, action, input: input as Record<string, unknown>, callerAccountId: accountId, tokenKey: this.tokenKey });
        // a `moveAccount` rule: the account moves once this call is answered (a move during a walk)
        const move = this.faults.move(ctx);
        if (move) moveMember(this.opts.fleet, move.moveAccount!, move.toParent!);
        send(200, JSON.stringify(out));
      } else {
        if (!EC2_ACTIONS.has(action)) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
        if (params.get('Version') !== '2016-11-15') throw new ApiError('InvalidParameterValue', `Version ${params.get('Version') ?? '(none)'} is not supported; expected 2016-11-15`);
        const account = this.account(accountId);
        const status = optInStatus(this.opts.fleet, account, region);
        if (status === null || status === 'not-opted-in') throw new ApiError('AuthFailure', 'AWS was not able to validate the provided access credentials');
        if (!this.faults.take(ctx)) {
          this.stats.throttled += 1;
          throw new ApiError('RequestLimitExceeded', 'Request limit exceeded.');
        }
        if (params.get('DryRun') === 'true') throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
        const paging = this.faults.paging(ctx)?.paging;
        const call: Ec2Call = {
          account, accountId, region, params, disruptedZones: this.faults.disruptedZones(accountId, region), flip: (this.counter++ & 1) === 1,
          paging: paging ? { mode: paging, cursors: this.pagingCursors, serial: this.pagingSerial } : undefined,
          regionsFault: this.faults.regions(ctx) ?? undefined,
        };
        let body: string;
        if (action === 'DescribeInstanceImageMetadata') body = describeInstanceImageMetadata(call);
        else if (action === 'DescribeInstances') body = describeInstances(call);
        else if (action === 'DescribeRegions') body = describeRegions(this.opts.fleet, call);
        else if (action === 'DescribeImageReferences') body = describeImageReferences(call);
        else if (action === 'DescribeLaunchTemplateVersions') body = describeLaunchTemplateVersions(call);
        else if (action === 'DescribeImages') body = describeImages(this.opts.fleet, call, this.now());
        else if (PUBLISHER_ACTIONS.includes(action)) body = publisherAction(this.opts.fleet, action, call, this.now());
        else body = getAllowedImagesSettings(call);
        send(200, ec2Response(action, requestId, body));
      }
    } catch (e) {
      if (e instanceof OrganizationsError) fail(e.code, e.message, e.status ?? statusFor(e.code), e.extra);
      else if (e instanceof SsmError) fail(e.code, e.message, e.status);
      else if (e instanceof ApiError) fail(e.code, e.message, e.status ?? statusFor(e.code));
      else if (service === 'ssm') fail('InternalServerError', 'An internal error has occurred', 500);
      else fail(service === 'sts' || service === 'autoscaling' ? 'InternalFailure' : json ? 'ServiceException' : 'InternalError', json ? organizationsMessage('ServiceException')! : 'An internal error has occurred', 500);
    }
  }

  /**
   * Sends status 200 and the headers of a plausible answer, then one byte of it every
   * `intervalMs` until the client leaves; drops the connection after TRICKLE_MAX_MS at the latest.
   * The body is long enough never to complete within that time.
   */
  private trickle(req: IncomingMessage, res: ServerResponse, fault: FaultRule, service: Service, action: string, requestId: string): void {
    const interval = Math.max(1, fault.intervalMs ?? 1000);
    const padding = ' '.repeat(Math.max(4096, Math.ceil(TRICKLE_MAX_MS / interval) + 2));
    const text = service === 'organizations' || service === 'ssm' ? `{${padding}}` : service === 'sts' ? stsResponse(action, requestId, padding)
      : service === 'autoscaling' ? autoscalingResponse(action, requestId, padding) : ec2Response(action, requestId, padding);
    const body = Buffer.from(text, 'utf8');
    res.writeHead(200, { 'content-type': service === 'organizations' || service === 'ssm' ? ORGANIZATIONS_CONTENT_TYPE : XML_TYPE, 'x-amzn-requestid': requestId, 'content-length': body.length });
    res.flushHeaders();
    const started = performance.now();
    let sent = 0;
    const stop = (): void => {
      clearInterval(timer);
      this.trickles.delete(timer);
    };
    const timer = setInterval(() => {
      if (res.destroyed || res.writableEnded) return stop();
      if (performance.now() - started >= TRICKLE_MAX_MS || sent >= body.length - 1) {
        stop();
        req.socket.destroy();
        return;
      }
      res.write(body.subarray(sent, sent + 1));
      sent += 1;
    }, interval);
    timer.unref();
    this.trickles.add(timer);
    res.once('close', stop);
  }

  private sts(action: string, params: URLSearchParams, accountId: string, session: Session | undefined): string {
    if (params.get('Version') !== '2011-06-15') throw new ApiError('InvalidAction', `Could not find operation ${action} for version ${params.get('Version') ?? 'NO_VERSION_SPECIFIED'}`);
    const callerArn = session ? `arn:aws:sts::${session.accountId}:assumed-role/${session.roleName}/${session.sessionName}` : this.opts.fleet.caller.arn ?? `arn:aws:iam::${accountId}:user/ami-audit`;
    if (action === 'GetCallerIdentity') {
      const userId = session ? `AROA${session.accountId.slice(0, 8)}EXAMPLE:${session.sessionName}` : `AIDA${accountId}EXAMPLE`;
      return `${el('Arn', callerArn)}${el('UserId', userId)}${el('Account', accountId)}`;
    }
    if (action !== 'AssumeRole') throw new ApiError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    const roleArn = params.get('RoleArn') ?? '';
    const sessionName = params.get('RoleSessionName') ?? '';
    const m = ROLE_ARN_RE.exec(roleArn);
    if (!m) throw new ApiError('ValidationError', `${roleArn || 'RoleArn'} is invalid`);
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) throw new ApiError('ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
    const duration = params.has('DurationSeconds') ? Number(params.get('DurationSeconds')) : 3600;
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
      throw new ApiError('ValidationError', `1 validation error detected: Value '${params.get('DurationSeconds')}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
    }
    const target = this.account(m[1]!);
    const roleName = m[2]!;
    const denied = `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
    if (!target || target.assumable === false) throw new ApiError('AccessDenied', denied);
    if (target.roleNames && !target.roleNames.includes(roleName)) throw new ApiError('AccessDenied', denied);
    if (target.externalId !== undefined && params.get('ExternalId') !== target.externalId) throw new ApiError('AccessDenied', denied);
    const lifetime = Math.min(duration, this.faults.plan.credentialLifetimeSeconds ?? Infinity);
    const accessKeyId = 'ASIA' + randomBytes(10).toString('hex').toUpperCase().slice(0, 16);
    const secret = randomBytes(30).toString('base64');
    const token = 'FwoGZXIvYXdzE' + randomBytes(48).toString('base64');
    // by the wall clock, not the fleet's: the SDK renews credentials by comparing their Expiration
    // with its own clock (the `clockSkewSeconds` fault is how a skewed endpoint is played)
    const expiresAt = Date.now() + lifetime * 1000;
    this.sessions.set(accessKeyId, { accountId: m[1]!, roleArn, sessionName, token, expiresAt, roleName });
    return `<AssumedRoleUser><Arn>arn:aws:sts::${m[1]}:assumed-role/${roleName}/${sessionName}</Arn><AssumedRoleId>AROA${m[1]!.slice(0, 8)}EXAMPLE:${sessionName}</AssumedRoleId></AssumedRoleUser>`
      + `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${token}</SessionToken><Expiration>${new Date(expiresAt - (this.faults.plan.clockSkewSeconds ?? 0) * 1000).toISOString()}</Expiration></Credentials>`;
  }
}

function defaultMessage(code: string, c: CallContext): string {
  if (c.service === 'ssm' && code === 'AccessDeniedException') return `User is not authorized to perform: ssm:${c.action} on resource: arn:aws:ssm:${c.region}::parameter/aws/service/*`;
  const org = organizationsMessage(code);
  if (org) return org;
  switch (code) {
    case 'UnauthorizedOperation': return `You are not authorized to perform this operation. User is not authorized to perform: ec2:${c.action}`;
    case 'AccessDenied': return `User is not authorized to perform: ${c.service === 'autoscaling' ? 'autoscaling' : 'sts'}:${c.action}`;
    case 'ThrottlingException': return 'Rate exceeded';
    case 'Throttling': return 'Rate exceeded';
    case 'AuthFailure': return 'AWS was not able to validate the provided access credentials';
    case 'RequestLimitExceeded': return 'Request limit exceeded.';
    case 'Unavailable': case 'ServiceUnavailable': return 'The service is unavailable. Please try again shortly.';
    default: return 'An internal error has occurred';
  }
}

/** A Query-protocol error body in the service's format (EC2 `<Response><Errors>`, STS and Auto Scaling `<ErrorResponse>`). */
function queryError(service: Service, code: string, message: string, requestId: string, status: number): string {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  if (service === 'sts') return stsError(code, message, requestId, type);
  if (service === 'autoscaling') return autoscalingError(code, message, requestId, type);
  return ec2Error(code, message, requestId);
}

/** An Organizations (JSON 1.1) error body. */
function jsonError(code: string, message: string, extra: Record<string, string> = {}): string {
  return JSON.stringify({ __type: code, Message: message, ...extra });
}

/** A well-formed answer of another action (a `wrong-root` fault). */
function wrongRoot(service: Service, action: string, requestId: string): string {
  if (service === 'organizations') return action === 'ListRoots' ? '{"Accounts":[]}' : '{"Roots":[]}';
  if (service === 'ssm') return '{"Accounts":[]}';
  if (service === 'sts') return stsResponse(action === 'GetSessionToken' ? 'GetCallerIdentity' : 'GetSessionToken', requestId, '');
  if (service === 'autoscaling') return autoscalingResponse(action === 'DescribeLaunchConfigurations' ? 'DescribeAutoScalingGroups' : 'DescribeLaunchConfigurations', requestId, '');
  if (action === 'DescribeInstances') return ec2Response('DescribeInstanceImageMetadata', requestId, '<instanceImageMetadataSet/>');
  return `${XML_DECL}<DescribeInstancesResponse xmlns="${EC2_NS}"><requestId>${requestId}</requestId><reservationSet/></DescribeInstancesResponse>`;
}

/**
 * The message of an `echo-auth` fault: like AWS's signature errors, it quotes the canonical
 * request, here with every header received, Authorization and X-Amz-Security-Token included.
 */
function signatureMessage(req: IncomingMessage, body: Buffer, region: string, service: string, fault: FaultRule): string {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers = Object.entries(req.headers)
    .map(([k, v]) => [k.toLowerCase(), (Array.isArray(v) ? v.join(',') : v ?? '').trim().replace(/\s+/g, ' ')] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const query = [...url.searchParams].sort().map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const canonical = [req.method ?? 'POST', url.pathname, query, ...headers.map(([k, v]) => `${k}:${v}`), '', headers.map(([k]) => k).join(';'), createHash('sha256').update(body).digest('hex')].join('\n');
  const date = String(req.headers['x-amz-date'] ?? '');
  const stringToSign = ['AWS4-HMAC-SHA256', date, `${date.slice(0, 8)}/${region}/${service}/aws4_request`, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const intro = fault.message ?? 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
  return `${intro}\n\nThe Canonical String for this request should have been\n'${canonical}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`;
}

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const e = new Emulator(opts);
  await e.listen();
  return e;
}
