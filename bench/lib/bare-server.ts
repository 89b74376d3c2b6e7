// The peer of bench:api: a bare node:http server answering one ~1 KB JSON document from memory.
// Run as a child process: `node --import tsx bench/lib/bare-server.ts PORT`.

import { createServer } from 'node:http';
import { ycsbRecord } from './ycsb.ts';

const port = Number(process.argv[2]);
const body = Buffer.from(JSON.stringify(ycsbRecord(Math.random)));

createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  response.end(body);
}).listen(port, '127.0.0.1');

process.once('SIGTERM', () => process.exit(0));
