// Value schemas every config section shares: durations and base URLs.

import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';

/** Milliseconds, or a string such as '500ms', '2s', '1m'. */
export const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration such as 500, '500ms', '2s' or '1m', got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return ms;
});

/** An http(s) base URL without a path; a trailing slash is dropped. */
export const httpUrl = z
  .string()
  .refine((s) => /^https?:\/\/[^/\s]+(:\d+)?\/?$/.test(s), {
    message: "expected an http(s) base URL such as 'http://127.0.0.1:7101' (no path)",
  })
  .transform((s) => s.replace(/\/$/, ''));
