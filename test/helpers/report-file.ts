/**
 * A JSON report file read back as ami-audit reads it: a version 4 file's findings refer to their
 * instances, AMIs, rules and waivers, and are made whole findings again here.
 */
import { readFileSync } from 'node:fs';
import type { Report } from '../../src/model/types.js';
import { readReportDoc } from '../../src/report/input.js';

export function readJsonReport(path: string): Report {
  return readReportDoc(path, JSON.parse(readFileSync(path, 'utf8')));
}
