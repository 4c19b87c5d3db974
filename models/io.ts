/**
 * File I/O helpers for checkpoints and run directories: atomic and durable writes, the counted
 * fsync and rename operations a checkpoint commit is built from, and hashing.
 *
 * Test hook (fault injection; never set it outside tests): every fsync and rename these helpers do
 * is one numbered "I/O point" (1, 2, 3, … in process order).
 *   GMMRL_FAULT_KILL_AT=N        the process sends itself SIGKILL right before I/O point N
 *   GMMRL_FAULT_KILL_AT=N:after  … right after it
 *   GMMRL_FAULT_LOG=FILE         appends one line "N fsync|rename PATH" per I/O point to FILE
 * spec/sdk/run-store-kill.spec.ts kills a training at every point this way and checks that the
 * previous checkpoint generation is still complete and loadable.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  appendFileSync,
  constants,
  mkdirSync,
  openSync,
  realpathSync,
  statSync,
  writeSync,
  fsyncSync,
  closeSync,
  renameSync,
  unlinkSync,
  existsSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, parse, relative, resolve, sep } from 'node:path';
import { fileKind } from '../contract/files.js';

let ioPoints = 0;
let fault: { at: number; after: boolean; log: string | undefined } | null | undefined;

function faultSettings(): { at: number; after: boolean; log: string | undefined } | null {
  if (fault === undefined) {
    const spec = process.env['GMMRL_FAULT_KILL_AT'];
    const log = process.env['GMMRL_FAULT_LOG'];
    const m = spec === undefined ? null : /^(\d+)(:after)?$/.exec(spec);
    fault = m || log ? { at: m ? Number(m[1]) : 0, after: Boolean(m?.[2]), log: log || undefined } : null;
  }
  return fault;
}

/** One counted I/O point around `op` (see the test hook above). */
function ioPoint<T>(kind: 'fsync' | 'rename', path: string, op: () => T): T {
  const f = faultSettings();
  if (f === null) return op();
  const n = ++ioPoints;
  if (f.log) appendFileSync(f.log, `${n} ${kind} ${path}\n`);
  if (n === f.at && !f.after) process.kill(process.pid, 'SIGKILL');
  const r = op();
  if (n === f.at && f.after) process.kill(process.pid, 'SIGKILL');
  return r;
}

/** fsync of an open file descriptor (a counted I/O point). */
function fsyncFd(fd: number, path: string): void {
  ioPoint('fsync', path, () => fsyncSync(fd));
}

/**
 * fsync of a directory, so the entries created, renamed or removed in it survive a power loss (a
 * counted I/O point). Platforms that cannot fsync a directory (Windows) skip it: the renames stay
 * atomic, only their durability is the file system's.
 */
export function fsyncDir(dir: string): void {
  let dfd: number;
  try {
    dfd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    ioPoint('fsync', dir, () => {
      try {
        fsyncSync(dfd);
      } catch {
        /* directories cannot be fsynced on every platform; the rename is still atomic */
      }
    });
  } finally {
    closeSync(dfd);
  }
}

/** rename(2) of `from` over `to` (a counted I/O point); the caller fsyncs the directory. */
export function renamePath(from: string, to: string): void {
  ioPoint('rename', `${from} -> ${to}`, () => renameSync(from, to));
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Writes a new file `path` (refused if it exists) and fsyncs it, without a rename: for files inside
 * a directory that is itself renamed into place once complete (a checkpoint generation).
 */
export function writeFileDurable(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeAll(fd, bytes);
    fsyncFd(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** The prefix of writeFileAtomic's temporary files (`.NAME.PID.RANDOM.tmp`), so a cleanup can recognise them. */
export const ATOMIC_TMP_PATTERN = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory is written, fsynced,
 * and renamed over `path`, then the directory is fsynced. A crash leaves either the old file or the
 * new one, never a torn file (and at worst a temporary file, which ATOMIC_TMP_PATTERN recognises).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeAll(fd, bytes);
    fsyncFd(fd, tmp);
  } catch (err) {
    closeSync(fd);
    if (existsSync(tmp)) unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renamePath(tmp, path);
  fsyncDir(dirname(path));
}

/**
 * Kernel file systems: nothing of a run belongs there, and Node's recursive mkdirSync loops forever
 * on a missing /proc path. /dev/shm is the exception: a tmpfs meant for files.
 */
const KERNEL_ROOTS = ['/proc', '/sys', '/dev'];

function kernelRoot(abs: string): string | undefined {
  if (abs === '/dev/shm' || abs.startsWith('/dev/shm/')) return undefined;
  return KERNEL_ROOTS.find((r) => abs === r || abs.startsWith(r + '/'));
}

/** The components of an absolute path, each as the absolute path up to it ('/a', '/a/b', …). */
function prefixes(abs: string): string[] {
  const root = parse(abs).root;
  const out: string[] = [];
  let cur = root;
  for (const part of abs
    .slice(root.length)
    .split(sep)
    .filter((p) => p !== '')) {
    cur = join(cur, part);
    out.push(cur);
  }
  return out;
}

/**
 * Why `path` cannot be, or become, a directory this process writes into; null when it can. Creates
 * nothing: a path under /proc, /sys or /dev (also through a symbolic link), an existing
 * non-directory at the path or at one of its ancestors, and a nearest existing ancestor that is not
 * writable are refused.
 */
export function unwritableDirReason(path: string): string | null {
  const abs = resolve(path);
  const k = kernelRoot(abs);
  if (k !== undefined) return `${abs} is under ${k}, a kernel file system`;
  let deepest = parse(abs).root;
  for (const p of prefixes(abs)) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch (e) {
      // ENAMETOOLONG, ELOOP, EACCES on a parent: the path cannot be used, say why
      return `${p} cannot be used (${(e as NodeJS.ErrnoException).code ?? 'error'}: ${(e as Error).message})`;
    }
    if (st === undefined) break;
    if (!st.isDirectory()) return p === abs ? `${abs} is ${fileKind(st)}` : `${p} is ${fileKind(st)}, so nothing can be created under it`;
    deepest = p;
  }
  const real = realpathSync(deepest);
  const kr = kernelRoot(real);
  if (kr !== undefined) return `${deepest} leads to ${real}, under ${kr}, a kernel file system`;
  try {
    accessSync(deepest, constants.W_OK | constants.X_OK);
  } catch {
    return `${deepest} is not writable by this user`;
  }
  return null;
}

/**
 * Creates the missing directories of `path` one at a time, from the top (not recursive mkdirSync,
 * which never returns on a missing /proc path), and returns those it created. Check the path with
 * unwritableDirReason first: errors of mkdir (EACCES, EROFS, …) are passed on.
 */
export function makeDirs(path: string): string[] {
  const created: string[] = [];
  for (const p of prefixes(resolve(path))) {
    if (statSync(p, { throwIfNoEntry: false }) !== undefined) continue;
    mkdirSync(p);
    created.push(p);
  }
  return created;
}

/** Whether `inner` is `outer` or lies inside it (both resolved; no file system access). */
export function isInside(inner: string, outer: string): boolean {
  const rel = relative(resolve(outer), resolve(inner));
  return rel === '' || !(rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel));
}

/** Lowercase hex SHA-256 of bytes. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
