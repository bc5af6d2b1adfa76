import type { CoverageEntry } from '../model/types.js';

/** A coverage entry for one account x region before anything is known about it. */
export function emptyCoverage(accountId: string, region: string): CoverageEntry {
  return {
    accountId, region, status: 'ok', errorCode: null, errorMessage: null, reason: null, instanceCount: 0, pageCount: 0,
    apiCalls: 0, retries: 0, allowedImagesState: 'unknown', disruptedZones: [], uncoveredInstanceCount: 0, failures: [],
  };
}
