import { EC2Client } from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';
import { demoFleet } from '../../src/emulator/demo.js';
import type { Fleet } from '../../src/emulator/fleet.js';
import type { FaultPlan } from '../../src/emulator/faults.js';

export const BASE_CREDS = { accessKeyId: 'AKIDTESTTESTTEST0000', secretAccessKey: 'test-secret-key-do-not-print' };
export const NOW = '2026-11-26T00:00:00Z';

export async function emulator(opts: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  return startEmulator({ fleet: demoFleet(NOW), ...opts });
}

/** Runs fn against an endpoint that serves `fleet` (and `faults`), closing it afterwards. */
export async function withEmulator<T>(fleet: Fleet, fn: (e: Emulator) => Promise<T>, faults?: FaultPlan): Promise<T> {
  const e = await emulator({ fleet, faults });
  try {
    return await fn(e);
  } finally {
    await e.close();
  }
}

export function ec2(e: Emulator, region = 'us-east-1', credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = BASE_CREDS, extra: Partial<NonNullable<ConstructorParameters<typeof EC2Client>[0]>> = {}): EC2Client {
  return new EC2Client({ endpoint: e.url, region, credentials, maxAttempts: 1, ...extra });
}

export function sts(e: Emulator, region = 'us-east-1', credentials = BASE_CREDS): STSClient {
  return new STSClient({ endpoint: e.url, region, credentials, maxAttempts: 1 });
}

export function organizations(e: Emulator, region = 'us-east-1', credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = BASE_CREDS): OrganizationsClient {
  return new OrganizationsClient({ endpoint: e.url, region, credentials, maxAttempts: 1 });
}

export function autoscaling(e: Emulator, region = 'us-east-1', credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = BASE_CREDS): AutoScalingClient {
  return new AutoScalingClient({ endpoint: e.url, region, credentials, maxAttempts: 1 });
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
