/**
 * The node agent's manifest (agent/deploy/node-agent.yaml) and image recipe, read as data: least privilege
 * in RBAC and in the pod, the names the agent role's trust policy expects, and an image that runs the bundle.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { AGENT_SERVICE_ACCOUNT } from '../../stacks/ingress-policy.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects as parsed YAML
const docs = loadAllYaml(readFileSync(path.join(root, 'agent/deploy/node-agent.yaml'), 'utf8')) as any[];
const of = (kind: string) => docs.filter((d) => d.kind === kind);

describe('agent/deploy/node-agent.yaml', () => {
  it('has a namespace, service account, cluster role and binding, config map and daemon set', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet', 'Namespace', 'ServiceAccount'].sort(),
    );
  });

  it('grants only get on nodes and list on pods', () => {
    expect(of('ClusterRole')[0].rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
    ]);
    const binding = of('ClusterRoleBinding')[0];
    expect(binding.roleRef.name).toBe(of('ClusterRole')[0].metadata.name);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', ...AGENT_SERVICE_ACCOUNT }]);
  });

  it('runs as the service account the agent role trusts, with an STS-audience token', () => {
    const sa = of('ServiceAccount')[0];
    expect({ name: sa.metadata.name, namespace: sa.metadata.namespace }).toEqual(AGENT_SERVICE_ACCOUNT);
    const pod = of('DaemonSet')[0].spec.template.spec;
    expect(pod.serviceAccountName).toBe(AGENT_SERVICE_ACCOUNT.name);
    const sources = pod.volumes.flatMap((v: { projected?: { sources: unknown[] } }) => v.projected?.sources ?? []);
    expect(sources).toContainEqual({
      serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 3600, path: 'token' },
    });
  });

  it('runs unprivileged on the host network, on every GPU node, with its node name', () => {
    const pod = of('DaemonSet')[0].spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    expect(Object.keys(of('ConfigMap')[0].data)).toEqual(
      expect.arrayContaining(['AGENT_CLOUD', 'EVENT_BUS_NAME', 'AWS_REGION', 'AWS_ROLE_ARN']),
    );
  });
});

describe('agent/Dockerfile', () => {
  const lines = readFileSync(path.join(root, 'agent/Dockerfile'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  it('bundles with the script npm run agent:bundle runs, and runs the bundle as nonroot on Node 24', () => {
    expect(lines).toContain('RUN node agent/build.ts /out/agent.mjs');
    expect(lines.filter((l) => l.startsWith('FROM'))).toEqual([
      'FROM node:24-bookworm-slim AS build',
      'FROM gcr.io/distroless/nodejs24-debian12:nonroot',
    ]);
    expect(lines).toContain('ENTRYPOINT ["/nodejs/bin/node", "/app/agent.mjs"]');
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts['agent:bundle']).toBe('node agent/build.ts');
  });
});
