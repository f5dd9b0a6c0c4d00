/** A loopback HTTP server for the metadata emulators, with a close that ends hanging requests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  endpoint: string;
  close(): Promise<void>;
}

export async function listen(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<LoopbackServer> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function reply(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  if (res.writableEnded) return;
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}
