/**
 * The metadata contract (schema 1): what the exporter writes, the runtime parses back identically,
 * and every malformed variant is rejected with the field named.
 */
import { expect } from 'chai';
import { gmmQfMetadata } from '../../exporters/index.js';
import { ModelFormatError, ValueError } from '../../contract/errors.js';
import {
  METADATA_KEY_FAMILY,
  METADATA_KEY_JSON,
  METADATA_KEY_SCHEMA_VERSION,
  metadataFromProps,
  metadataToProps,
  validateMetadata,
  type GmmrlMetadataV1,
} from '../../contract/metadata.js';
import { Rng } from '../../sdk/util/rng.js';
import { expectThrows } from '../helpers.js';
import { metaFor, randomParams } from '../exporters/fixtures.js';

function sample(): GmmrlMetadataV1 {
  const p = randomParams(new Rng(21), 4, 3, 2);
  return gmmQfMetadata(
    p,
    metaFor(p, { sourceCheckpointSha256: '0f'.repeat(32), training: { algorithm: 'gmm-q', steps: 5, seed: 0, loss: Infinity } }),
    { sampling: 'none' },
  );
}

function propsOf(m: GmmrlMetadataV1): Map<string, string> {
  return new Map(metadataToProps(m).map((e) => [e.key, e.value]));
}

/** Props whose JSON is `mutate`d. */
function mutated(mutate: (o: Record<string, any>) => void): Map<string, string> {
  const props = propsOf(sample());
  const o = JSON.parse(props.get(METADATA_KEY_JSON)!);
  mutate(o);
  props.set(METADATA_KEY_JSON, JSON.stringify(o));
  return props;
}

