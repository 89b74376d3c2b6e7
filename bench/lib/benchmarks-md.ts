// BENCHMARKS.md upkeep: replace one benchmark's `## bench:...` section, keeping every other section.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const INTRO = `# Benchmarks

Recorded results of Meridian's benchmarks. Every figure here comes from \`npm run bench:*\` on the machine
named in its section, and is read as a ratio to a peer measured in the same run, because absolute figures
move with the machine and its load. Each run rewrites only its own section; the full figures are in
\`bench/results/\`.
`;

/** Replaces the section starting at `## <name>` up to the next `## ` heading, or appends it. */
export function replaceSection(markdown: string, heading: string, section: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  const body = section.trimEnd().split('\n');
  if (start === -1) return `${markdown.trimEnd()}\n\n${body.join('\n')}\n`;
  const after = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const rest = after === -1 ? [] : ['', ...lines.slice(after)];
  return [...lines.slice(0, start), ...body, ...rest].join('\n').trimEnd() + '\n';
}

export function updateBenchmarksFile(path: string, heading: string, section: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : INTRO;
  writeFileSync(path, replaceSection(current, heading, section));
}
