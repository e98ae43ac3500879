// expand_env's rule: ${NAME}, ${NAME:-default}, $$; any other $ left as it is; an unset name an error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { expand } from '../../../src/descriptor/expand.ts';

const env = { A: 'alpha', EMPTY: '', PORT: '8000' };
const value = (text: string): string => {
  const r = expand(text, env);
  if (!r.ok) assert.fail(`${text}: ${r.error}`);
  return r.value;
};
const error = (text: string, e: Record<string, string> | undefined = env): string => {
  const r = expand(text, e);
  if (r.ok) assert.fail(`${text} expanded to ${r.value}`);
  return r.error;
};

describe('expand', () => {
  test('${NAME} and ${NAME:-default}', () => {
    assert.equal(value('0.0.0.0:${PORT}'), '0.0.0.0:8000');
    assert.equal(value('${A}-${A}'), 'alpha-alpha');
    assert.equal(value('${MISSING:-x y}'), 'x y');
    assert.equal(value('${EMPTY:-fallback}'), 'fallback', ':- takes the default for an empty value too');
    assert.equal(value('${EMPTY}'), '', 'set but empty is not unset');
    assert.equal(value('${PORT:-9}'), '8000');
    assert.equal(value('${MISSING:-}'), '');
  });

  test('$$ is a literal $; any other $ is left as it is', () => {
    assert.equal(value('$$'), '$');
    assert.equal(value('$${A}'), '${A}');
    assert.equal(value('cost: 5$'), 'cost: 5$');
    assert.equal(value('$1 $HOME $'), '$1 $HOME $');
    assert.equal(value('$$$${A}'), '$${A}');
  });

  test('an unset name without a default names the variable', () => {
    assert.match(error('${NOPE}'), /\$\{NOPE\} is not set/);
  });

  test('malformed references are errors, at parse time too (no environment)', () => {
    assert.match(error('${A', undefined), /no closing/);
    assert.match(error('${}', undefined), /not a variable reference/);
    assert.match(error('${1X}', undefined), /not a variable reference/);
    assert.match(error('${A B}', undefined), /not a variable reference/);
    assert.deepEqual(expand('${NOPE} ${A:-x}', undefined), { ok: true, value: ' ' }, 'without an environment only the syntax is checked');
  });

  test('text without $ is unchanged; with every $ doubled it comes back as written', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const plain = s.replace(/\$/g, '');
        assert.equal(value(plain), plain);
        const dollars = s.replace(/\$/g, '$$$$'); // every $ doubled
        assert.equal(value(dollars), s);
      }),
    );
  });
});
