// Resolving a descriptor's "user" (a name or a uid) in the image's /etc/passwd.
import { readFileSync } from 'node:fs';

export interface UserEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

// The passwd entry for a name or uid, or undefined. A uid that has no entry still runs, with gid = uid.
export function resolveUser(user: string | number, passwd = '/etc/passwd'): UserEntry | undefined {
  let text = '';
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    // no passwd file: only numeric uids can be used
  }
  for (const line of text.split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue;
    if (name === String(user) || (typeof user === 'number' && Number(uid) === user) || (/^\d+$/.test(String(user)) && uid === String(user))) {
      return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
    }
  }
  if (typeof user === 'number' || /^\d+$/.test(user)) return { name: String(user), uid: Number(user), gid: Number(user), home: '/' };
  return undefined;
}
