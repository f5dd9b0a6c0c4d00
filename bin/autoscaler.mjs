#!/usr/bin/env node
// The `autoscaler` command. The project runs on Node 24 (pinned as a devDependency); when started by an
// older Node (a plain `npx autoscaler` on a machine with Node 20), re-run under the pinned binary.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(pinned)) {
    console.error(`autoscaler: needs Node >= 24 (this is ${process.version}); run 'npm install' to get the pinned one`);
    process.exit(2);
  }
  const r = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const { main } = await import(pathToFileURL(join(root, 'local', 'cli', 'main.ts')).href);
process.exitCode = await main(process.argv.slice(2));
