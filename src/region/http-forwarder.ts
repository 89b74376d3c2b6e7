// Forwards a document request to another region over HTTP (through the WAN in the local deployment):
// the same public API, marked with the forwarding region so it is not forwarded again, and the answer
// read back into the coordinator's terms. A write whose answer never came has an unknown outcome.

import { Pool } from 'undici';
import { MeridianError, type ErrorCode } from '../core/errors.ts';
import type { SessionTokens } from '../protocol/session-token.ts';
import type { DocReply, DocRequest, Forwarder, Served } from './coordinator.ts';

export const FORWARDED_BY_HEADER = 'x-meridian-forwarded-by';

export interface HttpForwarderOptions {
  readonly region: string;
  /** How this region reaches each peer. */
  readonly peerUrls: Readonly<Record<string, string>>;
  readonly tokens: SessionTokens;
  /** Give up on an answer after this long (a sync write waits for its acknowledgements first). */
  readonly timeoutMs: number;
}

export interface HttpForwarder extends Forwarder {
  close(): Promise<void>;
}

export function createHttpForwarder(options: HttpForwarderOptions): HttpForwarder {
  const { region, tokens, timeoutMs } = options;
  const pools = new Map<string, Pool>();

  function pool(peer: string): Pool {
    let p = pools.get(peer);
    if (p === undefined) {
      const url = options.peerUrls[peer];
      if (url === undefined) {
        throw new MeridianError('region_unavailable', `${region} has no URL for region '${peer}'`);
      }
      p = new Pool(url, { connections: 16, keepAliveTimeout: 60_000 });
      pools.set(peer, p);
    }
    return p;
  }

  return {
    async forward(to, request) {
      const { path, method, body, headers } = toHttp(request, tokens);
      let res;
      try {
        res = await pool(to).request({
          method,
          path,
          body,
          headers: { ...headers, [FORWARDED_BY_HEADER]: region },
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (err) {
        throw unreachable(region, to, request, err);
      }
      let text: string;
      try {
        text = await res.body.text();
      } catch (err) {
        throw unreachable(region, to, request, err);
      }
      const header = (name: string) => {
        const v = res.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const session = tokens.read(header('x-meridian-session'));
      const servedBy = header('x-meridian-region') ?? to;
      if (res.statusCode >= 400) {
        const error = toError(res.statusCode, text, to);
        if (header('x-meridian-session') === undefined) throw error;
        return { reply: { kind: 'error', error }, session, region: servedBy };
      }
      return {
        reply: toReply(request, text, header, res.statusCode),
        session,
        region: servedBy,
      } satisfies Served;
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.destroy()));
      pools.clear();
    },
  };
}

function toHttp(request: DocRequest, tokens: SessionTokens) {
  const base = `/v1/collections/${encodeURIComponent(request.collection)}/docs`;
  const query = new URLSearchParams();
  if (request.consistency !== undefined) query.set('consistency', request.consistency);
  if (request.maxStalenessMs !== undefined) query.set('maxStalenessMs', String(request.maxStalenessMs));
  const headers: Record<string, string> = {};
  if (Object.keys(request.session).length > 0) headers['x-meridian-session'] = tokens.issue(request.session);
  if (request.context !== undefined) headers['x-meridian-context'] = request.context;
  const pre = request.precondition;
  if (pre?.kind === 'version') headers['if-match'] = `"${pre.version}"`;
  if (pre?.kind === 'absent') headers['if-none-match'] = '*';
  let path = base;
  let body: string | Uint8Array | undefined;
  if (request.op === 'list') {
    const { prefix, after, limit } = request.list ?? {};
    if (prefix !== undefined) query.set('prefix', prefix);
    if (after !== undefined) query.set('after', after);
    if (limit !== undefined) query.set('limit', String(limit));
  } else {
    path = `${base}/${encodeURIComponent(request.key!)}`;
  }
  if (request.op === 'ops') path = `${path}/ops`;
  if (request.op === 'yjs') {
    path = `${path}/yjs`;
    headers['content-type'] = 'application/octet-stream';
    body = request.body as Uint8Array;
  }
  if (request.op === 'put' || request.op === 'ops') {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  const method =
    request.op === 'put'
      ? 'PUT'
      : request.op === 'ops' || request.op === 'yjs'
        ? 'POST'
        : request.op === 'delete'
          ? 'DELETE'
          : 'GET';
  const qs = query.toString();
  return {
    path: qs ? `${path}?${qs}` : path,
    method: method,
    body,
    headers,
  };
}

function toReply(
  request: DocRequest,
  text: string,
  header: (name: string) => string | undefined,
  status: number,
): DocReply {
  switch (request.op) {
    case 'get': {
      const context = header('x-meridian-context');
      return {
        kind: 'doc',
        version: (header('etag') ?? '').replace(/^"(.*)"$/, '$1'),
        origin: header('x-meridian-origin') ?? '',
        json: text,
        ...(status === 300 ? { status: 300 as const } : {}),
        ...(context === undefined ? {} : { context }),
      };
    }
    case 'list': {
      const page = JSON.parse(text) as Extract<DocReply, { kind: 'page' }>;
      return { kind: 'page', items: page.items, next: page.next };
    }
    default: {
      const written = JSON.parse(text) as { key: string; version: string };
      return {
        kind: 'written',
        key: written.key,
        version: written.version,
        deleted: request.op === 'delete',
      };
    }
  }
}

function toError(status: number, text: string, peer: string): MeridianError {
  try {
    const { error } = JSON.parse(text) as {
      error: { code: string; message: string; details?: Record<string, unknown> };
    };
    return new MeridianError(error.code as ErrorCode, error.message, { status, details: error.details });
  } catch {
    return new MeridianError('region_unavailable', `${peer} answered HTTP ${status}: ${text.slice(0, 200)}`);
  }
}

function unreachable(self: string, peer: string, request: DocRequest, err: unknown): MeridianError {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  const notSent = code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT';
  const writing = request.op !== 'get' && request.op !== 'list';
  if (writing) {
    if (!notSent) {
      return new MeridianError(
        'outcome_unknown',
        `${self} forwarded the write to ${peer} and got no answer (${message}): it may or may not have been applied; read it back before retrying`,
        { details: { region: peer, retryAfterMs: 1000 } },
      );
    }
  }
  return new MeridianError(
    'region_unavailable',
    `${peer}, which serves this request, is unreachable from ${self} (${message}); ${writing ? 'nothing was written; ' : ''}retry later`,
    { details: { region: peer, retryAfterMs: 1000 } },
  );
}
