/** File output: atomic writes (temp file, fsync, rename) with a restrictive mode, and reading inputs. */
import { closeSync, constants, openSync, promises as fs, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../model/errors.js';
import type { TemplateSet } from '../render/html.js';
import { TEMPLATES_DIR } from '../paths.js';
import { parseJsonText } from '../config/config.js';

/** Temporary files being written, so that a hard stop can remove them. */
const pending = new Set<string>();

/** Removes temporary files still being written (before an immediate exit). */
export function removePendingTempFiles(): void {
  for (const p of pending) rmSync(p, { force: true });
  pending.clear();
}

/** Writes a file so that readers see the old content or the new, never a part. */
export async function writeAtomic(path: string, content: string | Iterable<string>, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  pending.add(tmp);
  try {
    await writeVia(tmp, path, content, mode);
  } finally {
    pending.delete(tmp);
  }
}

async function writeVia(tmp: string, path: string, content: string | Iterable<string>, mode: number): Promise<void> {
  // Created synchronously: a hard stop between two ticks then always finds it in `pending`.
  closeSync(openSync(tmp, 'wx', mode));
  const fh = await fs.open(tmp, 'r+');
  try {
    if (typeof content === 'string') await fh.writeFile(content, 'utf8');
    else {
      // pieces are gathered into writes of about a megabyte
      let buf: string[] = [];
      let size = 0;
      for (const piece of content) {
        buf.push(piece);
        size += piece.length;
        if (size >= 1 << 20) {
          await fh.write(buf.join(''));
          buf = [];
          size = 0;
        }
      }
      if (size > 0) await fh.write(buf.join(''));
    }
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** Makes sure the output folder exists and is writable, before any long work starts. */
export async function ensureWritableDir(dir: string): Promise<string> {
  const abs = resolve(dir);
  try {
    await fs.mkdir(abs, { recursive: true });
    await fs.access(abs, constants.W_OK);
    const probe = join(abs, `.ami-audit-probe-${process.pid}-${randomBytes(3).toString('hex')}`);
    await fs.writeFile(probe, '', { mode: 0o600 });
    await fs.rm(probe, { force: true });
  } catch (e) {
    throw new UserError(`--out ${dir}: not a writable folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose a folder you can write to`);
  }
  return abs;
}

export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function readJsonFile(path: string, what: string): unknown {
  return parseJsonText(path, readTextFile(path, what));
}

let templates: TemplateSet | null = null;

/** The HTML templates shipped in templates/. */
export function loadTemplates(dir = TEMPLATES_DIR): TemplateSet {
  if (templates && dir === TEMPLATES_DIR) return templates;
  const partials: Record<string, string> = {};
  for (const f of readdirSync(join(dir, 'partials')).sort()) {
    if (f.endsWith('.hbs')) partials[f.slice(0, -4)] = readFileSync(join(dir, 'partials', f), 'utf8');
  }
  const set: TemplateSet = {
    main: readFileSync(join(dir, 'report.hbs'), 'utf8'),
    partials,
    css: readFileSync(join(dir, 'report.css'), 'utf8'),
    js: readFileSync(join(dir, 'report.js'), 'utf8'),
  };
  if (dir === TEMPLATES_DIR) templates = set;
  return set;
}
