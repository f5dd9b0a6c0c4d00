/**
 * A pool's time to ready learned from its own launches (boot-times.ts): followed from the first sight of a young
 * instance starting to the first sight of it serving, sampled at a lower bound, and counted only where longer
 * than the configuration says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InstanceLifecycle, ObservedInstance } from '../../shared/domain/ports.ts';
import type { ScheduleWindow } from '../../shared/domain/types.ts';
import {
  BOOT_MEMORY_SECONDS,
  BOOT_MIN_SAMPLES,
  BOOT_SAMPLES,
  type BootState,
  learnedResumeSeconds,
  learnedTimeToReady,
  updateBoots,
  withLearnedTimeToReady,
} from '../../shared/engine/boot-times.ts';
import { decide } from '../../shared/engine/decide.ts';
import { at, fleet, input, pool, T0, warmSpec } from './fixtures.ts';

const P = pool({ id: 'g5', timeToReadySeconds: 600 });
/** The same pool with warm capacity resuming in 120 s. */
const W = pool({ id: 'g5', timeToReadySeconds: 600, warm: warmSpec() });
const inst = (id: string, launchedAtS: number, lifecycle: InstanceLifecycle): ObservedInstance => ({
  id,
  capacityType: 'on-demand',
  lifecycle,
  launchedAt: at(launchedAtS),
});
const when = (s: number) => new Date(T0.getTime() + s * 1000);
/** The state after observing `seen` at each time in turn (seconds from T0). */
function observe(steps: Array<[number, ObservedInstance[]]>, state?: BootState): BootState {
  let s = state;
  for (const [t, seen] of steps) s = updateBoots(s, [P], new Map([['g5', seen]]), when(t));
  return s!;
}
/** State with `seconds` as completed launches of g5. */
const samples = (...seconds: number[]): BootState => ({
  booting: {},
  samples: { g5: seconds.map((s) => ({ seconds: s, at: at(0) })) },
});

