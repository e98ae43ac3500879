// supervisord as a peer: writes its configuration (one conf.d file per program) and runs `supervisord -n`
// as PID 1 of a new PID namespace; supervisorctl drives it through the unix socket in the same directory.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eachLine, Feed, FIXTURES, Pid1, sleep, startTracked } from './lib.ts';

export interface Program {
  name: string;
  command: string[];
  env?: Record<string, string>;
  stopwaitsecs?: number; // supervisord's default is 10
  // relay: stdout and stderr go raw to supervisord's own stdout (/dev/fd/1); discard (default): nowhere.
  output?: 'relay' | 'discard';
}

export interface Supervisord {
  pid1: Pid1;
  conf: string; // the supervisord.conf path
  socket: string; // its unix socket (supervisorctl's and the XML-RPC client's)
  include: string; // the conf.d directory ([include] files = include/*.conf)
  ctl(...args: string[]): Promise<string>; // supervisorctl -c conf ARGS: its stdout, or rejects on a non-zero exit
  addProgram(p: Program): void; // writes the program's conf.d file (then `ctl('update')` starts it)
  stop(): Promise<number>; // SIGTERM to PID 1; waits for it to exit 0; the milliseconds that took
}

// A value inside supervisord's config: '%' starts an expansion there, so it is doubled.
const escapePercent = (s: string): string => s.replaceAll('%', '%%');

// One argument quoted for the shlex split supervisord applies to `command=`.
const quoteArg = (s: string): string => `'${s.replaceAll("'", `'"'"'`)}'`;

// One environment value, quoted for supervisord's non-POSIX shlex (no escapes: the quote must not occur inside).
function quoteValue(v: string): string {
  const q = v.includes('"') ? "'" : '"';
  if (v.includes(q)) throw new Error(`an environment value for supervisord cannot hold both kinds of quotes: ${v}`);
  return `${q}${v}${q}`;
}

// One [program:x] section: started at once, restarted whenever it exits, stopped (with its process group) by SIGTERM.
function programSection(p: Program): string {
  const lines = [
    `[program:${p.name}]`,
    `command=${escapePercent(p.command.map(quoteArg).join(' '))}`,
    'startsecs=0',
    'autorestart=true',
    'stopsignal=TERM',
    'stopasgroup=true',
    'killasgroup=true',
    `stopwaitsecs=${p.stopwaitsecs ?? 10}`,
    'redirect_stderr=true',
    ...(p.output === 'relay' ? ['stdout_logfile=/dev/fd/1', 'stdout_logfile_maxbytes=0'] : ['stdout_logfile=NONE']),
  ];
  if (p.env) lines.push(`environment=${Object.entries(p.env).map(([k, v]) => `${k}=${escapePercent(quoteValue(v))}`).join(',')}`);
  return `${lines.join('\n')}\n`;
}

// The hard RLIMIT_NOFILE the bench runs under: supervisord raises its soft limit to `minfds` and refuses to start above the hard one.
function hardFileLimit(): number {
  const m = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
  return m?.[1] === undefined || m[1] === 'unlimited' ? 65536 : Number(m[1]);
}

// Writes `dir`/supervisord.conf and one conf.d file per program, starts supervisord as PID 1, and resolves once
// supervisorctl can talk to it (the programs may still be starting). stdout 'pipe' connects supervisord's
// stdout (where relayed programs write) to a real pipe, read from pid1.stdout; 'ignore' (default) discards it.
export async function startSupervisord(label: string, dir: string, programs: Program[], opts: { stdout?: 'pipe' | 'ignore' } = {}): Promise<Supervisord> {
  const include = join(dir, 'conf.d');
  const conf = join(dir, 'supervisord.conf');
  const socket = join(dir, 'supervisor.sock');
  mkdirSync(include, { recursive: true });
  writeFileSync(
    conf,
    [
      '[unix_http_server]',
      `file=${socket}`,
      '[supervisord]',
      'nodaemon=true',
      'silent=true', // its own log goes to the log file only, so that its stdout holds only what programs relay
      'user=root',
      `logfile=${join(dir, 'supervisord.log')}`,
      `pidfile=${join(dir, 'supervisord.pid')}`,
      `childlogdir=${dir}`,
      // Two or three pipes per program: enough descriptors for the scale workload's hundreds of programs.
      `minfds=${Math.min(hardFileLimit(), 16384)}`,
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '[supervisorctl]',
      `serverurl=unix://${socket}`,
      '[include]',
      `files = ${include}/*.conf`,
      '',
    ].join('\n'),
  );
  const addProgram = (p: Program): void => writeFileSync(join(include, `${p.name}.conf`), programSection(p));
  for (const p of programs) addProgram(p);

  const pid1 = new Pid1(label, ['supervisord', '-n', '-c', conf], opts.stdout ?? 'ignore');
  const ctl = (...args: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('supervisorctl', ['-c', conf, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${label}: supervisorctl ${args.join(' ')} failed (${err.code ?? err.signal}): ${(stdout + stderr).trim()}`));
        else resolve(stdout);
      });
    });
  // Ready once the socket answers; a PID 1 that exits in the meantime fails at once.
  for (const deadline = Date.now() + 15000; ; await sleep(20)) {
    const answer = await Promise.race([ctl('pid').then(() => 'ok', () => 'retry'), pid1.broken]);
    if (answer instanceof Error) throw answer;
    if (answer === 'ok') break;
    if (Date.now() > deadline) throw new Error(`${label}: supervisorctl could not reach supervisord within 15 s`);
  }
  return { pid1, conf, socket, include, ctl, addProgram, stop: () => pid1.stop(120000) };
}

export type XmlRpcCommand = 'restart' | 'add';

export interface XmlRpc {
  // Sends one command to fixtures/supervisor_rpc.py; resolves once supervisord's calls returned, rejects on an error.
  send(command: XmlRpcCommand, name: string): Promise<void>;
  close(): void;
}

// A persistent XML-RPC client (fixtures/supervisor_rpc.py, run by `python`, which can import supervisor) of this supervisord.
export function startXmlRpc(sv: Supervisord, python: string): XmlRpc {
  const client = startTracked(python, [join(FIXTURES, 'supervisor_rpc.py'), sv.socket], ['pipe', 'pipe', 'pipe']);
  const replies = new Feed<string>();
  let stderr = '';
  eachLine(client.stdout!, (line) => replies.push(line));
  eachLine(client.stderr!, (line) => void (stderr += `${line}\n`));
  void client.exited.then((code) => replies.fail(new Error(`supervisor_rpc.py exited (${String(code)})${stderr ? `: ${stderr.trim()}` : ''}`)));
  const send = async (command: XmlRpcCommand, name: string): Promise<void> => {
    const from = replies.items.length;
    client.stdin!.write(`${command} ${name}\n`);
    const reply = await replies.waitFor(() => true, `xmlrpc ${command} ${name}`, 30000, from);
    if (reply.value !== 'ok') throw new Error(`supervisord XML-RPC ${command} ${name}: ${reply.value}`);
  };
  return { send, close: () => client.stdin!.end() };
}
