/**
 * Whether the agent's own node is drained: cordoned (`spec.unschedulable`, which the autoscaler sets before
 * it evicts) and running no pod but DaemonSet pods, static (mirror) pods and finished ones. The agent's
 * ClusterRole allows exactly the two reads this needs: `get` on nodes and `list` on pods.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';

export interface DrainState {
  drained(): Promise<boolean>;
}

/** Pods that stay on a drained node: DaemonSet pods (this agent among them), mirror pods, finished pods. */
export function staysOnDrainedNode(pod: V1Pod): boolean {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return true;
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror']) return true;
  return (pod.metadata?.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet');
}

export class KubernetesDrainState implements DrainState {
  private readonly api: Pick<CoreV1Api, 'readNode' | 'listPodForAllNamespaces'>;
  private readonly node: string;
  constructor(api: Pick<CoreV1Api, 'readNode' | 'listPodForAllNamespaces'>, node: string) {
    this.api = api;
    this.node = node;
  }

  async drained(): Promise<boolean> {
    const node = await this.api.readNode({ name: this.node });
    if (!node.spec?.unschedulable) return false;
    const pods = await this.api.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${this.node}` });
    return pods.items.every(staysOnDrainedNode);
  }
}

/** Outside Kubernetes (or without a node name) nothing is ever approved early. */
export const NEVER_DRAINED: DrainState = { drained: async () => false };
