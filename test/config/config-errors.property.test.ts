/**
 * Properties of the configuration loader's errors (shared/config/load.ts) over random valid variants of
 * config/demo.json (config-arbitraries.ts), each changed the way README.md ("Configuration") and the loader's
 * checks call invalid: every such change is refused with a `ConfigError` that names the file and the field
 * (`fleets[0].pools[1].warm`), cross-field issues are listed together, and no value anywhere makes the loader
 * fail with anything but a `ConfigError`. `PROP_RUNS` sets the runs per property (300 by default).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alarmRoutes } from '../../shared/config/routing.ts';
import { MODEL_PRESETS } from '../../shared/domain/capacity.ts';
import { DEFAULT_CATALOG } from '../../shared/domain/catalog-data.ts';
import { alarmRef } from '../../shared/domain/routing.ts';
import { CLOUD_OF_KIND, type PoolKind } from '../../shared/domain/types.ts';
import { DISK_PRICES, DISK_TYPES, WARM_STATES, WARM_STATES_OF_KIND } from '../../shared/domain/warm.ts';
import {
  clone,
  type Doc,
  type FleetDoc,
  issuePaths,
  type Json,
  load,
  type PoolDoc,
  validDoc,
} from './config-arbitraries.ts';

const RUNS = { numRuns: Number(process.env.PROP_RUNS ?? 300) };
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function accepted(doc: unknown) {
  const o = load(doc);
  if (!o.ok) throw new Error(`refused: ${o.error.message}`);
  return o.resolved;
}

/** Where a pool is: `fleets[fi].pools[pi]`. */
interface PoolAt {
  fi: number;
  pi: number;
  p: PoolDoc;
}
const poolsOf = (doc: Doc): PoolAt[] => doc.fleets.flatMap((f, fi) => f.pools.map((p, pi) => ({ fi, pi, p })));
const at = ({ fi, pi }: PoolAt) => `fleets[${fi}].pools[${pi}]`;
const warmKinds = (p: PoolDoc) => WARM_STATES_OF_KIND[p.kind];
const canWarm = (p: PoolDoc) => !!warmKinds(p) && p.capacityType !== 'spot';
const otherCloudDisk = (kind: PoolKind, n: number) => {
  const disks = DISK_TYPES.filter((d) => DISK_PRICES[d].cloud !== CLOUD_OF_KIND[kind]);
  return disks[n % disks.length]!;
};
const list = (doc: Doc, key: 'alarms' | 'schedules') => {
  const l = ((doc as Json)[key] as Json[] | undefined) ?? [];
  (doc as Json)[key] = l;
  return l;
};

/**
 * One invalid change to a valid configuration: it changes `doc` in place and returns the paths the error must
 * name, or undefined where it does not apply. `n` picks where; `taken` holds the pools earlier changes touched
 * (a second change leaves them alone, so it cannot undo the first).
 */
type Mutation = (doc: Doc, n: number, taken: Set<PoolDoc>) => string[] | undefined;

function pick(doc: Doc, n: number, taken: Set<PoolDoc>, ok: (p: PoolDoc) => boolean = () => true) {
  const free = poolsOf(doc).filter((x) => !taken.has(x.p) && ok(x.p));
  if (!free.length) return undefined;
  const x = free[n % free.length]!;
  taken.add(x.p);
  return x;
}

