/**
 * What a run's instance records share. Strings cut from a page's text are slices of it, so one
 * surviving field would keep its page's entire text alive: the collector stores flat copies, one
 * copy of each repeated value (AMI ids and names, owners, types, zones, tag keys), and one object
 * for each repeated sub-record (an AMI's metadata, an instance state, an operator, a tag). Records
 * are never modified once built, so sharing them is safe; only memory and time change.
 */
import type { Tag } from './types.js';

/** Entries a cache of shared sub-records holds at most: past that, new values are not shared. */
const MAX_SHARED = 65_536;
/** Occurrences of a tag key after which its values are judged unique (a Name tag) or repeated (a team tag). */
const TAG_SAMPLE = 256;

interface TagValues {
  /** Shared tags by value; null once the values proved mostly unique (then each record gets its own). */
  byValue: Map<string, Tag> | null;
  seen: number;
}

export class Interner {
  private readonly seen = new Map<string, string>();
  private readonly objects = new Map<string, Map<string, unknown>>();
  private sharedCount = 0;
  private readonly tags = new Map<string, TagValues>();
  private readonly keyless = new Map<string, Tag>();

  /** A flat copy, shared by every equal value. */
  intern(s: string): string {
    let v = this.seen.get(s);
    if (v === undefined) {
      v = flat(s);
      this.seen.set(v, v);
    }
    return v;
  }

  /**
   * The object built from `raw` (the text it was read from) of a kind: built once by `make` and
   * shared by every later occurrence of the same text. `make` returns undefined when what it read
   * may not be shared (then nothing is cached).
   */
  shared<T>(kind: string, raw: string, make: () => T | undefined, id = ''): T | undefined {
    let cache = this.objects.get(kind) as Map<string, { raw: string; value: T }[]> | undefined;
    if (!cache) this.objects.set(kind, (cache = new Map()));
    // found by a short id when there is one (an AMI's), the whole text compared: hashing a long
    // text costs more than comparing it
    const key = id || raw;
    const list = cache.get(key);
    if (list !== undefined) for (const e of list) if (e.raw === raw) return e.value;
    const v = make();
    if (v !== undefined && this.sharedCount < MAX_SHARED) {
      const entry = { raw: flat(raw), value: v };
      if (list) list.push(entry);
      else cache.set(id ? flat(id) : entry.raw, [entry]);
      this.sharedCount += 1;
    }
    return v;
  }

  /**
   * A tag. Tags whose values repeat (team, env) are shared objects; a key whose values prove
   * mostly unique (Name) gets a new tag with a flat copy of the value each time, and no cache.
   */
  tag(key: string | undefined, value: string | undefined): Tag {
    if (key === undefined) {
      // no value at all is not an empty value: the two are cached apart
      if (value === undefined) return {};
      let t = this.keyless.get(value);
      if (!t) {
        t = { Value: this.intern(value) };
        if (this.keyless.size < MAX_SHARED) this.keyless.set(t.Value!, t);
      }
      return t;
    }
    let tv = this.tags.get(key);
    if (!tv) {
      tv = { byValue: new Map(), seen: 0 };
      this.tags.set(this.intern(key), tv);
    }
    const k = this.intern(key);
    if (value === undefined) return { Key: k };
    if (tv.byValue === null) return { Key: k, Value: flat(value) };
    let t = tv.byValue.get(value);
    if (t === undefined) {
      t = { Key: k, Value: flat(value) };
      tv.byValue.set(t.Value!, t);
    }
    tv.seen += 1;
    if (tv.seen >= TAG_SAMPLE && tv.byValue.size * 2 > tv.seen) tv.byValue = null;
    else if (tv.byValue.size >= MAX_SHARED) tv.byValue = null;
    return t;
  }
}

/**
 * Below this length V8 copies the characters of a substring; from it on, a substring is a view of
 * the string it was cut from (a sliced string: 32 bytes more, and that string kept alive).
 */
const SLICE_MIN = 13;

/** A copy of its own: neither a view into a larger string nor a tree of pieces. */
export function flat(s: string): string {
  // A short cut is a copy. A longer one is copied through JSON, whose reader builds every string it
  // reads anew (lone surrogates included: the writer escapes them and the reader restores them).
  return s.length < SLICE_MIN ? (' ' + s).slice(1) : (JSON.parse(JSON.stringify(s)) as string);
}

/** Fields of an instance record whose values are the instance's own (not worth a cache entry). */
export const INSTANCE_OWN_VALUES: ReadonlySet<string> = new Set(['InstanceId', 'LaunchTime']);
/** The same of a finding (or its record in a saved report). */
export const FINDING_OWN_VALUES: ReadonlySet<string> = new Set(['id', 'instanceId', 'instanceName', 'message', 'firstSeenAt', 'lastSeenAt', 'dueAt', 'escalatedAt']);
/** Fields of an instance record whose few values repeat across a fleet: one object for each, as the collector shares them. */
const SHARED_PARTS: ReadonlySet<string> = new Set(['State', 'Operator']);

/**
 * An instance record (or a finding) read from a file (a saved report, AWS CLI output), rebuilt with
 * the collector's interner: the same keys in the same order, each string a flat copy shared by
 * every equal value (a string the JSON reader cut from its text would keep that whole piece of
 * text alive), tags through `tag()`, and the AMI's metadata one object for every record that has
 * the same (found by the AMI id, the whole metadata compared). Records are never modified once built.
 */
export function internRecord<T extends object>(rec: T, interner: Interner, own: ReadonlySet<string> = INSTANCE_OWN_VALUES): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    let value: unknown;
    if (typeof v === 'string') value = own.has(k) ? flat(v) : interner.intern(v);
    else if (k === 'Tags' && Array.isArray(v)) value = v.map((t: unknown) => (isPlainTag(t) ? interner.tag(t.Key, t.Value) : internValue(t, interner)));
    else if (k === 'ImageMetadata' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const id = (v as { ImageId?: unknown }).ImageId;
      value = interner.shared('record-image', JSON.stringify(v), () => internValue(v, interner), typeof id === 'string' ? id : '');
    } else if (SHARED_PARTS.has(k) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      // a state or an operator repeats across a fleet: one object for each (found by its whole text)
      value = interner.shared(`record-${k}`, JSON.stringify(v), () => internValue(v, interner));
    } else value = internValue(v, interner);
    setOwn(out, k, value);
  }
  return out as T;
}

const isPlainTag = (t: unknown): t is Tag => {
  if (t === null || typeof t !== 'object' || Array.isArray(t)) return false;
  const keys = Object.keys(t);
  // the shape tag() makes: Key then Value, both strings (either may be absent)
  return keys.every((k, i) => (k === 'Key' ? i === 0 : k === 'Value') && typeof (t as Record<string, unknown>)[k] === 'string');
};

/** A JSON value copied with its strings interned (and `__proto__` kept an own key, as JSON.parse does). */
function internValue(v: unknown, interner: Interner): unknown {
  if (typeof v === 'string') return interner.intern(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => internValue(x, interner));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) setOwn(out, k, internValue(x, interner));
  return out;
}

/** Sets a property the way JSON.parse does: a `__proto__` key is an own property, never the prototype. */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}
