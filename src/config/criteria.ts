/**
 * A proposed Allowed AMIs criteria set (`--criteria FILE`, config `criteria`): JSON in the shape
 * of the EC2 API's ImageCriteria (ReplaceImageCriteriaInAllowedImagesSettings, as the AWS CLI's
 * --cli-input-json takes it): `{"ImageCriteria": [{"ImageProviders": [...], "ImageNames": [...],
 * "MarketplaceProductCodes": [...], "CreationDateCondition": {"MaximumDaysSinceCreated": N},
 * "DeprecationTimeCondition": {"MaximumDaysSinceDeprecated": N}, "ImageWatermarks": [...]}]}`, or
 * the bare list. The limits are the API's (at most 10 criteria; 200 providers; 50 names of 1-128
 * characters; 50 product codes of 1-25 letters and digits; 50 watermark filters). A mistake is one
 * line naming the file, the field and what it must be (exit 2).
 */
import { ConfigError } from '../model/errors.js';
import type { ImageCriterion } from '../model/types.js';
import { readJsonFile } from '../io/files.js';

const PARAMS = ['ImageProviders', 'MarketplaceProductCodes', 'ImageNames', 'DeprecationTimeCondition', 'CreationDateCondition', 'ImageWatermarks'] as const;
const WATERMARK_KEYS: Record<string, 'string' | 'integer'> = { WatermarkKey: 'string', SourceImageRegion: 'string', MaximumDaysSinceSourceImageCreated: 'integer', MaximumDaysSinceWatermarkCreated: 'integer' };
const PROVIDER_RE = /^(amazon|aws-marketplace|aws-backup-vault|none|\d{12})$/;
const CODE_RE = /^[A-Za-z0-9]{1,25}$/;
const MAX_CRITERIA = 10;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The criteria of a parsed criteria document; `file` names it in errors. */
export function parseCriteria(doc: unknown, file: string): ImageCriterion[] {
  const fail = (path: string, expected: string): never => {
    throw new ConfigError(file, path, expected);
  };
  let list: unknown = doc;
  let at = '';
  if (isObject(doc)) {
    for (const k of Object.keys(doc)) if (k !== 'ImageCriteria') fail(k, 'unknown field: a criteria file holds ImageCriteria only (the shape of aws ec2 replace-image-criteria-in-allowed-images-settings --cli-input-json)');
    if (!('ImageCriteria' in doc)) fail('ImageCriteria', 'missing: give {"ImageCriteria": [ {"ImageProviders": ["amazon"]} ]}');
    list = doc.ImageCriteria;
    at = 'ImageCriteria';
  }
  if (!Array.isArray(list)) return fail(at, 'must be a list of image criteria (or an object with ImageCriteria)');
  if (list.length > MAX_CRITERIA) fail(at, `has ${list.length} criteria; Allowed AMIs takes at most ${MAX_CRITERIA}`);
  return list.map((raw, i) => {
    const p = `${at}[${i}]`;
    if (!isObject(raw)) return fail(p, 'must be an object with ImageProviders, ImageNames, MarketplaceProductCodes, CreationDateCondition, DeprecationTimeCondition or ImageWatermarks');
    for (const k of Object.keys(raw)) if (!(PARAMS as readonly string[]).includes(k)) fail(`${p}.${k}`, `unknown field: expected one of ${PARAMS.join(', ')}`);
    if (!PARAMS.some((k) => raw[k] !== undefined)) fail(p, 'specifies no parameter: give at least one of ImageProviders, ImageNames, MarketplaceProductCodes, CreationDateCondition, DeprecationTimeCondition, ImageWatermarks');
    const strings = (key: string, max: number, ok: (s: string) => boolean, what: string): string[] => {
      const v = raw[key];
      if (v === undefined) return [];
      if (!Array.isArray(v)) return fail(`${p}.${key}`, `must be a list of ${what}`);
      if (v.length > max) fail(`${p}.${key}`, `has ${v.length} values; at most ${max}`);
      v.forEach((s, j) => { if (typeof s !== 'string' || !ok(s)) fail(`${p}.${key}[${j}]`, `must be ${what}`); });
      return [...(v as string[])];
    };
    const days = (key: string, inner: string): number | null => {
      const v = raw[key];
      if (v === undefined) return null;
      if (!isObject(v) || Object.keys(v).some((k) => k !== inner)) return fail(`${p}.${key}`, `must be {"${inner}": <days>}`);
      const n = v[inner];
      if (n === undefined) return null;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2147483647) return fail(`${p}.${key}.${inner}`, 'must be a whole number of days, 0 or more');
      return n;
    };
    const c: ImageCriterion = {
      imageProviders: strings('ImageProviders', 200, (s) => PROVIDER_RE.test(s), 'amazon, aws-marketplace, aws-backup-vault, none or a 12-digit account id'),
      marketplaceProductCodes: strings('MarketplaceProductCodes', 50, (s) => CODE_RE.test(s), 'a product code of 1-25 letters and digits'),
      imageNames: strings('ImageNames', 50, (s) => s.length >= 1 && s.length <= 128, 'an image name of 1-128 characters (* and ? match any run and one character)'),
      maximumDaysSinceDeprecated: days('DeprecationTimeCondition', 'MaximumDaysSinceDeprecated'),
      maximumDaysSinceCreated: days('CreationDateCondition', 'MaximumDaysSinceCreated'),
    };
    const w = raw.ImageWatermarks;
    if (w !== undefined) {
      if (!Array.isArray(w) || w.length > 50) fail(`${p}.ImageWatermarks`, 'must be a list of at most 50 watermark filters');
      c.imageWatermarks = (w as unknown[]).map((f, j) => {
        if (!isObject(f)) return fail(`${p}.ImageWatermarks[${j}]`, `must be an object with ${Object.keys(WATERMARK_KEYS).join(', ')}`);
        for (const [k, v] of Object.entries(f)) {
          const t = WATERMARK_KEYS[k];
          if (t === undefined) fail(`${p}.ImageWatermarks[${j}].${k}`, `unknown field: expected one of ${Object.keys(WATERMARK_KEYS).join(', ')}`);
          if (t === 'string' ? typeof v !== 'string' : typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${p}.ImageWatermarks[${j}].${k}`, t === 'string' ? 'must be a string' : 'must be a whole number of days, 0 or more');
        }
        return { ...(f as Record<string, string | number>) };
      });
    }
    return c;
  });
}

/** Reads and checks a criteria file (the edge); undefined: none given. */
export function loadCriteria(path: string | undefined): ImageCriterion[] | null {
  if (path === undefined) return null;
  return parseCriteria(readJsonFile(path, 'criteria file'), path);
}
