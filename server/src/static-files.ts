// Serves the built dashboard from memory: files are read once at start (the build is a few hundred KiB),
// hashed assets are cached for a year, index.html must revalidate so a new build shows up at once.
// Dotfiles are never served and a symlink leading out of the web root stops the start-up; HTML answers
// carry a CSP whose script-src admits the page's own inline scripts by hash only.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { StartupError } from './errors.js';
import { endBody, statusLine, writeCommonHeaders, writePageHeaders } from './http-util.js';

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

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
  /** HTML only: the page's Content-Security-Policy. */
  csp: string | null;
}

/** A file as every static answer serves it: its type by extension, a content ETag, the caching rule. */
export function staticFile(path: string, body: Buffer, hashed: boolean): StaticFile {
  const type = CONTENT_TYPES[extname(path)] ?? 'application/octet-stream';
  return {
    body,
    type,
    csp: type.startsWith('text/html') ? contentSecurityPolicy(body.toString('utf8')) : null,
    etag: `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`,
    // Names with a content hash never change; anything else must revalidate so a new build shows at once.
    cacheControl: hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
}

/** Answers GET/HEAD with `file`: 304 on a matching If-None-Match, else the body with the static headers. */
export function serveStaticFile(res: HttpResponse, req: HttpRequest, file: StaticFile): void {
  if (req.getHeader('if-none-match') === file.etag) {
    res.writeStatus(statusLine(304));
    res.writeHeader('ETag', file.etag);
    res.writeHeader('Cache-Control', file.cacheControl);
    writeCommonHeaders(res);
    res.endWithoutBody();
    return;
  }
  res.writeStatus(statusLine(200));
  res.writeHeader('Content-Type', file.type);
  res.writeHeader('Cache-Control', file.cacheControl);
  res.writeHeader('ETag', file.etag);
  writeCommonHeaders(res);
  if (file.csp !== null) writePageHeaders(res, file.csp);
  // HEAD goes through the guard's view (http-guard.ts), which turns this into headers only.
  endBody(res, file.body);
}

/** Every file under `dir` a browser may fetch: dotfiles and dot-directories are skipped. */
function walk(root: string, dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (lstatSync(path).isSymbolicLink()) {
      const target = realpathSync(path);
      const rel = relative(realpathSync(root), target);
      if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) {
        throw new StartupError('TW_WEB_DIR', `"${path}" is a symlink to "${target}", outside the web root "${root}": remove it or copy the file in`);
      }
    }
    if (statSync(path).isDirectory()) walk(root, path, out);
    else out.push(path);
  }
}

/**
 * The dashboard's Content-Security-Policy: scripts from this origin plus the inline scripts of this very
 * HTML (by hash, so no injected script runs); styles may be inline (the chart library sets style
 * attributes); connections to this origin only (ws/wss included); the page is never framed.
 */
export function contentSecurityPolicy(html: string): string {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    hashes.push(`'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
  }
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(readonly root: string) {
    let paths: string[] = [];
    try {
      walk(root, root, paths);
    } catch (error) {
      if (error instanceof StartupError) throw error;
      throw new StartupError('TW_WEB_DIR', `cannot read the dashboard build at "${root}": run "npm run build" first (or set --web-dir)`, { cause: error });
    }
    paths = paths.filter((p) => !p.endsWith('.map'));
    for (const path of paths) {
      const url = '/' + relative(root, path).split(sep).join('/');
      this.files.set(url, staticFile(path, readFileSync(path), url.startsWith('/assets/')));
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
    serveStaticFile(res, req, file);
    return true;
  }
}
