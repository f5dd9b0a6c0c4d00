/**
 * Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`, `/version`) for the resources
 * the emulator serves, so discovery-driven clients (kubectl, client-go's RESTMapper) find them.
 */
import type { Json } from './patch.ts';

interface Resource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
  shortNames?: string[];
  categories?: string[];
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['get', 'list', 'patch', 'update', 'watch'];

export const GROUPS: Record<string, Record<string, Resource[]>> = {
  '': {
    v1: [
      { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: WRITE, shortNames: ['no'] },
      {
        name: 'pods',
        singularName: 'pod',
        namespaced: true,
        kind: 'Pod',
        verbs: READ,
        shortNames: ['po'],
        categories: ['all'],
      },
      {
        name: 'events',
        singularName: 'event',
        namespaced: true,
        kind: 'Event',
        verbs: ['create', 'get', 'list'],
        shortNames: ['ev'],
      },
      {
        name: 'pods/eviction',
        singularName: '',
        namespaced: true,
        group: 'policy',
        version: 'v1',
        kind: 'Eviction',
        verbs: ['create'],
      },
    ],
  },
  apps: {
    v1: [
      {
        name: 'deployments',
        singularName: 'deployment',
        namespaced: true,
        kind: 'Deployment',
        verbs: WRITE,
        shortNames: ['deploy'],
        categories: ['all'],
      },
      {
        name: 'deployments/scale',
        singularName: '',
        namespaced: true,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: ['get', 'patch', 'update'],
      },
    ],
  },
  policy: {
    v1: [
      {
        name: 'poddisruptionbudgets',
        singularName: 'poddisruptionbudget',
        namespaced: true,
        kind: 'PodDisruptionBudget',
        verbs: READ,
        shortNames: ['pdb'],
      },
    ],
  },
  'events.k8s.io': {
    v1: [
      {
        name: 'events',
        singularName: 'event',
        namespaced: true,
        kind: 'Event',
        verbs: ['get', 'list'],
        shortNames: ['ev'],
      },
    ],
  },
  'karpenter.sh': {
    v1: [
      {
        name: 'nodepools',
        singularName: 'nodepool',
        namespaced: false,
        kind: 'NodePool',
        verbs: WRITE,
        categories: ['karpenter'],
      },
    ],
  },
};

export function apiVersions(serverAddress: string): Json {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function group(name: string): Json {
  const versions = Object.keys(GROUPS[name] ?? {}).map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions, preferredVersion: versions[0]! };
}

export function apiGroupList(): Json {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: Object.keys(GROUPS)
      .filter((g) => g !== '')
      .map(group),
  };
}

export function apiGroup(name: string): Json | undefined {
  if (!GROUPS[name] || name === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...(group(name) as Record<string, Json>) };
}

export function apiResourceList(groupName: string, version: string): Json | undefined {
  const resources = GROUPS[groupName]?.[version];
  if (!resources) return undefined;
  const groupVersion = groupName ? `${groupName}/${version}` : version;
  return {
    kind: 'APIResourceList',
    ...(groupName ? { apiVersion: 'v1' } : {}),
    groupVersion,
    resources: resources.map((r) => ({ ...r }) as unknown as Json),
  };
}

export function versionInfo(buildDate: string): Json {
  return {
    major: '1',
    minor: '33',
    gitVersion: 'v1.33.0',
    gitCommit: '60a317eadfcb839692a68eab88b2096f4d708f4f',
    gitTreeState: 'clean',
    buildDate,
    goVersion: 'go1.24.2',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}
