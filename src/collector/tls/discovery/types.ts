/** Shapes shared by the TLS discovery modules and their callers (the collector's uprobe attacher). */

/**
 * What a probe is attached to; the BPF side picks the program by kind.
 * - SSL_write / SSL_read: (SSL *ssl, void *buf, int num) → int (bytes, ≤0 on error/retry).
 * - SSL_write_ex / SSL_read_ex: (SSL *ssl, void *buf, size_t num, size_t *processed) → int (1 ok).
 * - SSL_do_handshake (SSL *ssl), SSL_set_fd (SSL *ssl, int fd): connection identity helpers.
 * - SSL_free (SSL *ssl), SSL_clear (SSL *ssl): the connection on ssl ended; malloc reuses the address.
 * - EVP_AEAD_CTX_seal / EVP_AEAD_CTX_open: aws-lc AEAD, see docs in detect-aws-lc.ts for the ABI.
 * - gnutls_record_send / gnutls_record_recv: (session, data, size_t size) → ssize_t, SSL_write/SSL_read's ABI;
 *   gnutls_deinit (session): the connection on session ended, like SSL_free.
 * - go_tls_write / go_tls_read: entry of crypto/tls.(*Conn).Write/Read (Go register ABI, detect-go.ts);
 *   go_tls_write_ret / go_tls_read_ret: one uprobe per RET instruction of them (never a uretprobe on Go code);
 *   go_tls_close: entry of (*Conn).Close, the end of the connection.
 */
export type ProbeKind =
  | 'SSL_write'
  | 'SSL_read'
  | 'SSL_write_ex'
  | 'SSL_read_ex'
  | 'SSL_do_handshake'
  | 'SSL_set_fd'
  | 'SSL_free'
  | 'SSL_clear'
  | 'EVP_AEAD_CTX_seal'
  | 'EVP_AEAD_CTX_open'
  | 'gnutls_record_send'
  | 'gnutls_record_recv'
  | 'gnutls_deinit'
  | 'go_tls_write'
  | 'go_tls_write_ret'
  | 'go_tls_read'
  | 'go_tls_read_ret'
  | 'go_tls_close';

export interface TlsProbe {
  readonly kind: ProbeKind;
  /** Symbol name when found by symbol; absent for functions located in stripped code. */
  readonly symbol?: string;
  readonly vaddr: number;
  /** Offset in the file: what uprobe attach takes (never the vaddr). */
  readonly fileOffset: number;
  /** How the location was established, e.g. 'dynsym', 'error-site+eh_frame'. */
  readonly method: string;
  /** Hex of the file's first bytes at fileOffset when found: a cached result is used only if they still match. */
  readonly bytes?: string;
}

export type TlsStack = 'openssl' | 'boringssl' | 'rustls-aws-lc' | 'gnutls' | 'go';

/** Stacks we recognise but do not probe (yet); named in the warning so the user knows why there is no plaintext. */
export type UnprobedStack = 'gnutls' | 'go-crypto-tls' | 'rustls-ring' | 'nss';

export interface DetectorResult {
  readonly stack: TlsStack | null;
  readonly probes: TlsProbe[];
  /** One line per thing tried: what was found, or why not. */
  readonly notes: string[];
}

export interface TlsDiscovery {
  readonly path: string;
  readonly buildId: string | null;
  /** No longer computed (hashing 300 MB cost up to 2 s at exec): always ''. Kept for the cache format and old rows. */
  readonly sha256: string;
  /** For files without a build-id: what identifies the build (discover-tls.ts buildFingerprint); else null. */
  readonly fingerprint: string | null;
  readonly stack: TlsStack | null;
  readonly probes: TlsProbe[];
  /** Stacks present in the file that have no probes; empty when none. */
  readonly unprobed: UnprobedStack[];
  /** What was tried, what was found, why not (multi-line). */
  readonly detail: string;
  /** Time spent analysing (0 when served from cache; see `cached`). */
  readonly elapsedMs: number;
  readonly cached: boolean;
  /** Version of the discovery logic that produced the result; cache entries of other versions are ignored. */
  readonly discoveryVersion: number;
}
