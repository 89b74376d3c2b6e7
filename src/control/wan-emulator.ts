// The WAN emulator: one delaying, partitionable link per directed region pair, built from a latency matrix.
import { ErrorCode, MeridianError } from '../core/errors.ts';
import type { LatencyMatrix } from '../core/latency-matrix.ts';
import { createWanLink } from './wan-link.ts';
import type { WanLink, WanLinkInfo } from './wan-link.ts';

/** RTT for a pair the matrix has not measured (e.g. a region named "local-a"); overridable per emulator. */
export const DEFAULT_RTT_MS = 100;

export interface WanRegion {
  readonly name: string;
  /** Where the region's node listens; links towards this region forward here. */
  readonly host: string;
  readonly port: number;
}

export interface WanEmulatorOptions {
  readonly regions: readonly WanRegion[];
  readonly matrix: LatencyMatrix;
  /** First listen port; link i listens on basePort + i. Undefined: the OS chooses each port. */
  readonly basePort?: number;
  /** Listen address of every link; default 127.0.0.1. */
  readonly host?: string;
  readonly jitterMs?: number;
  readonly bandwidthBytesPerSec?: number;
  /** RTT used when the matrix has no measurement for a pair; default 100 ms. */
  readonly defaultRttMs?: number;
  readonly queueHighWaterBytes?: number;
  /** Uniform in [0, 1): drives jitter. Inject a seeded one to replay a run. */
  readonly random: () => number;
}

export interface WanEmulator {
  /** Region names in the order given. */
  regions(): readonly string[];
  /** Binds every link; resolves when all listen. */
  start(): Promise<void>;
  /** 'http://127.0.0.1:PORT': where `from`'s node dials to reach `to`. Throws before start(). */
  linkUrl(from: string, to: string): string;
  /** Every directed link: addresses, settings, whether cut, and traffic counters. */
  links(): WanLinkInfo[];
  /** Cuts both directions between `a` and `b`. */
  partition(a: string, b: string): void;
  /** Heals both directions between `a` and `b`; with only `a`, every link touching `a`; with none, all. */
  heal(a?: string, b?: string): void;
  /** Sets the RTT of both directions between `a` and `b`; throws below the pair's fibre floor. */
  setLatency(a: string, b: string, rttMs: number): void;
  /** Closes every link and connection. Idempotent. */
  close(): Promise<void>;
}

export function createWanEmulator(options: WanEmulatorOptions): WanEmulator {
  const names = checkRegions(options.regions);
  const pairCount = names.length * (names.length - 1);
  const { basePort, matrix } = options;
  if (
    basePort !== undefined &&
    (!Number.isInteger(basePort) || basePort < 1 || basePort + pairCount - 1 > 65535)
  ) {
    throw badRequest(
      `basePort must be an integer so that basePort..basePort+${pairCount - 1} fits in 1..65535 (${pairCount} links), got ${basePort}`,
    );
  }
  const defaultRttMs = options.defaultRttMs ?? DEFAULT_RTT_MS;
  const links = new Map<string, WanLink>();
  for (const from of options.regions) {
    for (const to of options.regions) {
      if (from === to) continue;
      const link = createWanLink({
        from: from.name,
        to: to.name,
        target: { host: to.host, port: to.port },
        host: options.host,
        port: basePort === undefined ? 0 : basePort + links.size,
        rttMs: matrix.rttMs(from.name, to.name) ?? defaultRttMs,
        floorRttMs: matrix.floorRttMs(from.name, to.name),
        jitterMs: options.jitterMs,
        bandwidthBytesPerSec: options.bandwidthBytesPerSec,
        queueHighWaterBytes: options.queueHighWaterBytes,
        random: options.random,
      });
      links.set(key(from.name, to.name), link);
    }
  }

  function checkName(name: string): void {
    if (!names.includes(name)) {
      throw badRequest(`unknown region ${JSON.stringify(name)}; known regions: ${names.join(', ')}`);
    }
  }

  /** Both directions of a pair, after checking both names. */
  function pair(a: string, b: string): [WanLink, WanLink] {
    checkName(a);
    checkName(b);
    if (a === b) throw badRequest(`a and b are both ${JSON.stringify(a)}; name two different regions`);
    return [links.get(key(a, b))!, links.get(key(b, a))!];
  }

  let closing: Promise<void> | undefined;
  return {
    regions: () => names,
    async start() {
      await Promise.all([...links.values()].map((link) => link.start()));
    },
    linkUrl(from, to) {
      return pair(from, to)[0].url();
    },
    links() {
      return [...links.values()].map((link) => link.info());
    },
    partition(a, b) {
      for (const link of pair(a, b)) link.cut();
    },
    heal(a, b) {
      if (a !== undefined && b !== undefined) {
        for (const link of pair(a, b)) link.heal();
        return;
      }
      if (a === undefined && b !== undefined)
        throw badRequest(`heal got b=${JSON.stringify(b)} without a; give a too`);
      if (a !== undefined) checkName(a);
      for (const link of links.values()) if (a === undefined || link.from === a || link.to === a) link.heal();
    },
    setLatency(a, b, rttMs) {
      // The floor is the same both ways, so the first call throws before either direction changes.
      for (const link of pair(a, b)) link.setLatency(rttMs);
    },
    close() {
      closing ??= Promise.all([...links.values()].map((link) => link.close())).then(() => undefined);
      return closing;
    },
  };
}

function key(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

function checkRegions(regions: readonly WanRegion[]): string[] {
  const names: string[] = [];
  regions.forEach((region, i) => {
    if (typeof region.name !== 'string' || region.name === '') {
      throw badRequest(`regions[${i}].name must be a non-empty string, got ${JSON.stringify(region.name)}`);
    }
    if (names.includes(region.name)) {
      throw badRequest(
        `regions[${i}].name ${JSON.stringify(region.name)} appears twice; give each region once`,
      );
    }
    if (typeof region.host !== 'string' || region.host === '') {
      throw badRequest(
        `regions[${i}].host (${region.name}) must be a host name or address, got ${JSON.stringify(region.host)}`,
      );
    }
    if (!Number.isInteger(region.port) || region.port < 1 || region.port > 65535) {
      throw badRequest(`regions[${i}].port (${region.name}) must be an integer 1..65535, got ${region.port}`);
    }
    names.push(region.name);
  });
  return names;
}

function badRequest(message: string): MeridianError {
  return new MeridianError(ErrorCode.BadRequest, message);
}
