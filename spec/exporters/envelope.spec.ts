/**
 * exporters/onnx/envelope.ts: the metadata envelope and graph preamble the four exporters share.
 * Key order is part of the contract with the golden files (the JSON is written in insertion
 * order), so it is pinned here; every exporter's metadata is checked to be an envelope.
 */
import { expect } from 'chai';
import { FAMILY, IO } from '../../contract/families.js';
import { METADATA_KEY_JSON, NORMALIZATION_FORMULA, validateMetadata } from '../../contract/metadata.js';
import { metadataMap, readOnnxModel } from '../../runtime/onnx-reader.js';
import { checkModelDigest } from '../../runtime/digest.js';
import { beginGraph, finishModel, inputSpecs, metadataEnvelope, normalizationSpec, precisionField } from '../../exporters/onnx/envelope.js';
import { floatKind } from '../../exporters/onnx/subgraphs.js';
import { onnx } from '../../exporters/onnx/proto/onnx.js';
import { metadataToProps } from '../../contract/metadata.js';
import { GMMRL_VERSION } from '../../models/version.js';
import { buildBenchModel, BENCH_FAMILIES } from '../../bench/models.js';

const meta = { envId: 'Test-v0', observationSpace: { shape: [2], low: [-1, -Infinity], high: [1, Infinity] } };
const fields = {
  action_space: { kind: 'discrete' as const, n: 2 },
  ...precisionField('float32'),
  normalization: normalizationSpec([0.1, 0], [1, 2], floatKind('float32')),
  inputs: inputSpecs('float32', 2, false),
  outputs: [
    { name: IO.q, dtype: 'float32' as const, shape: ['N', 2] },
    { name: IO.action, dtype: 'int64' as const, shape: ['N'] },
  ],
};

describe('exporters/onnx/envelope: one metadata envelope and graph preamble', () => {
  it('header fields first, then the family fields in their order, then the provenance when given', () => {
    const m = metadataEnvelope(FAMILY.dqn, { ...meta, sourceCheckpointSha256: 'ab'.repeat(32), training: { algorithm: 'x' } }, fields);
    expect(Object.keys(m)).to.deep.equal([
      'schema_version',
      'family',
      'producer',
      'producer_version',
      'env_id',
      'observation_space',
      'action_space',
      'normalization',
      'inputs',
      'outputs',
      'source_checkpoint_sha256',
      'training',
    ]);
    expect(m).to.include({ schema_version: 1, family: 'dqn', producer: 'gmmrl', producer_version: GMMRL_VERSION, env_id: 'Test-v0' });
    const bare = Object.keys(metadataEnvelope(FAMILY.dqn, meta, fields));
    expect(bare).to.not.include('source_checkpoint_sha256');
    expect(bare).to.not.include('training');
    expect(() => validateMetadata(JSON.parse(JSON.stringify(m)))).to.not.throw();
  });

  it('copies the observation space (the caller keeps its arrays)', () => {
    const m = metadataEnvelope(FAMILY.dqn, meta, fields);
    expect(m.observation_space.low).to.not.equal(meta.observationSpace.low);
    expect(m.observation_space).to.deep.equal(meta.observationSpace);
  });

  it('precision is written for float64 only; normalization is rounded to the graph precision', () => {
    expect(precisionField('float32')).to.deep.equal({});
    expect(precisionField('float64')).to.deep.equal({ precision: 'float64' });
    expect(normalizationSpec([0.1], [0.3], floatKind('float32'))).to.deep.equal({
      offset: [Math.fround(0.1)],
      scale: [Math.fround(0.3)],
      formula: NORMALIZATION_FORMULA,
    });
    expect(normalizationSpec([0.1], [0.3], floatKind('float64'), 'f')).to.deep.equal({ offset: [0.1], scale: [0.3], formula: 'f' });
  });

  it('inputs: obs, then noise_u and (actors) noise_eps with noise inputs', () => {
    expect(inputSpecs('float64', 3, false).map((t) => t.name)).to.deep.equal([IO.obs]);
    expect(inputSpecs('float32', 3, true).map((t) => t.name)).to.deep.equal([IO.obs, IO.noiseU]);
    expect(inputSpecs('float32', 3, true, 2)).to.deep.equal([
      { name: IO.obs, dtype: 'float32', shape: ['N', 3] },
      { name: IO.noiseU, dtype: 'float32', shape: ['N'] },
      { name: IO.noiseEps, dtype: 'float32', shape: ['N', 2] },
    ]);
  });

  it('beginGraph + finishModel: the graph is named after the family, the header is gmmrl IR 8 / opset 17 with the metadata props', () => {
    const m = metadataEnvelope(FAMILY.dqn, meta, fields);
    const { g, obs, noiseU, noiseEps } = beginGraph(FAMILY.dqn, 'doc', floatKind('float32'), 2, { u: 'u doc' });
    expect([obs, noiseU, noiseEps]).to.deep.equal([IO.obs, 'dqn/noise/u_rows', undefined]);
    g.output(IO.action, 1, ['N', 2]);
    g.node({ name: 'dqn/identity', opType: 'Identity', inputs: [obs], outputs: [IO.action] });
    const bytes = finishModel(g, 'model doc', metadataToProps(m));
    const model = readOnnxModel(bytes);
    expect(model.irVersion).to.equal(8);
    expect(model.opsetImport.map((o) => Number(o.version))).to.deep.equal([17]);
    expect([model.producerName, model.producerVersion]).to.deep.equal(['gmmrl', GMMRL_VERSION]);
    expect(model.graph!.inputs.map((i) => i.name)).to.deep.equal([IO.obs, IO.noiseU]);
    // noise_u's default (an initializer of the same name, one row) and its Expand to obs's N rows
    expect(model.graph!.initializerNames).to.include(IO.noiseU);
    // the metadata as given, sealed with the digest as its last field (runtime/digest.ts checks it)
    const json = metadataMap(model).get(METADATA_KEY_JSON)!;
    expect(json.slice(0, -83)).to.equal(JSON.stringify(m).slice(0, -1));
    expect(json.slice(-83)).to.match(/^,"model_sha256":"[0-9a-f]{64}"\}$/);
    expect(checkModelDigest(bytes)).to.deep.include({ integrity: 'verified', digest: json.slice(-66, -2) });
    const proto = onnx.ModelProto.decode(bytes);
    expect([proto.graph?.name, proto.graph?.doc_string, proto.doc_string]).to.deep.equal(['dqn', 'doc', 'model doc']);
    expect(proto.graph?.input?.[1]?.doc_string).to.equal(
      'u doc Optional in ONNX: its default (initializer of the same name) is one row of NaN, and the sampled outputs are NaN (float) / -1 (index) in every row without finite noise.',
    );
  });

  for (const family of BENCH_FAMILIES) {
    it(`${family}: the exporter's metadata is an envelope (header keys first, provenance last) and its graph is named ${family}`, () => {
      const bytes = buildBenchModel(family).bytes;
      const model = readOnnxModel(bytes);
      const json = JSON.parse(metadataMap(model).get(METADATA_KEY_JSON)!) as Record<string, unknown>;
      expect(Object.keys(json).slice(0, 6)).to.deep.equal([
        'schema_version',
        'family',
        'producer',
        'producer_version',
        'env_id',
        'observation_space',
      ]);
      expect(Object.keys(json).slice(-2)).to.deep.equal(['training', 'model_sha256']);
      expect(json['family']).to.equal(family);
      expect(onnx.ModelProto.decode(bytes).graph?.name).to.equal(family);
    });
  }
});
