/**
 * A tiny static file server (node:http, no dependencies) for the browser example, its test and the
 * browser latency bench: URL prefixes mapped to folders, GET/HEAD only, no directory listings,
 * paths confined to their folder, the MIME types the page needs (application/wasm for
 * WebAssembly.instantiateStreaming).
 *
 * As a program it serves the example page:
 *
 *   npm run build            # compiles, and bundles the page into examples/browser/dist
 *   node dist/examples/browser/serve.js [--port=8080]
 *
 * mounting examples/browser at /, and the demo models (examples/browser/models.ts, written to a
 * temporary folder) at /models/; open the printed URL. `?model=<url>` loads any other .onnx.
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
  throw new Error('serve: cannot find the repository root (a folder with package.json and examples/browser/index.html) above ' + fileURLToPath(import.meta.url));
}

async function main(argv: string[]): Promise<void> {
  const portArg = argv.find((a) => a.startsWith('--port='));
  const port = portArg ? Number(portArg.slice('--port='.length)) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`serve: --port=${portArg?.slice(7)} must be an integer in [0, 65535].`);
  const root = repoRoot();
  const page = join(root, 'examples', 'browser');
  if (!existsSync(join(page, 'dist', 'main.js'))) {
    throw new Error(`serve: ${join(page, 'dist', 'main.js')} is missing; build the page first: npm run build:browser (or npm run build).`);
  }
  const { writeDemoModels } = await import('./models.js');
  const models = mkdtempSync(join(tmpdir(), 'gmmrl-browser-models-'));
  const written = writeDemoModels(models);
  const s = await startStaticServer({ mounts: { '/': page, '/models/': models }, port });
  console.log(`gmmrl browser example: ${s.url}`);
  for (const m of written) console.log(`  ${s.url}?model=models/${m.name}.onnx   (${m.description})`);
  console.log('Ctrl-C to stop.');
  const stop = () => {
    rmSync(models, { recursive: true, force: true });
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
