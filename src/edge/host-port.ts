// 'host:port' and base URLs to listen addresses, with errors that say what was expected.

import { MeridianError } from '../core/errors.ts';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string, what: string): ListenAddress {
  const m = /^\[?([^\s[\]]+?)\]?:(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65_535)) {
    throw new MeridianError(
      'bad_request',
      `${what} must be 'host:port' such as '127.0.0.1:8080', got '${text}'`,
    );
  }
  return { host: m[1]!, port };
}

export function urlListenAddress(url: string): ListenAddress {
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80,
  };
}
