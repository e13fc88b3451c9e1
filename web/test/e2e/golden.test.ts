// The browser end of the golden vectors: Chromium loads the compiled codec as ES modules and decodes
// every golden frame (raw and through the SSE base64 path), compact Updates included (also through
// visitTicks, the dashboard's hot path); results must equal the Node-side values.
import { readFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser } from './env.js';
import { GOLDEN } from '@tickwire/protocol/test/golden';
import { FrameType } from '@tickwire/protocol/messages';

const DIST = resolve(import.meta.dirname, '../../../protocol/dist');
let http: Server;
let browser: Browser;
let base = '';

beforeAll(async () => {
  if (!existsSync(join(DIST, 'codec.js'))) throw new Error(`${DIST}/codec.js missing: run "npm run build" first`);
  http = createServer((req, res) => {
    const name = (req.url ?? '/').replace(/^\/+/, '');
    if (name === '') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>codec</title>');
      return;
    }
    if (!/^[a-z-]+\.js$/.test(name) || !existsSync(join(DIST, name))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync(join(DIST, name)));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => http?.close(r));
});

it('Chromium decodes every golden vector to the same frame as Node', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base + '/');
  const vectors = GOLDEN.map((g) => ({ hex: g.hex, base64: Buffer.from(g.hex, 'hex').toString('base64') }));
  // A string, not a function: vitest rewrites import() inside test code, and this must run untouched in the page.
  await page.addScriptTag({
    type: 'module',
    content: `
      import * as codec from '/codec.js';
      import * as sse from '/sse.js';
      const fromHex = (h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
      const visited = (bytes) => {
        const ticks = [];
        const r = codec.visitTicks(bytes, (t) => ticks.push({ ...t }));
        return r.ok ? ticks : null;
      };
      window.decodeGolden = (input) => input.map(({ hex, base64 }) => ({
        raw: codec.decodeFrame(fromHex(hex)),
        viaSse: codec.decodeFrame(sse.base64ToFrame(base64)),
        visited: visited(fromHex(hex)),
      }));
    `,
  });
  await page.waitForFunction('typeof window.decodeGolden === "function"');
  const decoded = (await page.evaluate(`window.decodeGolden(${JSON.stringify(vectors)})`)) as Array<{ raw: unknown; viaSse: unknown; visited: unknown }>;
  expect(errors).toEqual([]);
  expect(GOLDEN.filter((g) => g.frame.type === FrameType.UpdatesCompact).length).toBeGreaterThanOrEqual(2);
  decoded.forEach((d, i) => {
    const frame = GOLDEN[i]!.frame;
    const expected = { ok: true, value: frame };
    expect(d.raw, GOLDEN[i]!.name).toEqual(expected);
    expect(d.viaSse, GOLDEN[i]!.name).toEqual(expected);
    expect(d.visited, GOLDEN[i]!.name).toEqual('ticks' in frame ? frame.ticks : null);
  });
  await page.close();
});
