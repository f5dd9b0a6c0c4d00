/**
 * Errors from parsing a credential never carry its text: a malformed kubeconfig or service account key is
 * reported by kind and position (these messages end in audit records kept 90 days).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFailure, scrub } from '../../shared/adapters/credential-errors.ts';
import { serviceAccountCredentials } from '../../shared/adapters/gcp/transport.ts';
import { loadKubeConfig } from '../../shared/adapters/kubernetes/client.ts';
import { ConfigError } from '../../shared/domain/errors.ts';

const isConfigError = (e: unknown): e is ConfigError => e instanceof ConfigError;

const TOKEN = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.c2VjcmV0LXRva2VuLWZvci10ZXN0cw.QkFEU0lHTkFUVVJF';

/** No 6-character window of `secret`'s token-like runs appears in `text`. */
function leaks(text: string, secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 6 <= secret.length; i++) {
    const w = secret.slice(i, i + 6);
    if (/^[A-Za-z0-9+/=_.~-]{6}$/.test(w) && text.includes(w)) out.push(w);
  }
  return out;
}

function loadError(kubeconfig: string): string {
  try {
    loadKubeConfig({ kubeconfig });
  } catch (e) {
    expect(isConfigError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected the kubeconfig to be refused');
}

describe('malformed kubeconfigs', () => {
  it.each([
    [
      'bad indentation under the token',
      `apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: ${TOKEN}\n   bad: indent\n`,
    ],
    [
      'an unclosed quote around the token',
      `apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: "${TOKEN}\n`,
    ],
    ['a tab before the token', `apiVersion: v1\nusers:\n\t- token: ${TOKEN}\n`],
    [
      'JSON with the token and a stray comma',
      `{"apiVersion":"v1","users":[{"name":"u","user":{"token":"${TOKEN}",}}]}`,
    ],
  ])('%s: the error says where, not what', (_name, kubeconfig) => {
    const message = loadError(kubeconfig);
    expect(message).toMatch(/kubeconfig/);
    expect(leaks(message, kubeconfig.slice(kubeconfig.indexOf(TOKEN)))).toEqual([]);
  });
});

describe('malformed service account keys', () => {
  it('reports the position, not the key', async () => {
    const key = `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n" "client_email":"x@y.iam.gserviceaccount.com"}`;
    const e = await serviceAccountCredentials(key).then(
      () => undefined,
      (x: unknown) => x as Error,
    );
    expect(e && isConfigError(e)).toBe(true);
    expect(e!.message).toMatch(/not valid JSON at position \d+/);
    expect(leaks(e!.message, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toEqual([]);
  });
});

describe('scrub', () => {
  it('removes every 6-character run of the secret from any message', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{12,60}$/), fc.string({ maxLength: 20 }), (secret, noise) => {
        const message = `${noise} failed near "${secret.slice(3)}" and ${secret.slice(0, 9)}`;
        expect(leaks(scrub(message, secret), secret)).toEqual([]);
      }),
    );
  });

  it('parseFailure keeps a YAML reason and its position', () => {
    const e = Object.assign(new Error('bad indentation (6:4)\n\n 5 |  token: abcdefgh\n'), {
      reason: 'bad indentation of a mapping entry',
      mark: { line: 5, column: 3 },
    });
    expect(parseFailure(e, 'token: abcdefgh')).toBe('bad indentation of a mapping entry at line 6, column 4');
  });
});
