/**
 * A Compute client file is CommonJS: Node's `import()` gives its exports by name, while a bundled function's
 * chunk (esbuild, code splitting, as `sst deploy` builds it) exports only `default`. `named` reads both.
 */
import { describe, expect, it } from 'vitest';
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
