/**
 * The conformance traces (recorded through etcd 3.4.23's JSON gateway)
 * replayed over HTTP against a `leaselab serve` process: the same replayer
 * as `leaselab conformance`, with a store whose every call is a POST to
 * serve's `/v3/…` gateway, watches are `/v3/watch` streams, and time is
 * serve's clock fast-forwarded through its control endpoint to each step's
 * `t_ms`. The replayer is synchronous, so HTTP runs in a worker thread and
 * the test waits on it (Atomics.wait); serve runs in its own process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayTrace, type StoreUnderTest } from '../../src/cli/conformance/replay.ts';
import { parseTrace } from '../../src/cli/conformance/trace.ts';
import { decode, encode, gatewayRpcs } from '../../src/server/json-codec.ts';
import type { MessageName } from '../../src/store/message-schemas.ts';
import type { EtcdApi, WatchSink } from '../../src/store/etcd-api.ts';
import { EtcdError, type GrpcCode } from '../../src/store/errors.ts';
import type { VirtualClock } from '../../src/store/virtual-clock.ts';

const conformanceDir = '/work/shared/conformance/etcd-3.4';
const binPath = fileURLToPath(new URL('../../bin/leaselab.js', import.meta.url));

/** The worker: plain fetch, answering each request on the port it was given. */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { port, flag } = workerData;
const watches = new Map();
parentPort.on('message', async (message) => {
  let result;
  try {
    if (message.op === 'post') {
      const response = await fetch(message.url, { method: 'POST', body: message.body });
      result = { status: response.status, text: await response.text() };
    } else if (message.op === 'get') {
      const response = await fetch(message.url, { method: message.method });
      result = { status: response.status, text: await response.text() };
    } else if (message.op === 'watch') {
      const controller = new AbortController();
      const watch = { lines: [], partial: '', controller };
      watches.set(message.name, watch);
      const response = await fetch(message.url, { method: 'POST', body: message.body, signal: controller.signal });
      (async () => {
        const decoder = new TextDecoder();
        try {
          for await (const chunk of response.body) {
            const parts = (watch.partial + decoder.decode(chunk, { stream: true })).split('\\n');
            watch.partial = parts.pop();
            for (const part of parts) if (part.trim() !== '') watch.lines.push(part);
          }
        } catch {}
      })();
      result = { status: response.status };
    } else if (message.op === 'drain') {
      if (message.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, message.waitMs));
      const watch = watches.get(message.name);
      result = { lines: watch === undefined ? [] : watch.lines.splice(0) };
    } else if (message.op === 'close') {
      watches.get(message.name)?.controller.abort();
      watches.delete(message.name);
      result = {};
    }
  } catch (error) {
    result = { error: String(error) };
  }
  port.postMessage(result);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

class SyncHttp {
  readonly #worker: Worker;
  readonly #port;
  readonly #flag = new Int32Array(new SharedArrayBuffer(4));

  constructor() {
    const channel = new MessageChannel();
    this.#port = channel.port2;
    this.#worker = new Worker(workerSource, { eval: true, workerData: { port: channel.port1, flag: this.#flag }, transferList: [channel.port1] });
  }

  call<T>(message: Record<string, unknown>): T {
    Atomics.store(this.#flag, 0, 0);
    this.#worker.postMessage(message);
    if (Atomics.wait(this.#flag, 0, 0, 15_000) === 'timed-out') throw new Error(`no answer from the HTTP worker for ${JSON.stringify(message)}`);
    const received = receiveMessageOnPort(this.#port);
    const result = received?.message as (T & { error?: string }) | undefined;
    if (result === undefined) throw new Error('the HTTP worker answered nothing');
    if (result.error !== undefined) throw new Error(result.error);
    return result;
  }

  close(): Promise<number> {
    this.#port.close();
    return this.#worker.terminate();
  }
}

/** An EtcdApi whose every call goes to serve over HTTP, after moving serve's clock to the replay's. */
function storeOverHttp(http: SyncHttp, grpcUrl: string, controlUrl: string, clock: VirtualClock): StoreUnderTest {
  const timeNow = () => JSON.parse(http.call<{ text: string }>({ op: 'get', method: 'GET', url: `${controlUrl}/time` }).text) as { nowMs: number };
  const startMs = timeNow().nowMs;
  const catchUp = () => {
    const behindMs = startMs + clock.nowMs() - timeNow().nowMs;
    if (behindMs > 0) http.call({ op: 'get', method: 'POST', url: `${controlUrl}/advance?ms=${behindMs}` });
  };
  const sinks = new Map<string, WatchSink>();
  let watchCount = 0;
  const flush = (waitMs: number) => {
    let first = true;
    for (const [name, sink] of sinks) {
      const { lines } = http.call<{ lines: string[] }>({ op: 'drain', name, waitMs: first ? waitMs : 0 });
      first = false;
      for (const line of lines) {
        const json = JSON.parse(line) as { result?: unknown; error?: unknown };
        if (json.result !== undefined) sink.send(decode('WatchResponse', json.result));
      }
    }
  };
  // Watch messages arrive asynchronously: while a watch is open, move serve's clock with the replay's and collect them.
  const flushEveryMs = 50;
  const tick = () => {
    if (sinks.size > 0) {
      catchUp(); // a watch may be waiting for time alone (a lease expiring)
      flush(15);
    }
    clock.setTimer(flushEveryMs, tick);
  };
  clock.setTimer(flushEveryMs, tick);

  const api: Record<string, unknown> = {};
  for (const [rpc, { request, response, method }] of Object.entries(gatewayRpcs)) {
    if (api[method] !== undefined) continue;
    api[method] = (message: unknown) => {
      catchUp();
      const answer = http.call<{ status: number; text: string }>({
        op: 'post',
        url: `${grpcUrl}/v3/${rpc}`,
        body: JSON.stringify(encode(request as MessageName, message as never)),
      });
      const text = rpc === 'lease/keepalive' ? answer.text.trim().split('\n')[0]! : answer.text;
      const json = JSON.parse(text) as { result?: unknown; error?: string; code?: number };
      if (json.error !== undefined) throw new EtcdError(json.code as GrpcCode, json.error);
      flush(0);
      return decode(response as MessageName, rpc === 'lease/keepalive' ? json.result : json);
    };
  }
  api['openWatchStream'] = (sink: WatchSink) => {
    const name = `w${++watchCount}`;
    sinks.set(name, sink);
    return {
      request(message: unknown) {
        catchUp();
        http.call({ op: 'watch', name, url: `${grpcUrl}/v3/watch`, body: JSON.stringify(encode('WatchRequest', message as never)) });
        // As the recorder did against etcd: a watch from a past revision catches up on the
        // server's 100 ms resync, so wait past one before the trace's next step.
        const startRevision = (message as { create_request?: { start_revision?: number } }).create_request?.start_revision;
        if (startRevision !== undefined && startRevision !== 0) flush(150);
      },
      close() {
        flush(15);
        sinks.delete(name);
        http.call({ op: 'close', name });
      },
    };
  };
  return {
    api: api as unknown as EtcdApi,
    stop: () => {
      for (const name of [...sinks.keys()]) http.call({ op: 'close', name });
    },
  };
}

const traceFiles = readdirSync(conformanceDir)
  .filter((name) => name.endsWith('.json'))
  .sort();

describe('conformance traces over HTTP against a serve process', () => {
  let serve: ChildProcess;
  let ready: { grpc: string; control: string };
  let http: SyncHttp;
  beforeAll(async () => {
    serve = spawn(process.execPath, [binPath, 'serve', '--port', '0', '--control-port', '0', '--ready-json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    ready = await new Promise((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n')[0]!;
        if (out.includes('\n')) resolve(JSON.parse(line) as { grpc: string; control: string });
      });
      serve.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    http = new SyncHttp();
  }, 30_000);
  afterAll(async () => {
    await http?.close();
    serve?.kill('SIGTERM');
  });

  it.each(traceFiles)(
    '%s',
    (file) => {
      const parsed = parseTrace(readFileSync(`${conformanceDir}/${file}`, 'utf8'), file);
      if (!parsed.ok) throw new Error(`${file} does not parse`);
      http.call({ op: 'get', method: 'POST', url: `${ready.control}/reset` });
      const result = replayTrace(parsed.trace, { openStore: (clock) => storeOverHttp(http, `http://${ready.grpc}`, ready.control, clock) });
      const failures = result.steps
        .filter((step) => !step.ok)
        .map((step) => ({ step: step.index, label: step.label, note: step.note, differences: step.differences }));
      expect(failures).toEqual([]);
    },
    30_000,
  );
});
