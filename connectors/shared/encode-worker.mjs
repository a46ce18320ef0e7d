// A worker thread of EncodePool (encode-pool.ts): builds request bodies from packed rows off the
// main thread. Plain JavaScript, so that it loads the TypeScript encoders itself whatever loader
// the main thread runs under (the CLI, vitest, tsx).
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { ENCODERS } = await import('./encoders.ts');
const { encodePacked } = await import('./encode.ts');

parentPort.on('message', ({ id, name, packed }) => {
  try {
    const { payload, sent, rejected } = encodePacked(ENCODERS[name], packed);
    // The payload's memory is its own (payloadBytes never uses Node's shared pool): hand it over.
    const memory = payload.length > 0 ? payload.buffer : null;
    parentPort.postMessage({ id, memory, length: payload.length, sent, rejected }, memory ? [memory] : []);
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
