/**
 * The project's own event fixtures, `events/samples/<source>/<name>.json`: written from the documented shapes
 * with our own ids and values, one `valid` and one `invalid` case per source at least. Tests, the functions'
 * end-to-end tests and the simulation read them here (the simulation turns them into live events by
 * replacing ids and times). Each call returns a fresh copy: change it freely.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const SAMPLES_DIR = path.join(import.meta.dirname, 'samples');

export interface SampleRef {
  source: string;
  name: string;
  file: string;
}

/** One sample, parsed from disk (so never shared between callers). */
export function loadSample<T = unknown>(source: string, name = 'valid'): T {
  if (!/^[a-z0-9-]+$/.test(source) || !/^[a-z0-9-]+$/.test(name))
    throw new Error(`loadSample: bad sample reference ${source}/${name}`);
  return JSON.parse(readFileSync(path.join(SAMPLES_DIR, source, `${name}.json`), 'utf8')) as T;
}

/** Every sample, sorted by source then name. */
export function listSamples(): SampleRef[] {
  return readdirSync(SAMPLES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(path.join(SAMPLES_DIR, d.name))
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ source: d.name, name: f.slice(0, -'.json'.length), file: path.join(SAMPLES_DIR, d.name, f) })),
    )
    .sort((a, b) => a.source.localeCompare(b.source) || a.name.localeCompare(b.name));
}
