/**
 * Reading a file that someone else handed us (a model, a checkpoint's weights or config) without
 * trusting it: only a regular file is read, and only up to a stated size. The path is opened
 * non-blocking and checked on the open descriptor (fstat), so a FIFO with no writer cannot block
 * the process, a device such as /dev/zero cannot be read forever, and a file swapped for a
 * directory between a check and the read is still caught. Node-only (node:fs); the web runtime
 * never imports it.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { FileReadError } from './errors.js';

export interface ReadLimits {
  /** What the file is, for messages ("model file", "checkpoint weights"). */
  what: string;
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** How to raise the limit, for the message ("pass { maxFileBytes: N } to loadPolicy"). */
  raiseHint: string;
}

// O_NONBLOCK does not exist on Windows, where FIFOs and devices are not opened by path anyway.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a path is, for messages ("a file", "a directory", "a FIFO (named pipe)", …): every reader of untrusted paths says it the same way. */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Throws FileReadError unless `st` is a regular file of at most `limits.maxBytes` bytes. */
function checkStats(path: string, st: Stats, limits: ReadLimits): number {
  if (!st.isFile())
    throw new FileReadError(`${limits.what} ${path} is ${fileKind(st)}; expected a regular file. Pass the path of the file itself.`);
  if (st.size > limits.maxBytes) {
    throw new FileReadError(
      `${limits.what} ${path} is ${st.size} bytes, over the limit of ${limits.maxBytes} bytes; if the file is genuine, ${limits.raiseHint}.`,
    );
  }
  return st.size;
}

function openError(path: string, what: string, err: unknown): FileReadError {
  const e = err as NodeJS.ErrnoException;
  return new FileReadError(
    `Cannot read ${what} ${path}: ${e.code ?? ''} ${e.message}. Check the path and its permissions.`.replace('  ', ' '),
  );
}

/** Reads a regular file of at most `limits.maxBytes` bytes; anything else is a FileReadError naming the path and the problem. */
export function readRegularFileSync(path: string, limits: ReadLimits): Buffer {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    throw openError(path, limits.what, err);
  }
  try {
    const size = checkStats(path, fstatSync(fd), limits);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0)
        throw new FileReadError(
          `${limits.what} ${path} shrank while it was read (${off} of ${size} bytes); is another process writing it?`,
        );
      off += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** The asynchronous twin of readRegularFileSync. */
export async function readRegularFile(path: string, limits: ReadLimits): Promise<Buffer> {
  let fh;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw openError(path, limits.what, err);
  }
  try {
    const size = checkStats(path, await fh.stat(), limits);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0)
        throw new FileReadError(
          `${limits.what} ${path} shrank while it was read (${off} of ${size} bytes); is another process writing it?`,
        );
      off += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}
