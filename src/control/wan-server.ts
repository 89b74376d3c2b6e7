// The WAN emulator's control API over node:http (kept light: this runs beside every local deployment).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, MeridianError, isMeridianError } from '../core/errors.ts';
import { isJsonObject } from '../core/json.ts';
import type { JsonObject } from '../core/json.ts';
import type { WanEmulator } from './wan-emulator.ts';

const MAX_BODY_BYTES = 64 * 1024;
const ROUTES =
  'GET /healthz, GET /links, POST /partition {a,b}, POST /heal {a?,b?}, POST /latency {a,b,rttMs}';

export interface WanServerOptions {
  /** Default 0: the OS chooses. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
}

export interface WanServer {
  /** 'http://host:port' */
  readonly url: string;
  close(): Promise<void>;
}

type Handler = (body: JsonObject) => unknown;

export async function startWanServer(
  emulator: WanEmulator,
  options: WanServerOptions = {},
): Promise<WanServer> {
  const host = options.host ?? '127.0.0.1';
  const links = (): { links: unknown[] } => ({
    // JSON has no undefined: an unlimited bandwidth is shown as null.
    links: emulator
      .links()
      .map((link) => ({ ...link, bandwidthBytesPerSec: link.bandwidthBytesPerSec ?? null })),
  });
  const routes: Record<string, Record<string, Handler>> = {
    '/healthz': { GET: () => ({ ok: true }) },
    '/links': { GET: links },
    '/partition': {
      POST: (body) => {
        const { a, b } = fields(body, { a: region, b: region });
        emulator.partition(a, b);
        return links();
      },
    },
    '/heal': {
      POST: (body) => {
        const { a, b } = fields(body, { a: optional(region), b: optional(region) });
        emulator.heal(a, b);
        return links();
      },
    },
    '/latency': {
      POST: (body) => {
        const { a, b, rttMs } = fields(body, { a: region, b: region, rttMs: milliseconds });
        emulator.setLatency(a, b, rttMs);
        return links();
      },
    },
  };

  const server = createServer((req, res) => {
    void respond(req, res, routes);
  });
  server.listen({ host, port: options.port ?? 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (cause) =>
      reject(
        new MeridianError(
          ErrorCode.Unavailable,
          `WAN control API cannot listen on ${host}:${options.port ?? 0}: ${cause.message}`,
          {
            cause,
          },
        ),
      ),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  routes: Record<string, Record<string, Handler>>,
): Promise<void> {
  try {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes[path];
    if (!route)
      throw new MeridianError(ErrorCode.NotFound, `no route ${req.method} ${path}; routes: ${ROUTES}`);
    const handler = route[req.method ?? ''];
    if (!handler) {
      const allowed = Object.keys(route).join(', ');
      const message = `${req.method} ${path} is not supported; use ${allowed} ${path}`;
      throw new MeridianError(ErrorCode.BadRequest, message, { status: 405 });
    }
    const body = req.method === 'POST' ? await readJsonObject(req) : {};
    send(res, 200, handler(body));
  } catch (err) {
    if (isMeridianError(err)) send(res, err.status, { error: { code: err.code, message: err.message } });
    else send(res, 500, { error: { code: ErrorCode.Internal, message: String(err) } });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJsonObject(req: IncomingMessage): Promise<JsonObject> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new MeridianError(
        ErrorCode.PayloadTooLarge,
        `body is over ${MAX_BODY_BYTES} bytes; send a small JSON object`,
      );
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new MeridianError(
      ErrorCode.InvalidJson,
      `body is not valid JSON (${String(cause)}); send a JSON object`,
      { cause },
    );
  }
  if (!isJsonObject(parsed)) {
    throw new MeridianError(
      ErrorCode.BadRequest,
      `body must be a JSON object, got ${JSON.stringify(parsed)}`,
    );
  }
  return parsed;
}

type Field<T> = (value: unknown, name: string) => T;
type Parsed<S> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** Checks `body` against `schema`: every field parsed, no field outside it. */
function fields<S extends Record<string, Field<unknown>>>(body: JsonObject, schema: S): Parsed<S> {
  for (const name of Object.keys(body)) {
    if (!(name in schema)) {
      throw bad(`unknown field ${JSON.stringify(name)}; allowed: ${Object.keys(schema).join(', ')}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, parse] of Object.entries(schema)) out[name] = parse(body[name], name);
  return out as Parsed<S>;
}

function region(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw bad(
      `${name} must be a region name, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
    );
  }
  return value;
}

function milliseconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw bad(
      `${name} must be a number of ms >= 0, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
    );
  }
  return value;
}

function optional<T>(parse: Field<T>): Field<T | undefined> {
  return (value, name) => (value === undefined || value === null ? undefined : parse(value, name));
}

function bad(message: string): MeridianError {
  return new MeridianError(ErrorCode.BadRequest, message);
}
