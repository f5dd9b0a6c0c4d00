/**
 * The adapter's pure mappings: provider ids, capacity-type labels, errors, backoff.
 */
import { ApiException, type V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { retryAfterMs, toCloudError } from '../../shared/adapters/kubernetes/errors.ts';
import { capacityTypeOf, isNodeOf, parseProviderId, toGpuNode } from '../../shared/adapters/kubernetes/nodes.ts';
import { CloudError } from '../../shared/domain/errors.ts';

describe('parseProviderId', () => {
  it.each([
    {
      name: 'EC2',
      id: 'aws:///us-east-1a/i-0abc',
      expected: { cloud: 'aws', zone: 'us-east-1a', instanceId: 'i-0abc' },
    },
    { name: 'EC2 without zone', id: 'aws:///i-0abc', expected: { cloud: 'aws', instanceId: 'i-0abc' } },
    {
      name: 'GCE',
      id: 'gce://ml-project/us-central1-a/gke-prod-gpu-1a2b',
      expected: { cloud: 'gcp', project: 'ml-project', zone: 'us-central1-a', instanceId: 'gke-prod-gpu-1a2b' },
    },
    {
      name: 'Azure scale set VM (named <vmss>_<instance id>)',
      id: 'azure:///subscriptions/sub/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-vmss/virtualMachines/3',
      expected: { cloud: 'azure', scaleSet: 'aks-gpu-vmss', resourceGroup: 'mc_rg', instanceId: 'aks-gpu-vmss_3' },
    },
    {
      name: 'Azure plain VM',
      id: 'azure:///subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/gpu-vm-1',
      expected: { cloud: 'azure', instanceId: 'gpu-vm-1' },
    },
    { name: 'KWOK', id: 'kwok://gpu-l4-x7k2p', expected: { cloud: 'other', instanceId: 'gpu-l4-x7k2p' } },
  ])('reads $name provider ids', ({ id, expected }) => {
    expect(parseProviderId(id)).toMatchObject(expected);
  });

  it('has nothing to say without a provider id', () => {
    expect(parseProviderId(undefined)).toBeUndefined();
    expect(parseProviderId('')).toBeUndefined();
  });
});

describe('capacityTypeOf', () => {
  it.each([
    { name: 'Karpenter spot', labels: { 'karpenter.sh/capacity-type': 'spot' }, expected: 'spot' },
    { name: 'Karpenter reserved', labels: { 'karpenter.sh/capacity-type': 'reserved' }, expected: 'reserved' },
    { name: 'EKS ON_DEMAND', labels: { 'eks.amazonaws.com/capacityType': 'ON_DEMAND' }, expected: 'on-demand' },
    {
      name: 'EKS capacity block',
      labels: { 'eks.amazonaws.com/capacityType': 'CAPACITY_BLOCK' },
      expected: 'reserved',
    },
    { name: 'AKS spot', labels: { 'kubernetes.azure.com/scalesetpriority': 'spot' }, expected: 'spot' },
    // AKS labels spot nodes only.
    { name: 'AKS regular', labels: { 'kubernetes.azure.com/agentpool': 'gpu' }, expected: 'on-demand' },
    { name: 'GKE spot', labels: { 'cloud.google.com/gke-provisioning': 'spot' }, expected: 'spot' },
    { name: 'GKE standard', labels: { 'cloud.google.com/gke-provisioning': 'standard' }, expected: 'on-demand' },
    {
      name: 'GKE flex-start (kept as is)',
      labels: { 'cloud.google.com/gke-provisioning': 'flex-start' },
      expected: 'flex-start',
    },
    { name: 'GKE reservation', labels: { 'cloud.google.com/reservation-name': 'r1' }, expected: 'reserved' },
    { name: 'self-managed spot', labels: { 'node.kubernetes.io/lifecycle': 'spot' }, expected: 'spot' },
    { name: 'no label', labels: {}, expected: undefined },
  ])('$name -> $expected', ({ labels, expected }) => {
    expect(capacityTypeOf(labels as Record<string, string>)).toBe(expected);
  });
});

describe('toGpuNode and isNodeOf', () => {
  const node: V1Node = {
    metadata: { name: 'aks-gpu-vmss000003', labels: { 'kubernetes.azure.com/agentpool': 'gpu' } },
    spec: {
      providerID:
        'azure:///subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-gpu-vmss/virtualMachines/3',
    },
    status: {
      capacity: { 'nvidia.com/gpu': '4', 'amd.com/gpu': '0', cpu: '24' },
      conditions: [{ type: 'Ready', status: 'False' }],
    },
  };

  it('maps GPUs, readiness and the Azure VM name', () => {
    expect(toGpuNode(node)).toMatchObject({
      gpus: 4,
      ready: false,
      unschedulable: false,
      instanceId: 'aks-gpu-vmss_3',
    });
  });

  it.each([
    ['the VM name', 'aks-gpu-vmss_3', true],
    ['the node name', 'aks-gpu-vmss000003', true],
    ['the scale set instance id', '3', true],
    ['another VM', 'aks-gpu-vmss_4', false],
  ])('matches %s', (_name, id, expected) => {
    expect(isNodeOf(toGpuNode(node), id)).toBe(expected);
  });
});

describe('toCloudError', () => {
  const status = (code: number, reason: string, message = reason) =>
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

  it.each([
    {
      name: '404 NotFound',
      e: new ApiException(404, 'x', status(404, 'NotFound'), {}),
      kind: 'not-found',
      code: 'NotFound',
    },
    {
      name: '409 Conflict',
      e: new ApiException(409, 'x', status(409, 'Conflict'), {}),
      kind: 'conflict',
      code: 'Conflict',
    },
    {
      name: '409 AlreadyExists',
      e: new ApiException(409, 'x', status(409, 'AlreadyExists'), {}),
      kind: 'conflict',
      code: 'AlreadyExists',
    },
    {
      name: '429 TooManyRequests',
      e: new ApiException(429, 'x', status(429, 'TooManyRequests'), {}),
      kind: 'throttled',
      code: 'TooManyRequests',
    },
    // The generated client drops the body of a 401.
    {
      name: '401 without body',
      e: new ApiException(401, 'Unauthorized', undefined, {}),
      kind: 'unauthorized',
      code: 'Unauthorized',
    },
    {
      name: '403 Forbidden',
      e: new ApiException(403, 'x', status(403, 'Forbidden'), {}),
      kind: 'unauthorized',
      code: 'Forbidden',
    },
    {
      name: '422 Invalid',
      e: new ApiException(422, 'x', status(422, 'Invalid'), {}),
      kind: 'invalid',
      code: 'Invalid',
    },
    {
      name: '400 BadRequest',
      e: new ApiException(400, 'x', status(400, 'BadRequest'), {}),
      kind: 'invalid',
      code: 'BadRequest',
    },
    {
      name: '415 UnsupportedMediaType',
      e: new ApiException(415, 'x', status(415, 'UnsupportedMediaType'), {}),
      kind: 'invalid',
      code: 'UnsupportedMediaType',
    },
    {
      name: '500 InternalError',
      e: new ApiException(500, 'x', status(500, 'InternalError'), {}),
      kind: 'transient',
      code: 'InternalError',
    },
    {
      name: '503 without Status',
      e: new ApiException(503, 'x', 'upstream connect error', {}),
      kind: 'transient',
      code: 'ServiceUnavailable',
    },
    {
      name: '410 Expired (continue token)',
      e: new ApiException(410, 'x', status(410, 'Expired'), {}),
      kind: 'transient',
      code: 'Expired',
    },
    {
      name: 'a dropped connection',
      e: Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      }),
      kind: 'transient',
      code: 'UND_ERR_SOCKET',
    },
    {
      name: 'our request timeout',
      e: new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      kind: 'transient',
      code: 'Timeout',
    },
    { name: 'a configuration error', e: new Error('No active cluster!'), kind: 'invalid', code: 'Error' },
  ])('maps $name to $kind ($code)', ({ e, kind, code }) => {
    const mapped = toCloudError(e, 'reading things');
    expect(mapped).toBeInstanceOf(CloudError);
    expect(mapped).toMatchObject({ kind, code, cloud: 'kubernetes', operation: 'reading things' });
    expect(mapped.cause).toBe(e);
    expect(mapped.message.startsWith('reading things: ')).toBe(true);
  });

  it('keeps the Status message and the HTTP status', () => {
    const e = toCloudError(
      new ApiException(404, 'x', status(404, 'NotFound', 'nodes "n1" not found'), {}),
      'cordoning n1',
    );
    expect(e.status).toBe(404);
    expect(e.message).toBe('cordoning n1: not-found (NotFound): nodes "n1" not found');
  });

  it('passes a CloudError through and reads Retry-After', () => {
    const original = new CloudError({ kind: 'conflict', cloud: 'kubernetes', operation: 'x' });
    expect(toCloudError(original, 'y')).toBe(original);
    expect(retryAfterMs(new ApiException(429, 'x', status(429, 'TooManyRequests'), { 'retry-after': '2' }))).toBe(2000);
  });
});
