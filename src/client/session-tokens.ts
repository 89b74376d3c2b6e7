// The client's session-token bookkeeping, as pure functions over the held list: which tokens to send, and
// what to hold after an answer. Tokens are opaque (signed by the cluster); only the server can merge them,
// so the client keeps every token no answer has covered yet. The rule is explained in docs/CLIENT.md.

/** The server accepts at most 32 tokens in one x-meridian-session header (src/protocol/session-token.ts). */
export const SERVER_MAX_TOKENS = 32;
export const DEFAULT_MAX_TOKENS = 8;

/** The held tokens from a stored header value: comma-separated, oldest first. */
export function parseTokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** The header value (and the stored form) of the held tokens. */
export function formatTokens(tokens: readonly string[]): string {
  return tokens.join(',');
}

/**
 * What to hold after an answer carrying `received`, for a request that sent `sent`.
 *
 * The server issues a token that covers every token of the request (it merges them with what it served),
 * so each sent token is now redundant: drop it, and append the new one. When the request carried all the
 * tokens held, this leaves the one merged token; answers to concurrent requests each add theirs, and the
 * next request sends them all to be merged. Over `maxTokens`, the oldest go first — the one lossy step.
 */
export function afterAnswer(
  held: readonly string[],
  sent: readonly string[],
  received: string,
  maxTokens: number,
): string[] {
  const covered = new Set(sent);
  const next = held.filter((t) => !covered.has(t) && t !== received);
  next.push(received);
  return next.length > maxTokens ? next.slice(next.length - maxTokens) : next;
}
