// The floor for start-up: the least a Node init does — spawn its argv with output piped through it,
// pass SIGTERM on, exit 0 when the child has gone after it. No supervisor logic, no modules beyond Node's.
'use strict';
const { spawn } = require('node:child_process');
let stopping = false;
let child;
// Before the spawn: a SIGTERM that reaches PID 1 with no handler yet is dropped by the kernel.
process.on('SIGTERM', () => {
  stopping = true;
  child.kill('SIGTERM');
});
child = spawn(process.argv[2], process.argv.slice(3), { stdio: ['ignore', 'pipe', 'pipe'] });
child.stdout.pipe(process.stdout);
child.stderr.pipe(process.stderr);
child.on('exit', (code) => process.exit(stopping ? 0 : (code ?? 1)));
