/**
 * AWS Systems Manager (AWS JSON 1.1, `X-Amz-Target: AmazonSSM.<Op>`) for the public parameters that
 * name the latest AMI of each family (`/aws/service/...`): GetParameters and GetParametersByPath,
 * answered from the fleet's `publicParameters`. Every account sees the same public parameters.
 */
import type { Fleet } from './fleet.js';

export const SSM_TARGET_PREFIX = 'AmazonSSM.';
export const SSM_ACTIONS: ReadonlySet<string> = new Set(['GetParameters', 'GetParametersByPath']);

export class SsmError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

interface SsmParameter { Name: string; Type: 'String'; Value: string; Version: number; LastModifiedDate: number; ARN: string; DataType: 'aws:ec2:image' }

function partition(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}

function parametersIn(fleet: Fleet, region: string, startMs: number): Map<string, SsmParameter> {
  const out = new Map<string, SsmParameter>();
  for (const p of fleet.publicParameters ?? []) {
    if (p.regions && !p.regions.includes(region)) continue;
    out.set(p.name, {
      Name: p.name, Type: 'String', Value: p.imageId, Version: 1,
      LastModifiedDate: Math.floor((p.lastModified ? Date.parse(p.lastModified) : startMs) / 1000),
      // a public parameter's ARN has no account
      ARN: `arn:${partition(region)}:ssm:${region}::parameter${p.name}`, DataType: 'aws:ec2:image',
    });
  }
  return out;
}

const validation = (message: string): SsmError => new SsmError('ValidationException', message);

/** One SSM call; `input` is the parsed JSON body. */
export function ssmCall(fleet: Fleet, region: string, action: string, input: Record<string, unknown>, startMs: number): unknown {
  const params = parametersIn(fleet, region, startMs);
  if (action === 'GetParameters') {
    const names = input.Names;
    if (!Array.isArray(names) || names.length === 0 || names.length > 10 || !names.every((n) => typeof n === 'string' && n.length > 0 && n.length <= 2048)) {
      throw validation("1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1");
    }
    const found: SsmParameter[] = [];
    const invalid: string[] = [];
    for (const n of new Set(names as string[])) {
      const p = params.get(n);
      if (p) found.push(p);
      else invalid.push(n);
    }
    return { Parameters: found, InvalidParameters: invalid };
  }
  // GetParametersByPath
  const path = input.Path;
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > 2048) throw validation("1 validation error detected: Value at 'path' failed to satisfy constraint: Member must start with /");
  const max = input.MaxResults === undefined ? 10 : input.MaxResults;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 10) throw validation("1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10");
  const base = path.endsWith('/') ? path : `${path}/`;
  const recursive = input.Recursive === true;
  const all = [...params.values()].filter((p) => p.Name.startsWith(base) && (recursive || !p.Name.slice(base.length).includes('/'))).sort((a, b) => (a.Name < b.Name ? -1 : 1));
  let offset = 0;
  if (input.NextToken !== undefined) {
    const m = typeof input.NextToken === 'string' ? /^p(\d+)$/.exec(Buffer.from(input.NextToken, 'base64url').toString('utf8')) : null;
    if (!m || Number(m[1]) > all.length) throw validation('The NextToken is not valid.');
    offset = Number(m[1]);
  }
  const end = Math.min(all.length, offset + max);
  return { Parameters: all.slice(offset, end), ...(end < all.length ? { NextToken: Buffer.from(`p${end}`).toString('base64url') } : {}) };
}
