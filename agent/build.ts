/**
 * Bundles the node agent into one ESM file (the container image's only file besides Node): the agent, the
 * event schemas it checks its notices against, the EventBridge client and the Kubernetes client, minified.
 * `node agent/build.ts [OUTFILE]` (default dist/agent/agent.mjs). The Dockerfile runs the same command.
 */
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const outfile = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'agent', 'agent.mjs'));

const result = await build({
  entryPoints: [path.join(root, 'agent', 'start.ts')],
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  minify: true,
  outfile,
  metafile: true,
  // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
process.stdout.write(`${path.relative(process.cwd(), outfile)}: ${(bytes / 1024).toFixed(0)} KiB\n`);
