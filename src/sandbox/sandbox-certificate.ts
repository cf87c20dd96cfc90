
/** The host name every sandbox endpoint impersonates. */
export const SANDBOX_HOST = 'web.whatsapp.com';

export interface SandboxCertificate {
  key: string;
  cert: string;
}

/**
 * A self-signed certificate for web.whatsapp.com (CN and SAN), made in-process with `selfsigned`.
 * Chromium runs with --ignore-certificate-errors, so no trust store is touched; the names still match so
 * nothing but the issuer differs from the real site.
 */
export async function createSandboxCertificate(): Promise<SandboxCertificate> {
  const notBeforeDate = new Date(Date.now() - 24 * 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 825 * 24 * 60 * 60 * 1000);
  // loaded here, not at start-up: it and its crypto libraries take a quarter of a second to load
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: SANDBOX_HOST }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: SANDBOX_HOST }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
