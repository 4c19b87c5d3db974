/**
 * A tiny static file server (node:http, no dependencies) for the browser example: URL prefixes
 * mapped to folders, GET/HEAD only, no directory listings, paths confined to their folder, the MIME
 * types the page needs (application/wasm for WebAssembly.instantiateStreaming).
 *
 * As a program it serves the example page:
 *
 *   npm run build            # compiles, and bundles the page into examples/browser/dist
 *   node dist/examples/browser/serve.js [--port=8080] [--dist=DIR] [--models=DIR] [--model PATH.onnx] [--isolate]
 *
 * mounting examples/browser at /, the page bundle at /dist/ (--dist, default examples/browser/dist)
 * and the models at /models/ (--models, default: the demo models of examples/browser/models.ts,
 * written to a temporary folder); open the printed URL (`gmmrl browser example: URL`, the first
 * line). `--model PATH.onnx` (or `--model=PATH.onnx`) serves that one file at /user/<its name> and
 * puts it first in the page's model list (/models/index.json), so the page opens with it loaded.
 * `?model=<url>` loads any other .onnx. --isolate sends COOP/COEP headers (a cross-origin
 * isolated page: finer performance.now()). --port=0 picks a free port. The browser test and the
 * browser latency bench run it this way (bench/browser-harness.ts).
 */
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FileReadError, GmmrlError, UnknownNameError, ValueError, describeValue } from 'gmmrl/runtime/node';

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
  /** Exact URL paths ("/user/model.onnx") → single files; they win over the mounts. */
  files?: Record<string, string>;
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
  const files = new Map(Object.entries(opts.files ?? {}).map(([path, file]) => [path, resolve(file)]));
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
    let file = files.get(path);
    if (file === undefined) {
      const mount = mounts.find((m) => path.startsWith(m.prefix));
      if (!mount) return send(404, `not found: ${path}\n`);
      file = resolve(mount.dir, '.' + path.slice(mount.prefix.length - 1));
      if (file !== mount.dir && !file.startsWith(mount.dir + sep)) return send(403, 'outside the served folder\n');
    }
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

export interface ServeFlags {
  port: number;
  dist: string | null;
  models: string | null;
  /** --model: one .onnx file to serve and open first (absolute path). */
  model: string | null;
  isolate: boolean;
}

const FLAG_HELP = 'the flags are --port=N, --dist=DIR, --models=DIR, --model PATH.onnx (or --model=PATH.onnx) and --isolate';

/**
 * The program's flags: --port=N, --dist=DIR, --models=DIR, --model PATH (also --model=PATH),
 * --isolate. Bad input throws a GmmrlError (the program exits 2): UnknownNameError for an unknown
 * argument, ValueError for a bad or missing value.
 */
export function parseServeFlags(argv: readonly string[]): ServeFlags {
  const flags: ServeFlags = { port: 8080, dist: null, models: null, model: null, isolate: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(0, eq) : a;
    let value = eq >= 0 ? a.slice(eq + 1) : undefined;
    if (name === '--isolate' && value === undefined) flags.isolate = true;
    else if (name === '--port' && value !== undefined) {
      const port = Number(value);
      if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535)
        throw new ValueError(`serve: --port=${value} must be an integer in [0, 65535] (e.g. --port=8080; 0 picks a free port).`);
      flags.port = port;
    } else if (name === '--model') {
      // `--model PATH` (npm run serve:browser -- --model PATH) as well as `--model=PATH`
      if (value === undefined) {
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--'))
          throw new ValueError('serve: --model needs the path of an .onnx file, e.g. --model runs/demo/model.onnx.');
        value = next;
        i++;
      }
      if (value === '')
        throw new ValueError('serve: --model= is empty; give the path of an .onnx file, e.g. --model runs/demo/model.onnx.');
      flags.model = resolve(value);
    } else if ((name === '--dist' || name === '--models') && value) flags[name === '--dist' ? 'dist' : 'models'] = resolve(value);
    else throw new UnknownNameError(`serve: unknown argument ${describeValue(a)}; ${FLAG_HELP}.`);
  }
  return flags;
}

