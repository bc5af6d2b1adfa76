/** What a rule is: metadata beside one pure function of an instance record and the context. */
import type { AllowedImagesState, ControlRef, ImageConsumer, ImageCriterion, ImageReference, InstanceRecord, OwnedImage, Severity } from '../model/types.js';

export interface ParsedDate {
  raw: string;
  /** The instant in epoch milliseconds (UTC); null when the raw value is not a date by the strict parser (src/model/time.ts). */
  ms: number | null;
}

/** An instance record with its image facts normalised once for every rule. */
export interface RecordView {
  rec: InstanceRecord;
  /** The account the instance lives in (its OwnerId, else the scope's account). */
  instanceAccount: string;
  imageId: string | null;
  /** The AMI owner: ImageMetadata.OwnerId, or an ImageOwnerAlias that is really a 12-digit id. */
  imageOwner: string | null;
  /** A true alias (amazon, aws-marketplace, ...); a 12-digit "alias" is not one. */
  ownerAlias: string | null;
  state: string | null;
  deprecation: ParsedDate | null;
  creation: ParsedDate | null;
  allowedImagesState: AllowedImagesState;
  /** The region's Allowed AMIs criteria when they were read, else null. */
  allowedImagesCriteria: readonly ImageCriterion[] | null;
  /** Who manages them: account, declarative-policy; null when not read. */
  allowedImagesManagedBy: string | null;
  /** No ImageMetadata, or nothing in it but the ImageId: unverifiable-ami speaks for it alone. */
  bare: boolean;
  /**
   * The image State is deregistered or disabled: deregistered-ami or disabled-ami reports it, and
   * metadata the image no longer carries (CreationDate, owner, IsPublic) is explained by that state,
   * so rules do not report its absence as a second finding. Values it does report still count.
   */
  stateExplainsGaps: boolean;
}

export interface RuleContext {
  /** The as-of time in epoch milliseconds (UTC). */
  asOfMs: number;
  options: Record<string, unknown>;
  trustedAccounts: ReadonlySet<string>;
  trustedOwnerAliases: ReadonlySet<string>;
  /**
   * Formats a date for messages: YYYY-MM-DD at the start of a day (UTC), else ISO 8601 UTC to the
   * second. Messages say only what is specific to the finding: the image id and the as-of time are
   * columns of their own, so no message repeats them.
   */
  fmt: (ms: number) => string;
}

export interface RuleHit {
  message: string;
  /**
   * A state-dependent severity for this hit, different from the rule's base severity (e.g.
   * not-allowed under audit-mode). Absent: the base severity, which a config `severity` overrides.
   * Present: only `severityByState` for this hit's `state` overrides it.
   */
  severity?: Severity;
  /** The state this hit's severity depends on (a key of the rule's `severityStates`). */
  state?: string;
  /**
   * Why this hit fired, as a stable key (e.g. `deprecation-time`). Required on every hit of a rule
   * that can return more than one hit for one record, so each gets its own finding id; a hit
   * without one keeps the id formula of earlier versions (old baselines still match).
   */
  key?: string;
}

export interface RuleOption {
  type: 'integer';
  default: number;
  minimum: number;
  description: string;
}

export interface RuleMeta {
  id: string;
  title: string;
  description: string;
  severity: Severity;
  remediation: string;
  options?: Record<string, RuleOption>;
  /**
   * For a rule whose severity depends on a state: each state's default severity, `base` for the
   * states that take the rule's (overridable) base severity. The config may override each state
   * by name (`severityByState`).
   */
  severityStates?: Readonly<Record<string, Severity | 'base'>>;
  /**
   * The compliance controls the rule's findings speak to, from the table in src/rules/controls.ts
   * (framework, control id, title); every rule has at least one, and its docs/rules/<id>.md says
   * why each applies and cites the control's text ("Compliance").
   */
  controls: readonly ControlRef[];
  /**
   * What the rule says of the AMI: `lifecycle`, its publisher stopped maintaining it (deprecated,
   * deregistered, disabled, stale: the ASFF/OCSF type Patch Management), or `provenance`, where it
   * comes from and who may use it (AWS Security Best Practices).
   */
  category: 'lifecycle' | 'provenance';
  /**
   * An instance finding of this rule makes its AMI one whose references are looked up
   * (--references: launch templates, groups, parameters, recipes that would launch it again), and
   * a later run's resource findings about that AMI count as looked at only where it flagged it.
   * The collector's `flaggedImages` applies the same conditions to the metadata before the rules
   * run; a test keeps the two equal.
   */
  flagsImageForReferences?: boolean;
}

export interface Rule {
  meta: RuleMeta;
  evaluate(view: RecordView, ctx: RuleContext): RuleHit[];
  /**
   * For a rule whose subject is a resource that references an AMI (--references): the hits of one
   * reference, given the view of an instance record that carries the AMI's metadata.
   */
  evaluateReference?(ref: ImageReference, image: RecordView, ctx: RuleContext): RuleHit[];
  /** For a rule whose subject is an AMI an audited account owns (`ami-audit images`): the hits of one owned AMI. */
  evaluateOwnedImage?(image: OwnedImageView, ctx: RuleContext): RuleHit[];
}

/** The organisation an owned AMI's sharing and consumers are judged against. */
export interface OrganizationView {
  /** The organisation's id (o-...) with --org; null without (members are then the run's accounts). */
  id: string | null;
  /** Its member accounts (with --org), else the accounts the run audited or the config names. */
  members: ReadonlySet<string>;
}

/** An owned AMI with its facts normalised once for every rule. */
export interface OwnedImageView {
  image: OwnedImage;
  deprecation: ParsedDate | null;
  lastLaunched: ParsedDate | null;
  creation: ParsedDate | null;
  /** Deregistration protection is on (`enabled-with-cooldown`, `enabled-without-cooldown`). */
  protected: boolean;
  /** Public, or shared with any account, organisation or OU (true when the sharing could not be read and the image says it is public). */
  shared: boolean;
  /** The config allows it to be public (`allowedPublicImages`). */
  allowedPublic: boolean;
  organization: OrganizationView;
  /** Each launch permission that reaches outside the organisation, as a reader names it. */
  outsideShares: string[];
  /** Its consumers when its usage report was read (each with inOrganization), else null. */
  consumers: readonly ImageConsumer[] | null;
  /** Why its ancestry's root is flagged (deprecated, deregistered, an untrusted owner), or null; with the root's id. */
  flaggedRoot: { imageId: string; why: string } | null;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
