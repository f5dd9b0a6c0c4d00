/**
 * A certificate authority made for the run, and a server certificate it signs for 127.0.0.1 / localhost.
 *
 * The Azure SDK refuses to send bearer tokens over plain http, so the ARM emulator speaks https; clients
 * trust this CA explicitly (the adapter's `ca` option), never by turning verification off. Node's crypto
 * makes the keys (fast, native); node-forge builds the X.509 certificates, which Node cannot. Made once per
 * process and shared by every emulator started in it. Validity uses the real clock: TLS checks it.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

export interface TestTls {
  /** PEM of the CA certificate: what clients must trust. */
  ca: string;
  /** PEM of the server certificate (leaf only; the CA is not sent, as a real server would not send its root). */
  cert: string;
  /** PEM of the server's private key. */
  key: string;
}

let cached: TestTls | undefined;

/** The run's CA and server certificate, made on first use. */
export function testTls(): TestTls {
  cached ??= makeTestTls();
  return cached;
}

function rsaKeys(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    privatePem: privateKey,
  };
}

function serialNumber(): string {
  // Positive 16-byte serial (high bit cleared so DER does not read it as negative).
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60_000);
  cert.validity.notAfter = new Date(now + 7 * 24 * 60 * 60_000);
}

function makeTestTls(): TestTls {
  const caKeys = rsaKeys();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serialNumber();
  validity(ca);
  const caName = [
    { name: 'commonName', value: 'gpu-fleet-autoscaler test CA' },
    { name: 'organizationName', value: 'gpu-fleet-autoscaler emulators' },
  ];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = rsaKeys();
  const server = forge.pki.createCertificate();
  server.publicKey = serverKeys.publicKey;
  server.serialNumber = serialNumber();
  validity(server);
  server.setSubject([{ name: 'commonName', value: 'localhost' }]);
  server.setIssuer(caName);
  server.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    ca: forge.pki.certificateToPem(ca),
    cert: forge.pki.certificateToPem(server),
    key: serverKeys.privatePem,
  };
}