/** Changes the loader's cross-field checks find (all of them, in one error). */
const CROSS_FIELD: Record<string, Mutation> = {
  'a pool id given twice': (doc, n, taken) => {
    const a = pick(doc, n, taken);
    const b = pick(doc, n >> 3, taken);
    if (!a || !b) return undefined;
    const [first, later] = a.fi < b.fi || (a.fi === b.fi && a.pi < b.pi) ? [a, b] : [b, a];
    later.p.id = first.p.id;
    return [`${at(later)}.id`];
  },
  'a fleet id given twice': (doc, n) => {
    if (doc.fleets.length < 2) return undefined;
    const j = 1 + (n % (doc.fleets.length - 1));
    doc.fleets[j]!.id = doc.fleets[0]!.id;
    return [`fleets[${j}].id`];
  },
  'a cloud resource scaled by two pools': (doc, n, taken) => {
    const a = pick(doc, n, taken);
    if (!a) return undefined;
    // The copy goes after the original (the later of the two is named).
    const fi = a.fi + ((n >> 3) % (doc.fleets.length - a.fi));
    const pools = doc.fleets[fi]!.pools;
    const copy = { ...clone(a.p), id: 'copy-of-a-pool' };
    pools.push(copy);
    taken.add(copy);
    return [`fleets[${fi}].pools[${pools.length - 1}].resource`];
  },
  "a pool's min above its max": (doc, n, taken) => {
    const a = pick(doc, n, taken);
    if (!a) return undefined;
    a.p.min = (a.p.max as number) + 1 + (n % 5);
    return [`${at(a)}.min`];
  },
  'a reserved pool without its reservation': (doc, n, taken) => {
    const a = pick(doc, n, taken, (p) => p.kind !== 'k8s-deployment');
    if (!a) return undefined;
    a.p.capacityType = 'reserved';
    delete a.p.reservationId;
    return [`${at(a)}.reservationId`];
  },
  'a scale set or managed instance group without its scope': (doc, n, taken) => {
    const a = pick(doc, n, taken, (p) => ['azure-vmss', 'gcp-mig', 'gcp-regional-mig'].includes(p.kind));
    if (!a) return undefined;
    delete a.p.scope;
    return [`${at(a)}.scope`];
  },
  'a zonal managed instance group in two zones': (doc, n, taken) => {
    const a = pick(doc, n, taken, (p) => p.kind === 'gcp-mig');
    if (!a) return undefined;
    a.p.zones = ['us-central1-a', 'us-central1-b'];
    return [`${at(a)}.zones`];
  },
  'rules given both ways': (doc, n) => {
    const dir = n % 2 ? 'scaleUp' : 'scaleDown';
    const fi = (n >> 1) % (doc.fleets.length + 1);
    const rules = { stabilizationWindowSeconds: 60 };
    const both = (layer: Json | undefined): Json => ({
      ...layer,
      [dir]: rules,
      behavior: { ...(layer?.behavior as Json | undefined), [dir]: rules },
    });
    if (fi === doc.fleets.length) {
      doc.defaults = both(doc.defaults as Json | undefined);
      return [`defaults.behavior.${dir}`];
    }
    doc.fleets[fi]!.policy = both(doc.fleets[fi]!.policy);
    return [`fleets[${fi}].policy.behavior.${dir}`];
  },
  'a PromQL demand query without Prometheus': (doc, n) => {
    const fi = n % doc.fleets.length;
    doc.clouds = { ...(doc.clouds as Json | undefined), cloudwatch: { namespace: 'GpuFleet' } };
    delete (doc.clouds as Json).prometheus;
    doc.fleets[fi]!.demandQuery = 'sum(rate(requests_total[1m]))';
    return [`fleets[${fi}].demandQuery`];
  },
  'an alarm for no fleet': (doc) => {
    const alarms = list(doc, 'alarms');
    alarms.push({ alarm: 'orphan', fleetId: 'no-such-fleet' });
    return [`alarms[${alarms.length - 1}].fleetId`];
  },
  'an alarm for a pool its fleet lacks': (doc, n) => {
    const alarms = list(doc, 'alarms');
    // Fleet 0 keeps its id whatever else changes; another fleet's pool is not one of its pools.
    const others = doc.fleets.slice(1).flatMap((f) => f.pools.map((p) => p.id));
    const poolId =
      [...others.filter((id) => !doc.fleets[0]!.pools.some((p) => p.id === id)), 'no-such-pool'][
        n % (others.length + 1)
      ] ?? 'no-such-pool';
    alarms.push({ alarm: 'orphan', fleetId: doc.fleets[0]!.id, poolId });
    return [`alarms[${alarms.length - 1}].poolId`];
  },
  'a schedule for no fleet': (doc) => {
    const schedules = list(doc, 'schedules');
    const fleets = [doc.fleets[0]!.id, 'no-such-fleet'];
    schedules.push({ name: 'orphan', fleets, timeZone: 'UTC', start: '08:00', end: '18:00' });
    return [`schedules[${schedules.length - 1}].fleets[1]`];
  },
};

