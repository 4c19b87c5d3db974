/**
 * `npm run bench`: every benchmark, one after the other, in one process (ratios are measured side by
 * side). Currently: ONNX Runtime inference latency of an exported GMM-QF (bench/ort-latency.ts).
 */
import { main as ortLatency } from './ort-latency.js';

await ortLatency(process.argv.slice(2));
