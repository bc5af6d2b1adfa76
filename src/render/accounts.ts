/**
 * Account names and OU paths as the renderers show them beside account ids, from the report's
 * `accounts` (AWS Organizations with --org, or names in the config). Names and paths come from
 * outside: what this gives for display is one line, without control, escape or bidirectional
 * characters, and bounded; each format still escapes it its own way (HTML, Markdown, terminal).
 * The CSV takes the raw values (`rawName`, `rawOuPath`) and neutralises them itself.
 */
import type { AccountInfo, Report } from '../model/types.js';
import { cmp } from '../model/ids.js';
import { termSafe } from './sanitize.js';

/** Characters of an account name shown beside its id (Organizations allows 50; a config or an edited report may hold more). */
export const NAME_MAX = 64;
/** Characters of an OU path shown. */
export const OU_MAX = 160;

/** The AWS Organizations states an account is not audited in: every state but ACTIVE. */
const NOT_ACTIVE = new Set(['SUSPENDED', 'PENDING_CLOSURE', 'CLOSED', 'PENDING_ACTIVATION']);

/** Whether a skip reason is an account's Organizations state (the account was not audited), not a region's. */
export function isAccountState(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && NOT_ACTIVE.has(reason);
}

/** `123456789012 (payments-prod)`, or the id alone when the account has no name. */
export function accountLabel(accountId: string, name: string | null | undefined): string {
  return name ? `${accountId} (${name})` : accountId;
}

/** One line, no control or escape characters, at most `max` characters; null when nothing is left. */
export function display(value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const s = termSafe(value, Infinity).replace(/\s+/g, ' ').trim();
  if (!s) return null;
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

export interface AccountIndex {
  /** The account's name for display, or null. */
  name(accountId: string): string | null;
  /** The account's OU path for display (`Root/Workloads/Prod`), or null. */
  ouPath(accountId: string): string | null;
  /** The account's Organizations state, or null when not known. */
  state(accountId: string): string | null;
  /** `123456789012 (payments-prod)`, or the id alone. */
  label(accountId: string): string;
  /** `123456789012 (payments-prod, Root/Workloads/Prod)`: the label with the OU path, either left out when unknown. */
  labelWithOu(accountId: string): string;
  /** The name as the report holds it, for the CSV. */
  rawName(accountId: string): string | null;
  /** The OU path as the report holds it, for the CSV. */
  rawOuPath(accountId: string): string | null;
  /**
   * The OUs of the account, the root first, each as a key (the OU ids from the root, joined: one
   * OU whatever its name holds) and its path for display; null when it has no OU path. A report
   * written before `ouPathParts` existed splits the `ouPath` string as it did.
   */
  ouChain(accountId: string): { key: string; path: string }[] | null;
  /** The keys of ouChain. */
  ouKeys(accountId: string): string[] | null;
  /**
   * The choices of an OU filter: every OU of the report's accounts and the OUs above it, as paths
   * for display (sorted) and their keys (`keys[i]` is the OU shown as `paths[i]`), and whether
   * some account has no OU path.
   */
  ous(): { paths: string[]; keys: string[]; none: boolean };
}

/** The report's accounts by id. A report written before `accounts` existed knows none: every label is the id. */
export function accountIndex(report: Pick<Report, 'accounts'>): AccountIndex {
  const byId = new Map<string, AccountInfo>();
  for (const a of report.accounts ?? []) byId.set(a.accountId, a);
  const shown = new Map<string, { name: string | null; ouPath: string | null }>();
  const view = (id: string) => {
    let v = shown.get(id);
    if (!v) {
      const a = byId.get(id);
      v = { name: display(a?.name, NAME_MAX), ouPath: display(a?.ouPath, OU_MAX) };
      shown.set(id, v);
    }
    return v;
  };
  const chains = new Map<string, { key: string; path: string }[] | null>();
  const ouChain = (id: string) => {
    if (chains.has(id)) return chains.get(id)!;
    const a = byId.get(id);
    let chain: { key: string; path: string }[] | null = null;
    if (a?.ouPathParts?.length) {
      chain = a.ouPathParts.map((_, i, all) => ({
        key: all.slice(0, i + 1).map((x) => x.id).join('/'),
        path: display(all.slice(0, i + 1).map((x) => x.name).join('/'), OU_MAX) ?? '',
      }));
    } else if (view(id).ouPath !== null) {
      const parts = view(id).ouPath!.split('/');
      chain = parts.map((_, i) => ({ key: parts.slice(0, i + 1).join('/'), path: parts.slice(0, i + 1).join('/') }));
    }
    chains.set(id, chain);
    return chain;
  };
  return {
    ouChain,
    ouKeys: (id) => ouChain(id)?.map((x) => x.key) ?? null,
    name: (id) => view(id).name,
    ouPath: (id) => view(id).ouPath,
    state: (id) => byId.get(id)?.state ?? null,
    label: (id) => accountLabel(id, view(id).name),
    labelWithOu: (id) => {
      const { name, ouPath } = view(id);
      const parts = [name, ouPath].filter((x): x is string => x !== null);
      return parts.length ? `${id} (${parts.join(', ')})` : id;
    },
    rawName: (id) => byId.get(id)?.name ?? null,
    rawOuPath: (id) => byId.get(id)?.ouPath ?? null,
    ous: () => {
      const byKey = new Map<string, string>();
      let none = false;
      for (const id of byId.keys()) {
        const chain = ouChain(id);
        if (chain === null) {
          none = true;
          continue;
        }
        for (const x of chain) if (!byKey.has(x.key)) byKey.set(x.key, x.path);
      }
      const sorted = [...byKey.entries()].sort((a, b) => cmp(a[1], b[1]) || cmp(a[0], b[0]));
      return { paths: sorted.map(([, p]) => p), keys: sorted.map(([k]) => k), none: none || byId.size === 0 };
    },
  };
}
