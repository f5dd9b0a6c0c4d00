/**
 * Which SST secrets a configuration needs, and their names: the Azure service principal and the GCP key
 * when a pool lives there, and one kubeconfig per `clouds.kubernetes.<cluster>.kubeconfigSecret`. Pure.
 */
import type { Config } from '../shared/config/schema.ts';
import { CLOUD_OF_KIND } from '../shared/domain/types.ts';

export const AZURE_SECRETS = {
  tenantId: 'AzureTenantId',
  clientId: 'AzureClientId',
  clientSecret: 'AzureClientSecret',
} as const;
export const GCP_SECRET = 'GcpServiceAccountKey';

const SECRET_NAME = /^[A-Z][A-Za-z0-9]*$/;

/** The secret names the configuration needs, validated (they become `Resource.<name>` in the functions). */
export function secretNames(config: Config): { azure: boolean; gcp: boolean; kubeconfigs: Record<string, string> } {
  const clouds = new Set(config.fleets.flatMap((f) => f.pools.map((p) => CLOUD_OF_KIND[p.kind])));
  const kubeconfigs: Record<string, string> = {};
  const reserved = new Set<string>([...Object.values(AZURE_SECRETS), GCP_SECRET]);
  for (const [cluster, k] of Object.entries(config.clouds.kubernetes ?? {})) {
    if (!k.kubeconfigSecret) continue;
    if (!SECRET_NAME.test(k.kubeconfigSecret) || reserved.has(k.kubeconfigSecret)) {
      throw new Error(
        `clouds.kubernetes.${cluster}.kubeconfigSecret: '${k.kubeconfigSecret}' must be PascalCase letters and digits, and not ${[...reserved].join(', ')}`,
      );
    }
    kubeconfigs[cluster] = k.kubeconfigSecret;
  }
  return { azure: clouds.has('azure'), gcp: clouds.has('gcp'), kubeconfigs };
}
