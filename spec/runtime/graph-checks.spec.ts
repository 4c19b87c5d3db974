/**
 * Metadata against the graph (runtime/graph-checks.ts checkGraphValues): for every family and export
 * variant built by the exporters (exported-models.ts), each metadata field the graph also holds is
 * edited — the file otherwise valid: the model re-serialized with the edited metadata_props, the
 * metadata still valid on its own — and loadPolicy must refuse it with a ModelFormatError naming the
 * field, the metadata's value and the graph's. Untouched files load, and so do edits of the fields
 * the graph does not hold (the table in runtime/README.md says which).
 */
import { expect } from 'chai';
import { loadPolicy } from '../../runtime/index.node.js';
import { ModelFormatError } from '../../contract/errors.js';
import { validateMetadata } from '../../contract/metadata.js';
import { expectRejects } from '../helpers.js';
import { edit } from './model-edit.js';
import { buildFixture } from './fixtures.js';
import { exportedModels, type ExportedModel } from './exported-models.js';

type Meta = Record<string, any>;

/** The bytes with the gmmrl.metadata JSON edited by `fn` (and gmmrl.family set to the edited family). */
function editMeta(bytes: Uint8Array, fn: (o: Meta) => void): Uint8Array {
  return edit(bytes, (m) => {
    const e = m.metadata_props.find((x) => x.key === 'gmmrl.metadata')!;
    const o = JSON.parse(e.value!) as Meta;
    fn(o);
    e.value = JSON.stringify(o);
    m.metadata_props.find((x) => x.key === 'gmmrl.family')!.value = o['family'];
  });
}

function metaOf(bytes: Uint8Array): Meta {
  let o: Meta = {};
  edit(bytes, (m) => (o = JSON.parse(m.metadata_props.find((x) => x.key === 'gmmrl.metadata')!.value!) as Meta));
  return o;
}

const isActor = (o: Meta): boolean => o['family'] === 'mixture-actor' || o['family'] === 'gamid-actor';
const hiddenLayers = (o: Meta): boolean => Array.isArray(o['network']?.layers) && o['network'].layers.length > 2;

/** A metadata edit of a field the graph holds: when it applies, what it changes, what the refusal must name. */
interface Contradiction {
  name: string;
  applies(o: Meta): boolean;
  apply(o: Meta): void;
  error: RegExp;
}

