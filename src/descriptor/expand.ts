// "expand_env": ${NAME} and ${NAME:-default} in a descriptor's args and cwd, from the process's own
// final environment; $$ is a literal $, and any other $ is left as it is (so `$1` or `$HOME` in an
// argument keep their meaning for the program that reads them). Pure.

export type Expanded = { ok: true; value: string } | { ok: false; error: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Expands one string; `env` undefined only checks its syntax (at parse time, before any environment).
export function expand(text: string, env: Readonly<Record<string, string>> | undefined): Expanded {
  let out = '';
  let i = 0;
  for (;;) {
    const at = text.indexOf('$', i);
    if (at < 0) return { ok: true, value: out + text.slice(i) };
    out += text.slice(i, at);
    const next = text[at + 1];
    if (next === '$') {
      out += '$';
      i = at + 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i = at + 1;
      continue;
    }
    const close = text.indexOf('}', at + 2);
    if (close < 0) return { ok: false, error: `"\${" at offset ${at} has no closing "}" (write $$ for a literal $)` };
    const inner = text.slice(at + 2, close);
    const sep = inner.indexOf(':-');
    const name = sep < 0 ? inner : inner.slice(0, sep);
    if (!NAME.test(name)) return { ok: false, error: `"\${${inner}}" is not a variable reference: \${NAME} or \${NAME:-default}, NAME made of letters, digits and _ (write $$ for a literal $)` };
    if (env) {
      const value = env[name];
      if (sep >= 0) out += value === undefined || value === '' ? inner.slice(sep + 2) : value;
      else if (value === undefined) return { ok: false, error: `\${${name}} is not set in the process's environment (give a default: \${${name}:-VALUE})` };
      else out += value;
    }
    i = close + 1;
  }
}
