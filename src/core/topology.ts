// Replication topologies: which peers each region pulls from. Mesh pulls from everyone; a hub topology
// pulls only through the hub, which cuts cross-region transfer to one copy per spoke.

import { ErrorCode, MeridianError } from './errors.ts';

export type ReplicationTopology = { readonly kind: 'mesh' } | { readonly kind: 'hub'; readonly hub: string };

/**
 * The upstream peers of every region, in the order `regions` lists them. Mesh: all others. Hub: a spoke
 * pulls only from the hub, the hub from every spoke. Changes of any origin reach every region either way,
 * because each region's log relays what it applied (see docs/INTERNALS.md, "Relay").
 */
export function upstreamPeers(
  regions: readonly string[],
  topology: ReplicationTopology,
): ReadonlyMap<string, readonly string[]> {
  const seen = new Set<string>();
  for (const region of regions) {
    if (seen.has(region)) {
      throw new MeridianError(ErrorCode.InvalidConfig, `region '${region}' is listed twice: list each once`, {
        details: { region },
      });
    }
    seen.add(region);
  }
  if (topology.kind === 'hub' && !seen.has(topology.hub)) {
    throw new MeridianError(
      ErrorCode.InvalidConfig,
      `hub '${topology.hub}' is not one of the regions (${regions.join(', ')}): pick one of them as the hub`,
      { details: { hub: topology.hub } },
    );
  }
  const peers = new Map<string, readonly string[]>();
  for (const region of regions) {
    const others = regions.filter((r) => r !== region);
    if (topology.kind === 'mesh' || region === topology.hub) peers.set(region, others);
    else peers.set(region, [topology.hub]);
  }
  return peers;
}
