// Property: whatever the chunking, latency and jitter, a link delivers exactly the bytes sent, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createWanLink } from './wan-link.ts';
import { createReader, dial, echo, seededRandom, startTcpServer, write } from './wan-test-support.ts';

test('bytes received equal bytes sent, both ways, for random chunkings and jitter', async () => {
  const server = await startTcpServer(echo);
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 3000 }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 15, noNaN: true }),
        fc.integer(),
        async (chunks, rttMs, jitterMs, seed) => {
          const link = createWanLink({
            from: 'a',
            to: 'b',
            target: { host: '127.0.0.1', port: server.port },
            rttMs,
            jitterMs,
            random: seededRandom(seed),
          });
          await link.start();
          try {
            const socket = await dial(link.info().port);
            const reader = createReader(socket);
            const sent = Buffer.concat(chunks);
            // Waiting for each write lets most chunks cross the proxy as separate reads.
            for (const chunk of chunks) await write(socket, chunk);
            assert.ok((await reader.read(sent.length)).equals(sent));
            socket.destroy();
          } finally {
            await link.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  } finally {
    await server.close();
  }
});
