/**
 * The GCP and Azure setup scripts (scripts/): valid bash, and in step with what the stack and the receivers
 * expect (the outputs they name, the push audience and token, the delivery key in the query).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');

describe.each([
  [
    'scripts/gcp-pubsub-receiver.sh',
    [
      'pubsubReceiverUrl',
      'pubsubAudience',
      '--push-auth-token-audience',
      '--push-auth-service-account',
      'compute.instances.preempted',
      'AUTOSCALER_PUBSUB_SERVICE_ACCOUNT',
    ],
  ],
  [
    'scripts/azure-eventgrid-receiver.sh',
    ['eventGridReceiverUrl', 'EventGridReceiverKey', '?code=', 'Microsoft.Maintenance/scheduledEvents/write'],
  ],
])('%s', (file, mentions) => {
  it('is valid bash that stops on the first error', () => {
    execFileSync('bash', ['-n', path.join(root, file)]);
    expect(read(file)).toContain('set -euo pipefail');
  });
  it.each(mentions)('uses %s', (m) => {
    expect(read(file)).toContain(m);
  });
});
