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
 * - EC2 Fleet: the resource is the fleet's id, `fleet-` and a UUID as CreateFleet returns it (the EC2 Fleet
 *   Instance Change event of ../shared/corpus names `fleet-598fb973-87b7-422d-be4d-6b0809bfff0a`): a fleet has
 *   no name to be found by, and DescribeFleets answers a malformed id with an error, not with nothing;
 * - Auto Scaling: a group's name is 1 to 255 characters (Amazon EC2 Auto Scaling API Reference,
 *   `AutoScalingGroupName`);
 * - Azure: a scale set's name is 1 to 64 characters, none of `\ / " [ ] : | < > + = ; , ? * @ &` nor
 *   whitespace, not starting with `_`, not ending with `.` or `-`; its scope is `subscriptionId/resourceGroup`,
 *   the subscription a GUID and the resource group 1 to 90 letters, digits, `_`, `(`, `)`, `-` and `.`, not
 *   ending with `.` (Microsoft Learn, "Naming rules and restrictions for Azure resources",
 *   Microsoft.Compute/virtualMachineScaleSets and Microsoft.Resources/resourcegroups);
 * - GCP: the scope is a project id, 6 to 30 of `a-z`, `0-9` and `-`, starting with a letter, not ending with
 *   `-` (Resource Manager API, `projects.projectId`), or a legacy domain-scoped one, `example.com:project`;
 * - every kind: no `/`-separated part of the resource or of its scope may be `.` or `..`.
 * Pure.
 */
import type { PoolKind } from './types.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const EKS_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** An Azure subscription id (a GUID, either case): a scale set's scope and the configuration's `clouds.azure`. */
export const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Characters an Azure scale set's name may not hold: those listed, whitespace and control characters. */
const VMSS_FORBIDDEN = /[\\/"[\]:|<>+=;,?*@&\s\p{Cc}]/u;
const RESOURCE_GROUP = /^[\p{L}\p{N}_().-]{1,90}$/u;
const GCP_PROJECT = /^(?:[a-z0-9][-a-z0-9.]*[a-z0-9]:)?[a-z][-a-z0-9]{4,28}[a-z0-9]$/;

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
  if (message !== undefined) return { field: 'resource', message };
  const scoped = scope === undefined ? undefined : scopeMessage(kind, scope);
  return scoped === undefined ? undefined : { field: 'scope', message: scoped };
}

/** Why the cloud would refuse the scope of a `kind` pool (an Azure subscription/resource group, a GCP project). */
function scopeMessage(kind: PoolKind, scope: string): string | undefined {
  switch (kind) {
    case 'azure-vmss': {
      const parts = scope.split('/');
      const [subscription, group] = parts;
      if (parts.length !== 2 || subscription === undefined || group === undefined)
        return `an azure-vmss scope is "subscriptionId/resourceGroup", not '${scope}'`;
      if (!GUID.test(subscription)) return `subscription id '${subscription}' is not a GUID`;
      if (!RESOURCE_GROUP.test(group) || group.endsWith('.'))
        return `resource group '${group}' is not 1 to 90 letters, digits, _, (, ), - and . not ending with .`;
      return undefined;
    }
    case 'gcp-mig':
    case 'gcp-regional-mig':
      return GCP_PROJECT.test(scope)
        ? undefined
        : `project id '${scope}' is not 6 to 30 of a-z, 0-9 and -, starting with a letter, not ending with - (or domain:project)`;
    default:
      return undefined;
  }
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
    case 'ec2-fleet':
      return resource.startsWith('fleet-') && UUID.test(resource.slice('fleet-'.length))
        ? undefined
        : `'${resource}' is not an EC2 Fleet id ('fleet-' and a UUID, as CreateFleet returns it): a fleet is found by its id, not a name`;
    case 'auto-scaling-group':
      return resource.length <= 255
        ? undefined
        : `Auto Scaling group name '${resource.slice(0, 40)}...' is longer than 255 characters`;
    case 'azure-vmss':
      return resource.length <= 64 &&
        !VMSS_FORBIDDEN.test(resource) &&
        !resource.startsWith('_') &&
        !/[.-]$/.test(resource)
        ? undefined
        : `scale set name '${resource}' is not 1 to 64 characters without \\ / " [ ] : | < > + = ; , ? * @ & or whitespace, starting with no _ and ending with no . or -`;
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
