/**
 * A tiny static file server (node:http, no dependencies) for the browser example: URL prefixes
 * mapped to folders, GET/HEAD only, no directory listings, paths confined to their folder, the MIME
 * types the page needs (application/wasm for WebAssembly.instantiateStreaming).
 *
 * As a program it serves the example page:
 *
 *   npm run build            # compiles, and bundles the page into examples/browser/dist
 *   node dist/examples/browser/serve.js [--port=8080] [--dist=DIR] [--models=DIR] [--isolate]
 *
 * mounting examples/browser at /, the page bundle at /dist/ (--dist, default examples/browser/dist)
 * and the models at /models/ (--models, default: the demo models of examples/browser/models.ts,
 * written to a temporary folder); open the printed URL (`gmmrl browser example: URL`, the first
 * line). `?model=<url>` loads any other .onnx. --isolate sends COOP/COEP headers (a cross-origin
 * isolated page: finer performance.now()). --port=0 picks a free port. The browser test and the
 * browser latency bench run it this way (bench/browser-harness.ts).
 */
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** Base URL, e.g. "http://127.0.0.1:40123/". */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /** URL prefix ("/", "/dist/", "/models/") → folder. The longest matching prefix wins. */
  mounts: Record<string, string>;
  /** Port (default 0: an ephemeral port). */
  port?: number;
  /** Host (default 127.0.0.1). */
  host?: string;
  /** Extra response headers (e.g. COOP/COEP for cross-origin isolation). */
  headers?: Record<string, string>;
}

/** Starts the server; resolves once it listens. */
export function startStaticServer(opts: StaticServerOptions): Promise<StaticServer> {
  const mounts = Object.entries(opts.mounts)
    .map(([prefix, dir]) => {
      if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
        throw new Error(`startStaticServer: mount prefix ${JSON.stringify(prefix)} must start and end with "/" (e.g. "/models/").`);
      }
      return { prefix, dir: resolve(dir) };
    })
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const server: Server = createServer((req, res) => {
    const send = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...opts.headers });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'GET and HEAD only\n');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad URL\n');
    }
    if (path.endsWith('/')) path += 'index.html';
    const mount = mounts.find((m) => path.startsWith(m.prefix));
    if (!mount) return send(404, `not found: ${path}\n`);
    const file = resolve(mount.dir, '.' + path.slice(mount.prefix.length - 1));
    if (file !== mount.dir && !file.startsWith(mount.dir + sep)) return send(403, 'outside the served folder\n');
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) return send(404, `not found: ${path}\n`);
      size = st.size;
    } catch {
      return send(404, `not found: ${path}\n`);
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(size),
      'cache-control': 'no-store',
      ...opts.headers,
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('startStaticServer: no TCP address'));
      const host = opts.host ?? '127.0.0.1';
      resolvePromise({
        url: `http://${host}:${addr.port}/`,
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** The repository root, from this file's location (examples/browser/serve.ts or dist*\/examples/browser/serve.js). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples', 'browser', 'index.html'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(
    'serve: cannot find the repository root (a folder with package.json and examples/browser/index.html) above ' +
      fileURLToPath(import.meta.url),
  );
}

/** The program's flags: --port=N, --dist=DIR, --models=DIR, --isolate. */
function parseServeFlags(argv: string[]): { port: number; dist: string | null; models: string | null; isolate: boolean } {
  const flags = { port: 8080, dist: null as string | null, models: null as string | null, isolate: false };
  for (const a of argv) {
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(0, eq) : a;
    const value = eq >= 0 ? a.slice(eq + 1) : undefined;
    if (name === '--isolate' && value === undefined) flags.isolate = true;
    else if (name === '--port' && value !== undefined) {
      const port = Number(value);
      if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`serve: --port=${value} must be an integer in [0, 65535].`);
      flags.port = port;
    } else if ((name === '--dist' || name === '--models') && value) flags[name === '--dist' ? 'dist' : 'models'] = resolve(value);
    else throw new Error(`serve: unknown argument ${JSON.stringify(a)}; the flags are --port=N, --dist=DIR, --models=DIR and --isolate.`);
  }
  return flags;
}

async function main(argv: string[]): Promise<void> {
  const flags = parseServeFlags(argv);
  const root = repoRoot();
  const page = join(root, 'examples', 'browser');
  const dist = flags.dist ?? join(page, 'dist');
  if (!existsSync(join(dist, 'main.js'))) {
    throw new Error(
      `serve: ${join(dist, 'main.js')} is missing; ` +
        (flags.dist
          ? 'build the page into that folder first: node scripts/build-browser.mjs DIR.'
          : 'build the page first: npm run build:browser (or npm run build).'),
    );
  }
  let models = flags.models;
  let written: { name: string; description: string }[] = [];
  let tempModels: string | null = null;
  if (models === null) {
    const { writeDemoModels } = await import('./models.js');
    tempModels = mkdtempSync(join(tmpdir(), 'gmmrl-browser-models-'));
    written = writeDemoModels(tempModels);
    models = tempModels;
  }
  const headers = flags.isolate
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    : undefined;
  const s = await startStaticServer({
    mounts: { '/': page, '/dist/': dist, '/models/': models },
    port: flags.port,
    ...(headers ? { headers } : {}),
  });
  console.log(`gmmrl browser example: ${s.url}`);
  for (const m of written) console.log(`  ${s.url}?model=models/${m.name}.onnx   (${m.description})`);
  console.log('Ctrl-C to stop.');
  const stop = () => {
    if (tempModels !== null) rmSync(tempModels, { recursive: true, force: true });
    void s.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
