/**
 * Credentials for the other clouds, as SST secrets (`npx sst secret set NAME VALUE --stage STAGE`). Only
 * the clouds the configuration uses get a secret, so a deploy never asks for one it does not need. How they
 * reach a function (stacks/functions.ts): all as linked resources, which SST encrypts into the bundles of
 * the linked functions only and the function decrypts at cold start (`Resource[name].value` from `sst`);
 * none is an environment variable, which `lambda:GetFunctionConfiguration` would show in clear.
 */
import type { Config } from '../shared/config/schema.ts';
import { AZURE_SECRETS, GCP_SECRET, secretNames } from './secret-names.ts';

export interface CloudSecrets {
  azure?: { tenantId: sst.Secret; clientId: sst.Secret; clientSecret: sst.Secret };
  gcp?: sst.Secret;
  kubeconfigs: Record<string, sst.Secret>;
}

export function secrets(config: Config): CloudSecrets {
  const names = secretNames(config);
  const out: CloudSecrets = { kubeconfigs: {} };
  if (names.azure) {
    out.azure = {
      tenantId: new sst.Secret(AZURE_SECRETS.tenantId),
      clientId: new sst.Secret(AZURE_SECRETS.clientId),
      clientSecret: new sst.Secret(AZURE_SECRETS.clientSecret),
    };
  }
  if (names.gcp) out.gcp = new sst.Secret(GCP_SECRET);
  // Several clusters may share one kubeconfig (several contexts): one secret per distinct name.
  const byName = new Map<string, sst.Secret>();
  for (const [cluster, name] of Object.entries(names.kubeconfigs)) {
    let s = byName.get(name);
    if (!s) {
      s = new sst.Secret(name);
      byName.set(name, s);
    }
    out.kubeconfigs[cluster] = s;
  }
  return out;
}