/** Changes the warm and disk checks find. */
const WARM: Record<string, Mutation> = {
  'warm capacity on a pool that cannot keep it': (doc, n, taken) => {
    const a = pick(doc, n, taken, (p) => !canWarm(p));
    if (!a) return undefined;
    a.p.warm = { max: 1 };
    return [`${at(a)}.warm`];
  },
  'a warm state the pool kind does not offer': (doc, n, taken) => {
    const a = pick(doc, n, taken, (p) => canWarm(p) && warmKinds(p)!.length < WARM_STATES.length);
    if (!a) return undefined;
    const states = WARM_STATES.filter((s) => !warmKinds(a.p)!.includes(s));
    a.p.warm = { max: 2, state: states[n % states.length] };
    return [`${at(a)}.warm.state`];
  },
  'warm min above the warm max': (doc, n, taken) => {
    const a = pick(doc, n, taken, canWarm);
    if (!a) return undefined;
    a.p.warm = { ...(a.p.warm as Json | undefined), min: 3 + (n % 4), max: 2 };
    return [`${at(a)}.warm.min`];
  },
  'a disk of another cloud': (doc, n, taken) => {
    const a = pick(doc, n, taken);
    if (!a) return undefined;
    a.p.diskType = otherCloudDisk(a.p.kind, n);
    return [`${at(a)}.diskType`];
  },
};

/** Changes only resolving finds (prices, throughput, merged policies). */
const RESOLUTION: Record<string, Mutation> = {
  "a fleet's minNodes above its maxNodes": (doc, n) => {
    const fi = n % doc.fleets.length;
    doc.fleets[fi]!.policy = { ...doc.fleets[fi]!.policy, minNodes: 9 + (n % 4), maxNodes: 8 };
    return [`fleets[${fi}].policy.minNodes`];
  },
  'an unknown workload preset': (doc, n) => {
    const fi = n % doc.fleets.length;
    doc.fleets[fi]!.workload = 'no-such-model';
    return [`fleets[${fi}].workload`];
  },
  'an instance type the catalog lacks, without a price': (doc, n, taken) => {
    const a = pick(doc, n, taken, (p) => p.kind !== 'k8s-deployment');
    if (!a) return undefined;
    a.p.instanceType = 'x9.huge';
    delete a.p.hourlyPrice;
    return [`${at(a)}.hourlyPrice`];
  },
  'an instance type the catalog lacks, with a price, without a throughput': (doc, n, taken) => {
    const a = pick(doc, n, taken, (p) => p.rpsPerNode === undefined);
    if (!a || doc.fleets[a.fi]!.workload === undefined) return undefined;
    a.p.instanceType = 'x9.huge';
    a.p.hourlyPrice = 1;
    return [`${at(a)}.instanceType`];
  },
  'neither a throughput nor a workload': (doc, n) => {
    const fi = n % doc.fleets.length;
    const f: FleetDoc = doc.fleets[fi]!;
    delete f.workload;
    const paths = f.pools.flatMap((p, pi) =>
      p.rpsPerNode === undefined ? [`fleets[${fi}].pools[${pi}].rpsPerNode`] : [],
    );
    return paths.length ? paths : undefined;
  },
};

const SINGLE = { ...CROSS_FIELD, ...WARM, ...RESOLUTION };

