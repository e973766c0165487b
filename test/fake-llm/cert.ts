/**
 * A throw-away certificate authority and a server certificate for 127.0.0.1/localhost, made with the
 * openssl CLI at start-up (no key material is committed). Clients trust it through NODE_EXTRA_CA_CERTS
 * (Node), SSL_CERT_FILE (OpenSSL-based clients, rustls with native roots), or curl --cacert.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeCa {
  dir: string;
  caCertPath: string;
  caCert: string;
  /** CA certificate followed by the system bundle: for clients (SSL_CERT_FILE) that must still reach real hosts. */
  bundlePath: string;
  key: string;
  cert: string;
}

export function makeCa(hosts: string[] = []): FakeCa {
  const dir = mkdtempSync(join(tmpdir(), 'fake-llm-ca-'));
  const ssl = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
    '-days', '2', '-subj', '/CN=agentsight fake-llm CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  const names = ['DNS:localhost', 'IP:127.0.0.1', ...hosts.map((h) => (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? `IP:${h}` : `DNS:${h}`))];
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${names.join(',')}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  const caCert = readFileSync(join(dir, 'ca.crt'), 'utf8');
  let system = '';
  try {
    system = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8');
  } catch {
    // No system bundle: the bundle is just our CA.
  }
  const bundlePath = join(dir, 'bundle.crt');
  writeFileSync(bundlePath, caCert + system);
  return {
    dir,
    caCertPath: join(dir, 'ca.crt'),
    caCert,
    bundlePath,
    key: readFileSync(join(dir, 'server.key'), 'utf8'),
    cert: readFileSync(join(dir, 'server.crt'), 'utf8'),
  };
}
