/**
 * Function bundles: `npm run bundle` (add `-- --runs 11` for steadier figures, `--out DIR` to keep them).
 *
 * Builds each function (stacks/function-specs.ts) on its own the way `sst deploy` does: esbuild, ESM,
 * platform node, target node24, bundled (the AWS SDK included, not taken from the runtime), minified,
 * tree-shaken, with code splitting so that modules imported with `import()` land in their own chunks. For
 * each bundle it prints, stage by stage, what is loaded and how long importing it takes in a fresh Node
 * process, as a ratio of a bare `node -e ''` measured in the same run (median of several runs each): the
 * cold start (the entry and the chunks it imports statically), the first call into AWS (plus the AWS
 * adapter's chunks), the first call into GCP (plus the GCP adapter and the Compute client's chunks), and
 * everything. Importing the lazy chunks also proves they load once bundled (google-gax reads `__dirname`).
 *
 * It also prints which folders of the repository each bundle contains (from esbuild's metafile: every input
 * module, grouped by folder, with the bytes it adds to the output), and the npm packages it bundles.
 *
 * It fails (exit 1) when a handler file is missing, when a bundle contains anything of `local/` (the
 * emulators, the simulation, the CLI: never shipped), or when a cloud client that is meant to be lazy (the
 * GCP Compute client, google-gax, the Azure SDK) is in a bundle's cold-start part: every function may reach
 * every cloud through the shared pipeline, so the point is not that the client is absent, but that it is
 * only loaded on the first call that needs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { FUNCTION_SPECS, type FunctionSpec } from '../stacks/function-specs.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Module paths that must stay out of a cold start, by what they are. */
