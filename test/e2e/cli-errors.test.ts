// CLI errors end to end: a config with a typo, commands without a deployment, bad arguments.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir } from './harness.ts';

const dir = tempDir('cli');
after(() => dir.remove());

describe('meridian CLI errors', () => {
  it('config check names the exact path and the fix', async () => {
    const file = join(dir.path, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        regions: [{ name: 'us-east-1' }],
        collections: { carts: { topology: 'active-activ' } },
      }),
    );
    const res = await runCli(['config', 'check', file], dir.path);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /collections\.carts\.topology: expected one of active-active, single-writer/);
    assert.match(res.stderr, /did you mean 'active-active'/);
  });

  it('config check accepts YAML and TypeScript configs', async () => {
    const yaml = join(dir.path, 'ok.yaml');
    writeFileSync(yaml, 'regions:\n  - name: us-east-1\n  - name: eu-west-1\ncollections:\n  profiles: {}\n');
    const y = await runCli(['config', 'check', yaml], dir.path);
    assert.equal(y.code, 0, y.stderr);
    assert.match(
      y.stdout,
      /valid\n  regions: us-east-1, eu-west-1\n  collections: profiles \(active-active, lww, async\)/,
    );
    const ts = join(dir.path, 'meridian.config.ts');
    const define = new URL('../../src/config/define-config.ts', import.meta.url).href;
    writeFileSync(
      ts,
      `import { defineConfig } from '${define}';\nexport default defineConfig({ regions: [{ name: 'ap-northeast-1' }], collections: { carts: {} } });\n`,
    );
    const t = await runCli(['config', 'check'], dir.path);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /meridian\.config\.ts: valid/);
  });

  it('up with an invalid config fails before starting anything', async () => {
    const file = join(dir.path, 'typo.json');
    writeFileSync(file, JSON.stringify({ regions: [{ name: 'us-east-1' }], colections: {} }));
    const res = await runCli(
      ['up', '--detach', '--config', file, '--data-dir', join(dir.path, 'typo')],
      dir.path,
    );
    assert.equal(res.code, 1);
    assert.match(res.stderr, /colections: unknown key — did you mean 'collections'\?/);
  });

  it('status, down and chaos without a deployment say how to start one', async () => {
    for (const args of [['status'], ['down'], ['chaos', 'kill', 'us-east-1']]) {
      const res = await runCli([...args, '--data-dir', join(dir.path, 'none')], dir.path);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.stderr, /no local deployment found .* `meridian up --detach`/);
    }
  });

  it('a bad --base-port is refused', async () => {
    const res = await runCli(['up', '--base-port', 'abc'], dir.path);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /--base-port must be a port number/);
  });
});
