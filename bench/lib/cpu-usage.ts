// CPU time of a child process (Linux /proc) and of this process, to show who saturates the shared cores.

import { readFileSync } from 'node:fs';

/** /proc reports in USER_HZ clock ticks, which Linux fixes at 100 per second for user space. */
const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds of process `pid` so far, or undefined where /proc is unavailable. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ')' that closes the command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export function selfCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** CPU milliseconds the whole machine has been busy (all cores, everything but idle and iowait), or undefined. */
export function machineBusyCpuMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return ((total - idle) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
