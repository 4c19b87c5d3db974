/**
 * The Node side of the browser example's test (spec/browser/page.spec.ts) and of the browser latency
 * bench (bench/browser-latency.ts): build the page bundle into a folder of its own, serve the page
 * with its models on an ephemeral port — by running the example's own server,
 * dist/examples/browser/serve.js, as a process — and open it in Debian's chromium through
 * playwright-core (which never downloads a browser: the executable is given).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The repository root: the folder above this file with package.json and examples/browser/index.html. */
export const ROOT = repoRoot();

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples', 'browser', 'index.html'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(
    `browser-harness: cannot find the repository root (a folder with package.json and examples/browser/index.html) above ${fileURLToPath(import.meta.url)}`,
  );
}

/** The example's compiled server (examples/browser/serve.ts), next to this file's compiled folder. */
export const SERVE_JS = fileURLToPath(new URL('../examples/browser/serve.js', import.meta.url));

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

/** A running `serve.js`: the page's base URL, and `close` to stop the process. */
export interface PageServer {
  /** Base URL, e.g. "http://127.0.0.1:40123/". */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts `node dist/examples/browser/serve.js --port=0 …args` and resolves once it prints its URL;
 * rejects with its stderr when it exits first or prints nothing within 60 s.
 */
export function startPageServer(args: readonly string[]): Promise<PageServer> {
  const child = spawn(process.execPath, [SERVE_JS, '--port=0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise<PageServer>((resolvePromise, reject) => {
    const t0 = Date.now();
    const check = (): void => {
      const m = /^gmmrl browser example: (\S+)$/m.exec(out);
      if (m) return resolvePromise({ url: m[1]!, close });
      if (child.exitCode !== null || child.signalCode !== null) {
        return reject(new Error(`browser-harness: ${SERVE_JS} exited (${child.exitCode ?? child.signalCode}) before serving:\n${err}`));
      }
      if (Date.now() - t0 > 60_000) {
        void close();
        return reject(new Error(`browser-harness: ${SERVE_JS} printed no URL within 60 s:\n${out}\n${err}`));
      }
      setTimeout(check, 20);
    };
    check();
  });
}

export interface PageSession {
  browser: Browser;
  page: Page;
  server: PageServer;
  /** Uncaught page errors and console errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Serves examples/browser at /, `bundleDir` at /dist/ and `modelsDir` at /models/ (serve.js), launches
 * chromium headless and opens the page (no model, no live loop) until window.gmmrlPage exists.
 * `isolate` sends COOP/COEP headers (cross-origin isolation: finer performance.now()); `args`
 * are extra Chromium command-line switches.
 */
export async function openPage(
  bundleDir: string,
  modelsDir: string,
  opts: { isolate?: boolean; args?: string[] } = {},
): Promise<PageSession> {
  const server = await startPageServer([
    `--dist=${resolve(bundleDir)}`,
    `--models=${resolve(modelsDir)}`,
    ...(opts.isolate ? ['--isolate'] : []),
  ]);
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
    await page.waitForFunction(() => document.body.dataset['state'] === 'ready' || document.body.dataset['state'] === 'error', null, {
      timeout: 60_000,
    });
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
