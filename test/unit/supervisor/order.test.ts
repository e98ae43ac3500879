// The "after" graph: names of no process, cycles, and the longest readiness chain.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { longestChain, orderProblems } from '../../../src/supervisor/order.ts';

const graph = (o: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(o));

describe('orderProblems', () => {
  test('a graph without problems has none', () => {
    assert.deepEqual([...orderProblems(graph({ web: ['db', 'cache'], db: [], cache: ['db'] }))], []);
  });

  test('a name of no process is the problem of the process that names it, and only of it', () => {
    const p = orderProblems(graph({ web: ['db', 'ghost', 'nope'], db: [] }));
    assert.deepEqual([...p], [['web', '"after" names no such process: "ghost", "nope"']]);
  });

  test('every member of a cycle has it, written from where it closes; what waits for the cycle does not', () => {
    const p = orderProblems(graph({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }));
    assert.equal(p.get('a'), '"after" makes a cycle: a → b → c → a');
    assert.equal(p.get('b'), '"after" makes a cycle: a → b → c → a');
    assert.equal(p.get('c'), '"after" makes a cycle: a → b → c → a');
    assert.equal(p.has('d'), false, 'd waits for a, which never becomes ready: that is not its own problem');
  });

  test('a process after itself is a cycle of one', () => {
    assert.equal(orderProblems(graph({ a: ['a'] })).get('a'), '"after" makes a cycle: a → a');
  });
});

describe('longestChain', () => {
  const weights: Record<string, number> = { web: 10, db: 30, cache: 5, migrate: 60 };
  const w = (n: string): number => weights[n] ?? 0;

  test('the largest sum along any chain from the given names', () => {
    const after = graph({ web: ['db', 'cache'], db: ['migrate'], cache: [], migrate: [] });
    assert.equal(longestChain(['web'], after, w), 10 + 30 + 60);
    assert.equal(longestChain(['cache'], after, w), 5);
    assert.equal(longestChain(['cache', 'db'], after, w), 90);
  });

  test('a cycle is cut where it closes; unknown names add nothing; no names is 0', () => {
    assert.equal(longestChain(['web'], graph({ web: ['db'], db: ['web'] }), w), 40);
    assert.equal(longestChain(['web'], graph({ web: ['ghost'] }), w), 10);
    assert.equal(longestChain([], graph({ web: [] }), w), 0);
  });
});
