// Runs the shipped proxy files — deploy/nginx/tickwire.conf and deploy/haproxy/haproxy.cfg — on loopback
// with only their marked values substituted (upstream/gateway addresses, listen ports, certificate paths,
// runtime socket), for the deployment tests and the nginx-cost benchmark. Each proxy runs in the foreground
// as a child of this process, in its own scratch directory, and is stopped by its PID only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Route, routeUrl } from '@tickwire/protocol/routes';
import { REPO_ROOT } from './servers.js';

export const NGINX_CONF = join(REPO_ROOT, 'deploy/nginx/tickwire.conf');
export const HAPROXY_CFG = join(REPO_ROOT, 'deploy/haproxy/haproxy.cfg');

/** Replaces every `from` by `to`, failing when `from` is absent: the shipped file must keep its markers. */
export function substitute(text: string, from: string, to: string, file = 'the shipped file'): string {
  if (!text.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}`);
  return text.split(from).join(to);
}

/**
 * A throw-away self-signed certificate for 127.0.0.1 (openssl, one day), as `<name>.crt` / `<name>.key` in
 * `dir`. The certificate is its own CA, so NODE_EXTRA_CA_CERTS=<crt> makes Node clients trust it.
 */
export function selfSignedCertificate(dir: string, name = 'tickwire'): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/** A running proxy child: its ports, PIDs (for /proc CPU) and output. */
export interface RunningProxy {
  dir: string;
  /** The master process (nginx) or the only process (HAProxy). */
  pid: number;
  /** Every process of the proxy now (nginx: master + workers), for CPU accounting. */
  pids(): number[];
  /** stderr/stdout so far plus the error log, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Port of the Tickwire server nginx forwards to (127.0.0.1). */
  upstreamPort: number;
  /** TLS listener port (the shipped `listen 443 ssl`); certificate is then required. */
  tlsPort?: number;
  /** Extra plain-HTTP listener on the same server block (benchmarks: proxy cost without TLS). */
  plainPort?: number;
  certificate: { cert: string; key: string };
  /** Write `$remote_addr "$http_x_forwarded_for" $status $request_uri` per request to `<dir>/access.log`. */
  accessLog?: boolean;
  workerProcesses?: number;
  workerConnections?: number;
}

/** The shipped nginx server block with this run's values in place of the marked ones. */
export function nginxServerBlock(o: NginxOptions): string {
  let conf = readFileSync(NGINX_CONF, 'utf8');
  const file = 'deploy/nginx/tickwire.conf';
  conf = substitute(conf, 'server 127.0.0.1:8080;', `server 127.0.0.1:${o.upstreamPort};`, file);
  const listen = [
    ...(o.tlsPort !== undefined ? [`listen 127.0.0.1:${o.tlsPort} ssl;`] : []),
    ...(o.plainPort !== undefined ? [`listen 127.0.0.1:${o.plainPort};`] : []),
  ];
  if (listen.length === 0) throw new Error('nginx: give tlsPort, plainPort or both');
  conf = substitute(conf, 'listen 443 ssl;', listen.join('\n    '), file);
  // nginx loads the certificate even for a block that only listens in plain HTTP, so it is always set.
  conf = substitute(conf, '/etc/ssl/tickwire/fullchain.pem', o.certificate.cert, file);
  conf = substitute(conf, '/etc/ssl/tickwire/privkey.pem', o.certificate.key, file);
  return conf;
}

/** A free loopback port, for proxies that need a concrete one in their config. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve();
      });
      s.on('error', () => {
        s.destroy();
        if (!alive()) reject(new Error(`the proxy exited before listening on ${port}`));
        else if (Date.now() > deadline) reject(new Error(`nothing listens on ${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Children of `pid` (scan of /proc: this kernel has no /proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function run(command: string, args: string[], dir: string, logFile: string | null, killChildrenToo: boolean): RunningProxy {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (s: string) => (out = (out + s).slice(-32_768));
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pid = child.pid!;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    dir,
    pid,
    pids: () => (alive() ? [pid, ...(killChildrenToo ? childPids(pid) : [])] : []),
    output: () => {
      let log = '';
      try {
        if (logFile !== null) log = readFileSync(logFile, 'utf8').slice(-8192);
      } catch {
        // No log written yet.
      }
      return `${out}${log}`;
    },
    async stop() {
      if (!alive()) return;
      // Workers of a SIGKILLed nginx master would linger: note them first, end them after the master.
      const workers = killChildrenToo ? childPids(pid) : [];
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (alive()) child.kill('SIGKILL');
      }, 5_000);
      await exited;
      clearTimeout(timer);
      for (const w of workers) {
        try {
          process.kill(w, 'SIGKILL');
        } catch {
          // Already gone, as it should be.
        }
      }
    },
  };
}