describe('contract/metadata', () => {
  it('round-trips: ±Infinity bounds ↔ null, everything else identical', () => {
    const m = sample();
    const props = propsOf(m);
    expect(props.get(METADATA_KEY_SCHEMA_VERSION)).to.equal('1');
    expect(props.get(METADATA_KEY_FAMILY)).to.equal('gmmqf');
    const json = JSON.parse(props.get(METADATA_KEY_JSON)!);
    expect(json.observation_space.low).to.deep.equal([-10, null, -12]);
    expect(json.training.loss).to.equal(null);
    const back = metadataFromProps(props);
    expect(back.observation_space.low).to.deep.equal([-10, -Infinity, -12]);
    expect(back.observation_space.high).to.deep.equal([10, Infinity, 12]);
    expect(back).to.deep.equal({ ...m, training: { ...m.training, loss: null } });
    // plain-object props work too
    expect(metadataFromProps(Object.fromEntries(props))).to.deep.equal(back);
  });

  it('ignores unknown extra fields (additive evolution within schema 1)', () => {
    const back = metadataFromProps(mutated((o) => (o['future_field'] = { x: 1 })));
    expect(back).to.not.have.property('future_field');
  });

  it('missing keys → ModelFormatError listing them and the keys present', () => {
    expectThrows(
      () => metadataFromProps(new Map()),
      ModelFormatError,
      /no gmmrl metadata/,
      /"gmmrl.schema_version", "gmmrl.family", "gmmrl.metadata"/,
      /keys present: none/,
    );
    const props = propsOf(sample());
    props.delete(METADATA_KEY_JSON);
    props.set('author', 'x');
    expectThrows(
      () => metadataFromProps(props),
      ModelFormatError,
      /lacks "gmmrl.metadata"/,
      /keys present: "gmmrl.schema_version", "gmmrl.family", "author"/,
    );
  });

  it('unknown schema version or family → ModelFormatError', () => {
    const p1 = propsOf(sample());
    p1.set(METADATA_KEY_SCHEMA_VERSION, '2');
    expectThrows(
      () => metadataFromProps(p1),
      ModelFormatError,
      /gmmrl.schema_version is "2"; this version of gmmrl reads schema version 1 only. Upgrade gmmrl/,
    );
    const p2 = propsOf(sample());
    p2.set(METADATA_KEY_FAMILY, 'transformer');
    expectThrows(
      () => metadataFromProps(p2),
      ModelFormatError,
      /gmmrl.family is "transformer": unknown model family \(this version of gmmrl runs: gmmqf, dqn, mixture-actor, gamid-actor\)/,
    );
    expectThrows(() => metadataFromProps(mutated((o) => (o['schema_version'] = 3))), ModelFormatError, /schema_version is 3/);
    expectThrows(() => metadataFromProps(mutated((o) => (o['family'] = 'mlp'))), ModelFormatError, /family is "mlp": unknown model family/);
  });

  it('malformed JSON and malformed fields → ModelFormatError naming the field', () => {
    const bad = propsOf(sample());
    bad.set(METADATA_KEY_JSON, '{"schema_version": 1,');
    expectThrows(() => metadataFromProps(bad), ModelFormatError, /gmmrl.metadata is not valid JSON/);
    const cases: [(o: Record<string, any>) => void, RegExp][] = [
      [(o) => (o.observation_space.low = [0, 0]), /observation_space.low must have length 3, got length 2/],
      [(o) => (o.observation_space.low[1] = 'x'), /observation_space.low\[1\] must be a number or null/],
      [(o) => (o.observation_space.low[0] = 50), /observation_space.low\[0\] = 50 exceeds high\[0\] = 10/],
      [(o) => (o.observation_space.shape = [0]), /observation_space.shape\[0\] must be a positive integer, got 0/],
      [(o) => (o.action_space.kind = 'continuous'), /action_space.kind must be "discrete", "grid" or "box"/],
      [
        (o) => (o.action_space = { kind: 'box', n: 2, shape: [2], low: [-1, -1], high: [1, 1] }),
        /action_space.kind must be "discrete" or "grid" for family gmmqf, got "box"/,
      ],
      [(o) => (o.action_space.n = 2.5), /action_space.n must be a positive integer, got 2.5/],
      [(o) => (o.normalization.scale[2] = 0), /normalization.scale\[2\] must be > 0, got 0/],
      [(o) => (o.normalization.offset[0] = null), /normalization.offset\[0\] must be a finite number, got null/],
      [(o) => (o.components = -1), /components must be a positive integer/],
      [(o) => (o.inputs[0].dtype = 'float16'), /inputs\[0\].dtype must be one of/],
      [
        (o) => (o.inputs[0].shape = ['N', 4]),
        /inputs\[0\].shape is \["N", 4\] but family gmmqf with observation size 3 and 2 actions requires \["N", 3\]/,
      ],
      [(o) => (o.outputs[1].dtype = 'int32'), /outputs\[1\].dtype must be int64 for "action", got int32/],
      [(o) => (o.outputs = o.outputs.slice(0, 1)), /outputs must declare "action" \(family gmmqf\)/],
      [(o) => o.outputs.push({ name: 'q', dtype: 'float32', shape: ['N', 2] }), /outputs\[2\].name "q" is declared twice/],
      [(o) => (o.env_id = ''), /env_id must be a non-empty string/],
      [(o) => (o.source_checkpoint_sha256 = 'abc'), /source_checkpoint_sha256 must be 64 lower-case hex digits/],
      [(o) => (o.training = [1]), /training must be an object/],
    ];
    for (const [mutate, re] of cases) {
      expectThrows(() => metadataFromProps(mutated(mutate)), ModelFormatError, /^gmmrl.metadata: /, re);
    }
  });

  it('the writer validates too (ValueError): it cannot write what the reader would reject', () => {
    const m = sample();
    expectThrows(
      () => metadataToProps({ ...m, components: 0 }),
      ValueError,
      /gmmrl metadata to export: components must be a positive integer/,
    );
    expectThrows(() => metadataToProps({ ...m, training: { big: 1n } }), ValueError, /cannot be written as JSON/);
    expectThrows(() => validateMetadata(null), ModelFormatError, /\(root\) must be an object/);
  });
});
