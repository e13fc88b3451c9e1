// Makes `npm start` and `npm test` work on a fresh clone: installs npm dependencies when node_modules is
// missing or older than package-lock.json, and (with --system) the Debian packages the tests drive — the
// same list as .ci/run: Chromium, nats-server, nginx, HAProxy, python3, openssl — when they are missing and
// apt-get is usable. Plain JS: it runs before any dependency exists.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
const has = (cmd) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const [major, minor] = process.versions.node.split('.').map(Number);
if (major !== 20 || minor < 19) {
  console.error(`tickwire: Node.js 20.19+ (20.x) is required (uWebSockets.js ships a binary for Node 20's ABI); this is ${process.version}`);
  process.exit(1);
}

const marker = 'node_modules/.package-lock.json';
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs) {
  console.log('tickwire: installing npm dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

if (process.argv.includes('--system')) {
  // [Debian package, present?]: the tests start each program by name from PATH (Chromium may also come
  // from CHROMIUM_PATH). nginx and HAProxy: deployment tests; python3: raw-socket slow readers; openssl:
  // throw-away TLS certificates.
  const missing = [
    ['chromium', (!!process.env.CHROMIUM_PATH && existsSync(process.env.CHROMIUM_PATH)) || existsSync('/usr/lib/chromium/chromium') || has('chromium')],
    ['nats-server', has('nats-server')],
    ['nginx', has('nginx')],
    ['haproxy', has('haproxy')],
    ['python3', has('python3')],
    ['openssl', has('openssl')],
  ]
    .filter(([, present]) => !present)
    .map(([name]) => name);
  if (missing.length > 0) {
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!root || !has('apt-get')) {
      console.error(`tickwire: the tests need ${missing.join(', ')}; install with: sudo apt-get install -y ${missing.join(' ')}`);
      process.exit(1);
    }
    console.log(`tickwire: installing ${missing.join(', ')} (apt-get)…`);
    run('apt-get', ['update']);
    run('apt-get', ['install', '-y', ...missing]);
  }
}
