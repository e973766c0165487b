/** Public surface of TLS discovery: where to attach the plaintext uprobes for a given file or command. */
export { discoverTls, DISCOVERY_VERSION } from './discover-tls';
export type { DiscoverOptions } from './discover-tls';
export { resolveCommand, findExecutable } from './resolve-command';
export type { ResolvedCommand, ResolvedFile } from './resolve-command';
export { listTlsFilesOfPid } from './proc-maps';
export type { MappedFile, MappedTlsFiles } from './proc-maps';
export { defaultTlsCacheDir } from './tls-cache';
export { ElfFile, ElfError } from './elf-file';
export type { TlsDiscovery, TlsProbe, ProbeKind, TlsStack, UnprobedStack } from './types';
export { planTlsForCommand, planTlsForPid } from './tls-plan';
export type { TlsPlan } from './tls-plan';
