// How bench:api reports: the same rows as an aligned console table and as the BENCHMARKS.md section.

import type { PhaseResult } from './phase.ts';
import type { ApiBenchResults } from './results.ts';

const PHASE_HEADER = [
  'Phase',
  'req/s',
  'p50 ms',
  'p99 ms',
  'max ms',
  'errors',
  'server CPU',
  'CPU µs/req',
  'load gen CPU',
  'other CPU',
  '÷ bare',
];
/** Bare-before and bare-after further apart than this means the machine's load changed during the run. */
const NOISY_DRIFT_PERCENT = 15;
/** Other processes using more than this (in % of one core) during a phase take CPU from the measurement. */
const NOISY_OTHER_CPU_PERCENT = 15;
const TARGET_HEADER = ['Target', 'Measured', 'Goal', 'Result'];

function phaseRows(results: ApiBenchResults): string[][] {
  const bare = results.reference.bareMeanReqPerSec;
  return results.phases.map((p) => [
    p.description,
    String(p.reqPerSec),
    p.latencyMs.p50.toFixed(2),
    p.latencyMs.p99.toFixed(2),
    p.latencyMs.max.toFixed(2),
    String(p.errors + p.warmupErrors),
    p.serverCpuPercent === undefined ? 'n/a' : `${p.serverCpuPercent} %`,
    p.serverCpuUsPerRequest === undefined ? 'n/a' : String(p.serverCpuUsPerRequest),
    `${p.loadGeneratorCpuPercent} %`,
    p.otherCpuPercent === undefined ? 'n/a' : `${p.otherCpuPercent} %`,
    (p.reqPerSec / bare).toFixed(2),
  ]);
}

function targetRows(results: ApiBenchResults, bold: boolean): string[][] {
  return results.targets.map((t) => [t.name, String(t.measured), t.goal, verdict(t.met, bold)]);
}

function verdict(met: boolean, bold: boolean): string {
  const text = met ? 'met' : 'NOT MET';
  return bold && !met ? `**${text}**` : text;
}

export function errorBanner(results: ApiBenchResults): string | undefined {
  if (results.valid) return undefined;
  return `WARNING: ${results.totalErrors} requests failed: these figures are NOT valid.`;
}

function byPhase(results: ApiBenchResults, name: string): PhaseResult | undefined {
  return results.phases.find((p) => p.name === name);
}

/** One or two sentences read off the figures, so the section explains itself. */
export function interpretation(results: ApiBenchResults): string[] {
  const { ratios, reference } = results;
  const reads = byPhase(results, 'reads');
  const writes = byPhase(results, 'writes');
  const bare = byPhase(results, 'bare-before');
  const lines = [
    `Region node reads reach ${ratios.readsToBare.toFixed(2)}× and writes ${ratios.writesToBare.toFixed(2)}× ` +
      `the bare server's throughput (reference ${reference.bareMeanReqPerSec} req/s, the mean of before and after, ` +
      `which differ by ${reference.bareDriftPercent} %).`,
  ];
  if (reads?.serverCpuUsPerRequest && writes?.serverCpuUsPerRequest && bare?.serverCpuUsPerRequest) {
    const times = (p: PhaseResult) =>
      ((p.serverCpuUsPerRequest ?? 0) / (bare.serverCpuUsPerRequest ?? 1)).toFixed(1);
    lines.push(
      `Per request the region node spends ${times(reads)}× the bare server's CPU on a read ` +
        `(${reads.serverCpuUsPerRequest} vs ${bare.serverCpuUsPerRequest} µs) and ${times(writes)}× on a write ` +
        `(${writes.serverCpuUsPerRequest} µs); CPU per request, which the machine's noise barely moves, is the figure to cut.`,
    );
  }
  const busiest = Math.max(...results.phases.map((p) => p.otherCpuPercent ?? 0));
  if (Math.abs(reference.bareDriftPercent) > NOISY_DRIFT_PERCENT || busiest > NOISY_OTHER_CPU_PERCENT) {
    lines.push(
      `The machine was noisy: other processes used up to ${busiest} % of a core during a phase and the bare ` +
        `server moved ${reference.bareDriftPercent} % between first and last phase, so these figures are uncertain.`,
    );
  }
  return lines;
}

export function consoleReport(results: ApiBenchResults): string {
  const banner = errorBanner(results);
  const loud = banner ? `\n${'!'.repeat(banner.length)}\n${banner}\n${'!'.repeat(banner.length)}\n` : '';
  return [
    loud,
    aligned([PHASE_HEADER, ...phaseRows(results)]),
    '',
    aligned([TARGET_HEADER, ...targetRows(results, false)]),
    '',
    ...interpretation(results),
    ...results.notes.map((n) => `Note: ${n}`),
    loud,
  ].join('\n');
}

export function markdownSection(results: ApiBenchResults, resultFile: string): string {
  const { machine, settings } = results;
  const banner = errorBanner(results);
  const gib = (machine.totalMemoryBytes / 2 ** 30).toFixed(1);
  return [
    '## bench:api',
    '',
    "The region node's HTTP API (a real `meridian region start` process) against a bare `node:http` server " +
      'answering ~1 KB of JSON from memory, both child processes on loopback, measured in the same run.',
    '',
    ...(banner ? [`> **${banner}**`, ''] : []),
    `- **Run:** ${results.date}`,
    `- **Machine:** ${machine.cpuModel} × ${machine.cpuCount}, ${gib} GiB RAM, Node ${machine.node}, ${machine.os}; ` +
      `1-min load average ${machine.loadAverage1m.atStart} at start, ${machine.loadAverage1m.atEnd} at end`,
    `- **Load:** undici Pool, ${settings.connections} connections, pipelining ${settings.pipelining}, closed loop; ` +
      `${settings.warmupMs / 1000} s warm-up (excluded) + ${settings.durationMs / 1000} s measured per phase. ` +
      `The load generator runs on the same ${machine.cpuCount} cores as the server it drives.`,
    `- **Region node:** store **${settings.store}** (${settings.storeDetails}), ${settings.keys} keys in ` +
      `\`${settings.collection}\`, ~${settings.documentBytes} B YCSB-like documents (field0..field9 × 100 chars), ` +
      `log level ${settings.regionLogLevel}.`,
    '',
    markdownTable([PHASE_HEADER, ...phaseRows(results)]),
    '',
    markdownTable([TARGET_HEADER, ...targetRows(results, true)]),
    '',
    ...interpretation(results),
    '',
    `Full figures: \`${resultFile}\`.`,
    '',
  ].join('\n');
}

function aligned(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    )
    .join('\n');
}

function markdownTable(rows: string[][]): string {
  const [header, ...body] = rows;
  const rule = header!.map((_, c) => (c === 0 ? '---' : '---:'));
  return [header!, rule, ...body].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
