/** The counted call the collector's lookups share: calls and SDK retries counted, failures described, an abort passed through. */
import { describe, expect, test } from '@jest/globals';
import { CountedCalls } from '../../src/collect/counted.js';

const limit = <T>(fn: () => Promise<T>): Promise<T> => fn();

class Failed extends Error {
  constructor(readonly action: string, readonly code: string) {
    super(`${action}: ${code}`);
  }
}

function sdkError(name: string, attempts: number): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { attempts } });
}

describe('CountedCalls', () => {
  test('counts every call and the SDK\'s retries, on success and on failure; a failure is the caller\'s error with the code', async () => {
    const c = new CountedCalls({ limit, signal: new AbortController().signal, fail: (action, d) => new Failed(action, d.code) });
    await expect(c.send('DescribeImages', async () => ({ $metadata: { attempts: 3 } }))).resolves.toEqual({ $metadata: { attempts: 3 } });
    await c.send('GetThing', async () => 'no metadata');
    const err = await c.send('DescribeImageAttribute', () => Promise.reject(sdkError('RequestLimitExceeded', 4))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Failed);
    expect(err).toMatchObject({ action: 'DescribeImageAttribute', code: 'RequestLimitExceeded' });
    expect(c.calls).toBe(3);
    expect(c.retries).toBe(2 + 3);
  });

  test('once the run is aborted, the SDK\'s error is rethrown as it is (the scope\'s stop cause says why)', async () => {
    const ac = new AbortController();
    ac.abort();
    const c = new CountedCalls({ limit, signal: ac.signal, fail: (action, d) => new Failed(action, d.code) });
    const raw = sdkError('AbortError', 1);
    await expect(c.send('DescribeImages', () => Promise.reject(raw))).rejects.toBe(raw);
    expect(c.calls).toBe(1);
  });

  test('every call goes through the limit', async () => {
    let through = 0;
    const c = new CountedCalls({ limit: (fn) => { through += 1; return fn(); }, signal: new AbortController().signal, fail: (a, d) => new Failed(a, d.code) });
    await c.send('A', async () => 1);
    await c.send('B', async () => 2);
    expect(through).toBe(2);
  });
});
