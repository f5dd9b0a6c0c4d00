/**
 * Resource names a cloud's API refuses, said when the configuration is read rather than sent: a name the
 * cloud refuses comes back as `not found` at the first decision, and a name of `.` or `..` is worse, since
 * the SDKs put names in URL paths and an HTTP client resolves such a segment away before sending: a
 * Kubernetes pool `ml/.` read and scaled the Deployment `ml/scale`
 * (`/apis/apps/v1/namespaces/ml/deployments/./scale`).
 *
 * - Kubernetes: a namespace is an RFC 1123 DNS label (at most 63 characters of `a-z`, `0-9` and `-`, starting
 *   and ending alphanumeric); a Deployment's and a Karpenter NodePool's name an RFC 1123 DNS subdomain (labels
 *   joined by `.`, at most 253 characters) (Kubernetes documentation, "Object Names and IDs");
 * - GCP: a managed instance group's name is an RFC 1035 label (at most 63 characters of `a-z`, `0-9` and `-`,
 *   starting with a letter, not ending with `-`) (Compute Engine API, `instanceGroupManagers.name`);
 * - EKS: a cluster's name and a node group's are `[0-9A-Za-z][A-Za-z0-9_-]*`, at most 100 and 63 characters
 *   (Amazon EKS API Reference, CreateCluster and CreateNodegroup, `name` / `nodegroupName`);
 * - every kind: no `/`-separated part of the resource or of its scope may be `.` or `..`.
 * Pure.
 */
import type { PoolKind } from './types.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const EKS_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]*$/;

const dnsLabel = (s: string) => s.length <= 63 && DNS_LABEL.test(s);
const dnsSubdomain = (s: string) => s.length <= 253 && s.split('.').every((l) => DNS_LABEL.test(l));

/** Which field of a pool the cloud would refuse (its resource or its scope) and why, or undefined. */
export function resourceNameProblem(
  kind: PoolKind,
  resource: string,
  scope?: string,
): { field: 'resource' | 'scope'; message: string } | undefined {
  for (const [field, value] of [
    ['resource', resource],
    ['scope', scope],
  ] as const) {
    if (value?.split('/').some((part) => part === '.' || part === '..'))
      return {
        field,
        message: `${field} '${value}' has a part '.' or '..': the request's path would lose it and reach another resource`,
      };
  }
  const message = resourceMessage(kind, resource);
  return message === undefined ? undefined : { field: 'resource', message };
}

/** Why the cloud would refuse a resource of `kind` named `resource` by its own naming rules, or undefined. */
function resourceMessage(kind: PoolKind, resource: string): string | undefined {
  switch (kind) {
    case 'k8s-deployment': {
      const parts = resource.split('/');
      const [namespace, name] = parts.length === 1 ? ['default', parts[0]!] : parts;
      if (parts.length > 2 || namespace === undefined || name === undefined)
        return `a k8s-deployment resource is "namespace/name" or "name", not '${resource}'`;
      if (!dnsLabel(namespace))
        return `namespace '${namespace}' is not a Kubernetes DNS label (at most 63 of a-z, 0-9 and -, alphanumeric at both ends)`;
      if (!dnsSubdomain(name))
        return `Deployment name '${name}' is not a Kubernetes DNS subdomain (DNS labels joined by '.', at most 253 characters)`;
      return undefined;
    }
    case 'karpenter-nodepool':
      return dnsSubdomain(resource)
        ? undefined
        : `NodePool name '${resource}' is not a Kubernetes DNS subdomain (DNS labels joined by '.', at most 253 characters)`;
    case 'gcp-mig':
    case 'gcp-regional-mig':
      return resource.length <= 63 && RFC1035_LABEL.test(resource)
        ? undefined
        : `managed instance group name '${resource}' is not an RFC 1035 label (at most 63 of a-z, 0-9 and -, starting with a letter, not ending with -)`;
    case 'eks-nodegroup': {
      const [cluster, nodegroup, ...rest] = resource.split('/');
      if (cluster === undefined || nodegroup === undefined || rest.length > 0)
        return `an eks-nodegroup resource is "cluster/nodegroup", not '${resource}'`;
      if (!(cluster.length <= 100 && EKS_NAME.test(cluster)))
        return `EKS cluster name '${cluster}' is not [0-9A-Za-z][A-Za-z0-9_-]* of at most 100 characters`;
      if (!(nodegroup.length <= 63 && EKS_NAME.test(nodegroup)))
        return `EKS node group name '${nodegroup}' is not [0-9A-Za-z][A-Za-z0-9_-]* of at most 63 characters`;
      return undefined;
    }
    default:
      return undefined;
  }
}
