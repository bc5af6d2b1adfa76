/**
 * The well-known publishers whose public AMIs a first run trusts (config `trustedPublishers`:
 * "default", the default, or "none"): the owner ids the major operating-system publishers publish
 * their images from. `trustedAccounts` adds to them; "none" leaves only `trustedAccounts`. Where
 * each id was checked, what kind of source confirmed it, and how to check it again:
 * docs/trusted-publishers.md.
 */

/**
 * What confirmed an owner id, strongest first: the publisher's own documentation naming the id,
 * the publisher's own published build code looking its images up by the id (where no documentation
 * page naming it was found), AWS's documentation naming it, or only independent public uses.
 */
export const PUBLISHER_EVIDENCE = ['publisher documentation', 'publisher code', 'AWS documentation', 'independent only'] as const;
export type PublisherEvidence = (typeof PUBLISHER_EVIDENCE)[number];

export interface Publisher {
  name: string;
  /** What the account publishes. */
  publishes: string;
  /** Owner ids in the commercial partition (aws). */
  ownerIds: readonly string[];
  /** The strongest kind of source the owner ids were checked against. */
  evidence: PublisherEvidence;
}

export const TRUSTED_PUBLISHERS: readonly Publisher[] = [
  { name: 'Amazon', publishes: 'Amazon Linux', ownerIds: ['137112412989'], evidence: 'publisher code' },
  { name: 'Amazon (Windows)', publishes: 'Windows Server with Microsoft licensing, published by AWS', ownerIds: ['801119661308'], evidence: 'independent only' },
  { name: 'Canonical', publishes: 'Ubuntu', ownerIds: ['099720109477'], evidence: 'publisher documentation' },
  { name: 'Red Hat', publishes: 'Red Hat Enterprise Linux', ownerIds: ['309956199498'], evidence: 'publisher documentation' },
  { name: 'SUSE', publishes: 'SUSE Linux Enterprise Server, SLE Micro', ownerIds: ['013907871322'], evidence: 'independent only' },
  { name: 'Debian', publishes: 'Debian 10 and later', ownerIds: ['136693071363'], evidence: 'independent only' },
  { name: 'Fedora Project', publishes: 'Fedora Cloud', ownerIds: ['125523088429'], evidence: 'independent only' },
];

/** The owner ids of the default publishers, sorted. */
export const TRUSTED_PUBLISHER_IDS: readonly string[] = [...new Set(TRUSTED_PUBLISHERS.flatMap((p) => p.ownerIds))].sort();

export const TRUSTED_PUBLISHERS_MODES = ['default', 'none'] as const;
export type TrustedPublishersMode = (typeof TRUSTED_PUBLISHERS_MODES)[number];
