import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { GMMRL_VERSION } from '../models/version.js';

describe('package', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

  it('GMMRL_VERSION equals package.json version', () => {
    expect(GMMRL_VERSION).to.equal(pkg.version);
  });

  it('self-reference through exports: gmmrl, gmmrl/envs and gmmrl/runtime import by name after the build', async () => {
    // imported by a runtime string so that type-checking does not need dist/ to exist yet
    const byName = (name: string) => import(name) as Promise<Record<string, any>>;
    const sdk = await byName('gmmrl');
    expect(sdk.trainGmmQf).to.be.a('function');
    expect(sdk.exportGmmQf).to.be.a('function');
    expect(sdk.verifyParity).to.be.a('function');
    const envs = await byName('gmmrl/envs');
    expect(envs.make('CartPole-v1').id).to.equal('CartPole-v1');
    const rt = await byName('gmmrl/runtime');
    expect(rt.loadPolicy).to.be.a('function');
    expect(rt.ModelFormatError).to.equal(sdk.ModelFormatError); // one error hierarchy
  });

  it('ships no native TensorFlow: tfjs-node packages are optional accelerators, not dependencies', () => {
    const all = { ...pkg.dependencies, ...pkg.devDependencies, ...(pkg.optionalDependencies ?? {}) };
    expect(all).to.not.have.property('@tensorflow/tfjs-node');
    expect(all).to.not.have.property('@tensorflow/tfjs-node-gpu');
  });

  it("skips onnxruntime-node's CUDA download through package.json allowScripts, not an .npmrc key npm warns about", () => {
    expect(pkg.allowScripts['onnxruntime-node']).to.equal(false);
    expect(readFileSync('.npmrc', 'utf8')).to.not.match(/^\s*onnxruntime-node-install/m);
  });

  it('every dependency with an install script is reviewed in allowScripts (npm prints no notice)', () => {
    const r = spawnSync('npm', ['approve-scripts', '--allow-scripts-pending'], { encoding: 'utf8' });
    const out = `${r.stdout}\n${r.stderr}`;
    if (/Unknown command|approve-scripts/.test(out) && r.status !== 0 && !/install scripts/.test(out)) return; // npm without allowScripts
    expect(out).to.not.match(/not yet covered by allowScripts/);
  });

  it('the SDK uses tfjs-core and its cpu and wasm backends, not the @tensorflow/tfjs umbrella', () => {
    expect(pkg.dependencies).to.include.keys('@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm');
    expect(pkg.dependencies).to.not.have.property('@tensorflow/tfjs');
  });
});
