// The closed-loop load generator: N workers, each with one request in flight, over one undici Pool.

import { Pool } from 'undici';

export interface RequestSpec {
  readonly method: 'GET' | 'PUT';
  readonly path: string;
  readonly body?: string;
}

export interface LoadRun {
  readonly requests: number;
  readonly errors: number;
  /** The first few failures, verbatim, so a broken run explains itself. */
  readonly errorSamples: readonly string[];
  /** From the first request sent to the last response read. */
  readonly elapsedMs: number;
  /** One entry per completed request, successful or not: send to end of body. */
  readonly latenciesMs: readonly number[];
}

export interface LoadOptions {
  readonly origin: string;
  readonly connections: number;
  /** Workers stop starting requests after this long (Infinity: until `next` returns undefined). */
  readonly durationMs: number;
  readonly expectStatus: number;
  /** The next request to send, or undefined when there is nothing left to send. */
  readonly next: () => RequestSpec | undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const MAX_ERROR_SAMPLES = 5;

export async function runClosedLoop(options: LoadOptions): Promise<LoadRun> {
  const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1 });
  const latenciesMs: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const fail = (message: string) => {
    errors++;
    if (errorSamples.length < MAX_ERROR_SAMPLES) errorSamples.push(message);
  };
  const start = performance.now();
  const deadline = start + options.durationMs;

  async function worker(): Promise<void> {
    // Check the clock before taking a request, so no request is taken and then dropped.
    while (performance.now() < deadline) {
      const spec = options.next();
      if (spec === undefined) return;
      const sent = performance.now();
      try {
        const res = await pool.request({
          method: spec.method,
          path: spec.path,
          body: spec.body,
          headers: spec.body === undefined ? undefined : JSON_HEADERS,
        });
        if (res.statusCode === options.expectStatus) {
          await res.body.dump();
        } else {
          const text = await res.body.text();
          fail(`${spec.method} ${spec.path}: ${res.statusCode} ${text.slice(0, 200)}`);
        }
      } catch (err) {
        fail(`${spec.method} ${spec.path}: ${(err as Error).message}`);
      }
      latenciesMs.push(performance.now() - sent);
    }
  }

  let end: number;
  try {
    await Promise.all(Array.from({ length: options.connections }, worker));
    end = performance.now();
  } finally {
    await pool.close();
  }
  return { requests: latenciesMs.length, errors, errorSamples, elapsedMs: end - start, latenciesMs };
}
