/**
 * Feature maps: the float64 reference (Math.atan2), the graph's atan2 formula, the TensorFlow.js
 * op sequence that mirrors the graph, and the float32 error bound of that op sequence, measured.
 */
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../sdk/util/rng.js';
import { selectBackend } from '../../../sdk/backend.js';
import {
  FEATURE_FORMULAS,
  PI_F32,
  applyFeatures,
  checkFeatureKind,
  featureInputSize,
  featureOutputSize,
  featuresFloat32Error,
  graphAtan2,
} from '../../../models/gmmqf/features.js';
import { featuresTf } from '../../../models/gmmqf/tf.js';
import { normalize, observationSizeOf, qValues } from '../../../models/gmmqf/reference.js';
import { ShapeError, UnknownNameError, ValueError } from '../../../contract/errors.js';
import { expectThrows } from '../../helpers.js';
import { acrobotObservations, acrobotParams } from './fixtures.js';

const U = 2 ** -24;

/** Random (y, x) float32 pairs on the unit circle, with many near the ±π cut and near x = 0. */
function circlePoints(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n * 6);
  for (let i = 0; i < n; i++) {
    for (const c of [0, 2]) {
      let t: number;
      const kind = (i + c) % 3;
      if (kind === 0) t = rng.uniformRange(-Math.PI, Math.PI);
      else {
        const special = kind === 1 ? (rng.uniform() < 0.5 ? Math.PI : -Math.PI) : rng.uniform() < 0.5 ? Math.PI / 2 : -Math.PI / 2;
        t = special + (rng.uniform() < 0.5 ? -1 : 1) * 10 ** rng.uniformRange(-7, -1);
      }
      out[i * 6 + c] = Math.cos(t);
      out[i * 6 + c + 1] = Math.sin(t);
    }
    out[i * 6 + 4] = 10 * rng.normal();
    out[i * 6 + 5] = 20 * rng.normal();
  }
  return out;
}

