import { describe, expect, it } from 'vitest';
import { folderOf, foldersOf } from '../../bench/bundles.ts';

describe('the folders a bundle contains', () => {
  it.each([
    ['a handler', 'functions/alarm.ts', 'functions'],
    ['a part of shared/', 'shared/app/triggers/alarm.ts', 'shared/app'],
    ['an adapter, by its cloud', 'shared/adapters/gcp/retry.ts', 'shared/adapters/gcp'],
    ["the adapters' own module", 'shared/adapters/retry.ts', 'shared/adapters'],
    ['an event schema', 'events/schemas/aws/sns.ts', 'events'],
    ['local tooling', 'local/emulators/world.ts', 'local'],
    ['a package', 'node_modules/undici/lib/web/fetch/index.js', 'node_modules/undici'],
    ['a scoped package', 'node_modules/@aws-sdk/client-ec2/dist-es/index.js', 'node_modules/@aws-sdk/client-ec2'],
    // A dependency of a dependency counts as the innermost package.
    ['a nested package', 'node_modules/a/node_modules/@s/b/x.js', 'node_modules/@s/b'],
    ['a file at the root', 'package.json', '.'],
    ["esbuild's shims", '<runtime>', '(esbuild)'],
  ])('%s: %s -> %s', (_, input, expected) => {
    expect(folderOf(input)).toBe(expected);
  });

  it('adds up the bytes per folder and per package, sorted by name', () => {
    const bytes = new Map([
      ['shared/app/a.ts', 100],
      ['shared/app/b.ts', 50],
      ['events/x.ts', 10],
      ['node_modules/zod/index.js', 7],
    ]);
    expect(foldersOf(bytes)).toEqual({
      folders: [
        ['events', 10],
        ['shared/app', 150],
      ],
      packages: [['zod', 7]],
    });
  });
});
