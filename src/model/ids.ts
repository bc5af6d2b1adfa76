/** What AWS ids and names look like, and the region of a zone: one definition for every layer. */

export const ACCOUNT_ID_RE = /^\d{12}$/;
/** The one string order of the project (code units, as Array.prototype.sort without a comparator). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An AWS Organizations OU id, as the API documents its pattern. */
export const OU_ID_RE = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
/** Instance ids as the API issues them: i- and 8 or 17 hexadecimal digits (what --instance-ids takes). */
/** An AMI id as EC2 issues it (8 or 17 hex digits; the older and newer formats, and the lengths between that fleets use). */
export const AMI_ID_RE = /^ami-[0-9a-f]{8,17}$/;
export const INSTANCE_ID_RE = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
/**
 * Instance ids as records may hold them: also the documentation's examples (i-1234567890EXAMPLE),
 * which dumps made from those pages carry.
 */
export const RECORD_INSTANCE_ID_RE = /^i-[0-9A-Za-z]{1,64}$/;

/** The account id an IAM or STS ARN (a role, an assumed role, a user) belongs to; null for anything else. */
export function accountOfArn(arn: string | null | undefined): string | null {
  return /^arn:aws[a-z-]*:(?:sts|iam)::(\d{12}):/.exec(arn ?? '')?.[1] ?? null;
}

/** The region of an Availability Zone, Local Zone or Wavelength Zone name. */
export function regionOfZone(zone: string | undefined): string | null {
  const m = /^([a-z]{2}(?:-[a-z]+)+-\d+)/.exec(zone ?? '');
  return m ? m[1]! : null;
}

const DIRECTIONS = new Map(Object.entries({ e: 'east', w: 'west', n: 'north', s: 'south', c: 'central', ne: 'northeast', nw: 'northwest', se: 'southeast', sw: 'southwest' }));

/** The region of a zone id (use1-az4 -> us-east-1, apse2-az1 -> ap-southeast-2, usw2-lax1-az1 -> us-west-2). */
export function regionOfZoneId(zoneId: string | undefined): string | null {
  const m = /^([a-z]{2}|usg)(ne|nw|se|sw|[ewnsc])(\d+)-/.exec(zoneId ?? '');
  if (!m) return null;
  const head = m[1] === 'usg' ? 'us-gov' : m[1]!;
  return `${head}-${DIRECTIONS.get(m[2]!)}-${m[3]}`;
}
