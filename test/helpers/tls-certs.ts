// A throwaway certificate authority, a server certificate (for 127.0.0.1 / localhost unless told
// other names) and a client certificate for mutual TLS, made with the openssl CLI in a temporary
// directory, for tests of TLS connections to real servers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  readonly dir: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** A client certificate and key signed by the same CA, for mutual TLS. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Deletes the directory and everything in it. */
  remove(): void;
}

/**
 * Generates a P-256 CA, a server certificate (SAN IP:127.0.0.1, DNS:localhost, or the names
 * given) and a client certificate, valid for 2 days.
 */
export function generateTestCertificates(options: { serverNames?: string[] } = {}): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'cw-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
      throw new Error(`openssl ${args[0]} failed (is openssl installed? npm run bootstrap installs it): ${stderr}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=cw-test-ca',
  );
  openssl('req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=localhost');
  const names = options.serverNames?.map((name) => `DNS:${name}`).join(',') ?? 'IP:127.0.0.1,DNS:localhost';
  writeFileSync(at('ext.cnf'), `subjectAltName=${names}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-out',
    at('server.pem'),
    '-days',
    '2',
    '-extfile',
    at('ext.cnf'),
  );
  openssl('req', ...ec, '-keyout', at('client.key'), '-out', at('client.csr'), '-subj', '/CN=cw-test-client');
  writeFileSync(at('client-ext.cnf'), 'extendedKeyUsage=clientAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    at('client.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-out',
    at('client.pem'),
    '-days',
    '2',
    '-extfile',
    at('client-ext.cnf'),
  );
  return {
    dir,
    clientCertFile: at('client.pem'),
    clientKeyFile: at('client.key'),
    caFile: at('ca.pem'),
    certFile: at('server.pem'),
    keyFile: at('server.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
