// Loads meridian.config.{ts,js,mjs,json,yaml,yml}, or the built-in demo config when none is given.

import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { parse as parseYaml } from 'yaml';
import { MeridianError } from '../core/errors.ts';
import { demoConfig } from './demo-config.ts';
import { ConfigError, resolveConfig } from './resolve-config.ts';
import type { MeridianConfig } from './schema.ts';

export const CONFIG_FILE_NAMES = [
  'meridian.config.ts',
  'meridian.config.mjs',
  'meridian.config.js',
  'meridian.config.json',
  'meridian.config.yaml',
  'meridian.config.yml',
] as const;

export interface LoadedConfig {
  readonly config: MeridianConfig;
  /** The file it came from, or 'built-in demo'. */
  readonly source: string;
}

/** The config file in `dir`, if there is one. */
export function findConfigFile(dir: string): string | undefined {
  return CONFIG_FILE_NAMES.map((name) => join(dir, name)).find((path) => existsSync(path));
}

/** Loads `file`, else the config file in `cwd`, else the demo config. */
export async function loadConfig(file: string | undefined, cwd = process.cwd()): Promise<LoadedConfig> {
  const path = file ? resolve(cwd, file) : findConfigFile(cwd);
  if (!path) return { config: resolveConfig(demoConfig, 'built-in demo'), source: 'built-in demo' };
  return { config: resolveConfig(await readRawConfig(path), path), source: path };
}

export async function readRawConfig(path: string): Promise<unknown> {
  if (!existsSync(path)) {
    throw new MeridianError(
      'invalid_config',
      `config file not found: ${path} (check the path, or omit it to use the built-in demo)`,
    );
  }
  const ext = extname(path);
  try {
    switch (ext) {
      case '.json':
        return JSON.parse(readFileSync(path, 'utf8')) as unknown;
      case '.yaml':
      case '.yml':
        return parseYaml(readFileSync(path, 'utf8')) as unknown;
      case '.ts':
      case '.mts':
      case '.js':
      case '.mjs': {
        // tsImport loads the file as an ES module whatever the surrounding package.json says.
        const mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as {
          default?: unknown;
          config?: unknown;
        };
        let raw = mod.default ?? mod.config;
        // A .ts file in a CommonJS package arrives wrapped once more: { default: { default | config } }.
        if (typeof raw === 'object' && raw !== null && !('regions' in raw)) {
          const inner = raw as { default?: unknown; config?: unknown };
          if (inner.default !== undefined || inner.config !== undefined) raw = inner.default ?? inner.config;
        }
        if (raw === undefined) {
          throw new ConfigError(
            [{ path: '', message: `${path} must \`export default defineConfig({...})\`` }],
            path,
          );
        }
        return raw;
      }
      default:
        throw new ConfigError(
          [
            {
              path: '',
              message: `unsupported config file type '${ext}'; use .ts, .js, .mjs, .json, .yaml or .yml`,
            },
          ],
          path,
        );
    }
  } catch (err) {
    if (err instanceof MeridianError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([{ path: '', message: `cannot be parsed: ${reason}` }], path);
  }
}
