// The peers colony is measured against: tini and dumb-init (PID-1 inits) and supervisord (a multi-process
// supervisor). Missing ones are installed from Debian packages; one that still cannot be found is skipped.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Peers {
  tini?: string;
  dumbInit?: string;
  supervisord?: string;
  supervisorctl?: string;
  supervisorPython?: string; // the python3 that can `import supervisor` (for the XML-RPC client), from supervisorctl's #! line
  skipped: Record<string, string>; // peer → why it is not measured (printed under the table)
}

const PACKAGES = ['tini', 'dumb-init', 'supervisor'];

// The path of a command on $PATH, or undefined.
function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' }).stdout.trim();
  return found || undefined;
}

// Installs the packages with apt-get (as root), running `apt-get update` once and retrying if the first try fails.
function aptInstall(note: (t: string) => void): string | undefined {
  if (process.getuid?.() !== 0) return 'installing it needs root';
  note(`installing the missing peers: apt-get install ${PACKAGES.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args: string[]): boolean => spawnSync('apt-get', args, { stdio: 'ignore', env }).status === 0;
  if (apt('install', '-y', '-qq', ...PACKAGES)) return undefined;
  if (!apt('update', '-qq')) return 'apt-get update failed';
  return apt('install', '-y', '-qq', ...PACKAGES) ? undefined : `apt-get install ${PACKAGES.join(' ')} failed`;
}

// The interpreter named on a script's #! line, if it can import the supervisor package.
function supervisorPython(supervisorctl: string): string | undefined {
  const shebang = /^#!\s*(\S+)/.exec(readFileSync(supervisorctl, 'latin1').slice(0, 200))?.[1];
  if (!shebang) return undefined;
  return spawnSync(shebang, ['-c', 'import supervisor.xmlrpc'], { stdio: 'ignore' }).status === 0 ? shebang : undefined;
}

// Finds every peer, installing the missing ones first; each one not found afterwards is listed in `skipped`.
export function ensurePeers(note: (t: string) => void): Peers {
  const commands = { tini: 'tini', dumbInit: 'dumb-init', supervisord: 'supervisord', supervisorctl: 'supervisorctl' } as const;
  const find = (): Partial<Record<keyof typeof commands, string>> =>
    Object.fromEntries(Object.entries(commands).map(([key, command]) => [key, which(command)]));
  let found = find();
  let why = 'not installed';
  if (Object.values(found).some((path) => path === undefined)) {
    const failure = aptInstall(note);
    if (failure) why = `not installed (${failure})`;
    found = find();
  }
  const peers: Peers = { skipped: {} };
  for (const key of Object.keys(commands) as Array<keyof typeof commands>) {
    if (found[key]) peers[key] = found[key];
    else peers.skipped[commands[key]] = why;
  }
  if (peers.supervisorctl) {
    peers.supervisorPython = supervisorPython(peers.supervisorctl);
    if (!peers.supervisorPython) peers.skipped['supervisord XML-RPC'] = `the python3 on ${peers.supervisorctl}'s #! line cannot import supervisor.xmlrpc`;
  }
  return peers;
}
