/**
 * Typed errors shared by every part of gmmrl.
 *
 * This module is the one leaf everything may import: the runtime (which imports nothing else of ours),
 * the models, the exporters and the SDK. A user can therefore catch `ModelFormatError` from
 * `gmmrl/runtime` and from `gmmrl` alike.
 *
 * Every message names what was wrong, the value received, and how to fix it.
 */

/** Base class of every error gmmrl throws on purpose. */
export class GmmrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An array or tensor has the wrong shape or length. */
export class ShapeError extends GmmrlError {}

/** A value is out of range, not finite, or of the wrong type (observations, actions, hyperparameters). */
export class ValueError extends GmmrlError {}

/** A model, checkpoint or ONNX file is truncated, corrupt, or inconsistent with its own metadata. */
export class ModelFormatError extends GmmrlError {}

/** A covariance matrix is not symmetric positive definite. */
export class SpdError extends GmmrlError {}

/** An unknown environment id, algorithm, backend, flag or option. */
export class UnknownNameError extends GmmrlError {}

/** An environment was used out of protocol (step before reset, step after termination). */
export class EnvStateError extends GmmrlError {}

/** No execution provider or backend could be initialised; the message lists every failure. */
export class BackendError extends GmmrlError {}

/**
 * A broken invariant inside gmmrl: a bug, not bad input. Deliberately not a GmmrlError, so the CLI
 * exits 1 and prints the stack (bad input exits 2 with the message alone).
 */
export class InternalError extends Error {
  constructor(message: string) {
    super(`internal error (a bug in gmmrl, please report it): ${message}`);
    this.name = 'InternalError';
  }
}

/** Formats a value for an error message: short, unambiguous, NaN/Infinity spelled out. */
export function describeValue(v: unknown, maxItems = 8): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || v === undefined) return String(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const arr = Array.from(v as unknown as ArrayLike<number>);
    const head = arr
      .slice(0, maxItems)
      .map((x) => describeValue(x))
      .join(', ');
    return `${v.constructor.name}(${arr.length}) [${head}${arr.length > maxItems ? ', …' : ''}]`;
  }
  if (Array.isArray(v)) {
    const head = v
      .slice(0, maxItems)
      .map((x) => describeValue(x))
      .join(', ');
    return `[${head}${v.length > maxItems ? ', …' : ''}] (length ${v.length})`;
  }
  try {
    const s = JSON.stringify(v);
    return s.length > 120 ? s.slice(0, 117) + '…' : s;
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** A model file could not be read or a model URL could not be fetched (missing, unreadable, HTTP error). */
export class FileReadError extends GmmrlError {}

/** A Policy (or another resource) was used after `dispose()`. */
export class DisposedError extends GmmrlError {}

/** An exported model does not behave like the checkpoint it came from (`assertParity`); the message is verify's summary. */
export class ParityError extends GmmrlError {}
