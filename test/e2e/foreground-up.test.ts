// `meridian up` in the foreground (what `npm start` runs): reports a crashed region instead of hiding it,
// and Ctrl-C stops every process it started.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive } from '../../src/control/processes.ts';
import type { DeploymentState } from '../../src/control/deployment-state.ts';
import { freeBasePort, tempDir } from './harness.ts';

const BIN = fileURLToPath(new URL('../../bin/meridian.js', import.meta.url));

it('runs until Ctrl-C, reports a killed region, and leaves nothing running', async () => {
  const dir = tempDir('fg');
  try {
    const basePort = await freeBasePort();
    const child = spawn(process.execPath, [BIN, 'up', '--base-port', String(basePort)], { cwd: dir.path });
    let output = '';
    let waiter: { pattern: RegExp; resolve: () => void } | undefined;
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      if (waiter?.pattern.test(output)) waiter.resolve();
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const exited = once(child, 'exit');
    const waitFor = (pattern: RegExp) =>
      Promise.race([
        new Promise<void>((resolve) => {
          waiter = { pattern, resolve };
          if (pattern.test(output)) resolve();
        }),
        exited.then(([code]) => {
          throw new Error(`up exited (${String(code)}) before ${pattern}:\n${output}`);
        }),
      ]);

    await waitFor(/Press Ctrl-C to stop/);
    const state = JSON.parse(
      readFileSync(join(dir.path, '.meridian', 'state.json'), 'utf8'),
    ) as DeploymentState;
    assert.equal(state.detached, false);
    const tokyo = state.regions.find((r) => r.name === 'ap-northeast-1')!;
    process.kill(tokyo.pid!, 'SIGKILL');
    await waitFor(/ap-northeast-1 is DOWN: its process exited/);

    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, output);
    assert.match(output, /stopped/);
    for (const pid of [state.wan.pid, ...state.regions.map((r) => r.pid)]) {
      assert.equal(isAlive(pid), false, `process ${pid} survived Ctrl-C`);
    }
  } finally {
    dir.remove();
  }
});