describe('following launches', () => {
  it('samples a launch at the last time it was seen not serving: a lower bound of what it took', () => {
    const s = observe([
      [60, [inst('i-1', 0, 'pending')]],
      [360, [inst('i-1', 0, 'running')]],
      [660, [inst('i-1', 0, 'running')]],
      [960, [inst('i-1', 0, 'ready')]],
    ]);
    expect(s.samples.g5).toEqual([{ seconds: 660, at: at(960) }]);
    expect(s.booting.g5).toBeUndefined();
  });

  it.each([
    // A warm node resumed on a cloud that keeps its creation time, or one from before the fleet's state.
    { name: 'first seen older than the time to ready: its start is unknown', launched: -3600, lifecycle: 'running' },
    { name: 'first seen serving: nothing to follow', launched: 0, lifecycle: 'ready' },
  ] as const)('follows no instance $name', ({ launched, lifecycle }) => {
    const s = observe([
      [60, [inst('i-1', launched, lifecycle)]],
      [400, [inst('i-1', launched, 'ready')]],
    ]);
    expect(s.samples.g5).toBeUndefined();
    expect(s.booting.g5).toBeUndefined();
  });

  it('drops a launch that ends before it serves (a failure, not a slow boot), and one no longer listed', () => {
    const s = observe([
      [60, [inst('i-1', 0, 'pending'), inst('i-2', 0, 'pending')]],
      [360, [inst('i-1', 0, 'terminating')]],
      [700, [inst('i-1', 0, 'terminated')]],
    ]);
    expect(s.samples.g5).toBeUndefined();
    expect(s.booting.g5).toBeUndefined();
  });

  it('follows a warm node resuming as a resume, not a launch: the previous observation listed it warm', () => {
    const warmAt = (ids: string[]) => new Map([['g5', ids]]);
    let s = updateBoots(undefined, [W], new Map([['g5', []]]), when(0), warmAt(['i-w', 'i-x']));
    expect(s.warm).toEqual({ g5: { ids: ['i-w', 'i-x'], at: at(0) } });
    // i-w resumes (launched at 50 s, after the previous observation: EC2's LaunchTime at its start), i-n is new.
    s = updateBoots(
      s,
      [W],
      new Map([['g5', [inst('i-w', 50, 'pending'), inst('i-n', 50, 'pending')]]]),
      when(60),
      warmAt(['i-x']),
    );
    expect(Object.keys(s.booting.g5 ?? {})).toEqual(['i-n']);
    expect(s.resuming).toEqual({ g5: { 'i-w': { startedAt: at(50), seenAt: at(60) } } });
    expect(s.warm).toEqual({ g5: { ids: ['i-x'], at: at(60) } });
    s = updateBoots(s, [W], new Map([['g5', [inst('i-w', 50, 'running'), inst('i-n', 50, 'running')]]]), when(200));
    s = updateBoots(s, [W], new Map([['g5', [inst('i-w', 50, 'ready'), inst('i-n', 50, 'running')]]]), when(300));
    // At least 200 - 50 s to serve once resumed; not a launch's sample.
    expect(s.resumes).toEqual({ g5: [{ seconds: 150, at: at(300) }] });
    expect(s.samples.g5).toBeUndefined();
    // A pool not observed keeps what it knew.
    expect(updateBoots(s, [W], new Map(), when(400)).resumes).toEqual(s.resumes);
  });

  it('takes a resume to have started when first seen starting where the cloud keeps the creation time', () => {
    // Azure's timeCreated, GCP's creation: long before the previous observation.
    let s = updateBoots(undefined, [W], new Map([['g5', []]]), when(0), new Map([['g5', ['vm-1']]]));
    s = updateBoots(s, [W], new Map([['g5', [inst('vm-1', -86_400, 'running')]]]), when(60));
    expect(s.resuming).toEqual({ g5: { 'vm-1': { startedAt: at(60), seenAt: at(60) } } });
    s = updateBoots(s, [W], new Map([['g5', [inst('vm-1', -86_400, 'running')]]]), when(300));
    s = updateBoots(s, [W], new Map([['g5', [inst('vm-1', -86_400, 'ready')]]]), when(400));
    expect(s.resumes).toEqual({ g5: [{ seconds: 240, at: at(400) }] });
    // Never followed as a launch: its creation is a day old.
    expect(s.samples.g5).toBeUndefined();
  });

  it('takes a warm listing of the same instant (an observation delivered again) for no previous observation', () => {
    const seen = new Map([['g5', [inst('vm-1', -86_400, 'running')]]]);
    const warm = new Map([['g5', ['vm-1']]]);
    let s = updateBoots(undefined, [W], seen, when(60), warm);
    s = updateBoots(s, [W], seen, when(60), warm);
    expect(s.resuming).toBeUndefined();
  });

  it('takes an instance started again outside the warm capacity (stopped and started by hand) as a new launch', () => {
    const s = observe([
      [60, [inst('i-1', 0, 'running')]],
      // Stopped and started again at 500: its launch time moved.
      [560, [inst('i-1', 500, 'running')]],
      [700, [inst('i-1', 500, 'ready')]],
    ]);
    expect(s.samples.g5).toEqual([{ seconds: 60, at: at(700) }]);
  });

  describe('an instance listed without a launch time (a GCP managed instance group)', () => {
    /** An instance without a launch time. */
    const bare = (id: string, lifecycle: InstanceLifecycle): ObservedInstance => ({
      id,
      capacityType: 'on-demand',
      lifecycle,
    });

    it('is followed from its first sight where the previous observation did not list it: a lower bound', () => {
      const s = observe([
        [0, [bare('old', 'ready')]],
        [300, [bare('old', 'ready'), bare('new', 'pending')]],
        [600, [bare('old', 'ready'), bare('new', 'running')]],
        [900, [bare('old', 'ready'), bare('new', 'ready')]],
      ]);
      // Launched after 0 s, first seen at 300 s, last seen starting at 600 s: at least 300 s.
      expect(s.samples.g5).toEqual([{ seconds: 300, at: at(900) }]);
      expect(s.booting.g5).toBeUndefined();
      expect(s.listed).toEqual({ g5: { ids: ['old', 'new'], at: at(900) } });
    });

    it('is followed when the pool listed no instance before (a group scaled from zero)', () => {
      const s = observe([
        [0, []],
        [60, [bare('a', 'pending')]],
        [500, [bare('a', 'ready')]],
      ]);
      expect(s.samples.g5).toEqual([{ seconds: 0, at: at(500) }]);
    });

    it.each([
      {
        name: 'at the first observation of its pool: its start is unknown',
        first: [] as [number, ObservedInstance[]][],
      },
      {
        name: 'listed starting by the previous observation too',
        first: [[0, [bare('a', 'running')]]] as [number, ObservedInstance[]][],
      },
    ])('is not followed $name', ({ first }) => {
      const s = observe([...first, [300, [bare('a', 'running')]], [600, [bare('a', 'ready')]]]);
      expect(s.samples.g5).toBeUndefined();
    });

    it('is dropped when it ends before serving, and its pool learns its time to ready from three', () => {
      let s = observe([
        [0, []],
        [60, [bare('x', 'pending')]],
        [360, [bare('x', 'terminated')]],
      ]);
      expect(s.booting.g5).toBeUndefined();
      for (const [k, id] of ['a', 'b', 'c'].entries()) {
        const t0 = 1000 * (k + 1);
        s = observe(
          [
            [t0, [bare(id, 'pending')]],
            [t0 + 900, [bare(id, 'running')]],
            [t0 + 960, [bare(id, 'ready')]],
          ],
          s,
        );
      }
      expect(s.samples.g5?.map((x) => x.seconds)).toEqual([900, 900, 900]);
      expect(learnedTimeToReady(P, s)).toEqual({ configured: 600, observed: 900, launches: 3 });
    });
  });

  it('keeps what it knows of a pool this observation did not list, and forgets launches older than its memory', () => {
    const before: BootState = {
      booting: { g5: { 'i-9': { launchedAt: at(0), seenAt: at(60) } } },
      samples: {
        g5: [
          { seconds: 700, at: at(-BOOT_MEMORY_SECONDS) },
          { seconds: 650, at: at(0) },
        ],
      },
    };
    const s = updateBoots(before, [P], new Map(), when(120));
    expect(s.booting).toEqual(before.booting);
    expect(s.samples.g5).toEqual([{ seconds: 650, at: at(0) }]);
    // A pool the fleet no longer has: what was known of it goes.
    expect(updateBoots(before, [pool({ id: 'other' })], new Map(), when(120))).toEqual({ booting: {}, samples: {} });
  });

  it(`keeps the last ${BOOT_SAMPLES} launches of a pool`, () => {
    let s: BootState | undefined;
    for (let k = 0; k < BOOT_SAMPLES + 5; k++) {
      const t0 = k * 1000;
      s = observe(
        [
          [t0 + 10, [inst(`i-${k}`, t0, 'pending')]],
          [t0 + 10 + k, [inst(`i-${k}`, t0, 'ready')]],
        ],
        s,
      );
    }
    expect(s!.samples.g5).toHaveLength(BOOT_SAMPLES);
    expect(s!.samples.g5![0]!.seconds).toBe(10);
  });

  it('never samples more than a launch took (property: the sample is at most its time to serve)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 12 }),
        (took, gaps) => {
          // One launch at 0 that serves at `took`, observed at the times the gaps add up to.
          let t = 0;
          const steps: Array<[number, ObservedInstance[]]> = [];
          for (const g of gaps) {
            t += g;
            steps.push([t, [inst('i-1', 0, t >= took ? 'ready' : 'running')]]);
          }
          const s = observe(steps);
          for (const x of s.samples.g5 ?? []) expect(x.seconds).toBeLessThanOrEqual(took);
        },
      ),
    );
  });
});

