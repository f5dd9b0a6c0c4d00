/**
 * Dependency hygiene: every runtime dependency is imported by the project's own code, and each SDK family
 * (AWS SDK v3, Powertools) is on one version line, so one copy of its shared core is installed and bundled.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './events/support.ts';

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const SOURCE_DIRS = ['functions', 'events', 'shared', 'stacks', 'local', 'bin', 'bench', 'agent'];

function sources(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return n === 'node_modules' ? [] : sources(p);
    return /\.(ts|mjs|js)$/.test(n) ? [p] : [];
  });
}

describe('dependencies', () => {
  const code = [...SOURCE_DIRS.flatMap((d) => sources(path.join(REPO_ROOT, d))), path.join(REPO_ROOT, 'sst.config.ts')]
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');

  const imported = (name: string) =>
    new RegExp(`(from |import\\(|require\\()'${name.replace(/[/.]/g, '\\$&')}(/[^']*)?'`).test(code);
  /** Peer dependencies of what the code imports (commander for its typings) must be installed too. */
  const peers = new Set(
    Object.keys(pkg.dependencies)
      .filter(imported)
      .flatMap((d) => {
        const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', d, 'package.json'), 'utf8'));
        return Object.keys((manifest as { peerDependencies?: Record<string, string> }).peerDependencies ?? {});
      }),
  );

  it.each(Object.keys(pkg.dependencies))(
    '%s is imported by the code (or is the peer of a dependency that is)',
    (name) => {
      expect(imported(name) || peers.has(name), `${name} is a dependency that nothing imports`).toBe(true);
    },
  );

  it.each(['@aws-sdk/', '@aws-lambda-powertools/'])('every %s package is on one version', (prefix) => {
    const versions = Object.entries(pkg.dependencies).filter(([n]) => n.startsWith(prefix));
    expect(versions.length).toBeGreaterThan(1);
    expect(new Set(versions.map(([, v]) => v)), JSON.stringify(versions)).toHaveProperty('size', 1);
  });
});
