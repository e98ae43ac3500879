// The floor for restart, add and scale: the least a Node supervisor does for them, with no supervisor
// logic. Usage: node supervise.cjs CONFIG MESSAGES. At start it reads every file in CONFIG (a descriptor:
// JSON with `args`) and spawns each; a file renamed into CONFIG is read and spawned the same way; a message
// renamed into MESSAGES ({"type": "RESTART", "name": …} or {"type": "RESTART-ALL"}) is read and deleted,
// and each process it names gets SIGTERM and is spawned again once its exit is seen. Each child gets its
// own process group, stdin from /dev/null and piped output that is read and copied to stdout, as colony's
// children do. The directories are followed by fs.watch (inotify), the events colony sees too. Dotfiles
// (writers' temporary files) are skipped. On SIGTERM: SIGTERM to every child, exit 0.
'use strict';
const { spawn } = require('node:child_process');
const { readdirSync, readFileSync, unlinkSync, watch } = require('node:fs');
const { join } = require('node:path');

const [config, messages] = process.argv.slice(2);
const running = new Map(); // name -> child
const restarting = new Set(); // names to spawn again when their exit is seen

process.on('SIGTERM', () => {
  for (const child of running.values()) child.kill('SIGTERM');
  process.exit(0);
});

function start(name, args) {
  const child = spawn(args[0], args.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => process.stdout.write(d));
  child.stderr.on('data', (d) => process.stderr.write(d));
  child.on('exit', () => {
    running.delete(name);
    if (restarting.delete(name)) start(name, args);
  });
  running.set(name, child);
}

function read(dir, file) {
  try {
    return JSON.parse(readFileSync(join(dir, file), 'utf8'));
  } catch {
    return undefined; // gone already, or being written
  }
}

function restart(name) {
  const child = running.get(name);
  if (!child) return;
  restarting.add(name);
  child.kill('SIGTERM');
}

for (const file of readdirSync(config)) {
  const d = read(config, file);
  if (d && !file.startsWith('.')) start(file, d.args);
}

watch(config, (_event, file) => {
  if (!file || file.startsWith('.') || running.has(file)) return;
  const d = read(config, file);
  if (d) start(file, d.args);
});

watch(messages, (_event, file) => {
  if (!file || file.startsWith('.')) return;
  const m = read(messages, file);
  if (!m) return;
  try {
    unlinkSync(join(messages, file));
  } catch {
    return; // taken already
  }
  if (m.type === 'RESTART') restart(m.name);
  else if (m.type === 'RESTART-ALL') for (const name of running.keys()) restart(name);
});
