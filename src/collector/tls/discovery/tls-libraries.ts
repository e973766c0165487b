/** Which shared objects can hold a TLS implementation worth running discovery on. */

const TLS_LIBRARY = /^lib(ssl|crypto|gnutls|nss3|ssl3|wolfssl|mbedtls|boringssl)[-.\d]*\.so(\.|$)/;

/** By file name: libssl.so.3, libcrypto.so.3, libgnutls.so.30, libnss3.so, libwolfssl.so.35 … */
export function isTlsLibraryName(fileName: string): boolean {
  return TLS_LIBRARY.test(fileName);
}

/** libcrypto holds no TLS record functions; it is listed for completeness but yields no probes. */
export function isRecordLayerLibraryName(fileName: string): boolean {
  return isTlsLibraryName(fileName) && !/^libcrypto/.test(fileName);
}
