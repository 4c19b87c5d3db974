/**
 * contract/sha256.ts against node:crypto: the FIPS 180-4 vectors, every length around the block and
 * padding boundaries, and random chunkings of the same bytes (update order must not matter).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Rng } from '../../contract/rng.js';
import { Sha256, sha256Hex } from '../../contract/sha256.js';

const node = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('contract/sha256: pure-JS SHA-256 against node:crypto', () => {
  it('the FIPS 180-4 example vectors', () => {
    expect(sha256Hex(ascii(''))).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(ascii('abc'))).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).to.equal(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256Hex(new Uint8Array(1_000_000).fill(0x61))).to.equal('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('every length 0…300 (one, two and several blocks; the 55/56/64-byte padding edges) equals node:crypto', () => {
    const rng = new Rng(1);
    const data = new Uint8Array(300);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng.uniform() * 256);
    for (let n = 0; n <= data.length; n++) {
      const b = data.subarray(0, n);
      expect(sha256Hex(b), `length ${n}`).to.equal(node(b));
    }
  });

  it('random chunkings of random buffers give node:crypto’s digest (seeded, 200 cases)', () => {
    const rng = new Rng(2);
    for (let c = 0; c < 200; c++) {
      const n = Math.floor(rng.uniform() * 5000);
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(rng.uniform() * 256);
      const h = new Sha256();
      for (let at = 0; at < n;) {
        const step = Math.min(n - at, Math.floor(rng.uniform() * 200));
        h.update(b.subarray(at, at + step));
        at += step;
      }
      expect(h.hex(), `case ${c} (${n} bytes)`).to.equal(node(b));
    }
  });

  it('a finished hash refuses more input and a second hex()', () => {
    const h = new Sha256().update(ascii('abc'));
    h.hex();
    expect(() => h.update(ascii('d'))).to.throw(/after hex/);
    expect(() => h.hex()).to.throw(/twice/);
  });
});
