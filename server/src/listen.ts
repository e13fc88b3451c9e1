// Getting the server onto its ports: the main app (plain or TLS), the refusal to share a port with a live
// server, waiting out TIME_WAIT after a crash, the URL clients are told, and the separate /metrics listener.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { Logger } from '@tickwire/core/log';
import type { ServerConfig } from './config.js';
import { StartupError } from './errors.js';
import type { loadUws } from './uws.js';

type Uws = ReturnType<typeof loadUws>;

/** True when something accepts TCP connections at host:port (checked before listening). */
export function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The main app: plain, or TLS (https and wss on the same port) when a certificate is configured. The pair
 * is checked with Node's TLS first, because uWS takes unreadable or mismatched files without a word and
 * then fails every handshake. Certificates are read at start: a renewed one needs a restart (this uWS
 * build cannot swap the context of a listening app), which clients ride out by resuming.
 */
export function openApp(uws: Uws, config: ServerConfig): TemplatedApp {
  if (config.tlsCert === null || config.tlsKey === null) return uws.App();
  try {
    createSecureContext({ cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) });
  } catch (error) {
    throw new StartupError('TW_TLS', `cannot use --tls-cert ${config.tlsCert} with --tls-key ${config.tlsKey}: ${(error as Error).message}`, { cause: error });
  }
  return uws.SSLApp({ cert_file_name: config.tlsCert, key_file_name: config.tlsKey });
}

export interface Listening {
  socket: us_listen_socket;
  port: number;
  scheme: 'http' | 'https';
  url: string;
}

function listenOn(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket | false> {
  return new Promise((resolve) => app.listen(host, port, (socket) => resolve(socket)));
}

/** Listens on the configured host and port; throws TW_LISTEN (a StartupError) when it cannot. */
export async function listenMain(app: TemplatedApp, uws: Uws, config: ServerConfig, log: Logger, worker: number | undefined): Promise<Listening> {
  // uSockets sets SO_REUSEPORT, so a live server on the port would silently share it: refuse instead.
  // (--workers threads share the port on purpose; the main thread made this check once for all of them.)
  if (config.port !== 0 && worker === undefined && (await portAnswers(config.host, config.port))) {
    throw new StartupError('TW_LISTEN', `cannot listen on ${config.host}:${config.port}: another process is serving on that port`);
  }
  let socket = await listenOn(app, config.host, config.port);
  // uWS v20.30 listens without SO_REUSEADDR, so after a crash the dead process's connections hold the port
  // in TIME_WAIT for up to 60 s. Nobody answers on it then: wait for the kernel rather than fail.
  const deadline = Date.now() + config.listenWaitSec * 1000;
  if (!socket && config.port !== 0 && Date.now() < deadline) {
    log.warn({ port: config.port }, 'port still held by closed connections (TIME_WAIT) of a previous process; retrying');
    while (!socket && Date.now() < deadline && !(await portAnswers(config.host, config.port))) {
      await new Promise((r) => setTimeout(r, 500));
      socket = await listenOn(app, config.host, config.port);
    }
  }
  if (!socket) {
    throw new StartupError('TW_LISTEN', `cannot listen on ${config.host}:${config.port}: the port is in use or the address is not local`);
  }
  const port = uws.us_socket_local_port(socket);
  const scheme = config.tlsCert === null ? 'http' : 'https';
  const url = `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  return { socket, port, scheme, url };
}

export interface MetricsListening {
  app: TemplatedApp;
  socket: us_listen_socket;
  port: number;
}

/**
 * The main listener, then the separate /metrics listener when --metrics-port is set (its app built by
 * `metricsApp`). --workers threads each have their own registry: worker i serves its metrics on port + i.
 * Either both listen or neither does.
 */
export async function listenAll(
  app: TemplatedApp,
  uws: Uws,
  config: ServerConfig,
  log: Logger,
  worker: number | undefined,
  metricsApp: () => TemplatedApp,
): Promise<{ main: Listening; metrics: MetricsListening | null }> {
  const main = await listenMain(app, uws, config, log, worker);
  if (config.metricsPort === null) return { main, metrics: null };
  const wanted = config.metricsPort === 0 ? 0 : config.metricsPort + (worker ?? 0);
  const mApp = metricsApp();
  const socket = await listenOn(mApp, config.metricsHost, wanted);
  if (!socket) {
    uws.us_listen_socket_close(main.socket);
    throw new StartupError('TW_LISTEN', `cannot listen for metrics on ${config.metricsHost}:${wanted}: the port is in use or the address is not local`);
  }
  return { main, metrics: { app: mApp, socket, port: uws.us_socket_local_port(socket) } };
}
