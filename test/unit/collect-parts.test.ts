/** The collector's pure parts: the pagination loop, the coverage ledger and region planning. */
import { describe, expect, test } from '@jest/globals';
import { paginate, maxPagesFor, MAX_REPEATED_PAGES_IN_A_ROW } from '../../src/collect/paginate.js';
import { CoverageLedger } from '../../src/collect/ledger.js';
import { planRegions } from '../../src/collect/plan.js';
import { accountOfArn } from '../../src/model/ids.js';
import { ok as okScope } from '../../src/model/coverage.js';

/** A paginator over fixed pages: page i answers items[i] and tokens[i]. */
function pages(items: number[][], tokens: (string | undefined)[]) {
  const asked: (string | undefined)[] = [];
  let i = 0;
  return {
    asked,
    fetch: async (token: string | undefined) => {
      asked.push(token);
      const k = i++;
      return { items: items[k] ?? [], nextToken: tokens[k] };
    },
  };
}

describe('paginate', () => {
  test('follows tokens to the end and hands over every page once', async () => {
    const p = pages([[1, 2], [3], [4]], ['a', 'b', undefined]);
    const got: number[] = [];
    const res = await paginate({ action: 'X', pageSize: 2, fetch: p.fetch, onItems: (i) => got.push(...i) });
    expect(got).toEqual([1, 2, 3, 4]);
    expect(res).toEqual({ pages: 3, failure: null });
    expect(p.asked).toEqual([undefined, 'a', 'b']);
  });

  test('an empty string token ends the paging like an absent one', async () => {
    const p = pages([[1]], ['']);
    expect((await paginate({ action: 'X', pageSize: 2, fetch: p.fetch, onItems: (i) => i.length })).failure).toBeNull();
  });

  test('the same token on every page is a loop, not the end: the pages got are kept', async () => {
    const p = pages([[1], [2], [3], [4]], ['T', 'T', 'T', undefined]);
    const got: number[] = [];
    const res = await paginate({ action: 'DescribeInstanceImageMetadata', pageSize: 1, fetch: p.fetch, onItems: (i) => got.push(...i) });
    expect(got).toEqual([1, 2]);
    expect(res.failure).toMatchObject({ action: 'DescribeInstanceImageMetadata', code: 'PaginationLoop' });
    expect(res.failure!.message).toContain('already used');
  });

  test('a cycle A -> B -> A is caught', async () => {
    const p = pages([[1], [2], [3], [4], [5]], ['A', 'B', 'A', 'B', undefined]);
    const res = await paginate({ action: 'X', pageSize: 1, fetch: p.fetch, onItems: (i) => i.length });
    expect(res.failure?.code).toBe('PaginationLoop');
    expect(p.asked).toEqual([undefined, 'A', 'B']);
  });

  test('empty pages with fresh tokens forever end at the page count no scope could fill at this page size', async () => {
    let n = 0;
    const res = await paginate({ action: 'X', pageSize: 1000, fetch: async () => ({ items: [], nextToken: `t${n++}` }), onItems: () => 0 });
    expect(res.failure?.code).toBe('PaginationLoop');
    expect(res.pages).toBe(maxPagesFor(1000));
  });

  test('issue 23 item 5: 300 empty pages with fresh tokens before the real ones are progress (a selective filter), not a loop', async () => {
    let n = 0;
    const got: number[] = [];
    // 300 empty pages, then 1,500 items at 100 a page
    const res = await paginate({
      action: 'DescribeInstanceImageMetadata', pageSize: 100,
      fetch: async () => {
        const k = n++;
        if (k < 300) return { items: [], nextToken: `e${k}` };
        const from = (k - 300) * 100;
        return { items: Array.from({ length: 100 }, (_, i) => from + i), nextToken: from + 100 < 1500 ? `p${k}` : undefined };
      },
      onItems: (items) => got.push(...items) && items.length,
    });
    expect(res.failure).toBeNull();
    expect(got).toHaveLength(1500);
    expect(res.pages).toBe(315);
  });

  test('issue 23 item 5: pages that only repeat items already received, under fresh tokens, end the paging (a server repeating itself)', async () => {
    let n = 0;
    const seen = new Set<number>();
    const res = await paginate({
      action: 'X', pageSize: 2,
      fetch: async () => ({ items: [1, 2], nextToken: `t${n++}` }),
      onItems: (items) => items.filter((i) => !seen.has(i) && seen.add(i)).length,
    });
    expect(res.failure?.code).toBe('PaginationLoop');
    expect(res.failure!.message).toMatch(/nothing new/);
    expect(res.pages).toBe(1 + MAX_REPEATED_PAGES_IN_A_ROW);
  });

  test('pages that keep coming past what the page size allows are capped', async () => {
    let n = 0;
    const res = await paginate({ action: 'X', pageSize: 1000, fetch: async () => ({ items: [n], nextToken: `t${n++}` }), onItems: (i) => i.length });
    expect(res.failure?.code).toBe('PaginationLoop');
    expect(res.pages).toBe(maxPagesFor(1000));
  });
});

