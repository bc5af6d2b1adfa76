import { describe, expect, test } from '@jest/globals';
import { parseFilters, splitList } from '../../src/collect/filters.js';
import { UserError } from '../../src/model/errors.js';
import { prng } from '../../src/emulator/generate.js';

describe('--filters', () => {
  test('AWS CLI shorthand, several items', () => {
    expect(parseFilters(['Name=availability-zone,Values=us-east-1a', 'Name=instance-type,Values=t2.nano,t2.micro'])).toEqual([
      { Name: 'availability-zone', Values: ['us-east-1a'] },
      { Name: 'instance-type', Values: ['t2.nano', 't2.micro'] },
    ]);
  });
  test('several items in one argument, quoted values, tag filters', () => {
    expect(parseFilters(['Name=tag:Name,Values="web,1",db Name=launch-time,Values=2026-01-*'])).toEqual([
      { Name: 'tag:Name', Values: ['web,1', 'db'] },
      { Name: 'launch-time', Values: ['2026-01-*'] },
    ]);
  });
  test('JSON', () => {
    expect(parseFilters(['[{"Name":"image-allowed","Values":["false"]}]'])).toEqual([{ Name: 'image-allowed', Values: ['false'] }]);
  });
  test.each([
    'Name=colour,Values=red',
    'Values=x',
    'Name=instance-type',
    'Name=instance-type,Values=',
    'Name=tag:x,Values="unterminated',
    '[{"Name":"instance-type"}]',
    '[{"Name":"instance-type","Values":[1]}]',
    '[not json',
  ])('rejects %j with a clear error', (bad) => {
    expect(() => parseFilters([bad])).toThrow(UserError);
    expect(() => parseFilters([bad])).toThrow(/^--filters: /);
  });
  test('generated garbage gives a UserError or a filter list, never a crash', () => {
    const rand = prng(7);
    const pieces = ['Name=', 'Values=', ',', '"', 'tag:', 'instance-type', ' ', '[', '{', '}', ']', 't3', '=', '\u0000', 'Name=zone-id,Values=a'];
    for (let n = 0; n < 500; n++) {
      const arg = Array.from({ length: 1 + Math.floor(rand() * 12) }, () => pieces[Math.floor(rand() * pieces.length)]).join('');
      try {
        const out = parseFilters([arg]);
        for (const f of out) expect(f.Values.length).toBeGreaterThan(0);
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
      }
    }
  });
});

describe('list options', () => {
  test('space- and comma-separated', () => {
    expect(splitList(['111111111111 222222222222', '333333333333,444444444444'])).toEqual(['111111111111', '222222222222', '333333333333', '444444444444']);
  });
});
