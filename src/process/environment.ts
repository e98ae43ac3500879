import { MAX_NCOLONY_CONFIG_BYTES, type Descriptor } from '../descriptor/parse.ts';

// A child's environment. With env_inherit, only those names come from colony's environment
// (NColony's rule; an unset name becomes ""); without it, the whole of colony's environment is
// inherited (Docker's convention: `docker run -e` reaches the processes). The env files' variables
// come next, and `env` overrides them all.
// NCOLONY_NAME, NCOLONY_CONFIG (the file's text) and COLONY_NAME are always set; COLONY_REPLICA (1...)
// for an instance of a replicated process.
// PYTHONUNBUFFERED=1 is added unless the environment already has the variable or python_unbuffered is false:
// Python block-buffers a piped stdout, so its lines would arrive late (or be lost at a crash).
export function childEnvironment(name: string, d: Pick<Descriptor, 'env' | 'envInherit' | 'raw' | 'replica'> & { pythonUnbuffered?: boolean }, colonyEnv: NodeJS.ProcessEnv, fromFiles: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  if (d.envInherit) {
    for (const key of d.envInherit) env[key] = colonyEnv[key] ?? '';
  } else {
    for (const [key, value] of Object.entries(colonyEnv)) if (value !== undefined) env[key] = value;
  }
  Object.assign(env, fromFiles, d.env);
  if (d.pythonUnbuffered !== false && env.PYTHONUNBUFFERED === undefined) env.PYTHONUNBUFFERED = '1';
  env.NCOLONY_NAME = name;
  if (Buffer.byteLength(d.raw) <= MAX_NCOLONY_CONFIG_BYTES) env.NCOLONY_CONFIG = d.raw; // else execve fails with E2BIG (a warning said so at parse time)
  env.COLONY_NAME = name;
  if (d.replica) env.COLONY_REPLICA = String(d.replica.index);
  return env;
}
