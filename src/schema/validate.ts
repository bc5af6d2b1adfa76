/** Compiled validators for the published schemas (ajv with ajv-formats for date-time), built on first use. */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { configSchema } from './config.js';
import { reportSchema } from './report.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const instances = new Map<boolean, Ajv>();
const cache = new Map<object, ValidateFunction>();

/** `verbose`: errors carry their schema (the config's messages quote its descriptions). */
function compile(schema: object, verbose = false): ValidateFunction {
  let ajv = instances.get(verbose);
  if (!ajv) {
    ajv = addFormats(new Ajv({ allErrors: true, strict: false, verbose }));
    instances.set(verbose, ajv);
  }
  let v = cache.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    cache.set(schema, v);
  }
  return v;
}

export const configValidator = (): ValidateFunction => compile(configSchema, true);
export const reportValidator = (): ValidateFunction => compile(reportSchema);
