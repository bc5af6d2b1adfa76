import { EC2Client } from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';
import { demoFleet } from '../../src/emulator/demo.js';

export const BASE_CREDS = { accessKeyId: 'AKIDTESTTESTTEST0000', secretAccessKey: 'test-secret-key-do-not-print' };
export const NOW = '2026-11-26T00:00:00Z';

export async function emulator(opts: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  return startEmulator({ fleet: demoFleet(NOW), ...opts });
}

export function ec2(e: Emulator, region = 'us-east-1', credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = BASE_CREDS, extra: Partial<NonNullable<ConstructorParameters<typeof EC2Client>[0]>> = {}): EC2Client {
  return new EC2Client({ endpoint: e.url, region, credentials, maxAttempts: 1, ...extra });
}

export function sts(e: Emulator, region = 'us-east-1', credentials = BASE_CREDS): STSClient {
  return new STSClient({ endpoint: e.url, region, credentials, maxAttempts: 1 });
}

/** Runs fn and returns the error it throws (fails the test when it does not throw). */
export async function rejection(fn: () => Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; $fault?: string }> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}
