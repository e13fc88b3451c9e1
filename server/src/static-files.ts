// Serves the built dashboard from memory: files are read once at start (the build is a few hundred KiB),
// hashed assets are cached for a year, index.html must revalidate so a new build shows up at once.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { StartupError } from './errors.js';
import { statusLine } from './http-util.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
}

export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(readonly root: string) {
    let paths: string[] = [];
    try {
      walk(root, paths);
    } catch (error) {
      throw new StartupError('TW_WEB_DIR', `cannot read the dashboard build at "${root}": run "npm run build" first (or set --web-dir)`, { cause: error });
    }
    paths = paths.filter((p) => !p.endsWith('.map'));
    for (const path of paths) {
      const url = '/' + relative(root, path).split(sep).join('/');
      const body = readFileSync(path);
      const hashed = url.startsWith('/assets/');
      this.files.set(url, {
        body,
        type: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
        etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`,
        cacheControl: hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    if (!this.files.has('/index.html')) {
      throw new StartupError('TW_WEB_DIR', `no index.html in "${root}": run "npm run build" first (or set --web-dir)`);
    }
  }

  get count(): number {
    return this.files.size;
  }

  /** Answers GET/HEAD for a path; false when no such file (the caller sends 404). */
  serve(res: HttpResponse, req: HttpRequest): boolean {
    let url = req.getUrl();
    if (url === '/') url = '/index.html';
    const file = this.files.get(url);
    if (!file) return false;
    const head = req.getMethod() === 'head';
    if (req.getHeader('if-none-match') === file.etag) {
      res.writeStatus(statusLine(304));
      res.writeHeader('ETag', file.etag);
      res.writeHeader('Cache-Control', file.cacheControl);
      res.endWithoutBody();
      return true;
    }
    res.writeStatus(statusLine(200));
    res.writeHeader('Content-Type', file.type);
    res.writeHeader('Cache-Control', file.cacheControl);
    res.writeHeader('ETag', file.etag);
    res.writeHeader('X-Content-Type-Options', 'nosniff');
    if (head) res.endWithoutBody(file.body.length);
    else res.end(file.body);
    return true;
  }
}
