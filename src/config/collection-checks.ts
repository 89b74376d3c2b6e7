// Cross-checks of one collection: the regions its topology names exist, a home-region collection says
// where homes come from, a sync ack count fits the deployment. Called by resolveConfig.

import { unknownRegion } from './region-issue.ts';
import type { MeridianConfig } from './schema.ts';

interface Issue {
  readonly path: string;
  readonly message: string;
}

type Collection = MeridianConfig['collections'][string];

export function collectionIssues(config: MeridianConfig, name: string, collection: Collection): Issue[] {
  const names = config.regions.map((r) => r.name);
  const at = (field: string) => `collections.${name}.${field}`;
  const issues: Issue[] = [];
  const region = (path: string, value: string) => {
    const issue = unknownRegion(names, path, value);
    if (issue) issues.push(issue);
  };
  const { topology } = collection;
  const owned = topology === 'single-writer' || topology === 'active-passive';
  if (owned && collection.primary === undefined) {
    issues.push({
      path: at('primary'),
      message: `missing: a ${topology} collection needs its primary region, one of ${names.join(', ')}`,
    });
  }
  if (!owned && collection.primary !== undefined) {
    issues.push({
      path: at('primary'),
      message: `only single-writer and active-passive collections have a primary; remove it or change the topology`,
    });
  }
  if (collection.primary !== undefined) region(at('primary'), collection.primary);

  const { home } = collection;
  if (topology === 'home-region') {
    const sources = home
      ? (['field', 'keyPrefix', 'residencyField'] as const).filter((k) => home[k] !== undefined)
      : [];
    if (sources.length !== 1) {
      issues.push({
        path: at('home'),
        message: `a home-region collection names where each document's home comes from: exactly one of home.field, home.keyPrefix, home.residencyField${sources.length > 1 ? ` (got ${sources.join(' and ')})` : ''}`,
      });
    }
  } else if (home !== undefined) {
    issues.push({
      path: at('home'),
      message: `only home-region collections have a home; remove it or set topology: 'home-region'`,
    });
  }
  for (const [prefix, target] of Object.entries(home?.keyPrefix ?? {})) {
    region(at(`home.keyPrefix.${prefix}`), target);
  }
  if (home?.default !== undefined) region(at('home.default'), home.default);
  if (home?.residencyField !== undefined && Object.keys(config.routing.residency.zones).length === 0) {
    issues.push({
      path: at('home.residencyField'),
      message: 'residency homes need zones: declare routing.residency.zones (zone -> regions)',
    });
  }

  if (
    topology === 'home-region' &&
    home?.keyPrefix === undefined &&
    (typeof collection.conflict !== 'string' || collection.conflict !== 'lww')
  ) {
    issues.push({
      path: at('home'),
      message: `a home named by a document field needs plain documents (conflict: 'lww'); with this conflict policy name homes by key prefix (home.keyPrefix)`,
    });
  }
  if (collection.conflict === 'yjs' && topology !== 'active-active') {
    issues.push({
      path: at('topology'),
      message: `Yjs documents are edited in every region at once (WebSocket clients attach anywhere): a conflict: 'yjs' collection must be active-active`,
    });
  }

  const { ack } = collection.replication;
  if (typeof ack === 'number' && ack > names.length) {
    issues.push({
      path: at('replication.ack'),
      message: `${ack} regions cannot acknowledge: the deployment has ${names.length}; use 'all', 'majority' or at most ${names.length}`,
    });
  }
  return issues;
}