describe('following launches (properties)', () => {
  const lifecycles = ['pending', 'running', 'ready', 'terminating', 'terminated'] as const;
  /** Observations of up to 4 instances over time, each instance at a random lifecycle and launch time. */
  const observations = fc.array(
    fc.tuple(
      fc.integer({ min: 1, max: 600 }),
      // A cloud lists an instance once.
      fc.uniqueArray(
        // A launch time of -1: none listed (a GCP managed instance group's list).
        fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(...lifecycles), fc.integer({ min: -1, max: 3 })),
        { maxLength: 4, selector: ([id]) => id },
      ),
      fc.subarray([0, 1, 2, 3]),
    ),
    { minLength: 1, maxLength: 12 },
  );
  /** The state after each observation in turn, each a gap after the one before; `twice` applies each two times. */
  type Observations = Array<[number, Array<[number, InstanceLifecycle, number]>, number[]]>;
  function run(obs: Observations, twice: boolean) {
    let s: BootState | undefined;
    let t = 0;
    const states: BootState[] = [];
    for (const [gap, seen, warm] of obs) {
      t += gap;
      const list = seen.map(([id, lifecycle, launch]) => {
        const i = inst(`i-${id}`, t - launch * 200, lifecycle);
        return launch < 0 ? { ...i, launchedAt: undefined } : i;
      });
      const w = new Map([['g5', warm.map((id) => `i-${id}`)]]);
      s = updateBoots(s, [W], new Map([['g5', list]]), when(t), w);
      if (twice) s = updateBoots(s, [W], new Map([['g5', list]]), when(t), w);
      states.push(s);
    }
    return states;
  }

  it('an observation delivered twice at the same instant adds no sample (decisions at one instant, retried ones)', () => {
    fc.assert(
      fc.property(observations, (obs) => {
        const once = run(obs, false);
        const twice = run(obs, true);
        expect(twice.map((s) => [s.samples, s.resumes])).toEqual(once.map((s) => [s.samples, s.resumes]));
      }),
    );
  });

  it('every sample is at least 0 and at most the time since the first observation', () => {
    fc.assert(
      fc.property(observations, (obs) => {
        const states = run(obs, false);
        const span = obs.reduce((n, [gap]) => n + gap, 0);
        for (const s of states)
          for (const x of [...Object.values(s.samples), ...Object.values(s.resumes ?? {})].flat()) {
            expect(x.seconds).toBeGreaterThanOrEqual(0);
            expect(x.seconds).toBeLessThanOrEqual(span + 600);
          }
      }),
    );
  });
});