/** Starts Debian's nginx with the shipped server block under a scratch directory; resolves once it listens. */
export async function startNginx(o: NginxOptions): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-nginx-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'tickwire.conf'), nginxServerBlock(o));
  const errorLog = join(dir, 'error.log');
  // The wrapper a distribution's nginx.conf would be: everything under the scratch directory.
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      `worker_processes ${o.workerProcesses ?? 1};`,
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${errorLog} warn;`,
      // Two descriptors per proxied connection, plus listeners and upstream keep-alives.
      `worker_rlimit_nofile ${2 * (o.workerConnections ?? 4096) + 64};`,
      `events { worker_connections ${o.workerConnections ?? 4096}; }`,
      'http {',
      ...(o.accessLog
        ? [`  log_format peers '$remote_addr "$http_x_forwarded_for" $status $request_uri';`, `  access_log ${join(dir, 'access.log')} peers;`]
        : ['  access_log off;']),
      `  client_body_temp_path ${join(dir, 'body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      `  include ${join(dir, 'tickwire.conf')};`,
      '}',
    ].join('\n'),
  );
  const proxy = run('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], dir, errorLog, true);
  const alive = () => proxy.pids().length > 0;
  try {
    for (const port of [o.tlsPort, o.plainPort]) if (port !== undefined) await waitForPort(port, 10_000, alive);
  } catch (error) {
    await proxy.stop();
    throw new Error(`nginx: ${(error as Error).message}; output: ${proxy.output()}`, { cause: error });
  }
  return proxy;
}

/** Starts Debian's HAProxy with the shipped file: frontend on `frontPort`, the two gateway lines on `gateways`. */
export async function startHaproxy(o: { frontPort: number; gateways: [number, number] }): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tickwire-haproxy-'));
  const file = 'deploy/haproxy/haproxy.cfg';
  let cfg = readFileSync(HAPROXY_CFG, 'utf8');
  cfg = substitute(cfg, 'bind 127.0.0.1:8080', `bind 127.0.0.1:${o.frontPort}`, file);
  cfg = substitute(cfg, 'server gw1 127.0.0.1:8081', `server gw1 127.0.0.1:${o.gateways[0]}`, file);
  cfg = substitute(cfg, 'server gw2 127.0.0.1:8082', `server gw2 127.0.0.1:${o.gateways[1]}`, file);
  cfg = substitute(cfg, '/run/haproxy/tickwire.sock', join(dir, 'admin.sock'), file);
  writeFileSync(join(dir, 'haproxy.cfg'), cfg);
  const proxy = run('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], dir, null, false);
  // Listening is not enough: the backends must have passed their health checks (rise 2 × 500 ms).
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(routeUrl(`http://127.0.0.1:${o.frontPort}`, Route.health), { signal: AbortSignal.timeout(2_000) })).status === 200) return proxy;
    } catch {
      // Not up yet.
    }
    if (proxy.pids().length === 0 || Date.now() > deadline) {
      await proxy.stop();
      throw new Error(`HAProxy on ${o.frontPort} did not pass /healthz in time; output: ${proxy.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
