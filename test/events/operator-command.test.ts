import { describe, expect, it } from 'vitest';
import { normalizeEvent, OperatorCommandSchema, parseOperatorCommand } from '../../events/index.ts';
import { loadSample } from '../../events/samples.ts';
import { isParseError } from '../../shared/domain/errors.ts';

const NOW = '2025-03-04T09:00:00.000Z';
const who = { actor: 'jdoe', reason: 'launch day' };

function errorOf(raw: unknown): { path: string; expected: string } {
  try {
    parseOperatorCommand(raw, NOW);
  } catch (e) {
    if (isParseError(e)) return { path: e.path, expected: e.expected };
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe('operator commands', () => {
  it.each([
    ['scale without reason', { command: 'scale', fleetId: 'chat', target: 4, actor: 'jdoe' }, 'reason'],
    ['scale without actor', { command: 'scale', fleetId: 'chat', target: 4, reason: 'x' }, 'actor'],
    ['scale without target', { command: 'scale', fleetId: 'chat', ...who }, 'target'],
    ['scale without fleet', { command: 'scale', target: 4, ...who }, 'fleetId'],
    ['negative target', { command: 'scale', fleetId: 'chat', target: -1, ...who }, 'target'],
    ['fractional target', { command: 'scale', fleetId: 'chat', target: 2.5, ...who }, 'target'],
    ['pause without actor', { command: 'pause', fleetId: 'chat', reason: 'x' }, 'actor'],
    ['resume without reason', { command: 'resume', fleetId: 'chat', actor: 'jdoe' }, 'reason'],
    ['blank reason', { command: 'resume', fleetId: 'chat', actor: 'jdoe', reason: '   ' }, 'reason'],
    ['drain without node', { command: 'drain', ...who }, 'node'],
    ['history query on status', { command: 'status', history: { limit: 1 } }, 'history'],
    ['history limit out of range', { command: 'history', history: { limit: 0 } }, 'history.limit'],
    ['pool without fleet', { command: 'status', poolId: 'aws-g5-spot' }, 'fleetId'],
    ['target on pause', { command: 'pause', fleetId: 'chat', target: 3, ...who }, 'target'],
    ['ttl on resume', { command: 'resume', fleetId: 'chat', ttl: '1h', ...who }, 'ttl'],
    [
      'ttl and expiresAt',
      { command: 'pause', fleetId: 'chat', ttl: '1h', expiresAt: '2025-03-04T12:00:00Z', ...who },
      'ttl',
    ],
    ['bad ttl', { command: 'pause', fleetId: 'chat', ttl: '1 hour', ...who }, 'ttl'],
    ['unknown command', { command: 'reboot', fleetId: 'chat' }, 'command'],
    ['unknown field (typo)', { command: 'status', fleet: 'chat' }, 'fleet'],
    ['placeholder fleet', { command: 'status', fleetId: '<fleet-id>' }, 'fleetId'],
  ])('%s: ParseError at %s', (_, raw, path) => {
    expect(errorOf(raw).path).toBe(path);
  });

  it('names what is missing in the error', () => {
    expect(errorOf({ command: 'scale', fleetId: 'chat', target: 4, actor: 'jdoe' }).expected).toMatch(/why/);
  });

  it.each([
    // ttl counts from the command time, else from now.
    [
      'ttl from the command time',
      { command: 'scale', fleetId: 'chat', target: 2, ttl: '90s', time: '2025-03-04T10:00:00Z', ...who },
      { expiresAt: '2025-03-04T10:01:30.000Z' },
    ],
    [
      'ttl from now',
      { command: 'pause', fleetId: 'chat', ttl: '1d', ...who },
      { expiresAt: '2025-03-05T09:00:00.000Z', time: NOW },
    ],
    [
      'expiresAt as given',
      { command: 'pause', fleetId: 'chat', expiresAt: '2025-03-04T12:00:00+01:00', ...who },
      { expiresAt: '2025-03-04T11:00:00.000Z' },
    ],
    ['read-only without actor', { command: 'status' }, { actor: 'anonymous', eventId: `ops:status:*@${NOW}` }],
    ['requestId is the event id', { command: 'explain', fleetId: 'chat', requestId: 'req-42' }, { eventId: 'req-42' }],
  ])('%s', (_, raw, expected) => {
    expect(parseOperatorCommand(raw, NOW)).toMatchObject({
      type: 'operator-command',
      source: 'autoscaler.ops',
      ...expected,
    });
  });

  it('needs a time: the command, the envelope or now', () => {
    expect(() => normalizeEvent({ command: 'status' })).toThrow(expect.objectContaining({ path: 'time' }));
    expect(normalizeEvent({ command: 'status' }, { now: NOW })).toMatchObject({ time: NOW });
  });

  it('exports the schema the ops function validates with', () => {
    expect(OperatorCommandSchema.safeParse(loadSample('operator-command', 'valid')).success).toBe(true);
    expect(OperatorCommandSchema.safeParse(loadSample('operator-command', 'invalid')).success).toBe(false);
  });
});
