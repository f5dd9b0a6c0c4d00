/**
 * A configuration that exercises every part of the stacks: one pool of each kind (EC2 Fleet, two ASGs, an
 * EKS node group in another region, Azure, GCP, a Kubernetes Deployment), alarms by name and by prefix, a
 * daytime window and one that wraps midnight, and two clusters with kubeconfig secrets.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { ConfigInput } from '../../../shared/config/schema.ts';

const pool = { min: 0, max: 8, hourlyPrice: 1, rpsPerNode: 2, zones: ['z1'], capacityType: 'on-demand' as const };

export const INFRA_CONFIG: ConfigInput = {
  version: 1,
  clouds: {
    aws: { region: 'us-east-1' },
    azure: { subscriptionId: '00000000-0000-0000-0000-000000000001' },
    gcp: { project: 'infra-test' },
    kubernetes: {
      'chat-eks': { kubeconfigSecret: 'KubeconfigChat' },
      'chat-gke': { kubeconfigSecret: 'KubeconfigChatGke' },
    },
  },
  fleets: [
    {
      id: 'chat',
      pools: [
        {
          ...pool,
          id: 'fleet-spot',
          kind: 'ec2-fleet',
          resource: 'fleet-0123abcd-0000-4000-8000-000000000001',
          region: 'us-east-1',
          instanceType: 'g5.xlarge',
          capacityType: 'spot',
        },
        {
          ...pool,
          id: 'asg-od',
          kind: 'auto-scaling-group',
          resource: 'chat-g5-od',
          region: 'us-east-1',
          instanceType: 'g5.xlarge',
        },
        {
          ...pool,
          id: 'asg-block',
          kind: 'auto-scaling-group',
          resource: 'chat-p5-block',
          region: 'us-east-1',
          instanceType: 'p5.48xlarge',
          capacityType: 'reserved',
          reservationId: 'cr-0123456789abcdef0',
        },
        {
          ...pool,
          id: 'eks-ng',
          kind: 'eks-nodegroup',
          resource: 'chat-eks/gpu-ng',
          region: 'us-west-2',
          instanceType: 'g6.xlarge',
          cluster: 'chat-eks',
        },
        {
          ...pool,
          id: 'azure-spot',
          kind: 'azure-vmss',
          resource: 'vmss-chat',
          region: 'eastus',
          instanceType: 'Standard_NC24ads_A100_v4',
          scope: '00000000-0000-0000-0000-000000000001/rg-chat',
          capacityType: 'spot',
        },
        {
          ...pool,
          id: 'gcp-mig',
          kind: 'gcp-mig',
          resource: 'mig-chat',
          region: 'us-central1',
          zones: ['us-central1-a'],
          instanceType: 'g2-standard-8',
          scope: 'infra-test',
        },
        {
          ...pool,
          id: 'k8s',
          kind: 'k8s-deployment',
          resource: 'inference/chat',
          region: 'us-east-1',
          instanceType: 'pod',
          cluster: 'chat-eks',
        },
      ],
    },
  ],
  alarms: [
    { alarm: 'chat-queue-depth-high', fleetId: 'chat' },
    { alarm: 'chat-gpu-*', fleetId: 'chat' },
  ],
  schedules: [
    {
      name: 'business hours',
      fleets: ['chat'],
      timeZone: 'Europe/Paris',
      days: [1, 2, 3, 4, 5],
      start: '08:00',
      end: '19:30',
    },
    {
      name: 'night-batch',
      fleets: ['chat'],
      timeZone: 'America/New_York',
      days: [5, 6, 7],
      start: '22:00',
      end: '06:00',
    },
  ],
  events: { source: 'gpu-autoscaler.test' },
};

/** The directories `writeConfig` made in this test file, removed once its tests are done. */
const written: string[] = [];
afterAll(() => {
  for (const dir of written.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes `config` to a fresh temporary file and returns its path (removed after the test file's tests). */
export function writeConfig(config: unknown = INFRA_CONFIG): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'infra-config-'));
  written.push(dir);
  const file = path.join(dir, 'autoscaler.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Fake values for every SST secret the configuration needs (`SST_SECRET_<name>`, as `sst deploy` sets). */
export const FAKE_SECRETS: Record<string, string> = {
  SST_SECRET_AzureTenantId: '11111111-1111-4111-8111-111111111111',
  SST_SECRET_AzureClientId: '22222222-2222-4222-8222-222222222222',
  SST_SECRET_AzureClientSecret: 'fake-azure-client-secret',
  SST_SECRET_GcpServiceAccountKey: '{"type":"service_account","project_id":"infra-test","private_key":"fake"}',
  SST_SECRET_KubeconfigChat: 'apiVersion: v1\nkind: Config\nclusters: []\n',
  SST_SECRET_KubeconfigChatGke: 'apiVersion: v1\nkind: Config\nclusters: []\n',
  SST_SECRET_EventGridReceiverKey: 'fake-event-grid-receiver-key-0123456789abcdef',
};
