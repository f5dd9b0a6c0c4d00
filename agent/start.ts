/** The container's entry point: runs the agent, or exits 1 with the reason on one JSON line. */
import { jsonLogger, main } from './main.ts';

main().catch((e: unknown) => {
  jsonLogger.error('node agent failed', { error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
