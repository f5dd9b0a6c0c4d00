/**
 * DynamoDB for local runs and tests: dynalite (a real DynamoDB implementation on LevelDB, in memory),
 * started in-process on 127.0.0.1 with the table created.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../shared/state/table.ts';
import { type RequestTap, tapServer } from './emulators/tap.ts';

const require = createRequire(import.meta.url);

export interface LocalDynamo {
  endpoint: string;
  tableName: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/**
 * `path`: keep the data in a LevelDB directory (kept between runs); in memory without it. `tap`: latency added
 * to every request and a report of each (benchmarks).
 */
export async function startLocalDynamo(
  options: { tableName?: string; path?: string; tap?: RequestTap } = {},
): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as (o: Record<string, unknown>) => Server;
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  tapServer(server, 'dynamodb', options.tap);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const tableName = options.tableName ?? 'gpu-autoscaler';
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' },
    maxAttempts: 3,
  });
  await ensureTable(client, tableName);
  // dynalite answers CreateTable with CREATING and turns it ACTIVE on a timer: until then every item
  // request is "Requested resource not found" (a loaded machine can delay the timer past the first request).
  for (let i = 0; ; i++) {
    const t = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (t.Table?.TableStatus === 'ACTIVE') break;
    if (i >= 200) throw new Error(`dynalite: table ${tableName} still ${t.Table?.TableStatus} after 2 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    endpoint,
    tableName,
    client,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
