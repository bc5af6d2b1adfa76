/**
 * The accounts file of a sharded run: `scan --org --discover-only` discovers the organisation once
 * and writes its accounts (ids, names, OU paths, states) here; every `scan --accounts-file FILE
 * --shard K/N` then takes its accounts from the same file, so that an account joining or leaving
 * the organisation between the shards' starts cannot give the shards different account lists.
 * The shards' fingerprint covers the file's digest. Pure: the CLI reads and writes the file.
 */
import { createHash } from 'node:crypto';
import type { AccountInfo } from '../model/types.js';
import { UserError } from '../model/errors.js';
import { ACCOUNT_ID_RE, cmp, OU_ID_RE } from '../model/ids.js';
import { canonicalJson } from '../rules/engine.js';

export const ACCOUNTS_FILE_KIND = 'ami-audit-accounts';
export const ACCOUNTS_FILE_VERSION = 1;
/** The name --discover-only writes in the --out folder. */
export const ACCOUNTS_FILE_NAME = 'accounts.json';

/** An account as discovery found it: its OU ids too, so that --ou can be checked against the file. */
export interface FileAccount extends AccountInfo { ouIds: string[] }

export interface AccountsFile {
  kind: typeof ACCOUNTS_FILE_KIND;
  version: typeof ACCOUNTS_FILE_VERSION;
  /** When discovery ran (the clock of the run that wrote it). */
  discoveredAt: string;
  organizationId: string;
  managementAccountId: string;
  /** The OUs discovery was limited to (--ou); empty: the whole organisation. */
  ous: string[];
  /** Every account discovered, in any state, sorted by id. */
  accounts: FileAccount[];
}

/** The document --discover-only writes. */
export function accountsFileDoc(found: { organizationId: string; managementAccountId: string; accounts: readonly FileAccount[] }, ous: readonly string[], discoveredAt: string): AccountsFile {
  return {
    kind: ACCOUNTS_FILE_KIND, version: ACCOUNTS_FILE_VERSION, discoveredAt, organizationId: found.organizationId, managementAccountId: found.managementAccountId,
    ous: [...ous].sort(cmp),
    accounts: [...found.accounts].sort((a, b) => cmp(a.accountId, b.accountId)).map((a) => ({ accountId: a.accountId, name: a.name, ouPath: a.ouPath, state: a.state, ouIds: [...a.ouIds] })),
  };
}

export function renderAccountsFile(doc: AccountsFile): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The digest the shards' fingerprint covers: the file's content, whatever its layout. */
export function accountsFileDigest(doc: AccountsFile): string {
  return `sha256:${createHash('sha256').update(canonicalJson(doc)).digest('hex')}`;
}

const FIX = 'write it again with ami-audit scan --org --discover-only';

/** Reads and checks an accounts file's text: one line naming the file, the field and the fix on any problem. */
export function parseAccountsFile(file: string, text: string): AccountsFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserError(`--accounts-file ${file}: not JSON (${(e as Error).message.split('\n')[0]}); ${FIX}`);
  }
  const bad = (path: string, what: string): never => {
    throw new UserError(`--accounts-file ${file}: ${path}: ${what}; ${FIX}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) bad('(root)', 'expected an object');
  const d = doc as Record<string, unknown>;
  if (d.kind !== ACCOUNTS_FILE_KIND) bad('kind', `expected "${ACCOUNTS_FILE_KIND}" (this is not an accounts file of ami-audit)`);
  if (d.version !== ACCOUNTS_FILE_VERSION) bad('version', `expected ${ACCOUNTS_FILE_VERSION}`);
  for (const k of Object.keys(d)) if (!['kind', 'version', 'discoveredAt', 'organizationId', 'managementAccountId', 'ous', 'accounts'].includes(k)) bad(k, 'not a field of an accounts file');
  if (typeof d.discoveredAt !== 'string' || Number.isNaN(Date.parse(d.discoveredAt))) bad('discoveredAt', 'expected a date-time');
  if (typeof d.organizationId !== 'string' || !/^o-[a-z0-9]{10,32}$/.test(d.organizationId)) bad('organizationId', 'expected an organisation id such as o-a1b2c3d4e5');
  if (typeof d.managementAccountId !== 'string' || !ACCOUNT_ID_RE.test(d.managementAccountId)) bad('managementAccountId', 'expected a 12-digit account id');
  if (!Array.isArray(d.ous) || d.ous.some((o) => typeof o !== 'string' || !OU_ID_RE.test(o))) bad('ous', 'expected a list of OU ids such as ou-ab12-cd34ef56');
  if (!Array.isArray(d.accounts) || d.accounts.length === 0) bad('accounts', 'expected a list of at least one account');
  const seen = new Set<string>();
  (d.accounts as unknown[]).forEach((a, i) => {
    const at = `accounts[${i}]`;
    if (typeof a !== 'object' || a === null || Array.isArray(a)) bad(at, 'expected an object');
    const x = a as Record<string, unknown>;
    for (const k of Object.keys(x)) if (!['accountId', 'name', 'ouPath', 'state', 'ouIds'].includes(k)) bad(`${at}.${k}`, 'not a field of an account');
    if (typeof x.accountId !== 'string' || !ACCOUNT_ID_RE.test(x.accountId)) bad(`${at}.accountId`, 'expected a 12-digit account id');
    if (seen.has(x.accountId as string)) bad(`${at}.accountId`, `${x.accountId as string} is listed twice`);
    seen.add(x.accountId as string);
    for (const k of ['name', 'ouPath'] as const) if (x[k] !== null && typeof x[k] !== 'string') bad(`${at}.${k}`, 'expected a string or null');
    if (typeof x.state !== 'string' || !/^[A-Z_]{1,64}$/.test(x.state)) bad(`${at}.state`, 'expected an AWS Organizations state such as ACTIVE');
    if (!Array.isArray(x.ouIds) || x.ouIds.some((o) => typeof o !== 'string' || o.length === 0 || o.length > 100)) bad(`${at}.ouIds`, 'expected a list of OU and root ids');
  });
  return d as unknown as AccountsFile;
}
