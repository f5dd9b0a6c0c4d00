/**
 * The ARM resources the emulator serves, built from the world: a Uniform VM scale set per `azure-vmss` pool and
 * a scale-set VM per world instance, in the JSON shape of the real Microsoft.Compute answers (see
 * ../shared/corpus/azure/arm-vmss-get-example-withuserdata.json). Pure: no I/O, no clock.
 *
 * World -> ARM mapping:
 * - `pool.name` is the scale-set name; `pool.scope` (or `pool.tags.scope`) is `subscriptionId/resourceGroup`.
 * - `pool.instanceType` is `sku.name`; `pool.desired` is `sku.capacity`; `pool.region` is `location`.
 * - zones: a world zone `eastus-2` (the Kubernetes topology form) or `2` is ARM zone `2`.
 * - `capacityType` spot -> `virtualMachineProfile.priority: Spot` (evictionPolicy Delete, maxPrice -1);
 *   otherwise Regular, with a capacity reservation group when the pool draws on a reservation.
 * - an instance's `index` is its `instanceId`; its VM name is `{vmss}_{index}` (the world's instance id);
 *   its `nodeName` is the VM's computer name.
 * - instance lifecycle -> VM provisioning state, power state and application-health state:
 *     pending      Creating   PowerState/starting  HealthState/initializing
 *     running      Succeeded  PowerState/running   HealthState/initializing  (booted, not serving yet)
 *     ready        Succeeded  PowerState/running   HealthState/healthy       (health extension says serving)
 *     terminating  Deleting   PowerState/stopping  HealthState/unknown       (being removed)
 *   A Spot VM under a `Preempt` scheduled event keeps the state it had until the event's `NotBefore` (at least
 *   30 s on: the event starts then, or earlier if approved), as Azure keeps it; Compute deletes it then
 *   (evictionPolicy Delete): it is no longer listed, and `sku.capacity` is one lower (the World's
 *   `reclaimLowersCapacity`).
 *   Readiness is exposed the way real fleets expose it: an Application Health extension on the scale set
 *   reports `vmHealth` in each VM's instance view.
 */
import { createHash } from 'node:crypto';
import { shownState, type WorldInstance, type WorldPool } from '../world.ts';

export interface VmssAddress {
  subscription: string;
  resourceGroup: string;
  name: string;
}

/** A stable UUID-shaped id derived from a seed (so answers repeat run to run). */
export function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** ARM zone ('1', '2', '3') of a world zone ('eastus-1' or '1'). */
export function armZone(zone: string): string {
  const m = /-(\d+)$/.exec(zone);
  return m ? m[1]! : zone;
}

export function vmssId(a: VmssAddress): string {
  return `/subscriptions/${a.subscription}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${a.name}`;
}

/** `subscriptionId/resourceGroup` of a world pool, if it says. */
export function scopeOf(pool: WorldPool): { subscription: string; resourceGroup: string } | undefined {
  const scope = pool.scope ?? pool.tags?.scope;
  if (!scope) return undefined;
  const [subscription, resourceGroup] = scope.split('/');
  if (!subscription || !resourceGroup) return undefined;
  return { subscription, resourceGroup };
}

const HEALTH_EXTENSION = {
  name: 'HealthExtension',
  properties: {
    publisher: 'Microsoft.ManagedServices',
    type: 'ApplicationHealthLinux',
    typeHandlerVersion: '2.0',
    autoUpgradeMinorVersion: true,
    settings: { protocol: 'http', port: 8000, requestPath: '/health' },
  },
};

export interface VmssState {
  provisioningState: 'Succeeded' | 'Updating';
  /** When the scale set was made (the world's start, or the pool's first sight). */
  timeCreated: string;
}

export function vmssResource(pool: WorldPool, a: VmssAddress, state: VmssState): Record<string, unknown> {
  const spot = pool.capacityType === 'spot';
  const vmProfile: Record<string, unknown> = {
    osProfile: {
      computerNamePrefix: pool.name,
      adminUsername: 'azureuser',
      linuxConfiguration: { disablePasswordAuthentication: true, provisionVMAgent: true },
      secrets: [],
      allowExtensionOperations: true,
      requireGuestProvisionSignal: true,
    },
    storageProfile: {
      osDisk: {
        osType: 'Linux',
        createOption: 'FromImage',
        caching: 'ReadOnly',
        managedDisk: { storageAccountType: 'Premium_LRS' },
        diskSizeGB: 256,
      },
      imageReference: {
        publisher: 'microsoft-dsvm',
        offer: 'ubuntu-hpc',
        sku: '2204',
        version: 'latest',
      },
      dataDisks: [],
    },
    networkProfile: {
      networkInterfaceConfigurations: [
        {
          name: `${pool.name}-nic`,
          properties: {
            primary: true,
            enableAcceleratedNetworking: true,
            ipConfigurations: [
              {
                name: 'ipconfig1',
                properties: {
                  primary: true,
                  subnet: {
                    id: `/subscriptions/${a.subscription}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${pool.name}-vnet/subnets/default`,
                  },
                },
              },
            ],
          },
        },
      ],
    },
    extensionProfile: { extensions: [HEALTH_EXTENSION] },
    priority: spot ? 'Spot' : 'Regular',
  };
  if (spot) {
    vmProfile.evictionPolicy = 'Delete';
    vmProfile.billingProfile = { maxPrice: -1 };
  }
  if (pool.reservationId) {
    vmProfile.capacityReservation = {
      capacityReservationGroup: {
        id: `/subscriptions/${a.subscription}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Compute/capacityReservationGroups/${pool.reservationId}`,
      },
    };
  }
  const body: Record<string, unknown> = {
    name: pool.name,
    id: vmssId(a),
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    location: pool.region,
    tags: { ...(pool.tags ?? {}) },
    sku: { name: pool.instanceType, tier: 'Standard', capacity: pool.desired },
    properties: {
      singlePlacementGroup: false,
      orchestrationMode: 'Uniform',
      upgradePolicy: { mode: 'Manual' },
      scaleInPolicy: { rules: ['Default'], forceDeletion: false },
      virtualMachineProfile: vmProfile,
      provisioningState: state.provisioningState,
      overprovision: false,
      doNotRunExtensionsOnOverprovisionedVMs: false,
      platformFaultDomainCount: 1,
      uniqueId: uuidFrom(`vmss:${vmssId(a).toLowerCase()}`),
      timeCreated: state.timeCreated,
    },
  };
  if (pool.zones.length > 0) body.zones = pool.zones.map(armZone);
  return body;
}

