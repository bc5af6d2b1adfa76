/**
 * The successor records of a run (`--successors`), without the SDK: one record per flagged AMI and
 * region, how the records of a run's shares merge, and the run warning that counts failed lookups.
 */
import type { Successor, SuccessorRecord } from '../model/types.js';
import { cmp } from '../model/ids.js';

const RANK: Record<Successor['status'], number> = { found: 0, 'not-found': 1, 'not-looked-up': 2 };

export function pickSuccessor(list: { accountId: string; successor: Successor }[]): Successor {
  return [...list].sort((a, b) => RANK[a.successor.status] - RANK[b.successor.status] || cmp(a.accountId, b.accountId))[0]!.successor;
}

export function sortSuccessors(list: SuccessorRecord[]): SuccessorRecord[] {
  return list.sort((a, b) => cmp(a.flaggedImageId, b.flaggedImageId) || cmp(a.region, b.region));
}

/** Merges the successor records of several shares of a run (one per AMI and region, chosen as records() does). */
export function mergeSuccessors(lists: readonly SuccessorRecord[][]): SuccessorRecord[] {
  const by = new Map<string, { accountId: string; successor: Successor }[]>();
  for (const list of lists) {
    for (const r of list) {
      const k = `${r.region}|${r.flaggedImageId}`;
      by.set(k, [...(by.get(k) ?? []), { accountId: '', successor: r.successor }]);
    }
  }
  return sortSuccessors([...by].map(([k, l]) => {
    const [region, flaggedImageId] = k.split('|') as [string, string];
    return { region, flaggedImageId, successor: pickSuccessor(l) };
  }));
}

/** The run warning that counts the lookups that failed, by cause; null when none did. */
export function successorWarning(records: readonly SuccessorRecord[]): string | null {
  const failed = records.filter((r) => r.successor.status === 'not-looked-up');
  if (!failed.length) return null;
  const byCause = new Map<string, number>();
  for (const r of failed) {
    const cause = (r.successor.reason ?? '').replace(/^successor not looked up: /, '');
    byCause.set(cause, (byCause.get(cause) ?? 0) + 1);
  }
  const causes = [...byCause].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).map(([c, n]) => `${c}: ${n}`).join(', ');
  return `Successors not looked up for ${failed.length} flagged AMI${failed.length === 1 ? '' : 's'} x region (${causes}); the audit itself is complete. Grant the permissions in "ami-audit iam-policy --successors" or run again.`;
}
