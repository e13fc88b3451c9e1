// The dashboard under its own Content-Security-Policy (server/src/static-files.ts), in real Chromium:
// the document carries the CSP, frame and referrer headers; the page goes live, draws its chart, switches
// theme and reloads (the inline theme script runs by hash) with zero CSP violations, collected from
// `securitypolicyviolation` events installed before any page script and from the console. A negative
// control proves the collector sees a violation when there is one.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '@tickwire/server/test/harness';
import { hook, launchBrowser, openPage, resultsPath, startDashboardServer, until } from './env.js';

let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDashboardServer(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  if (server) expect(await server.stop()).toBe(0);
});

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/** Violations the page reported, plus console lines that mention the policy. */
async function violations(page: Page, consoleLines: string[]): Promise<string[]> {
  const events = await page.evaluate(() => window.__cspViolations ?? []);
  return [...events, ...consoleLines.filter((l) => /Content Security Policy/i.test(l))];
}

describe('dashboard under its Content-Security-Policy', () => {
  it('serves the CSP and goes live, themes and reloads with no violation', { timeout: 45_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    // Init scripts run before the page's own scripts and are not subject to its CSP.
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations!.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const consoleLines: string[] = [];
    try {
      let documentHeaders: Record<string, string> = {};
      const { page } = await openPage(context, server.url, (p) => {
        p.on('console', (m) => consoleLines.push(m.text()));
        p.on('response', (r) => {
          if (r.request().resourceType() === 'document') documentHeaders = r.headers();
        });
      });
      const csp = documentHeaders['content-security-policy'] ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(documentHeaders['x-frame-options']).toBe('DENY');
      expect(documentHeaders['referrer-policy']).toBe('no-referrer');
      expect(documentHeaders['x-content-type-options']).toBe('nosniff');

      await until(async () => (await hook.connection(page)).state === 'live', 'live connection');
      await until(async () => {
        const charts = await hook.charts(page);
        return charts[0] !== undefined && charts[0].bars >= 5;
      }, 'chart bars');
      // The saved light theme is applied by the inline script on reload: it must be allowed by its hash.
      await page.evaluate(() =>
        localStorage.setItem('tickwire.settings.v1', JSON.stringify({ ...JSON.parse(localStorage.getItem('tickwire.settings.v1') ?? '{}'), theme: 'light' })),
      );
      await page.reload();
      await until(async () => (await hook.connection(page)).state === 'live', 'live connection after reload');
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
      await page.screenshot({ path: resultsPath('csp-light-theme.png') });
      expect(await violations(page, consoleLines)).toEqual([]);

      // Negative control: an injected inline script is blocked and reported.
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true;';
        document.body.append(s);
      });
      await until(async () => (await violations(page, consoleLines)).length > 0, 'the injected script to be reported');
      expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
    } finally {
      await context.close();
    }
  });
});
