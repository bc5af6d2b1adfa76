/**
 * Strings the SDK's parser returns are often slices of the whole response text, so one surviving
 * field keeps its page's entire response alive. The collector stores flat copies instead, and one
 * copy of each repeated value (AMI ids and names, owners, types, zones, tag keys and values).
 */
export class Interner {
  private readonly seen = new Map<string, string>();

  /** A flat copy, shared by every equal value. */
  intern(s: string): string {
    let v = this.seen.get(s);
    if (v === undefined) {
      v = flat(s);
      this.seen.set(v, v);
    }
    return v;
  }
}

/** A copy that does not share storage with a larger string. */
export function flat(s: string): string {
  // Concatenating and cutting forces the engine to copy the characters into a new string.
  return (' ' + s).slice(1);
}
