// colony's own executable: whether this is the single executable, and the command that starts colony
// again (as the main command's launcher, src/main-command/launch.ts).

// The hidden command under which colony runs as the main command's launcher: not a command for users.
export const LAUNCH_COMMAND = '__launch-main';

export interface Sea {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

// node:sea when running as a single executable application, else undefined.
export function singleExecutable(): Sea | undefined {
  try {
    const sea = require('node:sea') as Sea;
    return sea.isSea() ? sea : undefined;
  } catch {
    return undefined;
  }
}

// The argv prefix that starts colony's launcher for a main command on the terminal; `group` is colony's
// process group (the launcher falls back into it).
export function launcherCommand(group: number): string[] {
  return [...selfCommand(), LAUNCH_COMMAND, String(group)];
}

// The argv prefix that runs colony again: the single executable alone (it finds its arguments after
// its own path), else Node with the script it runs (the bundle, bin/colony or src/main.ts). No Node
// flags: they tune a long-lived supervisor, and the launcher that uses this lives a few milliseconds.
export function selfCommand(): string[] {
  if (singleExecutable()) return [process.execPath];
  return [process.execPath, process.argv[1]!];
}
