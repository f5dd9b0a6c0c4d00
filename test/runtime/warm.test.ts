/**
 * The interruption path does not wait for a cold start: `warm()` builds the dependencies and loads every
 * adapter the configuration's pools use during init (no cloud is called).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/app/deps.ts';

import { productionDeps } from '../../shared/runtime/production.ts';
import { localHandler } from '../../local/handler.ts';

const demo = fileURLToPath(new URL('../../config/demo.json', import.meta.url));
const env = { AUTOSCALER_CONFIG_FILE: demo, TABLE_NAME: 't', AWS_REGION: 'us-east-1' };

describe('warm', () => {
  it('loads the adapters of every pool and cluster of the configuration, once, calling no cloud', async () => {
    let built = 0;
    const seen: { pools: number; clusters: string[] }[] = [];
    const handler = localHandler({
      trigger: 'spot-interruption',
      deps: async () => {
        built += 1;
        const deps = await productionDeps(silentLogger, env);
        const clouds = deps.clouds as typeof deps.clouds & {
          preload(p: readonly unknown[], c: readonly string[]): Promise<void>;
        };
        const real = clouds.preload.bind(clouds);
        clouds.preload = async (p, c) => {
          seen.push({ pools: p.length, clusters: [...c] });
          await real(p as never, c);
        };
        return deps;
      },
    });
    await handler.warm();
    const deps = await productionDeps(silentLogger, env);
    expect(built).toBe(1);
    expect(seen).toEqual([{ pools: deps.resolved.fleets.flatMap((f) => f.pools).length, clusters: ['gpu-demo'] }]);
  });

  it('a preloaded adapter is built: the pool answers without importing anything more', async () => {
    const deps = await productionDeps(silentLogger, env);
    const clouds = deps.clouds as typeof deps.clouds & { preload(p: unknown[], c: string[]): Promise<void> };
    const pools = deps.resolved.fleets.flatMap((f) => f.pools);
    await clouds.preload(pools, []);
    // Every cloud of the demo (AWS, Azure, GCP) has its adapter module in the import cache now: a second
    // preload resolves at once (each loader runs once).
    const started = performance.now();
    await clouds.preload(pools, []);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
