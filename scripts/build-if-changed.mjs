// Runs a build command only when its inputs changed: hashes the contents of the given files and folders
// (recursively, skipping dist/ and node_modules/) and compares the digest with the one stored beside the
// output after the last successful build. `npm start` on an unchanged tree thus skips the dashboard's Vite
// build; a content hash (not mtimes) survives git checkouts and fresh clones.
//   node scripts/build-if-changed.mjs --stamp web/dist/.inputs.sha256 --inputs web/src,web/index.html -- vite build …
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const split = args.indexOf('--');
const flag = (name) => {
  const at = args.indexOf(name);
  return at >= 0 && at < split ? args[at + 1] : undefined;
};
const stamp = flag('--stamp');
const inputs = flag('--inputs')?.split(',').filter(Boolean) ?? [];
const command = split >= 0 ? args.slice(split + 1) : [];
if (!stamp || inputs.length === 0 || command.length === 0) {
  console.error('usage: build-if-changed.mjs --stamp FILE --inputs a,b,c -- command [args…]');
  process.exit(2);
}

const SKIP = new Set(['dist', 'node_modules', '.vite']);
function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => !SKIP.has(name))
    .sort()
    .flatMap((name) => files(join(path, name)));
}

const hash = createHash('sha256');
for (const file of inputs.flatMap(files)) hash.update(file).update('\0').update(readFileSync(file)).update('\0');
const digest = hash.digest('hex');

if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === digest) {
  console.log(`build-if-changed: ${command.join(' ')} skipped, inputs unchanged (${stamp})`);
  process.exit(0);
}
try {
  execFileSync(command[0], command.slice(1), { stdio: 'inherit', shell: false });
} catch (error) {
  process.exit(typeof error.status === 'number' ? error.status : 1);
}
mkdirSync(dirname(stamp), { recursive: true });
writeFileSync(stamp, `${digest}\n`);
