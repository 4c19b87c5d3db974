/**
 * The Node side of the browser example, shared by the browser test (spec/browser/page.spec.ts) and
 * the browser latency bench (bench/browser-latency.ts): build the page bundle into a folder of its own, serve the page with
 * its models on an ephemeral port, and open it in Debian's chromium through playwright-core
 * (which never downloads a browser: the executable is given).
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot, startStaticServer, type StaticServer } from './serve.js';

/** The repository root. */
export const ROOT = repoRoot();

/** Where Debian's chromium lives (`apt-get install chromium`); GMMRL_CHROMIUM overrides. */
export const CHROMIUM = process.env['GMMRL_CHROMIUM'] ?? '/usr/bin/chromium';

export type OrtBuild = 'wasm' | 'default';

export interface BundleReport {
  outDir: string;
  ortBuild: OrtBuild;
  js: { file: string; bytes: number; gzipBytes: number };
  wasm: { file: string; bytes: number }[];
  onnxruntimeWeb: string[];
  sources: string[];
  runtime: Record<'gmmrlOnly' | 'withOrtWasm' | 'withOrtDefault', { bytes: number; gzipBytes: number }>;
}

/** Bundles examples/browser/main.ts into `outDir` with scripts/build-browser.mjs (onnxruntime-web build `ort`, default 'wasm'). */
export async function buildBundle(outDir: string, ort: OrtBuild = 'wasm'): Promise<BundleReport> {
  const mod = (await import(pathToFileURL(join(ROOT, 'scripts', 'build-browser.mjs')).href)) as {
    buildBrowserBundle(o: { outDir: string; ort: OrtBuild }): Promise<BundleReport>;
  };
  return mod.buildBrowserBundle({ outDir, ort });
}

export interface PageSession {
  browser: Browser;
  page: Page;
  server: StaticServer;
  /** Uncaught page errors and console errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Serves examples/browser at /, `bundleDir` at /dist/ and `modelsDir` at /models/, launches
 * chromium headless and opens the page (no model, no live loop) until window.gmmrlPage exists.
 * `isolate` sends COOP/COEP headers (cross-origin isolation: finer performance.now()); `args`
 * are extra Chromium command-line switches.
 */
export async function openPage(bundleDir: string, modelsDir: string, opts: { isolate?: boolean; args?: string[] } = {}): Promise<PageSession> {
  const headers = opts.isolate ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : undefined;
  const server = await startStaticServer({
    mounts: { '/': join(ROOT, 'examples', 'browser'), '/dist/': resolve(bundleDir), '/models/': resolve(modelsDir) },
    ...(headers ? { headers } : {}),
  });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', ...(opts.args ?? [])] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    // Failed requests are recorded with their URL (below); Chromium's own console line for them
    // ("Failed to load resource") names none. The page asks for models/index.json, the optional demo list.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console.error: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/models/index.json')) errors.push(`HTTP ${r.status()} ${r.url()}`);
    });
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? ''})`));
    await page.goto(`${server.url}?autoplay=0&model=`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset['state'] === 'ready' || document.body.dataset['state'] === 'error', null, { timeout: 60_000 });
    const state = await page.evaluate(() => document.body.dataset['state']);
    if (state !== 'ready') throw new Error(`the page did not start: ${await page.textContent('#error')} ${errors.join('; ')}`);
    const b = browser;
    return {
      browser: b,
      page,
      server,
      errors,
      close: async () => {
        await b.close();
        await server.close();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.close();
    throw err;
  }
}