const CONTRADICTIONS: Contradiction[] = [
  {
    name: 'normalization.offset[0] moved by 0.25',
    applies: () => true,
    apply: (o) => (o['normalization'].offset[0] = Math.fround(o['normalization'].offset[0] + 0.25)),
    error: /disagree on normalization\.offset\[0\]: gmmrl\.metadata says .*; the graph has .* \(constant ".*\/obs_offset"\[0\]\)/,
  },
  {
    name: 'normalization.scale doubled',
    applies: () => true,
    apply: (o) => {
      const s = o['normalization'].scale as number[];
      s[s.length - 1] = 2 * s[s.length - 1]!;
    },
    error: /disagree on normalization\.scale\[\d\]/,
  },
  {
    name: 'components + 1 (gmmqf: K is in the graph constants only)',
    applies: (o) => o['family'] === 'gmmqf',
    apply: (o) => (o['components'] += 1),
    error: /disagree on components: gmmrl\.metadata says \d+; the graph has \d+ \(constant "gmmqf\/means"/,
  },
  {
    name: 'components + 1, with the outputs reshaped to match (actors)',
    applies: isActor,
    apply: (o) => {
      const K = o['components'] as number;
      o['components'] = K + 1;
      for (const t of o['outputs']) if (['weights', 'means', 'log_std', 'component_actions', 'q'].includes(t.name)) t.shape[1] = K + 1;
    },
    error: /disagree on the shape of output/,
  },
  {
    name: 'sampling.epsilon = 0.9',
    applies: (o) => o['sampling']?.epsilon !== undefined,
    apply: (o) => (o['sampling'].epsilon = 0.9),
    error: /disagree on sampling\.epsilon: gmmrl\.metadata says 0\.9/,
  },
  {
    name: 'sampling.exploration_std doubled',
    applies: (o) => o['sampling']?.exploration_std !== undefined,
    apply: (o) => (o['sampling'].exploration_std *= 2),
    error: /disagree on sampling\.exploration_std/,
  },
  {
    name: 'actor bounds widened (action_space.high[0] + 1)',
    applies: isActor,
    apply: (o) => (o['action_space'].high[0] += 1),
    error: /disagree on action_space\.low\/high\[0\]/,
  },
  {
    name: 'actor bounds narrowed (action_space.low raised)',
    applies: isActor,
    apply: (o) => {
      const as = o['action_space'];
      const d = as.low.length - 1;
      as.low[d] += (as.high[d] - as.low[d]) / 4;
    },
    error: /disagree on action_space\.low\/high\[\d\]/,
  },
  {
    name: 'a grid row replaced by another grid point',
    applies: (o) => o['action_space'].kind === 'grid',
    apply: (o) => (o['action_space'].values[0] = [...o['action_space'].values[1]]),
    error: /disagree on action_space\.values \(row-major\)\[\d+\]: gmmrl\.metadata says/,
  },
  {
    name: 'network.layers: a layer size + 1',
    applies: (o) => o['network'] !== undefined,
    apply: (o) => (o['network'].layers[1] += 1),
    error: /disagree on network\.layers/,
  },
  {
    name: 'network.activation "tanh"',
    applies: hiddenLayers,
    apply: (o) => (o['network'].activation = 'tanh'),
    error: /disagree on network\.activation: gmmrl\.metadata says "tanh"/,
  },
  {
    name: 'network.critic_layers: a layer size + 1',
    applies: (o) => o['network']?.critic_layers !== undefined,
    apply: (o) => (o['network'].critic_layers[1] += 1),
    error: /disagree on network\.critic_layers/,
  },
  {
    name: 'parameter_count + 1 (dqn, actors: the graph holds every parameter)',
    applies: (o) => o['family'] !== 'gmmqf',
    apply: (o) => (o['parameter_count'] += 1),
    error: /disagree on parameter_count/,
  },
  {
    name: 'sparsity.components_pruned + 1',
    applies: (o) => o['sparsity'] !== undefined,
    apply: (o) => (o['sparsity'].components_pruned += 1),
    error: /disagree on sparsity\.components_trained − sparsity\.components_pruned/,
  },
  {
    name: 'a dqn relabelled gmmqf with components: 4',
    applies: (o) => o['family'] === 'dqn',
    apply: (o) => {
      o['family'] = 'gmmqf';
      o['components'] = 4;
      delete o['network'];
    },
    error: /disagree on the family: gmmrl\.metadata says "gmmqf", but the graph is named "dqn"/,
  },
  {
    name: 'a gmmqf relabelled dqn',
    applies: (o) => o['family'] === 'gmmqf' && o['sparsity'] === undefined,
    apply: (o) => {
      o['family'] = 'dqn';
      delete o['components'];
    },
    error: /disagree on the family: gmmrl\.metadata says "dqn", but the graph is named "gmmqf"/,
  },
  {
    name: 'the in-graph sampling head left out of the metadata',
    applies: (o) => !isActor(o) && o['sampling']?.noise === 'in-graph',
    apply: (o) => {
      delete o['sampling'];
      o['outputs'] = o['outputs'].filter((t: Meta) => !String(t.name).startsWith('action_sampled'));
    },
    error: /disagree on outputs: .*also "action_sampled/,
  },
];

/** Edits of fields the graph does not hold (README: "not in the graph"): the file still loads. */
const NOT_IN_GRAPH: Contradiction[] = [
  { name: 'env_id', applies: () => true, apply: (o) => (o['env_id'] = 'Other-v9'), error: /./ },
  { name: 'observation_space.low/high', applies: () => true, apply: (o) => (o['observation_space'].high[0] = 123), error: /./ },
  { name: 'training', applies: () => true, apply: (o) => (o['training'] = { algorithm: 'other', steps: 1 }), error: /./ },
  {
    name: 'the grid bounds widened (the graph stores the grid points only)',
    applies: (o) => o['action_space'].kind === 'grid',
    apply: (o) => (o['action_space'].high = o['action_space'].high.map((h: number) => h + 1)),
    error: /./,
  },
];

describe('runtime: metadata against the graph (graph-checks.ts checkGraphValues)', function () {
  this.timeout(120_000);
  const MODELS: ExportedModel[] = exportedModels();

  it('covers every family and export variant of the issue (gmmqf, sparse gmmqf, gmmqf grid, dqn, double dqn grid, sac, gamid, td3)', () => {
    const families = new Set(MODELS.map((m) => m.family));
    expect([...families].sort()).to.deep.equal(['dqn', 'gamid-actor', 'gmmqf', 'mixture-actor']);
    for (const want of [/^sparse gmmqf/, /^gmmqf action grid/, /^double dqn grid/, /\(sac\)/, /^gamid-actor$/, /\(td3\)/]) {
      expect(
        MODELS.some((m) => want.test(m.name)),
        String(want),
      ).to.equal(true);
    }
  });

  for (const model of MODELS) {
    describe(model.name, () => {
      const meta = metaOf(model.bytes);

      it('loads untouched; info.observationLimit has D positive entries of the precision', async () => {
        const pol = await loadPolicy(model.bytes);
        try {
          const D = pol.info.observationSize;
          expect(pol.info.observationLimit).to.have.length(D);
          for (const L of pol.info.observationLimit) {
            expect(L).to.be.greaterThan(0);
            if (pol.info.precision === 'float32') expect(Math.fround(L)).to.equal(L);
          }
        } finally {
          await pol.dispose();
        }
      });

      for (const c of CONTRADICTIONS) {
        if (!c.applies(meta)) continue;
        it(`refuses: ${c.name}`, async () => {
          const bytes = editMeta(model.bytes, c.apply);
          // the edit leaves the metadata valid on its own: only the graph contradicts it
          const edited = metaOf(bytes);
          expect(() => validateMetadata(edited)).to.not.throw();
          await expectRejects(() => loadPolicy(bytes), ModelFormatError, c.error);
        });
      }

      for (const c of NOT_IN_GRAPH) {
        if (!c.applies(meta)) continue;
        it(`loads an edit of a field the graph does not hold: ${c.name}`, async () => {
          const pol = await loadPolicy(editMeta(model.bytes, c.apply));
          await pol.dispose();
        });
      }
    });
  }

  it('every contradiction of the list applies to some model', () => {
    for (const c of CONTRADICTIONS)
      expect(
        MODELS.some((m) => c.applies(metaOf(m.bytes))),
        c.name,
      ).to.equal(true);
  });

  it('an exporter graph missing a named constant is refused, naming it', async () => {
    const dqn = MODELS.find((m) => m.name === 'dqn')!;
    const bytes = edit(dqn.bytes, (m) => {
      const t = m.graph!.initializer!.find((x) => x.name === 'dqn/obs_scale')!;
      t.name = 'dqn/obs_scale_renamed';
      for (const n of m.graph!.node!) n.input = n.input!.map((i) => (i === 'dqn/obs_scale' ? 'dqn/obs_scale_renamed' : i));
    });
    await expectRejects(() => loadPolicy(bytes), ModelFormatError, /named "dqn" \(a gmmrl dqn export\) but lacks "dqn\/obs_scale"/);
  });

  it('a graph constant of another element type than the precision is refused', async () => {
    const g = MODELS.find((m) => m.name === 'gmmqf')!;
    const bytes = edit(g.bytes, (m) => {
      const t = m.graph!.initializer!.find((x) => x.name === 'gmmqf/obs_offset')!;
      const f = new Float32Array(Uint8Array.from(t.raw_data!).buffer);
      t.data_type = 11;
      const raw = new Uint8Array(f.length * 8);
      f.forEach((x, i) => new DataView(raw.buffer).setFloat64(i * 8, x, true));
      t.raw_data = raw;
    });
    await expectRejects(
      () => loadPolicy(bytes),
      ModelFormatError,
      /constant "gmmqf\/obs_offset" \(normalization offset\) is float64; .* needs float32/,
    );
  });

  it('a hand-built graph (not named after a family) is checked on its inputs and outputs only; its limit is the float32 range', async () => {
    const pol = await loadPolicy(buildFixture({ family: 'dqn' }).bytes);
    try {
      expect(pol.info.observationLimit).to.deep.equal([3.4028234663852886e38, 3.4028234663852886e38, 3.4028234663852886e38]);
    } finally {
      await pol.dispose();
    }
  });
});
