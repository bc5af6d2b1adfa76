/** Where the package's own files are, from source (src/) and from the build (dist/) alike. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
/** The config file's JSON Schema, shipped with the package (package.json "files" has docs/): config errors name it. */
export const CONFIG_SCHEMA_PATH = join(PACKAGE_ROOT, 'docs', 'schema', 'config.schema.json');

let version: string | null = null;
export function toolVersion(): string {
  version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

export const TOOL_NAME = 'ami-audit';
