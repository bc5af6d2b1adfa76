/**
 * A large fleet as AWS CLI output (`aws ec2 describe-instance-image-metadata`, the shape
 * `report --input` reads), written as a stream so the test process never holds it: `instances`
 * instances over `accounts` accounts and five regions, on 200 AMIs of which every tenth is
 * deprecated, every twentieth (of the rest) deregistered, and the others current Amazon AMIs.
 * Deterministic: the same counts give the same bytes. Returns what a report of it must count.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface LargeFleet { instances: number; flagged: number; deprecated: number; deregistered: number }

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];
const AMAZON = '137112412989';

/** AMI k: deprecated (k % 10 === 0), deregistered (k % 20 === 5), else current. */
function image(k: number): Record<string, unknown> {
  const id = `ami-0${k.toString(16).padStart(16, '0')}`;
  if (k % 20 === 5) return { ImageId: id, State: 'deregistered' };
  const base = { ImageId: id, Name: `al2023-ami-2023.${k}.20260101.0-kernel-6.1-x86_64`, OwnerId: AMAZON, ImageOwnerAlias: 'amazon', State: 'available', CreationDate: '2026-01-01T00:00:00Z', IsPublic: true };
  return k % 10 === 0 ? { ...base, DeprecationTime: '2026-06-01T00:00:00Z' } : { ...base, DeprecationTime: '2028-01-01T00:00:00Z' };
}

export async function writeLargeFleet(path: string, instances: number, accounts = 100): Promise<LargeFleet> {
  const out = createWriteStream(path);
  const images = Array.from({ length: 200 }, (_, k) => JSON.stringify(image(k)));
  let deprecated = 0;
  let deregistered = 0;
  let piece = '{\n  "InstanceImageMetadata": [\n';
  for (let n = 0; n < instances; n++) {
    const k = ((Math.imul(n, 2654435761) >>> 8) & 0xffff) % 200;
    if (k % 20 === 5) deregistered += 1;
    else if (k % 10 === 0) deprecated += 1;
    const account = String(100000000000 + (n % accounts));
    const region = REGIONS[Math.floor(n / accounts) % REGIONS.length]!;
    piece += `    {"InstanceId":"i-0${n.toString(16).padStart(16, '0')}","InstanceType":"m7g.large","LaunchTime":"2026-02-01T00:00:00+00:00",`
      + `"AvailabilityZone":"${region}a","State":{"Code":16,"Name":"running"},"OwnerId":"${account}",`
      + `"Tags":[{"Key":"Name","Value":"svc-${(n * 31) % 9973}-web-${n}"},{"Key":"team","Value":"team-${n % 40}"}],"ImageMetadata":${images[k]}}${n < instances - 1 ? ',' : ''}\n`;
    if (piece.length > 1 << 20) {
      if (!out.write(piece)) await once(out, 'drain');
      piece = '';
    }
  }
  out.end(`${piece}  ]\n}\n`);
  await once(out, 'finish');
  return { instances, flagged: deprecated + deregistered, deprecated, deregistered };
}
