// Tests for running the emulator as a process: the ready line, the control API, config errors, SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runWanProcess } from './wan-process.ts';
import { echo, startTcpServer } from './wan-test-support.ts';
import type { TestServer } from './wan-test-support.ts';

interface ReadyLine {
  ready: boolean;
  controlUrl: string;
  links: Array<{ from: string; to: string; url: string; rttMs: number; floorRttMs: number }>;
}

/** A temp folder with a config naming two echo regions; cleaned up after `body`. */
async function withConfig(
  body: (configPath: string) => Promise<void>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'meridian-wan-'));
  const regions: TestServer[] = await Promise.all([startTcpServer(echo), startTcpServer(echo)]);
  const configPath = join(dir, 'wan.json');
  const config = {
    regions: [
      { name: 'us-east-1', host: '127.0.0.1', port: regions[0]!.port },
      { name: 'eu-west-1', host: '127.0.0.1', port: regions[1]!.port },
    ],
    ...extra,
  };
  await writeFile(configPath, JSON.stringify(config));
  try {
    await body(configPath);
  } finally {
    await Promise.all(regions.map((region) => region.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

test('runWanProcess prints one ready line with the control URL and links, and closes', async () => {
  await withConfig(async (configPath) => {
    const lines: string[] = [];
    const wan = await runWanProcess({
      configPath,
      handleSignals: false,
      stdout: { write: (line: string) => lines.push(line) },
    });
    try {
      assert.equal(lines.length, 1);
      const ready = JSON.parse(lines[0]!) as ReadyLine;
      assert.equal(ready.ready, true);
      assert.equal(ready.controlUrl, wan.controlUrl);
      assert.deepEqual(
        ready.links.map((l) => [l.from, l.to, l.rttMs]),
        [
          ['us-east-1', 'eu-west-1', 69.601],
          ['eu-west-1', 'us-east-1', 69.601],
        ],
      );
      assert.match(ready.links[0]!.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${wan.controlUrl}/healthz`);
      assert.deepEqual(await health.json(), { ok: true });
    } finally {
      await wan.close();
    }
    await wan.closed;
  });
});

test('a bad config fails with the path of each bad field', async () => {
  await withConfig(
    async (configPath) => {
      await assert.rejects(
        runWanProcess({ configPath, handleSignals: false, stdout: { write: () => true } }),
        /WAN config .*wan\.json: jitterMs: Too small.*, got -1; colour: unknown key; allowed: regions, basePort/,
      );
    },
    { jitterMs: -1, colour: 'blue' },
  );
  await assert.rejects(
    runWanProcess({ configPath: '/nonexistent/wan.json', handleSignals: false }),
    /cannot read WAN config \/nonexistent\/wan\.json/,
  );
});

test('as a child process it prints ready and exits cleanly on SIGTERM', async () => {
  await withConfig(async (configPath) => {
    const entry = new URL('./wan-process.ts', import.meta.url).href;
    const script = `const { runWanProcess } = await import(${JSON.stringify(entry)}); await runWanProcess({ configPath: ${JSON.stringify(configPath)} });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const ready = JSON.parse(first) as ReadyLine;
    assert.equal(ready.ready, true);
    assert.equal(ready.links.length, 2);
    child.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, string | null];
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
  });
});
