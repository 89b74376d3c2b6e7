// The one message for a config value that names a region the deployment does not have.

import { closest } from '../core/suggest.ts';

/** An issue at `path` when `name` is not one of `names` (with the closest name as a hint), else undefined. */
export function unknownRegion(
  names: readonly string[],
  path: string,
  name: string,
): { path: string; message: string } | undefined {
  if (names.includes(name)) return undefined;
  const hint = closest(name, names);
  return {
    path,
    message: `unknown region '${name}'${hint ? ` — did you mean '${hint}'?` : `; regions: ${names.join(', ')}`}`,
  };
}
