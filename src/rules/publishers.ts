/**
 * The well-known publishers whose public AMIs a first run trusts (config `trustedPublishers`:
 * "default", the default, or "none"): the owner ids the major operating-system publishers publish
 * their images from. `trustedAccounts` adds to them; "none" leaves only `trustedAccounts`. Where
 * each id was checked, and how to check it again: docs/trusted-publishers.md.
 */
export interface Publisher {
  name: string;
  /** What the account publishes. */
  publishes: string;
  /** Owner ids in the commercial partition (aws). */
  ownerIds: readonly string[];
}

export const TRUSTED_PUBLISHERS: readonly Publisher[] = [
  { name: 'Amazon', publishes: 'Amazon Linux', ownerIds: ['137112412989'] },
  { name: 'Amazon (Windows)', publishes: 'Windows Server with Microsoft licensing, published by AWS', ownerIds: ['801119661308'] },
  { name: 'Canonical', publishes: 'Ubuntu', ownerIds: ['099720109477'] },
  { name: 'Red Hat', publishes: 'Red Hat Enterprise Linux', ownerIds: ['309956199498'] },
  { name: 'SUSE', publishes: 'SUSE Linux Enterprise Server, SLE Micro', ownerIds: ['013907871322'] },
  { name: 'Debian', publishes: 'Debian 10 and later', ownerIds: ['136693071363'] },
  { name: 'Fedora Project', publishes: 'Fedora Cloud', ownerIds: ['125523088429'] },
];

/** The owner ids of the default publishers, sorted. */
export const TRUSTED_PUBLISHER_IDS: readonly string[] = [...new Set(TRUSTED_PUBLISHERS.flatMap((p) => p.ownerIds))].sort();

export const TRUSTED_PUBLISHERS_MODES = ['default', 'none'] as const;
export type TrustedPublishersMode = (typeof TRUSTED_PUBLISHERS_MODES)[number];
