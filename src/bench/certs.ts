/**
 * Certificates for the user-space mutually authenticated TLS 1.3 baseline: one throw-away CA and a
 * leaf per node, each leaf valid for its IP addresses as server and as client. Generated in memory
 * with @peculiar/x509 over WebCrypto (ECDSA P-256), never written to disk.
 */
import { webcrypto } from 'node:crypto';

/** PEM material one TLS endpoint needs. */
export interface TlsIdentity {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

type X509 = typeof import('@peculiar/x509');
type X509Crypto = Parameters<X509['cryptoProvider']['set']>[0];
type X509Keys = import('@peculiar/x509').X509CertificateCreateSelfSignedParams['keys'];
type X509Key = import('@peculiar/x509').X509CertificateCreateWithKeyParams['signingKey'];

/**
 * Loaded on first use so other CLI commands do not pay for it. @peculiar/x509 resolves its
 * algorithms through tsyringe, which needs the Reflect metadata polyfill loaded first.
 */
async function loadX509(): Promise<X509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

/**
 * A CA and one identity per node name; `addresses[name]` lists the IPs put in that leaf's
 * subjectAltName so clients verify servers by address (no DNS in the namespaces).
 */
export async function makeTlsIdentities(addresses: Readonly<Record<string, readonly string[]>>): Promise<Record<string, TlsIdentity>> {
  const x509 = await loadX509();
  x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=attestflow bench CA',
    notBefore,
    notAfter,
    keys: caKeys as unknown as X509Keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const caPem = ca.toString('pem');
  const out: Record<string, TlsIdentity> = {};
  for (const [name, ips] of Object.entries(addresses)) {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const leaf = await x509.X509CertificateGenerator.create({
      subject: `CN=${name}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey as unknown as X509Key,
      signingKey: caKeys.privateKey as unknown as X509Key,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension(ips.map((value) => ({ type: 'ip' as const, value }))),
      ],
    });
    out[name] = { ca: caPem, cert: leaf.toString('pem'), key: await exportKeyPem(keys.privateKey) };
  }
  return out;
}
