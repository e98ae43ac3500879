// GET /metrics over HTTP (--metrics HOST:PORT). Bounded: requests are small and answered at once,
// slow or idle connections are closed (headers 5 s, a request 10 s, keep-alive 5 s), and connections
// beyond MAX_CONNECTIONS are refused — a busy or hostile scraper costs colony a bounded amount of
// memory and never the supervision. A port that cannot be bound is one error line; colony goes on.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { describeError } from '../common/errors.ts';
import type { Listen } from '../cli/options.ts';
import type { Log } from '../log/logger.ts';

export const MAX_CONNECTIONS = 2048;

export interface MetricsServer {
  // Resolves with the address bound (the port chosen when 0 was asked), or undefined when it could not be.
  readonly listening: Promise<{ host: string; port: number } | undefined>;
  close(): Promise<void>;
}

export function serveMetrics(where: Listen, registry: Registry, log: Log): MetricsServer {
  const server: Server = createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => void answer(req, res, registry, log));
  server.maxConnections = MAX_CONNECTIONS;
  server.maxRequestsPerSocket = 1000;
  // A malformed request: 400 and the connection closed (Node's default), never an exception.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  const shown = `${where.host?.includes(':') ? `[${where.host}]` : (where.host ?? '')}:${where.port}`;
  const listening = new Promise<{ host: string; port: number } | undefined>((resolve) => {
    server.once('error', (err) => {
      log.error(`--metrics ${shown}: cannot listen (${describeError(err)}); colony goes on without a metrics endpoint`, { metrics: shown });
      resolve(undefined);
    });
    server.listen({ host: where.host, port: where.port }, () => {
      const a = server.address();
      const bound = a && typeof a === 'object' ? { host: a.address, port: a.port } : { host: where.host ?? '', port: where.port };
      log.info(`serving metrics on http://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}/metrics`, { metrics: shown });
      resolve(bound);
    });
  });
  server.unref(); // never what keeps colony running
  return {
    listening,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, registry: Registry, log: Log): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'only GET and HEAD\n', { Allow: 'GET, HEAD' });
  if (path === '/') return reply(res, 200, 'colony: metrics at /metrics\n');
  if (path !== '/metrics') return reply(res, 404, 'not found: metrics are at /metrics\n');
  try {
    const body = await registry.metrics();
    reply(res, 200, req.method === 'HEAD' ? '' : body, { 'Content-Type': registry.contentType }, Buffer.byteLength(body));
  } catch (err) {
    log.error('cannot collect the metrics', { error: describeError(err) });
    reply(res, 500, 'cannot collect the metrics (see colony\'s log)\n');
  }
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, length = Buffer.byteLength(body)): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers, 'Content-Length': String(length) });
  res.end(body);
}
