// A throwaway self-signed certificate for --tls mode. Node has no X.509 writer, so the `openssl` CLI makes
// it (P-256, one day, SAN for the listening address): kubectl only sends bearer tokens over TLS (research §1.2).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface CertificatePair {
  cert: string;
  key: string;
}

/** subjectAltName entries for a listening host: always 127.0.0.1 and localhost, plus the host itself. */
export function subjectAltNames(host: string): string {
  const names = new Set(['IP:127.0.0.1', 'DNS:localhost']);
  if (host && host !== '0.0.0.0' && host !== '::') names.add(isIP(host) ? `IP:${host}` : `DNS:${host}`);
  return [...names].join(',');
}

export async function selfSignedCertificate(host = '127.0.0.1'): Promise<CertificatePair> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-sim-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=kv-cache-bench-kube-api',
      '-addext',
      `subjectAltName=${subjectAltNames(host)}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]);
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT')
      throw new Error(
        '--tls needs the openssl command to make a certificate; install openssl (apt-get install openssl)',
      );
    throw new Error(`openssl could not make a self-signed certificate: ${e.message}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
