// HTTP for the real-service tests: a free port, one GET on a fresh connection, waiting until a URL serves.
import http from 'node:http';
import net from 'node:net';
import { waitFor } from './wait.ts';

// A TCP port nothing listens on right now (bound to 0, then closed).
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => res(port));
    });
  });
}

// One GET on a fresh connection (no keep-alive: a pooled socket must not outlive a server).
export function get(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = http.get(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (d: string) => (body += d));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
      r.on('error', rej);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', rej);
  });
}

// Waits until the URL answers 200 with a body matching `re`; returns the match.
export function serving(url: string, re: RegExp, what: string, timeoutMs = 30_000): Promise<RegExpExecArray> {
  return waitFor(
    what,
    async () => {
      const r = await get(url);
      return r.status === 200 ? (re.exec(r.body) ?? undefined) : undefined;
    },
    timeoutMs,
    100,
  );
}
