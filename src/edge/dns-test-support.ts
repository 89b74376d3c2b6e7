// Test helpers for the GeoDNS: raw queries over UDP and TCP (with EDNS Client Subnet), and stand-in regions.

import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import dnsPacket, { type Packet, type RecordType } from 'dns-packet';

export function queryPacket(
  name: string,
  type: RecordType,
  subnet?: string,
  id = Math.floor(Math.random() * 65_535),
): Buffer {
  const [ip, prefix] = subnet?.split('/') ?? [];
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals:
      subnet === undefined
        ? []
        : [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: 1232,
              flags: 0,
              options: [{ code: 8, family: 1, sourcePrefixLength: Number(prefix), scopePrefixLength: 0, ip }],
            } as unknown as dnsPacket.Answer,
          ],
  });
}

/** Sends `message` over UDP; resolves with the decoded answer, or undefined after `timeoutMs`. */
/** A decoded answer, with the header fields dns-packet decodes but does not declare. */
export type DecodedPacket = Packet & {
  readonly rcode?: string;
  readonly flag_aa?: boolean;
  readonly flag_ra?: boolean;
};

/** The data of an answer record (dns-packet's types leave it off the union). */
export function recordData(answer: unknown): unknown {
  return (answer as { data?: unknown }).data;
}

export async function udpQuery(
  port: number,
  message: Buffer,
  timeoutMs = 1000,
): Promise<DecodedPacket | undefined> {
  const socket = createSocket('udp4');
  try {
    socket.send(message, port, '127.0.0.1');
    const answer = await Promise.race([
      once(socket, 'message').then(([msg]) => dnsPacket.decode(msg as Buffer) as DecodedPacket),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref()),
    ]);
    return answer;
  } finally {
    socket.close();
  }
}

/** One framed query over TCP; resolves with the answer, or 'closed' when the server hung up. */
export async function tcpQuery(port: number, message: Buffer): Promise<DecodedPacket | 'closed'> {
  const socket = connect(port, '127.0.0.1');
  const framed = Buffer.alloc(2 + message.length);
  framed.writeUInt16BE(message.length, 0);
  message.copy(framed, 2);
  socket.write(framed);
  let data = Buffer.alloc(0);
  for await (const chunk of socket) {
    data = Buffer.concat([data, chunk as Buffer]);
    if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
      socket.destroy();
      return dnsPacket.decode(data.subarray(2, 2 + data.readUInt16BE(0)));
    }
  }
  return 'closed';
}

export interface StandInRegion {
  readonly url: string;
  kill(): Promise<void>;
}

/** A region stand-in answering /healthz as `region` (what the health checks ask). */
export async function standInRegion(region: string, port = 0): Promise<StandInRegion> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', region }));
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    kill: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