describe('coverage ledger', () => {
  test('entries start unsettled; what is still open at the end is an error, never ok', () => {
    const l = new CoverageLedger();
    expect(l.open('111111111111', 'us-east-1')).toBe(true);
    expect(l.open('111111111111', 'eu-west-1')).toBe(true);
    l.settle({ ...okScope('111111111111', 'us-east-1'), status: 'ok' });
    const out = l.close({ action: 'Run', code: 'Interrupted', message: 'stopped' });
    expect(out.map((c) => `${c.region}=${c.status}:${c.errorCode}`).sort()).toEqual(['eu-west-1=error:Interrupted', 'us-east-1=ok:null']);
    expect(out.find((c) => c.region === 'eu-west-1')!.failures).toEqual([{ action: 'Run', code: 'Interrupted', message: 'stopped' }]);
  });

  test('a scope is opened once and settled once', () => {
    const l = new CoverageLedger();
    expect(l.open('111111111111', 'us-east-1')).toBe(true);
    expect(l.open('111111111111', 'us-east-1')).toBe(false);
    l.skip('111111111111', 'us-east-1', 'not-enabled');
    expect(() => l.skip('111111111111', 'us-east-1', 'not-enabled')).toThrow(/settled twice/);
    expect(l.counts()).toEqual({ total: 1, settled: 1, failed: 0 });
  });
});

describe('region planning', () => {
  const answer = [
    { RegionName: 'us-east-1', OptInStatus: 'opt-in-not-required' },
    { RegionName: 'ap-east-1', OptInStatus: 'not-opted-in' },
    { RegionName: 'me-south-1', OptInStatus: 'opted-in' },
  ];

  test('every named region ends scanned or skipped with a reason', () => {
    const p = planRegions(answer, ['us-east-1', 'us-west-2', 'ap-east-1']);
    expect(p.scan).toEqual(['us-east-1']);
    expect(p.skipped.map((s) => `${s.region}:${s.reason}`)).toEqual(['ap-east-1:not-enabled', 'us-west-2:not-offered']);
  });

  test('without named regions: the enabled ones are scanned, the others skipped', () => {
    const p = planRegions(answer, []);
    expect(p.scan).toEqual(['me-south-1', 'us-east-1']);
    expect(p.skipped.map((s) => s.region)).toEqual(['ap-east-1']);
  });

  test('a region listed twice is one scope; listed both enabled and not, it is scanned', () => {
    const p = planRegions([...answer, ...answer, { RegionName: 'ap-east-1', OptInStatus: 'opted-in' }], []);
    expect(p.scan).toEqual(['ap-east-1', 'me-south-1', 'us-east-1']);
    expect(p.skipped).toEqual([]);
  });

  test('an empty answer or a name that is not a region is not an answer', () => {
    expect(() => planRegions([], [])).toThrow(/no regions/);
    expect(() => planRegions(undefined, ['us-east-1'])).toThrow(/no regions/);
    const bad = (() => { try { planRegions([{ RegionName: 'us-east-1\u001b[31m' }], []); } catch (e) { return e as Error; } return null; })();
    expect(bad?.name).toBe('MalformedResponse');
    expect(bad?.message).not.toContain('\u001b');
  });

  test('the account of an assumed-role ARN', () => {
    expect(accountOfArn('arn:aws:sts::333333333333:assumed-role/R/s')).toBe('333333333333');
    expect(accountOfArn('arn:aws-us-gov:sts::123456789012:assumed-role/R/s')).toBe('123456789012');
    expect(accountOfArn('nonsense')).toBeNull();
    expect(accountOfArn(null)).toBeNull();
  });
});

describe('the zone fallback', () => {
  test('60,000 instances in 3 zones: every one asked for once, in time linear in instances', async () => {
    const { collectScope } = await import('../../src/collect/scope.js');
    const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    const all = Array.from({ length: 60_000 }, (_, n) => ({ InstanceId: `i-${n.toString(16).padStart(17, '0')}`, Placement: { AvailabilityZone: zones[n % 3]! } }));
    let asked = 0;
    const client = {
      send: async (cmd: { constructor: { name: string }; input: { InstanceIds?: string[]; NextToken?: string } }) => {
        const name = cmd.constructor.name;
        const md = { $metadata: { attempts: 1 } };
        if (name === 'GetAllowedImagesSettingsCommand') return { State: 'disabled', ...md };
        if (name === 'DescribeInstancesCommand') {
          const from = Number(cmd.input.NextToken ?? 0);
          const page = all.slice(from, from + 1000);
          return { Reservations: [{ Instances: page }], NextToken: from + 1000 < all.length ? String(from + 1000) : undefined, ...md };
        }
        const ids = cmd.input.InstanceIds;
        if (!ids) throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalError', $metadata: { httpStatusCode: 500, attempts: 1 } });
        asked += ids.length;
        return { InstanceImageMetadata: ids.map((InstanceId) => ({ InstanceId, ImageMetadata: { ImageId: 'ami-0123456789abcdef0' } })), ...md };
      },
    };
    const t = Date.now();
    const res = await collectScope({ accountId: '111111111111', region: 'us-east-1', client: client as never, filters: [], limit: (fn) => fn(), stopCause: () => ({ action: 'Run', code: 'Interrupted', message: 'stopped' }) });
    expect(res.coverage.status).toBe('ok');
    expect(res.instances).toHaveLength(60_000);
    expect(asked).toBe(60_000);
    expect(Date.now() - t).toBeLessThan(20_000);
  }, 30_000);
});
