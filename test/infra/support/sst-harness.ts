/**
 * Runs the real `sst.config.ts` offline: SST's own components (from `.sst/platform`, installed by
 * `sst install`) under Pulumi's runtime mocks, with a loopback stand-in for the two calls the SST CLI
 * answers during a deploy (`Provider.Aws.Bootstrap` and `Runtime.Build`). Every resource the program
 * registers is recorded with its resolved inputs, and every build request with the handler it names.
 *
 * Nothing here imports `.sst/platform` or `stacks/` statically: the root tsconfig type-checks test/ without
 * SST's generated globals, and a checkout without `sst install` must still load this file (the tests skip).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
export const PLATFORM = path.join(REPO_ROOT, '.sst', 'platform');
export const PLATFORM_INSTALLED =
  existsSync(path.join(PLATFORM, 'config.d.ts')) &&
  existsSync(path.join(PLATFORM, 'node_modules', '@pulumi', 'pulumi')) &&
  existsSync(path.join(PLATFORM, 'node_modules', '@pulumi', 'aws'));
export const SKIP_MESSAGE =
  '.sst/platform is not installed: run `SST_SKIP_DEPENDENCY_CHECK=true SST_NO_BUN=1 SST_TELEMETRY_DISABLED=1 npx sst install --stage ci` first';

export const MOCK_ACCOUNT = '123456789012';
export const MOCK_REGION = 'us-east-1';

// biome-ignore lint/suspicious/noExplicitAny: resource inputs are whatever each provider schema says
export type Inputs = Record<string, any>;

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Inputs;
  /** The state the mock returned (inputs plus arn, name, url...). */
  state: Inputs;
}

export interface BuildRequest {
  functionID: string;
  handler: string;
  runtime: string;
  links: Record<string, unknown>;
  copyFiles: { from: string; to?: string }[];
  properties: Inputs;
  /** Whether the handler's source file exists (SST's build fails when it does not). */
  fileExists: boolean;
}

export interface ProgramRun {
  resources: RecordedResource[];
  builds: BuildRequest[];
  /** RPC methods the program called that this stand-in does not know (a real deploy might need them). */
  unknownRpc: string[];
  outputs: Inputs;
}

/** Pulumi's wire marker of a secret value: `{ [SECRET_SIG]: SECRET_VALUE, value }`. */
const SECRET_SIG = '4dabf18193072939515e22adb298388d';
const SECRET_VALUE = '1b47061264138c4ac30d75fd1eb44270';

