/**
 * Runs the simulation benchmark's jobs in worker processes (bench/sim-worker.ts), `workers` at a time, the
 * longest first; returns every result (a job that failed carries its error). Each worker runs its jobs one
 * after the other in one Node process; the jobs share nothing, so the figures do not depend on the order.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import type { Job, JobResult } from './sim.ts';

const WORKER = path.join(import.meta.dirname, 'sim-worker.ts');

/** A rough cost of a job, to start the long ones first: simulated hours, the autoscaler's much dearer. */
function weight(job: Job): number {
  const hours = job.spec.demand.startsWith('azure2023') ? 1 : 24;
  return hours * (job.kind === 'autoscaler' ? 20 : 1);
}

export async function runJobs(
  jobs: readonly Job[],
  workers: number,
  onDone: (result: JobResult, done: number, total: number) => void = () => {},
): Promise<JobResult[]> {
  const queue = [...jobs].sort((a, b) => weight(b) - weight(a));
  const results: JobResult[] = [];
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      let current: Job | undefined;
      const next = () => {
        current = queue.shift();
        if (current) child.send(current);
        else child.disconnect();
      };
      child.on('message', (m: JobResult | { ready: true }) => {
        if ('ready' in m) return next();
        results.push(m);
        onDone(m, results.length, jobs.length);
        next();
      });
      child.on('exit', (code) => {
        if (current && !results.some((r) => r.id === current!.id)) {
          results.push({ id: current.id, figures: {}, seconds: 0, error: `worker exited with ${code}` });
          reject(new Error(`a simulation worker exited with ${code} during job ${current.id}`));
        } else resolve();
      });
    });
  await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(workers, jobs.length)) }, one));
  return results.sort((a, b) => a.id - b.id);
}