describe('the time to ready a pool counts', () => {
  it.each([
    {
      name: `fewer than ${BOOT_MIN_SAMPLES} launches: the configuration's`,
      state: samples(900, 950),
      expected: undefined,
    },
    {
      name: 'launches faster than configured: the configuration stays the floor',
      state: samples(300, 400, 500),
      expected: undefined,
    },
    // Ten launches: the 90th percentile (nearest rank) is the 9th, 900 s.
    {
      name: 'slower launches: the 90th percentile of what they took',
      state: samples(600, 650, 700, 720, 750, 800, 820, 850, 900, 2000),
      expected: { configured: 600, observed: 900, launches: 10 },
    },
  ])('$name', ({ state, expected }) => {
    expect(learnedTimeToReady(P, state)).toEqual(expected);
  });

  it("counts a warm pool's resume time as its resumes have shown it, where longer than configured", () => {
    const resumes = (...seconds: number[]): BootState => ({
      booting: {},
      samples: {},
      resumes: { g5: seconds.map((x) => ({ seconds: x, at: at(0) })) },
    });
    expect(learnedResumeSeconds(W, resumes(60, 90, 100))).toBeUndefined();
    expect(learnedResumeSeconds(W, resumes(200, 240, 300))).toEqual({ configured: 120, observed: 300, resumes: 3 });
    expect(learnedResumeSeconds(P, resumes(200, 240, 300))).toBeUndefined();
    const f = withLearnedTimeToReady(fleet([W]), resumes(200, 240, 300));
    expect(f.pools[0]!.warm).toMatchObject({ resumeSeconds: 300, resumeLearned: { configured: 120, observed: 300 } });
    expect(f.pools[0]!.timeToReadySeconds).toBe(600);
  });

  it('puts it on the pool, the configured one kept beside it; a fleet with nothing learned is returned as is', () => {
    const f = fleet([P, pool({ id: 'other', timeToReadySeconds: 600 })]);
    const learned = withLearnedTimeToReady(f, samples(900, 900, 900));
    expect(learned.pools[0]).toMatchObject({
      timeToReadySeconds: 900,
      timeToReadyLearned: { configured: 600, observed: 900 },
    });
    expect(learned.pools[1]).toBe(f.pools[1]);
    expect(withLearnedTimeToReady(f, samples(300, 300, 300))).toBe(f);
  });
});

describe('a decision with a learned time to ready', () => {
  // T0 is Monday 12:00 UTC; a window at 12:20 needs 6 nodes.
  const window: ScheduleWindow = { name: 'bh', timeZone: 'UTC', days: [1], start: '12:20', end: '18:00', minNodes: 6 };
  const decideWith = (state: BootState | undefined) =>
    decide(
      input(
        withLearnedTimeToReady(
          fleet([pool({ id: 'g5', desired: 2, timeToReadySeconds: 600 })], { metrics: [] }),
          state,
        ),
        {
          schedule: [window],
          demand: { rps: 10 },
        },
      ),
      T0,
    );

  it("says so of a warm pool's resume time", () => {
    const state: BootState = {
      booting: {},
      samples: {},
      resumes: { g5: [200, 240, 300].map((x) => ({ seconds: x, at: at(0) })) },
    };
    const plan = decide(
      input(withLearnedTimeToReady(fleet([{ ...W, desired: 2, ready: 2 }]), state), { demand: { rps: 10 } }),
      T0,
    );
    expect(plan.reasons.find((r) => r.code === 'lead.resume-time')?.message).toBe(
      'g5: its warm nodes took at least 300s to serve once resumed (90th percentile of 3 seen), not the configured 120s: a warm node counts 300s',
    );
  });

  it('says so, and plans its leads with it: a window 20 minutes ahead is within 1,200 s to ready + 300 s', () => {
    // Configured 600 s: lead 900 s, the window is not yet a lead away.
    const configured = decideWith(undefined);
    expect(configured.targetNodes).toBe(2);
    expect(configured.reasons.some((r) => r.code === 'lead.time-to-ready')).toBe(false);
    // Its launches took 1,200 s: lead 1,500 s, the floor launches now.
    const learned = decideWith(samples(1200, 1200, 1200));
    expect(learned.targetNodes).toBe(6);
    expect(learned.reasons.find((r) => r.code === 'lead.time-to-ready')?.message).toBe(
      'g5: its launches took at least 1200s to serve (90th percentile of 3 seen), not the configured 600s: its time to ready counts 1200s',
    );
    expect(learned.reasons.some((r) => r.code === 'safety.schedule-ahead' && r.message.includes('1500s'))).toBe(true);
  });
});
