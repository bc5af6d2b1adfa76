/**
 * Golden files: the rendered content must equal the file in test/golden. A missing golden is a
 * failure, never written silently (a test that writes what it checks cannot fail); `UPDATE_GOLDEN=1`
 * (re)writes it after a deliberate change, whose diff is then reviewed.
 */
import { expect } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export function checkGolden(url: URL, content: string): void {
  const path = fileURLToPath(url);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  } else if (!existsSync(path)) {
    throw new Error(`golden file ${path} is missing: run the test with UPDATE_GOLDEN=1 to write it, then review it`);
  }
  expect(content).toBe(readFileSync(path, 'utf8'));
}