describe('models/gmmqf/features', () => {
  before(async () => {
    await selectBackend('auto');
  });

  it('sizes, kinds and formulas', () => {
    expect(featureInputSize('identity', 5)).to.equal(5);
    expect(featureInputSize('acrobot-angles', 4)).to.equal(6);
    expect(featureOutputSize('acrobot-angles', 6)).to.equal(4);
    expectThrows(() => featureInputSize('acrobot-angles', 3), ShapeError, /produces 4 features; the model has D = 3/);
    expectThrows(() => featureOutputSize('acrobot-angles', 4), ShapeError, /needs Acrobot's 6-entry observation; got 4/);
    expectThrows(
      () => checkFeatureKind('angles'),
      UnknownNameError,
      /features = "angles" is not a known feature map; use one of identity, acrobot-angles/,
    );
    expect(FEATURE_FORMULAS['acrobot-angles']).to.match(/atan\(y \/ x\) \+ \(x < 0 \? \(y >= 0 \? pi : -pi\) : 0\)/);
    expect(observationSizeOf({ D: 4, features: 'acrobot-angles' })).to.equal(6);
    expect(observationSizeOf({ D: 4 })).to.equal(4);
    expect(PI_F32).to.be.greaterThan(Math.PI);
    expect(PI_F32 - Math.PI).to.be.below(1.5 * U);
  });

  it('acrobot-angles in float64 is Math.atan2 of the (sin, cos) pairs plus the velocities; (0, 0) is refused', () => {
    const rng = new Rng(1);
    const obs = circlePoints(rng, 200);
    const phi = applyFeatures('acrobot-angles', obs, 200, 4);
    for (let i = 0; i < 200; i++) {
      expect(phi[i * 4]).to.equal(Math.atan2(obs[i * 6 + 1]!, obs[i * 6]!));
      expect(phi[i * 4 + 1]).to.equal(Math.atan2(obs[i * 6 + 3]!, obs[i * 6 + 2]!));
      expect(phi[i * 4 + 2]).to.equal(obs[i * 6 + 4]);
      expect(phi[i * 4 + 3]).to.equal(obs[i * 6 + 5]);
    }
    expectThrows(() => applyFeatures('acrobot-angles', [0, 0, 1, 0, 0, 0], 1, 4), ValueError, /observation 0 has cos θ1 = sin θ1 = 0/);
    expectThrows(
      () => applyFeatures('acrobot-angles', new Float32Array(10), 2, 4),
      ShapeError,
      /expected 2 observations of 6 entries \(12 numbers\), got 10/,
    );
  });

  it("the graph's atan2 formula equals Math.atan2 in float64 (to rounding) on every quadrant, the axes and the cut", () => {
    const rng = new Rng(2);
    const pts: [number, number][] = [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
      [1e-30, -1],
      [-1e-30, -1],
      [1, 1e-300],
      [-1, 1e-300],
    ];
    for (let i = 0; i < 1000; i++) pts.push([rng.normal(), rng.normal()]);
    for (const [y, x] of pts) {
      expect(Math.abs(graphAtan2(y, x) - Math.atan2(y, x)), `(${y}, ${x})`).to.be.at.most(1e-15); // 2 ulp of π
    }
  });

  it('TensorFlow.js (the graph op sequence) is within featuresFloat32Error of Math.atan2, and the bound is ≤ 17.8u', () => {
    const rng = new Rng(3);
    const n = 6000;
    const obs = circlePoints(rng, n);
    const phiTf = tf.tidy(() => featuresTf('acrobot-angles', tf.tensor2d(obs, [n, 6])).dataSync());
    const { phi, err } = featuresFloat32Error('acrobot-angles', obs, n, 4);
    let worst = 0;
    let worstErr = 0;
    for (let i = 0; i < n * 4; i++) {
      const d = Math.abs(phiTf[i]! - phi[i]!);
      if (i % 4 >= 2) {
        expect(d, `velocity entry ${i} is copied exactly`).to.equal(0);
        expect(err[i]).to.equal(0);
        continue;
      }
      expect(d, `entry ${i}: tf ${phiTf[i]} ref ${phi[i]} bound ${err[i]}`).to.be.at.most(err[i]!);
      expect(err[i]).to.be.at.most(17.8 * U);
      worst = Math.max(worst, d / err[i]!);
      worstErr = Math.max(worstErr, d);
    }
    if (process.env['GMMRL_DEBUG'])
      console.log(`feature error: worst |tf − ref| ${worstErr.toExponential(2)}, worst ratio to bound ${worst.toFixed(3)}`);
    // the float32 error is real (the result is rounded to float32 near π: ≥ u·π/2 somewhere) and
    // the bound is at most ~40× it, not vacuous
    expect(worstErr).to.be.greaterThan(U);
    expect(worst).to.be.greaterThan(1 / 40);
  });

  it('negative zeros, where the graph and Math.atan2 differ by design, get an infinite bound', () => {
    const obs = Float32Array.from([-1, -0, 1, 0, 0, 0, -0, 1, 1, 0, 0, 0, 1, -0, 1, 0, 0, 0]);
    const { err } = featuresFloat32Error('acrobot-angles', obs, 3, 4);
    expect(err[0]).to.equal(Infinity); // y = −0, x < 0: graph +π, Math.atan2 −π
    expect(err[4]).to.equal(Infinity); // x = −0: graph −π/2, Math.atan2 +π/2
    expect(err[8]).to.be.below(1e-30); // y = −0, x > 0: both −0
    const phiTf = tf.tidy(() => featuresTf('acrobot-angles', tf.tensor2d(obs, [3, 6])).dataSync());
    expect(phiTf[0]).to.equal(PI_F32);
    expect(Math.atan2(-0, -1)).to.equal(-Math.PI);
  });

  it('the reference normalizes the features of raw observations; identity is unchanged', () => {
    const rng = new Rng(4);
    const p = acrobotParams(rng, 5, 3);
    const obs = acrobotObservations(rng, p, 40);
    const z = normalize(p, obs, 40);
    const phi = applyFeatures('acrobot-angles', obs, 40, 4);
    for (let i = 0; i < 40 * 4; i++) expect(z[i]).to.equal((phi[i]! - p.obsOffset[i % 4]!) / p.obsScale[i % 4]!);
    expectThrows(() => qValues(p, obs.subarray(0, 4 * 4), 4), ShapeError, /4 observations of 6 entries need 24 numbers, got 16/);
    // identity: q of a model on the features equals q of the acrobot model on the observations
    const { features: _f, ...identity } = p;
    expect(Array.from(qValues(identity, phi, 40))).to.deep.equal(Array.from(qValues(p, obs, 40)));
  });
});
