/**
 * Region names: which ones some AWS partition knows (from the SDK's own partition data, the list
 * its endpoint resolution uses), and a usage error naming the closest real region for one that
 * none knows, so that a typo such as us-east-7 never becomes a run that reports nothing.
 */
import { partition } from '@aws-sdk/core/client';
import { closest } from 'fastest-levenshtein';
import { UserError } from '../model/errors.js';
import { REGION_RE } from './filters.js';

const PREFIXES = ['us', 'eu', 'ap', 'sa', 'ca', 'me', 'af', 'il', 'mx', 'cn', 'us-gov', 'us-iso', 'us-isob', 'eu-isoe', 'us-isof', 'eusc-de'];
const DIRECTIONS = ['east', 'west', 'north', 'south', 'central', 'northeast', 'northwest', 'southeast', 'southwest'];

let known: string[] | null = null;

/**
 * Every region name the SDK's partition data lists. The SDK exposes a lookup, not the list, so
 * the list is the set of well-formed names the lookup describes (it describes known regions only;
 * others it merely matches by pattern).
 */
export function knownRegions(): string[] {
  if (known) return known;
  const out: string[] = [];
  for (const p of PREFIXES) {
    for (const d of DIRECTIONS) {
      for (let n = 1; n <= 12; n++) {
        const name = `${p}-${d}-${n}`;
        if ('description' in partition(name)) out.push(name);
      }
    }
  }
  known = out.sort();
  return known;
}

/** The partition a region belongs to (aws, aws-cn, aws-us-gov, aws-iso, ...), for the ARNs built in it. */
export function partitionOf(region: string): string {
  return partition(region).name;
}

export function isKnownRegion(name: string): boolean {
  return REGION_RE.test(name) && 'description' in partition(name);
}

/** Refuses a region name that no partition knows, naming the closest real one. */
export function checkRegionNames(option: string, names: readonly string[]): void {
  for (const name of names) {
    if (isKnownRegion(name)) continue;
    const near = closest(name, knownRegions());
    throw new UserError(`${option}: "${name}" is not a region any AWS partition knows; did you mean ${near}?`);
  }
}
