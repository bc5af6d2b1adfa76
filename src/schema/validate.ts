/** Compiled validators for the published schemas (ajv with ajv-formats for date-time), built on first use. */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { configSchema } from './config.js';
import { reportSchema } from './report.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let ajv: Ajv | null = null;
const cache = new Map<object, ValidateFunction>();

function compile(schema: object): ValidateFunction {
  ajv ??= addFormats(new Ajv({ allErrors: true, strict: false }));
  let v = cache.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    cache.set(schema, v);
  }
  return v;
}

export const configValidator = (): ValidateFunction => compile(configSchema);
export const reportValidator = (): ValidateFunction => compile(reportSchema);
