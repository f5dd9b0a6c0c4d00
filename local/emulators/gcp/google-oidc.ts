/**
 * Google's OIDC signing for Pub/Sub push tokens, on 127.0.0.1: an RSA key made for the run, its X.509
 * certificate served as Google serves them at `https://www.googleapis.com/oauth2/v1/certs` (a JSON object of
 * key id -> PEM certificate, with Cache-Control), and `sign` making RS256 ID tokens with the claims a push
 * subscription's token carries (`iss`, `aud`, `azp`, `email`, `email_verified`, `sub`, `iat`, `exp`).
 * `forge` signs with another key under a served key id: a forged token. `certsAnswer` makes the certificates
 * endpoint fail as Google's might in an outage: `'500'` answers 500, `'hang'` never answers (the request stays
 * open until the client gives up or the emulator closes); `'ok'` (the default) serves them.
 *
 * @see https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions#claims
 */
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { type LoopbackServer, listen, reply } from '../metadata/server.ts';

export interface GoogleOidc extends LoopbackServer {
  /** The PEM certificates URL, for OAuth2Client's `oauth2FederatedSignonPemCertsUrl`. */
  certsUrl: string;
  kid: string;
  sign(claims: Record<string, unknown>): string;
  /** A token signed by a key Google never published, under the served key id. */
  forge(claims: Record<string, unknown>): string;
  /** Requests for the certificates. */
  readonly fetches: number;
  /** How the certificates endpoint answers from now on. */
  certsAnswer: CertsAnswer;
}

export type CertsAnswer = 'ok' | '500' | 'hang';

function keyPair() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function certificate(publicPem: string, privatePem: string): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = `0${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 2 * 24 * 3600_000);
  const attrs = [{ shortName: 'CN', value: 'federated-signon.system.gserviceaccount.com' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(forge.pki.privateKeyFromPem(privatePem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function jwt(claims: Record<string, unknown>, kid: string, privatePem: string): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', kid, typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const signer = createSign('RSA-SHA256');
  signer.update(`${head}.${body}`);
  return `${head}.${body}.${b64url(signer.sign(privatePem))}`;
}

export async function startGoogleOidc(): Promise<GoogleOidc> {
  const real = keyPair();
  const other = keyPair();
  const kid = randomBytes(20).toString('hex');
  const certs = JSON.stringify({ [kid]: certificate(real.publicKey, real.privateKey) });
  let fetches = 0;
  let answer: CertsAnswer = 'ok';
  const server = await listen((req, res) => {
    if (req.method !== 'GET' || req.url !== '/oauth2/v1/certs') return reply(res, 404, 'Not Found');
    fetches += 1;
    if (answer === 'hang') return;
    if (answer === '500') {
      return reply(res, 500, JSON.stringify({ error: { code: 500, message: 'Internal error', status: 'INTERNAL' } }), {
        'content-type': 'application/json; charset=UTF-8',
      });
    }
    reply(res, 200, certs, {
      'content-type': 'application/json; charset=UTF-8',
      'cache-control': 'public, max-age=21600',
    });
  });
  return {
    ...server,
    certsUrl: `${server.endpoint}/oauth2/v1/certs`,
    kid,
    get fetches() {
      return fetches;
    },
    get certsAnswer() {
      return answer;
    },
    set certsAnswer(a: CertsAnswer) {
      answer = a;
    },
    sign: (claims) => jwt(claims, kid, real.privateKey),
    forge: (claims) => jwt(claims, kid, other.privateKey),
  };
}
