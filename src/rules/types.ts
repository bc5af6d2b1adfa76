/** What a rule is: metadata beside one pure function of an instance record and the context. */
import type { DateTime } from 'luxon';
import type { AllowedImagesState, InstanceRecord, Severity } from '../model/types.js';

export interface ParsedDate {
  raw: string;
  /** null when the raw value is not a valid ISO 8601 date. */
  at: DateTime | null;
  /** The same instant in epoch milliseconds, for cheap comparisons. */
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
  /** No ImageMetadata, or nothing in it but the ImageId: unverifiable-ami speaks for it alone. */
  bare: boolean;
}

export interface RuleContext {
  asOf: DateTime;
  /** asOf in epoch milliseconds. */
  asOfMs: number;
  options: Record<string, unknown>;
  trustedAccounts: ReadonlySet<string>;
  trustedOwnerAliases: ReadonlySet<string>;
  /** Formats a date for messages: ISO 8601 UTC to the second. */
  fmt: (d: DateTime) => string;
}

export interface RuleHit {
  message: string;
  /** Overrides the rule's default severity for this hit (e.g. not-allowed under audit-mode). */
  severity?: Severity;
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
}

export interface Rule {
  meta: RuleMeta;
  evaluate(view: RecordView, ctx: RuleContext): RuleHit[];
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