interface Status {
  code: string;
  level: 'Info' | 'Warning' | 'Error';
  displayStatus: string;
  time?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** What the platform says about a VM in each world state. */
function vmStates(inst: WorldInstance, now: number): { provisioningState: string; statuses: Status[]; health: Status } {
  switch (shownState(inst, now)) {
    case 'pending':
      return {
        provisioningState: 'Creating',
        statuses: [
          { code: 'ProvisioningState/creating', level: 'Info', displayStatus: 'Creating' },
          { code: 'PowerState/starting', level: 'Info', displayStatus: 'VM starting' },
        ],
        health: { code: 'HealthState/initializing', level: 'Info', displayStatus: 'The VM health is initializing' },
      };
    case 'running':
      return {
        provisioningState: 'Succeeded',
        statuses: [
          {
            code: 'ProvisioningState/succeeded',
            level: 'Info',
            displayStatus: 'Provisioning succeeded',
            time: iso(inst.runningAt),
          },
          { code: 'PowerState/running', level: 'Info', displayStatus: 'VM running' },
        ],
        health: { code: 'HealthState/initializing', level: 'Info', displayStatus: 'The VM health is initializing' },
      };
    case 'ready':
      return {
        provisioningState: 'Succeeded',
        statuses: [
          {
            code: 'ProvisioningState/succeeded',
            level: 'Info',
            displayStatus: 'Provisioning succeeded',
            time: iso(inst.runningAt),
          },
          { code: 'PowerState/running', level: 'Info', displayStatus: 'VM running' },
        ],
        health: {
          code: 'HealthState/healthy',
          level: 'Info',
          displayStatus: 'The VM is reporting healthy',
          time: iso(inst.readyAt),
        },
      };
    default:
      return {
        provisioningState: 'Deleting',
        statuses: [
          { code: 'ProvisioningState/deleting', level: 'Info', displayStatus: 'Deleting' },
          { code: 'PowerState/stopping', level: 'Info', displayStatus: 'VM stopping' },
        ],
        health: { code: 'HealthState/unknown', level: 'Info', displayStatus: 'The VM health is unknown' },
      };
  }
}

/** The instance view of a scale-set VM (`.../virtualMachines/{id}/instanceView`, or `$expand=instanceView`). */
export function vmInstanceView(inst: WorldInstance, now: number): Record<string, unknown> {
  const s = vmStates(inst, now);
  return {
    platformUpdateDomain: 0,
    platformFaultDomain: inst.index % 5,
    computerName: inst.nodeName,
    osName: 'ubuntu',
    osVersion: '22.04',
    vmAgent: {
      vmAgentVersion: '2.11.1.12',
      statuses: [{ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Ready' }],
    },
    vmHealth: { status: s.health },
    statuses: s.statuses,
  };
}

export function vmResource(
  pool: WorldPool,
  a: VmssAddress,
  inst: WorldInstance,
  opts: { instanceView: boolean; now: number },
): Record<string, unknown> {
  const s = vmStates(inst, opts.now);
  const properties: Record<string, unknown> = {
    latestModelApplied: true,
    modelDefinitionApplied: 'VirtualMachineScaleSet',
    vmId: uuidFrom(`vm:${inst.id}:${inst.launchedAt}`),
    osProfile: {
      computerName: inst.nodeName,
      adminUsername: 'azureuser',
      linuxConfiguration: { disablePasswordAuthentication: true, provisionVMAgent: true },
      secrets: [],
      allowExtensionOperations: true,
      requireGuestProvisionSignal: true,
    },
    provisioningState: s.provisioningState,
    timeCreated: iso(inst.launchedAt),
  };
  if (opts.instanceView) properties.instanceView = vmInstanceView(inst, opts.now);
  return {
    name: `${pool.name}_${inst.index}`,
    id: `${vmssId(a)}/virtualMachines/${inst.index}`,
    type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
    location: pool.region,
    tags: { ...(pool.tags ?? {}) },
    instanceId: String(inst.index),
    sku: { name: pool.instanceType, tier: 'Standard' },
    zones: [armZone(inst.zone)],
    properties,
  };
}
