/**
 * The publisher view of a report (`ami-audit images`): the organisation the owned AMIs are judged
 * against, their consumers named with what the run knows of each account, and the order the
 * report lists them in, the blast radius first. Pure.
 */
import type { AccountInfo, Inventory, OwnedImage } from '../model/types.js';
import type { OrganizationView } from '../rules/types.js';
import { cmp } from '../model/ids.js';

/** With --org, its id and member accounts; without, the run's accounts (audited, or named in the config). */
export function organizationOf(inventory: Pick<Inventory, 'run' | 'accounts'>): OrganizationView {
  const org = inventory.run.options.organization as { id?: string } | undefined;
  const members = new Set<string>((inventory.accounts ?? []).map((a) => a.accountId));
  if (!org?.id) for (const a of inventory.run.accounts) members.add(a);
  return { id: org?.id ?? null, members };
}

/** Consumer accounts that use the AMI (with instances or launch templates), when its usage is known. */
export function consumerCount(img: OwnedImage): number {
  return img.usage?.status === 'known' ? img.usage.consumers.filter((c) => c.instances + c.launchTemplates > 0).length : 0;
}

/**
 * The owned AMIs as the report holds them: each consumer with inOrganization, name and OU path,
 * sorted by blast radius (consumer accounts, then instances, most first), then account, region, id.
 */
export function publisherView(images: readonly OwnedImage[], org: OrganizationView, accounts: readonly AccountInfo[]): OwnedImage[] {
  const info = new Map(accounts.map((a) => [a.accountId, a]));
  const out = images.map((img): OwnedImage => (img.usage ? {
    ...img,
    usage: {
      ...img.usage,
      consumers: img.usage.consumers.map((c) => ({
        accountId: c.accountId, instances: c.instances, launchTemplates: c.launchTemplates, inOrganization: org.members.has(c.accountId),
        name: info.get(c.accountId)?.name ?? null, ouPath: info.get(c.accountId)?.ouPath ?? null,
      })),
    },
  } : img));
  const instances = (i: OwnedImage): number => (i.usage?.status === 'known' ? i.usage.consumers.reduce((n, c) => n + c.instances, 0) : 0);
  return out.sort((a, b) => consumerCount(b) - consumerCount(a) || instances(b) - instances(a)
    || cmp(a.accountId, b.accountId) || cmp(a.region, b.region) || cmp(a.imageId, b.imageId));
}
