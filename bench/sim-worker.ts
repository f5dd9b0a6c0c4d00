/**
 * A worker process of the simulation benchmark: runs the jobs bench/sim.ts describes, one at a time, as the
 * parent sends them over IPC, and sends each result back. Started by `runJobs` (bench/sim-pool.ts).
 */
import path from 'node:path';
import { type Job, type JobResult, runJob } from './sim.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

process.on('message', async (job: Job) => {
  let result: JobResult;
  try {
    result = await runJob(job, ROOT);
  } catch (e) {
    result = { id: job.id, figures: {}, seconds: 0, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  process.send?.(result);
});
process.send?.({ ready: true });
