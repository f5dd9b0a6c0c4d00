/**
 * A Compute client file is CommonJS: Node's `import()` gives its exports by name, while a bundled function's
 * chunk (esbuild, code splitting, as `sst deploy` builds it) exports only `default`. `named` reads both.
 */
import { describe, expect, it } from 'vitest';
import { GcpCapacity } from '../../shared/adapters/gcp/capacity.ts';
import { named } from '../../shared/adapters/gcp/clients.ts';

class Client {}

describe('named (a Compute client export, imported natively or from a bundle)', () => {
  const cases: Array<{ name: string; module: object; expected: unknown }> = [
    { name: "Node's import(): the export by name", module: { Client, default: { Client } }, expected: Client },
    { name: "a bundle's chunk: only default", module: { default: { Client } }, expected: Client },
  ];
  it.each(cases)('$name', ({ module, expected }) => {
    expect(named(module as { Client: typeof Client }, 'Client')).toBe(expected);
  });

  it('a module without the export is an error naming it', () => {
    expect(() => named({ default: {} } as { Client?: typeof Client }, 'Client')).toThrow(/no export 'Client'/);
  });
});

describe('GcpCapacity.preload (during init)', () => {
  it('builds the clients a decision uses and calls none of them', async () => {
    const built: string[] = [];
    const client = (name: string) => async () => {
      built.push(name);
      // A client whose calls fail: preload must only build it.
      const fail = () => Promise.reject(new Error(`${name} called`));
      return { get: fail, resize: fail, listManagedInstances: fail, wait: fail } as never;
    };
    const clients = {
      zonalMigs: client('zonalMigs'),
      regionalMigs: client('regionalMigs'),
      zoneOperations: client('zoneOperations'),
      regionOperations: client('regionOperations'),
      instanceTemplates: client('instanceTemplates'),
      instances: client('instances'),
      regionInstanceTemplates: client('regionInstanceTemplates'),
      reservations: client('reservations'),
      close: async () => undefined,
    };
    const capacity = new GcpCapacity({
      clients,
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      poll: { intervalMs: 1, timeoutMs: 10 },
      pageSize: 500,
      clock: () => 0,
    });
    await capacity.preload();
    // The instances client too: a notice is checked against the instance's own status before acting.
    expect(built.sort()).toEqual(['instances', 'regionOperations', 'regionalMigs', 'zonalMigs', 'zoneOperations']);
  });
});
