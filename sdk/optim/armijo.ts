/**
 * Armijo backtracking line search along a retraction curve t ↦ R(−t·grad).
 *
 * Accept the first t = t0·βⁱ (i = 0 … maxHalvings) with L(R(−t·grad)) ≤ L₀ − c·t·‖grad‖², where
 * ‖grad‖² is the squared Riemannian norm of the gradient. `tryStep(t)` returns the loss at the trial
 * point, or Infinity (NaN and a thrown SpdError count the same) when the retraction is infeasible —
 * e.g. a Bures–Wasserstein step that leaves the SPD cone — so infeasible steps are simply shrunk.
 */
import { SpdError, ValueError, describeValue } from '../../contract/errors.js';

export interface ArmijoOptions {
  /** Loss at the current point (t = 0). Must be finite. */
  loss0: number;
  /** Squared Riemannian norm ‖grad‖² of the gradient (≥ 0, finite). */
  grad2: number;
  /** Loss at R(−t·grad); Infinity (or NaN, or throwing SpdError) when the step is infeasible. */
  tryStep: (t: number) => number;
  /** First step size tried (> 0, finite). */
  t0: number;
  /** Shrink factor, 0 < beta < 1 (default 0.5). */
  beta?: number;
  /** Sufficient-decrease constant, 0 < c < 1 (default 1e-4). */
  c?: number;
  /** Number of shrinks after the first try (integer ≥ 0, default 30): at most maxHalvings + 1 evaluations. */
  maxHalvings?: number;
}

export interface ArmijoResult {
  /** Accepted step size; 0 when no step was accepted. */
  t: number;
  /** Loss at the accepted step; loss0 when no step was accepted. */
  loss: number;
  /** Number of tryStep calls made. */
  evaluations: number;
  /** Whether the sufficient-decrease condition was met. When false, the caller should not move. */
  accepted: boolean;
}

function checkRange(field: string, value: unknown, ok: boolean, range: string, hint: string): void {
  if (!ok) {
    throw new ValueError(`armijoSearch: ${field} must be ${range}; got ${describeValue(value)}. ${hint}`);
  }
}

/** Backtracking (Armijo) line search; see the module comment. Validates every hyperparameter. */
export function armijoSearch(opts: ArmijoOptions): ArmijoResult {
  const { loss0, grad2, tryStep, t0 } = opts;
  const beta = opts.beta ?? 0.5;
  const c = opts.c ?? 1e-4;
  const maxHalvings = opts.maxHalvings ?? 30;
  checkRange(
    'beta',
    beta,
    typeof beta === 'number' && beta > 0 && beta < 1,
    'in the open interval (0, 1)',
    'It is the step shrink factor, e.g. 0.5.',
  );
  checkRange(
    'c',
    c,
    typeof c === 'number' && c > 0 && c < 1,
    'in the open interval (0, 1)',
    'It is the sufficient-decrease constant, e.g. 1e-4.',
  );
  checkRange(
    't0',
    t0,
    typeof t0 === 'number' && Number.isFinite(t0) && t0 > 0,
    'a finite number > 0',
    'It is the initial step size, e.g. 1.',
  );
  checkRange(
    'maxHalvings',
    maxHalvings,
    Number.isInteger(maxHalvings) && maxHalvings >= 0,
    'an integer >= 0',
    'It is the number of step shrinks allowed, e.g. 30.',
  );
  checkRange(
    'loss0',
    loss0,
    typeof loss0 === 'number' && Number.isFinite(loss0),
    'a finite number',
    'The loss at the current point is not finite.',
  );
  checkRange(
    'grad2',
    grad2,
    typeof grad2 === 'number' && Number.isFinite(grad2) && grad2 >= 0,
    'a finite number >= 0',
    'It is the squared Riemannian gradient norm.',
  );
  if (typeof tryStep !== 'function') {
    throw new ValueError(`armijoSearch: tryStep must be a function (t) => loss; got ${describeValue(tryStep)}.`);
  }
  let t = t0;
  let evaluations = 0;
  for (let i = 0; i <= maxHalvings; i++) {
    let loss: number;
    try {
      loss = tryStep(t);
    } catch (err) {
      if (!(err instanceof SpdError)) throw err;
      loss = Infinity;
    }
    evaluations++;
    if (Number.isNaN(loss)) loss = Infinity;
    if (loss <= loss0 - c * t * grad2) return { t, loss, evaluations, accepted: true };
    t *= beta;
  }
  return { t: 0, loss: loss0, evaluations, accepted: false };
}