describe('configuration: invalid changes', () => {
  it('refuses each invalid change with a ConfigError naming the file and the field', () => {
    fc.assert(
      fc.property(validDoc, fc.constantFrom(...Object.keys(SINGLE)), fc.nat(), (generated, name, n) => {
        const doc = clone(generated);
        const paths = SINGLE[name]!(doc, n, new Set());
        fc.pre(paths !== undefined);
        const o = load(doc);
        expect(issuePaths(o)).toEqual(expect.arrayContaining(paths!));
        if (!o.ok) expect(o.error.message).toMatch(/^c\.json: /);
      }),
      RUNS,
    );
  });

  it('lists the issues of several cross-field changes together, each with its path, warm and disk ones included', () => {
    // A counterexample the property found: a warm state a kind does not offer hid every other issue (it threw).
    const changesOf = { ...CROSS_FIELD, ...WARM };
    fc.assert(
      fc.property(
        validDoc,
        fc.array(fc.tuple(fc.constantFrom(...Object.keys(changesOf)), fc.nat()), { minLength: 2, maxLength: 4 }),
        (generated, changes) => {
          const doc = clone(generated);
          const taken = new Set<PoolDoc>();
          const paths = changes.flatMap(([name, n]) => changesOf[name]!(doc, n, taken) ?? []);
          fc.pre(paths.length > 0);
          expect(issuePaths(load(doc))).toEqual(expect.arrayContaining(paths));
        },
      ),
      RUNS,
    );
  });

  it('lists every fleet and pool that cannot be resolved together, each with its path', () => {
    // Changes that cannot hide one another (a pool without a price fails before its throughput is looked for).
    const together = [
      "a fleet's minNodes above its maxNodes",
      'an unknown workload preset',
      'an instance type the catalog lacks, without a price',
    ];
    fc.assert(
      fc.property(
        validDoc,
        fc.array(fc.tuple(fc.constantFrom(...together), fc.nat()), { minLength: 2, maxLength: 4 }),
        (generated, changes) => {
          const doc = clone(generated);
          const taken = new Set<PoolDoc>();
          const paths = changes.flatMap(([name, n]) => RESOLUTION[name]!(doc, n, taken) ?? []);
          fc.pre(paths.length > 0);
          expect(issuePaths(load(doc))).toEqual(expect.arrayContaining(paths));
        },
      ),
      RUNS,
    );
  });

  /** Every place in a document: objects' keys and arrays' items, as a path of keys. */
  const places = (v: unknown, path: Array<string | number> = []): Array<Array<string | number>> => {
    if (Array.isArray(v)) return [path, ...v.flatMap((x, i) => places(x, [...path, i]))];
    if (v && typeof v === 'object') return [path, ...Object.entries(v).flatMap(([k, x]) => places(x, [...path, k]))];
    return [path];
  };
  const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty'];
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(...PROTO_NAMES, -1, 0, 0.5, '', ' ', 'x'));

  it('never fails other than with a ConfigError, whatever one value becomes', () => {
    fc.assert(
      fc.property(validDoc, fc.nat(), fc.option(anyValue, { nil: undefined }), (generated, n, value) => {
        const doc = clone(generated);
        const all = places(doc).filter((p) => p.length > 0);
        const path = all[n % all.length]!;
        const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], doc) as Record<
          string | number,
          unknown
        >;
        const key = path.at(-1)!;
        if (value === undefined && !Array.isArray(parent)) delete parent[key];
        else parent[key] = json(value ?? null);
        const o = load(doc);
        if (o.ok) return;
        expect(o.error.message).toMatch(/^c\.json: /);
        for (const i of o.error.issues) {
          expect(typeof i.path).toBe('string');
          expect(i.message.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  it('accepts a fleet renamed everywhere (its alarms and schedules) to any id of the documented form', () => {
    fc.assert(
      fc.property(
        validDoc,
        fc.nat(),
        // `constructor`: the schedules by fleet were a plain object, and loading crashed (a TypeError).
        fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/), fc.constantFrom('constructor', 'hasownproperty')),
        (generated, n, id) => {
          const doc = clone(generated);
          const fi = n % doc.fleets.length;
          fc.pre(doc.fleets.every((f) => f.id !== id));
          const old = doc.fleets[fi]!.id;
          doc.fleets[fi]!.id = id;
          for (const a of list(doc, 'alarms')) if (a.fleetId === old) a.fleetId = id;
          const schedules = list(doc, 'schedules');
          schedules.push({ name: 'renamed', fleets: [old], timeZone: 'UTC', start: '08:00', end: '18:00' });
          for (const s of schedules) s.fleets = (s.fleets as string[]).map((f) => (f === old ? id : f));
          const r = accepted(doc);
          expect(r.fleets[fi]!.id).toBe(id);
          expect(r.schedules[id]!.at(-1)!.name).toBe('renamed');
        },
      ),
      RUNS,
    );
  });

  const NAMES = fc.oneof(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.constantFrom('constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty'),
  );

  it('refuses a cloud resource scaled by two pools, whatever cluster or scope they name', () => {
    // An AWS group named by a second pool with another cluster or scope was accepted: two pools undoing each other.
    fc.assert(
      fc.property(validDoc, fc.nat(), fc.constantFrom('cluster', 'scope'), (g, n, field) => {
        const doc = clone(g);
        const all = poolsOf(doc).filter((x) => CLOUD_OF_KIND[x.p.kind] === 'aws');
        fc.pre(all.length > 0);
        const a = all[n % all.length]!;
        const pools = doc.fleets.at(-1)!.pools;
        pools.push({ ...clone(a.p), id: 'copy-of-a-pool', [field]: `other-${String(a.p[field] ?? '')}` });
        expect(issuePaths(load(doc))).toContain(`fleets[${doc.fleets.length - 1}].pools[${pools.length - 1}].resource`);
      }),
      RUNS,
    );
  });

  it('refuses a workload naming no preset at the workload, prototype names included', () => {
    fc.assert(
      fc.property(validDoc, fc.nat(), NAMES, (g, n, name) => {
        const doc = clone(g);
        fc.pre(!Object.hasOwn(MODEL_PRESETS, name));
        const fi = n % doc.fleets.length;
        doc.fleets[fi]!.workload = name;
        fc.pre(doc.fleets[fi]!.pools.some((p) => p.rpsPerNode === undefined));
        expect(issuePaths(load(doc))).toContain(`fleets[${fi}].workload`);
      }),
      RUNS,
    );
  });

  it('resolves an instance type the catalog lacks as unknown, whatever its name', () => {
    fc.assert(
      fc.property(validDoc, fc.nat(), NAMES, (g, n, name) => {
        const doc = clone(g);
        fc.pre(!Object.hasOwn(DEFAULT_CATALOG.instanceTypes, name));
        const all = poolsOf(doc);
        const a = all[n % all.length]!;
        Object.assign(a.p, { instanceType: name, hourlyPrice: 1, rpsPerNode: 1 });
        delete a.p.tags;
        const pool = accepted(doc).fleets[a.fi]!.pools[a.pi]!;
        expect(pool.gpusPerNode).toBe(1);
        expect(pool.gpuModel).toBe('unknown');
      }),
      RUNS,
    );
  });

  it('routes every alarm name to its first mapping, whatever the names', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            alarm: fc.oneof(fc.string({ minLength: 1, maxLength: 4 }), fc.constantFrom('__proto__', 'constructor')),
            fleetId: fc.constantFrom('f', 'g'),
          }),
          { maxLength: 8 },
        ),
        (alarms) => {
          const routes = alarmRoutes(alarms.map((a) => ({ ...a })));
          const exact = alarms.filter((a) => !a.alarm.endsWith('*'));
          for (const a of exact)
            expect(alarmRef(routes, a.alarm)).toEqual({ fleetId: exact.find((b) => b.alarm === a.alarm)!.fleetId });
        },
      ),
      RUNS,
    );
  });

  it('names the defaults when a fleet inherits minNodes above maxNodes (not a fleet field the file does not have)', () => {
    fc.assert(
      fc.property(validDoc, fc.nat(8), (g, k) => {
        const doc = clone(g);
        doc.defaults = { ...(doc.defaults as Json), minNodes: 9 + k, maxNodes: 8 };
        for (const f of doc.fleets)
          if (f.policy) {
            delete f.policy.minNodes;
            delete f.policy.maxNodes;
          }
        const paths = issuePaths(load(doc));
        expect(paths).toContain('defaults.minNodes');
        expect(paths.filter((p) => p === 'defaults.minNodes')).toHaveLength(1);
        expect(paths.some((p) => /^fleets\[\d+\]\.policy\.(min|max)Nodes$/.test(p))).toBe(false);
      }),
      RUNS,
    );
  });

  it('merges maxPerCloud cloud by cloud: a fleet that caps one cloud keeps the file-wide caps of the others', () => {
    const clouds = fc.dictionary(fc.constantFrom('aws', 'azure', 'gcp', 'kubernetes'), fc.nat(32), { minKeys: 1 });
    fc.assert(
      fc.property(validDoc, clouds, clouds, (g, d, f) => {
        const doc = clone(g);
        const dl = (doc.defaults ?? {}) as Json;
        const fl = doc.fleets[0]!.policy ?? {};
        doc.defaults = { ...dl, placement: { ...(dl.placement as Json), maxPerCloud: d } };
        doc.fleets[0]!.policy = { ...fl, placement: { ...(fl.placement as Json), maxPerCloud: f } };
        expect(accepted(doc).fleets[0]!.policy.placement.maxPerCloud).toEqual({ ...d, ...f });
      }),
      RUNS,
    );
  });
});
