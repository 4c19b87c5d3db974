/**
 * runtime/providers.ts: the default execution-provider lists of both entries, as a table of
 * platform / installed-library inputs → the list, and the node entry's own functions against the
 * shared ones on this machine.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as nodeRt from '../../runtime/index.node.js';
import * as webRt from '../../runtime/index.web.js';
import {
  NODE_PROVIDERS,
  WEB_PROVIDERS,
  defaultExecutionProviders,
  providerAvailable,
  type ProviderEnvironment,
  type ProviderTable,
} from '../../runtime/providers.js';

const SO = 'libonnxruntime_providers_cuda.so';
const DLL = 'onnxruntime_providers_cuda.dll';

/** A machine on `platform` whose binding folder holds exactly `files`. */
function machine(platform: string, files: readonly string[]): ProviderEnvironment {
  return { platform, hasLibrary: (file) => files.includes(file) };
}

const CASES: { what: string; table: ProviderTable<string>; platform: string; files: string[]; want: string[] }[] = [
  { what: 'node on linux with the CUDA library', table: NODE_PROVIDERS, platform: 'linux', files: [SO], want: ['cuda', 'cpu'] },
  { what: 'node on linux without it', table: NODE_PROVIDERS, platform: 'linux', files: [], want: ['cpu'] },
  { what: 'node on linux with only the Windows DLL', table: NODE_PROVIDERS, platform: 'linux', files: [DLL], want: ['cpu'] },
  { what: 'node on win32 with the CUDA DLL', table: NODE_PROVIDERS, platform: 'win32', files: [DLL], want: ['cuda', 'cpu'] },
  { what: 'node on win32 with only the Linux .so', table: NODE_PROVIDERS, platform: 'win32', files: [SO], want: ['cpu'] },
  {
    what: 'node on darwin (no CUDA provider there), both files present',
    table: NODE_PROVIDERS,
    platform: 'darwin',
    files: [SO, DLL],
    want: ['cpu'],
  },
  { what: 'web', table: WEB_PROVIDERS, platform: 'web', files: [], want: ['wasm'] },
  {
    what: 'web, whatever is installed: webgpu only when asked for',
    table: WEB_PROVIDERS,
    platform: 'linux',
    files: [SO, DLL],
    want: ['wasm'],
  },
];

describe('runtime/providers: default execution providers', () => {
  for (const c of CASES) {
    it(`${c.what} → [${c.want.join(', ')}]`, () => {
      expect(defaultExecutionProviders(c.table, machine(c.platform, c.files))).to.deep.equal(c.want);
    });
  }

  it('cuda needs its library on linux and win32 only; cpu, wasm and webgpu need none', () => {
    expect(providerAvailable(NODE_PROVIDERS, 'cuda', machine('linux', [SO]))).to.equal(true);
    expect(providerAvailable(NODE_PROVIDERS, 'cuda', machine('linux', []))).to.equal(false);
    expect(providerAvailable(NODE_PROVIDERS, 'cuda', machine('freebsd', [SO, DLL]))).to.equal(false);
    expect(providerAvailable(NODE_PROVIDERS, 'cpu', machine('freebsd', []))).to.equal(true);
    expect(providerAvailable(WEB_PROVIDERS, 'wasm', machine('web', []))).to.equal(true);
    expect(providerAvailable(WEB_PROVIDERS, 'webgpu', machine('web', []))).to.equal(true);
  });

  it('each entry exports its providers in priority order', () => {
    expect(nodeRt.NODE_EXECUTION_PROVIDERS).to.deep.equal(['cuda', 'cpu']);
    expect(webRt.WEB_EXECUTION_PROVIDERS).to.deep.equal(['webgpu', 'wasm']);
  });

  it("the node entry's defaultExecutionProviders() and cudaProviderInstalled() are the shared ones for this machine", () => {
    const dir = nodeRt.ortBindingDir();
    expect(dir).to.be.a('string');
    const thisMachine: ProviderEnvironment = { platform: process.platform, hasLibrary: (file) => existsSync(join(dir!, file)) };
    expect(nodeRt.defaultExecutionProviders()).to.deep.equal(defaultExecutionProviders(NODE_PROVIDERS, thisMachine));
    expect(nodeRt.cudaProviderInstalled()).to.equal(providerAvailable(NODE_PROVIDERS, 'cuda', thisMachine));
  });
});
