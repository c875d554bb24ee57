/**
 * The thin node listener around the fetch-handler app (`@hono/node-server`): listen on a
 * host and port, report the URL, close gracefully (in-flight requests finish first).
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { AlreadyExistsError, InvalidParameterError, PropflowError } from '../errors.js';

export interface ListeningServer {
  /** `http://host:port` the server answers on. */
  url: string;
  port: number;
  /** Stop accepting connections and resolve once in-flight requests have finished. */
  close(): Promise<void>;
}

export interface ListenOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Longest time one request may take, in ms (default 10 minutes, for large artifacts). */
  requestTimeoutMs?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its variables
type AnyHono = Hono<any>;

/** Listen on `host:port` (default 127.0.0.1:5000). Refuses clearly when the port is taken. */
export function listen(app: AnyHono, options: ListenOptions = {}): Promise<ListeningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 5000;
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host });
  if ('requestTimeout' in server) {
    server.requestTimeout = options.requestTimeoutMs ?? 10 * 60_000;
    server.headersTimeout = 60_000;
    server.keepAliveTimeout = 5_000;
  }
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new AlreadyExistsError(
            `Cannot listen on ${host}:${port}: the port is already in use. Stop the other server or pick another --port.`,
          ),
        );
      } else if (err.code === 'EACCES') {
        reject(
          new PropflowError(
            `Cannot listen on ${host}:${port}: permission denied. Pick a port above 1024.`,
            'PERMISSION_DENIED',
          ),
        );
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
        reject(
          new InvalidParameterError(`Cannot listen on ${host}:${port}: no such local address. Check --host.`),
        );
      } else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${shownHost}:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((done, fail) => {
            // Keep-alive connections that go idle once their request has finished are closed
            // as they do, so shutdown does not wait for the keep-alive timeout.
            const reap = setInterval(() => {
              if ('closeIdleConnections' in server) server.closeIdleConnections();
            }, 50);
            server.close((err) => {
              clearInterval(reap);
              if (err) fail(err);
              else done();
            });
            if ('closeIdleConnections' in server) server.closeIdleConnections();
          }),
      });
    });
  });
}
