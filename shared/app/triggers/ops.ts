/**
 * `ops`: operator commands (status, plan, explain, scale, pause, resume, drain), invoked by the CLI or an
 * operator's Lambda Invoke. Commands that change something are signals the engine applies in a decision
 * of their own, audited with who asked and why; `status`, `plan` and `explain` are read-only and answered
 * every time they are asked.
 */
import { OpsError, runOperatorCommand } from '../ops.ts';
import type { Trigger } from './trigger.ts';

const READ_ONLY = new Set(['status', 'plan', 'explain', 'history']);

export const ops: Trigger<'ops', 'operator-command'> = {
  name: 'ops',
  accepts: ['operator-command'],
  readOnly: (s) => READ_ONLY.has(s.command),
  async run(signal, deps) {
    try {
      return { status: 'ops', ...(await runOperatorCommand(deps, signal)) };
    } catch (e) {
      // A command that cannot be carried out as asked (unknown fleet, node not found): answered, not retried.
      if (e instanceof OpsError) return { status: 'ops', command: signal.command, ok: false, message: e.message };
      throw e;
    }
  },
};
