// GET /client/tickwire-client.js (Route.clientBundle): the @tickwire/client browser bundle that
// `npm run build` writes to client/dist-bundle/, so a page served next to the server can
// `import { connect } from '/client/tickwire-client.js'` without a bundler. Read once at start and served
// like every static file (static-files.ts: ETag, no-cache revalidation, nosniff); the guard adds HEAD.
// A server started without the build still runs: the route then answers 404 naming the fix.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TemplatedApp } from 'uWebSockets.js';
import { Route } from '@tickwire/protocol/routes';
import type { Logger } from '@tickwire/core/log';
import { sendJson } from './http-util.js';
import { serveStaticFile, staticFile, type StaticFile } from './static-files.js';

/**
 * Where the build puts the bundle: dist-bundle/ of the installed @tickwire/client (a runtime dependency of the
 * server), found through the package so server/src (tests) and server/dist agree. Its package.json always
 * resolves, built or not; a missing bundle is the 404 below.
 */
export const CLIENT_BUNDLE_PATH = join(dirname(createRequire(import.meta.url).resolve('@tickwire/client/package.json')), 'dist-bundle', 'tickwire-client.js');

export function loadClientBundle(path: string = CLIENT_BUNDLE_PATH): StaticFile | null {
  try {
    return staticFile(path, readFileSync(path), false);
  } catch {
    return null;
  }
}

export function mountClientBundle(app: TemplatedApp, log: Logger, file: StaticFile | null = loadClientBundle()): void {
  if (file === null) log.warn({ path: CLIENT_BUNDLE_PATH }, `client bundle not built: ${Route.clientBundle} answers 404 until "npm run build"`);
  app.get(Route.clientBundle, (res, req) => {
    if (file !== null) serveStaticFile(res, req, file);
    else sendJson(res, 404, { error: { name: 'NotFound', message: 'the client bundle is not built: run "npm run build"' } });
  });
}
