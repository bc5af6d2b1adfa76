/** The golden-file check: a missing golden fails unless UPDATE_GOLDEN=1 asks to write it. */
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkGolden } from '../helpers/golden.js';

const dir = mkdtempSync(join(tmpdir(), 'golden-'));
const saved = process.env.UPDATE_GOLDEN;
afterEach(() => {
  if (saved === undefined) delete process.env.UPDATE_GOLDEN;
  else process.env.UPDATE_GOLDEN = saved;
});

describe('golden files', () => {
  test('a missing golden fails and is not written', () => {
    delete process.env.UPDATE_GOLDEN;
    const url = pathToFileURL(join(dir, 'missing.txt'));
    expect(() => checkGolden(url, 'content')).toThrow(/missing\.txt.*missing.*UPDATE_GOLDEN=1/);
    expect(existsSync(url)).toBe(false);
  });

  test('UPDATE_GOLDEN=1 writes it; another value does not', () => {
    const url = pathToFileURL(join(dir, 'new.txt'));
    process.env.UPDATE_GOLDEN = '0';
    expect(() => checkGolden(url, 'content')).toThrow(/UPDATE_GOLDEN=1/);
    process.env.UPDATE_GOLDEN = '1';
    checkGolden(url, 'content');
    expect(readFileSync(url, 'utf8')).toBe('content');
    delete process.env.UPDATE_GOLDEN;
    checkGolden(url, 'content');
    expect(() => checkGolden(url, 'other')).toThrow();
  });

  test('every golden test goes through the check (none writes a missing golden by itself)', () => {
    for (const f of ['render.test.ts', 'render-generated.test.ts', 'ocsf-asff.test.ts']) {
      const text = readFileSync(new URL(f, import.meta.url), 'utf8');
      expect(`${f}: ${/!existsSync\(/.test(text) || /writeFileSync\(/.test(text)}`).toBe(`${f}: false`);
      expect(text).toMatch(/checkGolden\(/);
    }
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
