/** A collector worker thread: collects its share of the accounts and posts the inventory back. */
import { parentPort, workerData } from 'node:worker_threads';
import { collect, type CollectOptions } from './collector.js';
import { UserError } from '../model/errors.js';
import { deadlineReason } from './deadline.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = parentPort!;
const controller = new AbortController();
port.on('message', (m: { type: string; deadline?: boolean }) => {
  if (m.type === 'abort') controller.abort(m.deadline ? deadlineReason() : undefined);
});

const { debug, ...opts } = workerData as CollectOptions & { debug: boolean };
try {
  const inventory = await collect({
    ...opts,
    signal: controller.signal,
    onProgress: (progress) => port.postMessage({ type: 'progress', progress }),
    // Each scope's instances go to the main thread as soon as the scope is done.
    onScope: (coverage, instances, references) => port.postMessage({ type: 'scope', coverage, instances, references }),
    onCall: debug ? (event) => port.postMessage({ type: 'call', event }) : undefined,
    onDiagnostic: debug ? (text) => port.postMessage({ type: 'diagnostic', text }) : undefined,
  });
  port.postMessage({ type: 'done', inventory });
} catch (e) {
  const err = e as Error;
  port.postMessage({ type: 'error', message: err.message, name: err.name, user: e instanceof UserError });
}
port.close();
