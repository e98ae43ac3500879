// --only: the names asked for and, through "after", what they wait for.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { invalidNameReason } from '../../../src/descriptor/name.ts';
import { parseOnly, selectedNames } from '../../../src/supervisor/selection.ts';

const graph: Record<string, string[]> = { web: ['redis', 'migrate'], migrate: ['db'], worker: ['redis'], db: [], redis: [], beat: ['worker'] };
const afterOf = (n: string): string[] | undefined => graph[n];

describe('selectedNames', () => {
  test('a name alone when it waits for nothing', () => {
    assert.deepEqual([...selectedNames(['redis'], afterOf)].sort(), ['redis']);
  });
  test('what it is "after", transitively', () => {
    assert.deepEqual([...selectedNames(['web'], afterOf)].sort(), ['db', 'migrate', 'redis', 'web']);
    assert.deepEqual([...selectedNames(['beat'], afterOf)].sort(), ['beat', 'redis', 'worker']);
  });
  test('none for an empty list', () => {
    assert.deepEqual([...selectedNames([], afterOf)], []);
  });
  test('an undefined name is selected (it starts if it is added) and adds nothing', () => {
    assert.deepEqual([...selectedNames(['later'], afterOf)], ['later']);
  });
  test('a cycle ends', () => {
    assert.deepEqual([...selectedNames(['a'], (n) => ({ a: ['b'], b: ['a'] })[n])].sort(), ['a', 'b']);
  });
});

describe('parseOnly', () => {
  test('commas, blanks and repeats', () => {
    assert.deepEqual(parseOnly(' web , redis,,web ', invalidNameReason), { names: ['web', 'redis'] });
  });
  test('empty selects none', () => {
    assert.deepEqual(parseOnly('', invalidNameReason), { names: [] });
    assert.deepEqual(parseOnly(' , ', invalidNameReason), { names: [] });
  });
  test('an invalid name is refused, named', () => {
    const r = parseOnly('web,a/b', invalidNameReason);
    assert.ok('error' in r && /a\/b/.test(r.error), JSON.stringify(r));
  });
});
