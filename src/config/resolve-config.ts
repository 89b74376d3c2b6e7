// Validates a raw config once and returns a frozen, complete object; errors carry the exact path.

import { MeridianError } from '../core/errors.ts';
import { closest } from '../core/suggest.ts';
import { configSchema, type MeridianConfig } from './schema.ts';
import { collectionIssues } from './collection-checks.ts';
import { unknownRegion } from './region-issue.ts';
import { routingIssues } from './routing-checks.ts';
import { ROUTING_KNOWN_KEYS } from './routing-schema.ts';
import type { z } from 'zod';

export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends MeridianError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : '';
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n');
    super('invalid_config', `invalid configuration${where}:\n${lines}`, { details: { issues } });
    this.issues = issues;
  }
}

export function resolveConfig(raw: unknown, source?: string): MeridianConfig {
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap(describeIssue), source);
  const config = parsed.data;
  const issues = [...crossChecks(config), ...routingIssues(config)];
  if (issues.length > 0) throw new ConfigError(issues, source);
  return deepFreeze(config);
}

function describeIssue(issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = formatPath(issue.path);
  if (issue.code === 'invalid_union') {
    // Say what the branch the value looks like wanted: a string is one of the names, else the last branch.
    const branches = issue.errors;
    const branch = (typeof issue.input === 'string' ? branches[0] : branches.at(-1)) ?? [];
    const described = branch.flatMap((i) =>
      describeIssue({ ...i, path: [...issue.path, ...i.path], input: issue.input } as z.core.$ZodIssue),
    );
    if (described.length > 0) return described;
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const known = knownKeysAt(issue.path);
      const hint = closest(key, known);
      return {
        path: path ? `${path}.${key}` : key,
        message: `unknown key${hint ? ` — did you mean '${hint}'?` : `; known keys: ${known.join(', ')}`}`,
      };
    });
  }
  if (issue.code === 'invalid_value' && issue.values.length > 0) {
    const got = issue.input === undefined ? '' : ` got ${JSON.stringify(issue.input)}`;
    const hint = typeof issue.input === 'string' ? closest(issue.input, issue.values.map(String)) : undefined;
    return [
      {
        path,
        message: `expected one of ${issue.values.join(', ')};${got}${hint ? ` — did you mean '${hint}'?` : ''}`,
      },
    ];
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ path, message: `missing: expected ${issue.expected}` }];
  }
  return [{ path, message: issue.message }];
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

const TOP_KEYS = Object.keys(configSchema.shape);
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return TOP_KEYS;
  const head = path[0];
  const shapes: Record<string, string[]> = {
    regions: ['name', 'url', 'peerUrls', 'location'],
    collections: [
      'topology',
      'primary',
      'standby',
      'home',
      'epoch',
      'conflict',
      'replication',
      'consistency',
    ],
    limits: ['maxKeyBytes', 'maxDocumentBytes', 'maxBodyBytes', 'maxListLimit'],
    store: ['kind', 'synchronous', 'maxBytes'],
    peers: ['probeInterval', 'probeTimeout', 'unhealthyAfter'],
    wan: ['jitterMs', 'bandwidthBytesPerSec', 'defaultRttMs'],
    log: ['level'],
    replication: [
      'topology',
      'hub',
      'secret',
      'secretEnv',
      'maxClockOffset',
      'batchMaxChanges',
      'batchMaxBytes',
      'linger',
      'heartbeat',
      'idleTimeout',
      'gcInterval',
      'tombstoneGrace',
    ],
  };
  if (head === 'collections' && path.length === 3) {
    const nested: Record<string, string[]> = {
      replication: ['mode', 'ack', 'timeout'],
      consistency: ['default', 'maxStaleness', 'sessionWait'],
      home: ['field', 'keyPrefix', 'residencyField', 'default'],
    };
    return nested[String(path[2])] ?? [];
  }
  const traffic =
    ROUTING_KNOWN_KEYS[
      path
        .filter((p) => typeof p === 'string')
        .slice(0, 2)
        .join('.')
    ];
  if ((head === 'routing' || head === 'edges' || head === 'dns') && traffic) return [...traffic];
  return shapes[String(head)] ?? [];
}

function crossChecks(config: MeridianConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const names = config.regions.map((r) => r.name);
  config.regions.forEach((region, i) => {
    if (names.indexOf(region.name) !== i) {
      issues.push({
        path: `regions[${i}].name`,
        message: `duplicate region '${region.name}': names must be unique`,
      });
    }
    for (const peer of Object.keys(region.peerUrls)) {
      const issue = unknownRegion(names, `regions[${i}].peerUrls.${peer}`, peer);
      if (issue) issues.push(issue);
    }
  });
  const { replication } = config;
  if (replication.topology === 'hub' && replication.hub === undefined) {
    issues.push({
      path: 'replication.hub',
      message: `missing: a hub topology needs a hub region, one of ${names.join(', ')}`,
    });
  }
  const hub =
    replication.hub === undefined ? undefined : unknownRegion(names, 'replication.hub', replication.hub);
  if (hub) issues.push(hub);
  if (replication.idleTimeout <= replication.heartbeat) {
    issues.push({
      path: 'replication.idleTimeout',
      message: `must be longer than replication.heartbeat (${replication.heartbeat} ms)`,
    });
  }
  for (const [name, collection] of Object.entries(config.collections)) {
    issues.push(...collectionIssues(config, name, collection));
  }
  return issues;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
