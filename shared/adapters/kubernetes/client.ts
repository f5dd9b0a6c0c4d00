/**
 * Connection to a Kubernetes API server: a KubeConfig from a file path, from a kubeconfig's content (an SST
 * secret, plain or base64), from a KubeConfig or its `loadFromOptions` object, from `server` + `token` (+ CA),
 * or from the environment (`KUBECONFIG`, in-cluster service account) when nothing is given.
 *
 * Plain http is allowed only to a loopback address (the emulator); the client itself insists on
 * `skipTLSVerify` for http, which is set then and only then.
 *
 * Every call carries a timeout (an abort signal set by a middleware). Patches are sent as JSON merge
 * patches: the generated client's default patch content type is JSON Patch (`application/json-patch+json`),
 * so the merge-patch calls override it with `setHeaderOptions('Content-Type', PatchStrategy.MergePatch)`.
 */
import { parseFailure } from '../credential-errors.ts';
import {
  AppsV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Observable,
  type ObservableMiddleware,
  PatchStrategy,
  type RequestContext,
  type ResponseContext,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ConfigError } from '../../domain/errors.ts';

/** The object `KubeConfig.loadFromOptions` takes (what `kubectl config view -o json` shows, camel-cased). */
export interface KubeConfigObject {
  clusters: Array<{ name: string; server: string; skipTLSVerify?: boolean; caData?: string; caFile?: string }>;
  users: Array<{ name: string; token?: string; [k: string]: unknown }>;
  contexts: Array<{ name: string; cluster: string; user: string; namespace?: string }>;
  currentContext: string;
}

export interface ConnectionOptions {
  /** A kubeconfig file path, a kubeconfig's content (YAML/JSON, or base64 of it), a KubeConfig or its options object. */
  kubeconfig?: string | KubeConfig | KubeConfigObject;
  /** API server URL, with `token` (and `ca`, PEM) instead of a kubeconfig. */
  server?: string;
  token?: string;
  ca?: string;
  /** Context to use instead of the kubeconfig's current one. */
  context?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
}

const WHERE = 'kubernetes adapter';

function isLoopbackUrl(server: string): boolean {
  const host = new URL(server).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function looksLikeContent(s: string): boolean {
  const t = s.trimStart();
  return t.includes('\n') || t.startsWith('{') || t.startsWith('apiVersion');
}

/** Builds the KubeConfig the options describe. */
export function loadKubeConfig(o: ConnectionOptions): KubeConfig {
  let kc = new KubeConfig();
  try {
    if (o.kubeconfig instanceof KubeConfig) kc = o.kubeconfig;
    else if (typeof o.kubeconfig === 'object') kc.loadFromOptions(o.kubeconfig);
    else if (typeof o.kubeconfig === 'string') {
      const decoded = /^[A-Za-z0-9+/=\s]+$/.test(o.kubeconfig)
        ? Buffer.from(o.kubeconfig, 'base64').toString('utf8')
        : '';
      if (looksLikeContent(o.kubeconfig)) kc.loadFromString(o.kubeconfig);
      else if (decoded && looksLikeContent(decoded)) kc.loadFromString(decoded);
      else kc.loadFromFile(o.kubeconfig);
    } else if (o.server) {
      const http = o.server.startsWith('http:');
      kc.loadFromClusterAndUser(
        {
          name: 'cluster',
          server: o.server,
          skipTLSVerify: http,
          caData: o.ca ? Buffer.from(o.ca).toString('base64') : undefined,
        },
        { name: 'user', token: o.token },
      );
    } else kc.loadFromDefault();
    if (o.context) kc.setCurrentContext(o.context);
  } catch (e) {
    // Never the parser's own message: it quotes the kubeconfig, tokens and keys included.
    const secret = typeof o.kubeconfig === 'string' ? o.kubeconfig : undefined;
    throw new ConfigError(WHERE, 'kubeconfig', `cannot load the kubeconfig: ${parseFailure(e, secret)}`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ConfigError(WHERE, 'kubeconfig', 'no current cluster in the kubeconfig');
  if (cluster.server.startsWith('http:') && !isLoopbackUrl(cluster.server)) {
    throw new ConfigError(WHERE, 'server', `plain http is only allowed to a loopback address, got ${cluster.server}`);
  }
  return kc;
}

/** Sets an abort signal on every request, so a hung connection fails after `ms`. */
export function timeoutMiddleware(ms: number): ObservableMiddleware {
  return {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(ctx));
    },
    post: (rsp: ResponseContext) => new Observable(Promise.resolve(rsp)),
  };
}

export class KubeClients {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;
  private readonly timeoutMs: number;

  constructor(kc: KubeConfig, timeoutMs: number) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.timeoutMs = timeoutMs;
  }

  /** Per-call options: the request timeout. */
  call(): ConfigurationOptions {
    return { middleware: [timeoutMiddleware(this.timeoutMs)], middlewareMergeStrategy: 'append' };
  }

  /** Per-call options for a JSON merge patch (RFC 7386) instead of the client's default JSON Patch. */
  mergePatch(): ConfigurationOptions {
    return setHeaderOptions('Content-Type', PatchStrategy.MergePatch, this.call());
  }
}