/**
 * Checks --model's path before anything is served: it must name a regular, non-empty file.
 * Throws FileReadError naming the flag, the path and the fix. Returns the file's size.
 */
export function checkModelFlag(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileReadError(
      `serve: --model ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (err as Error).message})`}. ` +
        'Pass the path of an exported .onnx file, e.g. --model runs/demo/model.onnx (gmmrl train writes one; gmmrl export makes one from a checkpoint).',
    );
  }
  if (!st.isFile())
    throw new FileReadError(
      `serve: --model ${path} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}; pass the path of the .onnx file itself (e.g. ${join(path, 'model.onnx')}).`,
    );
  if (st.size === 0) throw new FileReadError(`serve: --model ${path} is empty (0 bytes); pass an exported .onnx file.`);
  return st.size;
}

/** The page's model list (index.json entries); `url` (relative to the page) overrides models/<file>. */
interface ListEntry {
  name: string;
  file?: string;
  url?: string;
  description?: string;
}

async function main(argv: string[]): Promise<void> {
  const flags = parseServeFlags(argv);
  const modelBytes = flags.model === null ? 0 : checkModelFlag(flags.model);
  const root = repoRoot();
  const page = join(root, 'examples', 'browser');
  const dist = flags.dist ?? join(page, 'dist');
  if (!existsSync(join(dist, 'main.js'))) {
    throw new FileReadError(
      `serve: ${join(dist, 'main.js')} is missing; ` +
        (flags.dist
          ? 'build the page into that folder first: node scripts/build-browser.mjs DIR.'
          : 'build the page first: npm run build:browser (or npm run build).'),
    );
  }
  let models = flags.models;
  let written: { name: string; description: string }[] = [];
  let tempModels: string | null = null;
  let tempIndex: string | null = null;
  if (models === null) {
    const { writeDemoModels } = await import('./models.js');
    tempModels = mkdtempSync(join(tmpdir(), 'gmmrl-browser-models-'));
    written = writeDemoModels(tempModels);
    models = tempModels;
  }
  const headers = flags.isolate
    ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
    : undefined;
  // --model: the user's file at /user/<name>, first in a /models/index.json of our own (written to
  // a temporary folder: a --models folder is only read, never written)
  const files: Record<string, string> = {};
  let userUrl: string | null = null;
  if (flags.model !== null) {
    const name = basename(flags.model);
    userUrl = `user/${encodeURIComponent(name)}`;
    files[`/user/${name}`] = flags.model;
    let list: ListEntry[] = [];
    const existing = join(models, 'index.json');
    if (existsSync(existing)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(existing, 'utf8'));
        if (Array.isArray(parsed)) list = parsed as ListEntry[];
      } catch (err) {
        throw new ValueError(`serve: ${existing} is not valid JSON (${(err as Error).message}); fix or remove it.`);
      }
    }
    tempIndex = mkdtempSync(join(tmpdir(), 'gmmrl-browser-index-'));
    const indexPath = join(tempIndex, 'index.json');
    const entry: ListEntry = { name, url: userUrl, description: `your model (--model, ${modelBytes.toLocaleString('en-US')} bytes)` };
    writeFileSync(indexPath, JSON.stringify([entry, ...list], null, 2) + '\n');
    files['/models/index.json'] = indexPath;
  }
  const s = await startStaticServer({
    mounts: { '/': page, '/dist/': dist, '/models/': models },
    files,
    port: flags.port,
    ...(headers ? { headers } : {}),
  });
  console.log(`gmmrl browser example: ${s.url}`);
  if (flags.model !== null) console.log(`  ${s.url}   opens ${flags.model} (served at /${userUrl})`);
  for (const m of written) console.log(`  ${s.url}?model=models/${m.name}.onnx   (${m.description})`);
  console.log('Ctrl-C to stop.');
  const stop = () => {
    for (const t of [tempModels, tempIndex]) if (t !== null) rmSync(t, { recursive: true, force: true });
    void s.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    // bad input (flags, paths) exits 2 with the message; anything else is a bug or an I/O failure:
    // exit 1 with the stack
    if (err instanceof GmmrlError) {
      console.error(`${err.name}: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}
