/**
 * `gmmrl verify`'s summary (verifySummary): one line per mode with its verdict, largest differences
 * and the rule that decided, so a relative difference above q_rtol next to a pass reads as what it
 * is (entries judged by the float32 rounding bound), not as a contradiction.
 */
import { expect } from 'chai';
import { verifySummary } from '../../../sdk/cli/verify.js';
import type { ParityReport } from '../../../sdk/parity.js';
import type { ActorParityReport } from '../../../sdk/parity-actor.js';

function qReport(over: Partial<ParityReport> = {}): ParityReport {
  return {
    max_abs_diff: { q: 3.1e-6 },
    max_rel_diff: { q: 2.87e-5 },
    action_agreement: 1,
    ties: 0,
    action_mismatches_outside_ties: 0,
    states: { total: 3000, rollout: 1000, uniform: 1000, far: 1000 },
    tolerance: { q_rtol: 1e-5, q_floor: 1e-3, q_beyond_float32_resolution: '|Δq| ≤ 2·B', actions: 'identical except ties' },
    float32_bound: { entries_beyond_rtol: 14, max_ratio_beyond_rtol: 0.31, max_condition: 342 },
    reference_f64: { max_rel_diff_onnx: 1e-6, max_rel_diff_tfjs: 1e-6 },
    sampled: { checked: true, epsilon: 0.05, rows: 3000, explored: 151, agreement: 1, boundary_ties: 0, mismatches: 0 },
    backend: 'cpu',
    execution_provider: 'cpu',
    pass: true,
    ...over,
  };
}

describe('gmmrl verify summary (verifySummary)', () => {
  it('a pass with entries beyond q_rtol says they were judged by the float32 bound, and by how much', () => {
    const lines = verifySummary(qReport());
    expect(lines).to.have.length(3);
    expect(lines[0]).to.match(
      /^greedy: +PASS\. q max \|Δ\| 0\.0000031, max relative 0\.0000287; 14 entries beyond q_rtol 0\.00001 are judged by the float32 rounding bound/,
    );
    expect(lines[0]).to.match(
      /condition up to 342\): \|Δq\| ≤ 2B, the largest at 0\.31 of 2B; actions identical on 3000\/3000 states \(0 ties, 0 mismatches outside ties\)/,
    );
    expect(lines[1]).to.equal(
      'sampled: PASS. ε-greedy action_sampled with identical noise (ε 0.05): 3000 rows, 151 explored, 0 mismatches (0 at a sampling boundary, where either side is correct); rule: identical actions',
    );
    expect(lines[2]).to.match(/^verify: PASS on 3000 states \(1000 rollout, 1000 uniform, 1000 far\)/);
  });

  it('no entry beyond q_rtol: the rule is q_rtol itself; DQN (q_rtol 0): every entry by the bound', () => {
    const noBeyond = qReport({
      max_rel_diff: { q: 2e-6 },
      float32_bound: { entries_beyond_rtol: 0, max_ratio_beyond_rtol: 0, max_condition: 3 },
    });
    expect(verifySummary(noBeyond)[0]).to.match(/; every q entry within q_rtol 0\.00001 where \|q\| > 0\.001;/);
    const dqn = qReport({ tolerance: { ...qReport().tolerance, q_rtol: 0 } });
    expect(verifySummary(dqn)[0]).to.match(/; every q entry judged by the float32 rounding bound \|Δq\| ≤ 2B, the largest at 0\.31 of 2B;/);
  });

  it('a failure names the failing mode and ends with the first failure; the other mode keeps its verdict', () => {
    const sampledBad = qReport({
      pass: false,
      failure: 'sampled row 7: action_sampled 1, expected 0',
      sampled: { checked: true, epsilon: 0.05, rows: 3000, explored: 151, agreement: 0.999, boundary_ties: 0, mismatches: 2 },
    });
    const s = verifySummary(sampledBad);
    expect(s[0]).to.match(/^greedy: +PASS\./);
    expect(s[1]).to.match(/^sampled: FAIL\..* 2 mismatches/);
    expect(s[2]).to.equal('verify: FAIL: sampled row 7: action_sampled 1, expected 0');
    const greedyBad = qReport({
      pass: false,
      failure: 'state 3 (rollout): output q …',
      float32_bound: { entries_beyond_rtol: 1, max_ratio_beyond_rtol: 4, max_condition: 2 },
    });
    const q = verifySummary(greedyBad);
    expect(q[0]).to.match(/^greedy: +FAIL\./);
    expect(q[1]).to.match(/^sampled: PASS\./);
    expect(q[2]).to.equal('verify: FAIL: state 3 (rollout): output q …');
  });

  it('a model without a sampled mode says sampled was not checked, and why', () => {
    const r = qReport({ sampled: { checked: false, reason: 'the model has no sampling head (exported with sampling "none")' } });
    expect(verifySummary(r)[1]).to.equal('sampled: not checked (the model has no sampling head (exported with sampling "none"))');
  });

  it('an actor report: greedy and sampled outputs split by name, each with max |Δ|/B', () => {
    const r: ActorParityReport = {
      family: 'mixture-actor',
      precision: 'float32',
      sampling_noise: 'inputs',
      states: { total: 300, rollout: 100, uniform: 100, far: 100 },
      max_abs_diff: { action: 1e-7, action_sampled: 2e-7 },
      max_ratio_to_bound: { action: 0.02, action_sampled: 0.5 },
      components: {
        greedy_agreement: 1,
        greedy_ties: 0,
        greedy_mismatches: 0,
        sampled_agreement: 1,
        sampled_ties: 1,
        sampled_mismatches: 0,
      },
      metadata_match: true,
      tolerance: {},
      execution_provider: 'cpu',
      pass: true,
    };
    const lines = verifySummary(r);
    expect(lines[0]).to.match(
      /^greedy: +PASS\. max \|Δ\|\/B per output \(≤ 1 passes; B = the rounding bound of the graph at float32\): action 0\.02;/,
    );
    expect(lines[1]).to.match(
      /^sampled: PASS\. with identical noise, max \|Δ\|\/B: action_sampled 0\.5; sampled components identical except 1 ties/,
    );
    expect(lines[2]).to.match(/^verify: PASS on 300 states/);
  });
});