const LAZY = [
  { name: 'GCP Compute client', pattern: /node_modules\/(@google-cloud\/compute|google-gax)\// },
  { name: 'Azure SDK', pattern: /node_modules\/@azure\// },
] as const;

/** Reported, not enforced: the Kubernetes client is needed by any fleet with a Deployment. */
const REPORTED = [{ name: 'Kubernetes client', pattern: /node_modules\/@kubernetes\/client-node\// }] as const;

/**
 * SST's own banner for ESM bundles (pkg/runtime/node/build.go): CommonJS dependencies bundled into ESM call
 * `require` for Node built-ins and read `__dirname`/`__filename` (google-gax does, at import).
 */
const BANNER = [
  "import { createRequire as topLevelCreateRequire } from 'module';",
  'const require = topLevelCreateRequire(import.meta.url);',
  "import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from 'url';",
  'const __filename = topLevelFileUrlToPath(import.meta.url);',
  "const __dirname = topLevelFileUrlToPath(new topLevelURL('.', import.meta.url));",
].join('\n');

/** What the first call into a cloud loads on top of the cold start: the chunks of these dynamic imports. */
const FIRST_CALLS = [
  { name: 'first AWS call', entries: [/^shared\/adapters\/aws\/index\.ts$/] },
  {
    name: 'first GCP call',
    entries: [
      /^shared\/adapters\/gcp\/index\.ts$/,
      /@google-cloud\/compute\/build\/src\/v1\/instance_group_managers_client\.js$/,
    ],
  },
] as const;

interface Bundle {
  spec: FunctionSpec;
  dir: string;
  /** The cold start's files (the entry and its static chunks); per FIRST_CALLS, the files each adds. */
  coldFiles: string[];
  firstCalls: string[][];
  allFiles: string[];
  coldInputs: Set<string>;
  allInputs: Set<string>;
  /** Bytes in the output per input module, over every chunk. */
  inputBytes: Map<string, number>;
}

/** The esbuild options `sst deploy` uses for a function: ESM, node24, bundled, minified, split, SST's banner. */
export function functionBuildOptions(file: string, outdir: string) {
  return {
    absWorkingDir: ROOT,
    entryPoints: { index: file },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    keepNames: true,
    treeShaking: true,
    mainFields: ['module', 'main'],
    outExtension: { '.js': '.mjs' },
    banner: { js: BANNER },
    metafile: true,
    logLevel: 'error',
  } satisfies BuildOptions;
}

async function bundle(spec: FunctionSpec, outRoot: string): Promise<Bundle> {
  const dir = path.join(outRoot, spec.key);
  const result = await build(functionBuildOptions(spec.file, dir));
  const outputs = result.metafile.outputs;
  // Every chunk of a dynamic import is an entry point too: the function's own is the one built from its file.
  const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === spec.file && o.endsWith('.mjs'))!;
  const cold = staticClosure(outputs, [entry]);
  const firstCalls = FIRST_CALLS.map((c) => {
    const starts = Object.keys(outputs).filter((o) => {
      const ep = outputs[o]!.entryPoint;
      return ep !== undefined && c.entries.some((e) => e.test(ep));
    });
    if (starts.length !== c.entries.length) throw new Error(`${spec.key}: no lazy chunk for the ${c.name}`);
    return staticClosure(outputs, starts).filter((f) => !cold.includes(f));
  });
  const all = Object.keys(outputs).filter((o) => o.endsWith('.mjs'));
  const inputsOf = (files: string[]) => new Set(files.flatMap((f) => Object.keys(outputs[f]!.inputs)));
  const inputBytes = new Map<string, number>();
  for (const f of all) {
    for (const [input, { bytesInOutput }] of Object.entries(outputs[f]!.inputs))
      inputBytes.set(input, (inputBytes.get(input) ?? 0) + bytesInOutput);
  }
  return {
    spec,
    dir,
    coldFiles: cold.map((f) => path.resolve(ROOT, f)),
    firstCalls: firstCalls.map((files) => files.map((f) => path.resolve(ROOT, f))),
    allFiles: all.map((f) => path.resolve(ROOT, f)),
    coldInputs: inputsOf(cold),
    allInputs: inputsOf(all),
    inputBytes,
  };
}

/**
 * The folder an input module counts under: its package for a dependency (`node_modules/@aws-sdk/client-ec2`),
 * else the repository folder it sits in: under `shared/`, its part (`shared/app`) and each adapter
 * (`shared/adapters/aws`); elsewhere the top folder (`functions`, `events`, `local`). esbuild names inputs relative to the working directory;
 * its own shims (`<runtime>`) count as `(esbuild)`.
 */
export function folderOf(input: string): string {
  const parts = input.split('/');
  const nm = parts.lastIndexOf('node_modules');
  if (nm >= 0) {
    const name = parts[nm + 1]?.startsWith('@') ? parts.slice(nm + 1, nm + 3) : parts.slice(nm + 1, nm + 2);
    return `node_modules/${name.join('/')}`;
  }
  if (parts.length === 1) return input.startsWith('<') ? '(esbuild)' : '.';
  const depth = parts[0] !== 'shared' ? 1 : parts[1] === 'adapters' && parts.length > 3 ? 3 : 2;
  return parts.slice(0, Math.min(depth, parts.length - 1)).join('/');
}

/** The repository folders and the packages a bundle holds, with the bytes each adds to the output. */
export function foldersOf(inputBytes: ReadonlyMap<string, number>): {
  folders: Array<[string, number]>;
  packages: Array<[string, number]>;
} {
  const by = new Map<string, number>();
  for (const [input, bytes] of inputBytes) by.set(folderOf(input), (by.get(folderOf(input)) ?? 0) + bytes);
  const sorted = [...by].sort((a, b) => a[0].localeCompare(b[0]));
  return {
    folders: sorted.filter(([f]) => !f.startsWith('node_modules/')),
    packages: sorted.filter(([f]) => f.startsWith('node_modules/')).map(([f, n]) => [f.slice(13), n]),
  };
}

/** Repository folders no bundle may contain: local tooling is never shipped. */
const NEVER_SHIPPED = /^local(\/|$)/;

/** The given files and every chunk they import statically (transitively): what importing them loads. */
function staticClosure(outputs: Metafile['outputs'], starts: string[]): string[] {
  const seen = new Set<string>(starts);
  const queue = [...starts];
  while (queue.length > 0) {
    const next = queue.pop()!;
    for (const imp of outputs[next]?.imports ?? []) {
      if (imp.kind === 'import-statement' && !imp.external && !seen.has(imp.path)) {
        seen.add(imp.path);
        queue.push(imp.path);
      }
    }
  }
  return [...seen];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall time (ms) of a fresh Node process running `code` as an ES module. */
function timeNode(code: string, env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return ms;
}

function importAll(files: string[]): string {
  return `${files.map((f) => `await import(${JSON.stringify(`file://${f}`)});`).join('')}`;
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, out: { type: 'string' } } });
  const runs = Math.max(1, Number(values.runs));
  const missing = FUNCTION_SPECS.filter((s) => !existsSync(path.join(ROOT, s.file)));
  if (missing.length > 0) {
    console.error(`bundles: missing handler file(s): ${missing.map((s) => s.file).join(', ')}`);
    return 1;
  }
  const outRoot = values.out ? path.resolve(values.out) : mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
  // What a deployed function's environment holds, with fake values: importing must not need a cloud.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake',
    AWS_EC2_METADATA_DISABLED: 'true',
    TABLE_NAME: 'bench',
    EVENT_BUS_NAME: 'bench',
    AUTOSCALER_CONFIG_FILE: path.join(ROOT, 'config', 'demo.json'),
    POWERTOOLS_SERVICE_NAME: 'bench',
    POWERTOOLS_METRICS_NAMESPACE: 'GpuAutoscaler',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  try {
    const bundles: Bundle[] = [];
    for (const spec of FUNCTION_SPECS) bundles.push(await bundle(spec, outRoot));

    // Interleave the measurements so that a slow moment of the machine spreads over all of them.
    const stages = (b: Bundle): [string, string[]][] => [
      ['cold start', b.coldFiles],
      ...FIRST_CALLS.map((c, i): [string, string[]] => [c.name, [...b.coldFiles, ...b.firstCalls[i]!]]),
      ['everything', b.allFiles],
    ];
    const bare: number[] = [];
    const times = new Map<string, number[]>();
    timeNode('', env); // warm the file cache
    for (let i = 0; i < runs; i++) {
      bare.push(timeNode('', env));
      for (const b of bundles) {
        for (const [stage, files] of stages(b)) {
          const key = `${b.spec.key}\u0000${stage}`;
          times.set(key, [...(times.get(key) ?? []), timeNode(importAll(files), env)]);
        }
      }
    }
    const base = median(bare);
    console.log(`node ${process.version}, ${runs} runs each, bare \`node -e ''\`: ${base.toFixed(0)} ms (median)`);
    console.log('import time as a ratio of the bare start (ms), and what each stage loads:');
    console.log('');
    const stageNames = stages(bundles[0]!).map(([name]) => name);
    const header = ['function', ...stageNames, 'lazy: not at cold start'];
    const rows = bundles.map((b) => {
      const lazyOk = LAZY.filter(
        (l) => [...b.allInputs].some((i) => l.pattern.test(i)) && ![...b.coldInputs].some((i) => l.pattern.test(i)),
      );
      return [
        b.spec.key,
        ...stages(b).map(([stage, files]) => {
          const t = median(times.get(`${b.spec.key}\u0000${stage}`)!);
          const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
          return `${(t / base).toFixed(1)}x (${t.toFixed(0)} ms, ${kib(bytes)})`;
        }),
        lazyOk.map((l) => l.name).join(', ') || '-',
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    console.log(line(header));
    for (const r of rows) console.log(line(r));
    console.log('');

    console.log('what each bundle contains: repository folders and npm packages (KiB in the output):');
    let failed = false;
    for (const b of bundles) {
      const { folders, packages } = foldersOf(b.inputBytes);
      const local = folders.filter(([f]) => NEVER_SHIPPED.test(f));
      const size = (n: number) => (n / 1024).toFixed(n < 1024 ? 1 : 0);
      const list = (xs: Array<[string, number]>) => xs.map(([f, n]) => `${f} ${size(n)}`).join(', ');
      console.log(`${b.spec.key}: ${list(folders)}`);
      const largest = [...packages].sort((x, y) => y[1] - x[1]).slice(0, 5);
      console.log(`  ${packages.length} packages, the largest: ${list(largest)}`);
      console.log(`  local/: ${local.length ? `FOUND ${local.map(([f]) => f).join(', ')}` : 'none'}`);
      if (local.length) {
        failed = true;
        const modules = [...b.inputBytes.keys()].filter((i) => NEVER_SHIPPED.test(folderOf(i)));
        console.error(`bundles: ${b.spec.key}: the bundle contains local tooling (${modules.slice(0, 3).join(', ')})`);
      }
    }
    console.log('');
    for (const b of bundles) {
      for (const l of LAZY) {
        const eager = [...b.coldInputs].filter((i) => l.pattern.test(i));
        if (eager.length > 0) {
          failed = true;
          console.error(
            `bundles: ${b.spec.key}: the ${l.name} is loaded at cold start (${eager.length} modules, e.g. ${eager[0]})`,
          );
        }
      }
      for (const r of REPORTED) {
        const at = [...b.coldInputs].some((i) => r.pattern.test(i)) ? 'cold start' : 'lazy';
        if ([...b.allInputs].some((i) => r.pattern.test(i))) console.log(`${b.spec.key}: ${r.name}: ${at}`);
      }
    }
    if (values.out) console.log(`bundles kept in ${outRoot}`);
    return failed ? 1 : 0;
  } finally {
    if (!values.out) rmSync(outRoot, { recursive: true, force: true });
  }
}

if (import.meta.main) process.exitCode = await main();