/** Inputs as a deploy would send them, with secret markers removed (the values are what the tests check). */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v !== null && typeof v === 'object') {
    const o = v as Inputs;
    if (o[SECRET_SIG] === SECRET_VALUE) return unwrapSecrets(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

function physicalName(type: string, logical: string, inputs: Inputs): string {
  if (typeof inputs.name === 'string') return inputs.name;
  // Pulumi auto-names with a random suffix; a fixed one keeps runs comparable.
  return `${logical}-0000000`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, type.includes('sqs') ? 80 : 64);
}

/** ARNs and URLs in the formats AWS uses, so that scoped policies can be checked as strings. */
function mockState(type: string, logical: string, inputs: Inputs): { id: string; state: Inputs } {
  const name = physicalName(type, logical, inputs);
  const at = `${MOCK_REGION}:${MOCK_ACCOUNT}`;
  const state: Inputs = { ...inputs, name };
  switch (type) {
    case 'aws:sqs/queue:Queue':
      state.arn = `arn:aws:sqs:${at}:${name}`;
      state.url = `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/${name}`;
      return { id: state.url, state };
    case 'aws:lambda/function:Function':
      state.arn = `arn:aws:lambda:${at}:function:${name}`;
      state.invokeArn = `arn:aws:apigateway:${MOCK_REGION}:lambda:path/2015-03-31/functions/${state.arn}/invocations`;
      // A published function has version 1 (what `publish: true` creates first); else $LATEST.
      state.version = inputs.publish ? '1' : '$LATEST';
      state.qualifiedArn = `${state.arn}:${state.version}`;
      break;
    case 'aws:cloudwatch/eventRule:EventRule': {
      const bus = inputs.eventBusName && inputs.eventBusName !== 'default' ? `${inputs.eventBusName}/` : '';
      state.arn = `arn:aws:events:${at}:rule/${bus}${name}`;
      break;
    }
    case 'aws:cloudwatch/eventBus:EventBus':
      state.arn = `arn:aws:events:${at}:event-bus/${name}`;
      break;
    case 'aws:dynamodb/table:Table':
      state.arn = `arn:aws:dynamodb:${at}:table/${name}`;
      break;
    case 'aws:iam/role:Role':
      state.arn = `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}`;
      break;
    case 'aws:sns/topic:Topic':
      state.arn = `arn:aws:sns:${at}:${name}`;
      break;
    case 'aws:scheduler/scheduleGroup:ScheduleGroup':
      state.arn = `arn:aws:scheduler:${at}:schedule-group/${name}`;
      break;
    case 'aws:scheduler/schedule:Schedule':
      state.arn = `arn:aws:scheduler:${at}:schedule/${inputs.groupName ?? 'default'}/${name}`;
      break;
    case 'aws:lambda/functionUrl:FunctionUrl':
      state.functionUrl = `https://${logical.toLowerCase().replace(/[^a-z0-9]/g, '')}.lambda-url.${MOCK_REGION}.on.aws/`;
      state.urlId = logical;
      break;
    case 'aws:cloudwatch/eventBusPolicy:EventBusPolicy':
      break;
    case 'random:index/randomBytes:RandomBytes':
      state.base64 = Buffer.alloc(inputs.length ?? 32, 7).toString('base64');
      state.hex = Buffer.alloc(inputs.length ?? 32, 7).toString('hex');
      break;
    default:
      state.arn = `arn:aws:mock:${at}:${type.split(':').pop()}/${name}`;
  }
  return { id: name, state };
}

interface PolicyStatementInput {
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

/** What `aws.iam.getPolicyDocument` returns, computed as AWS would render it. */
function policyDocument(statements: PolicyStatementInput[]) {
  const Statement = statements.map((s) => {
    const out: Inputs = { Effect: s.effect ?? 'Allow', Action: s.actions, Resource: s.resources };
    if (s.principals) out.Principal = Object.fromEntries(s.principals.map((p) => [p.type, p.identifiers]));
    if (s.conditions?.length) {
      const c: Record<string, Record<string, string[]>> = {};
      for (const k of s.conditions) c[k.test] = { ...c[k.test], [k.variable]: k.values };
      out.Condition = c;
    }
    return out;
  });
  return { json: JSON.stringify({ Version: '2012-10-17', Statement }), statements };
}

interface RpcStandIn {
  url: string;
  builds: BuildRequest[];
  unknown: string[];
  close(): Promise<void>;
}

/** The SST CLI's side of a deploy, on 127.0.0.1: bootstrap data and function builds (a stub bundle). */
async function startRpc(work: string): Promise<RpcStandIn> {
  const builds: BuildRequest[] = [];
  const unknown: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const { method, params } = JSON.parse(body) as { method: string; params: Inputs[] };
      const args = params[0] ?? {};
      let result: unknown;
      let error: string | null = null;
      if (method === 'Provider.Aws.Bootstrap') {
        result = { asset: 'sst-asset-mock', assetEcrRegistryId: MOCK_ACCOUNT, assetEcrUrl: 'mock.ecr/sst-asset' };
      } else if (method === 'Runtime.Build') {
        const handler = String(args.handler);
        const base = handler.slice(0, handler.lastIndexOf('.'));
        const fileExists = ['.ts', '.mts', '.js', '.mjs'].some((ext) => existsSync(path.join(REPO_ROOT, base + ext)));
        builds.push({
          functionID: args.functionID,
          handler,
          runtime: args.runtime,
          links: args.links ?? {},
          copyFiles: args.copyFiles ?? [],
          properties: args.properties ?? {},
          fileExists,
        });
        const out = path.join(work, 'artifacts', `${args.functionID}-build`);
        mkdirSync(path.join(out, path.dirname(base)), { recursive: true });
        writeFileSync(path.join(out, `${base}.mjs`), 'export const handler = async () => ({});\n');
        result = { handler, out, errors: [], sourcemaps: [] };
      } else {
        unknown.push(method);
        error = `rpc: can't find method ${method}`;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result, error }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    builds,
    unknown,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface SstConfig {
  app(input: { stage: string }): Inputs | Promise<Inputs>;
  run(): Promise<Inputs | undefined>;
}

/**
 * Runs `sst.config.ts` for `stage` with the given environment (deploy settings, `SST_SECRET_*` values) and
 * returns what it registered. One run per test file: SST's components keep per-process state.
 */
export async function runSstConfig(options: { stage: string; env: Record<string, string> }): Promise<ProgramRun> {
  const require = createRequire(path.join(PLATFORM, 'package.json'));
  const pulumi = require('@pulumi/pulumi');
  const settings = require('@pulumi/pulumi/runtime/settings');
  const work = mkdtempSync(path.join(os.tmpdir(), 'sst-infra-'));
  const rpc = await startRpc(work);
  const saved = { ...process.env };
  const resources: RecordedResource[] = [];
  try {
    Object.assign(process.env, options.env, { SST_SERVER: rpc.url, SST_AWS_REGION: MOCK_REGION });
    await pulumi.runtime.setMocks(
      {
        newResource(a: { type: string; name: string; inputs: Inputs }) {
          const inputs = unwrapSecrets(a.inputs) as Inputs;
          const { id, state } = mockState(a.type, a.name, inputs);
          resources.push({ type: a.type, name: a.name, inputs, state });
          return { id, state };
        },
        call(a: { token: string; inputs: Inputs }) {
          switch (a.token) {
            case 'aws:index/getPartition:getPartition':
              return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
            case 'aws:index/getRegion:getRegion':
              return { name: MOCK_REGION, region: MOCK_REGION, id: MOCK_REGION };
            case 'aws:index/getCallerIdentity:getCallerIdentity':
              return {
                accountId: MOCK_ACCOUNT,
                arn: `arn:aws:iam::${MOCK_ACCOUNT}:root`,
                userId: MOCK_ACCOUNT,
                id: MOCK_ACCOUNT,
              };
            case 'aws:iam/getPolicyDocument:getPolicyDocument':
              return policyDocument(a.inputs.statements ?? []);
            default:
              throw new Error(`no mock for the provider function ${a.token}`);
          }
        },
      },
      'gpu-autoscaler',
      options.stage,
      false,
    );

    const g = globalThis as Record<string, unknown>;
    const platformUrl = (p: string) => pathToFileURL(path.join(PLATFORM, 'src', p)).href;
    const component = await import(platformUrl('components/component.ts'));
    const functionModule = await import(platformUrl('components/aws/function.ts'));
    const { Secret } = await import(platformUrl('components/secret.ts'));
    const { $config } = await import(platformUrl('config.ts'));
    const { run } = await import(platformUrl('auto/run.ts'));
    Object.assign(g, {
      aws: require('@pulumi/aws'),
      sst: { aws: { Function: functionModule.Function }, Secret },
      $config,
      $dev: false,
      $util: pulumi,
      $output: pulumi.output,
      $apply: pulumi.apply,
      $resolve: pulumi.all,
      $interpolate: pulumi.interpolate,
      $concat: pulumi.concat,
      $jsonParse: pulumi.jsonParse,
      $jsonStringify: pulumi.jsonStringify,
      $asset: component.$asset,
      $transform: component.$transform,
      $lazy: component.$lazy,
      $print: component.$print,
      $cli: {
        command: 'deploy',
        rpc: rpc.url,
        paths: { home: work, root: REPO_ROOT, work, platform: PLATFORM },
        state: { version: {} },
      },
    });

    const config = (await import(pathToFileURL(path.join(REPO_ROOT, 'sst.config.ts')).href)).default as SstConfig;
    const app = await config.app({ stage: options.stage });
    g.$app = {
      name: app.name,
      stage: options.stage,
      removal: app.removal ?? 'retain',
      protect: !!app.protect,
      providers: {},
    };

    const outputs = (await pulumi.runtime.runInPulumiStack(() => run(() => config.run()))) as Inputs;
    await settings.waitForRPCs();
    return { resources, builds: rpc.builds, unknownRpc: rpc.unknown, outputs };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    await rpc.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The recorded resources of one Pulumi type. */
export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}
