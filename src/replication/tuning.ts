// Resolves numeric tuning options once: defaults filled in, each value checked, the result frozen, so
// loops downstream never re-check undefined or a negative batch size.

import { ErrorCode, MeridianError } from '../core/errors.ts';

export interface TuningRule {
  readonly min: number;
  readonly integer?: boolean;
}

export type TuningRules<T> = { readonly [K in keyof T]: TuningRule };

export function resolveTuning<T extends { readonly [K in keyof T]: number }>(
  what: string,
  defaults: T,
  rules: TuningRules<T>,
  given: Partial<T> = {},
): Readonly<T> {
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T & string)[]) {
    const value = given[key] ?? defaults[key];
    const rule = rules[key];
    const whole = rule.integer === true;
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < rule.min ||
      (whole && !Number.isInteger(value))
    ) {
      throw new MeridianError(
        ErrorCode.InvalidConfig,
        `${what}.${key} must be ${whole ? 'a whole number' : 'a number'} >= ${rule.min}, got ${String(value)}`,
        { details: { option: `${what}.${key}`, value } },
      );
    }
    out[key] = value;
  }
  return Object.freeze(out);
}
