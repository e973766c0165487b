/**
 * Names of network destinations, from what the machine tells: /etc/hosts, DNS answers seen by traced processes,
 * and (called by the TLS/HTTP layers) the TLS SNI and the HTTP Host header. A later, more specific source wins:
 * hosts file < DNS < SNI / Host header. Addresses nothing named keep host = null (readers show the IP).
 */
import fs from 'node:fs';

export type HostSource = 'hosts' | 'dns' | 'sni' | 'http';

const RANK: Record<HostSource, number> = { hosts: 1, dns: 2, sni: 3, http: 3 };

export interface HostName {
  name: string;
  source: HostSource;
}

export class HostNames {
  private readonly byAddr = new Map<string, HostName>();

  /** Load /etc/hosts (or another file in that format). Missing or unreadable files are ignored. */
  loadHostsFile(file = '/etc/hosts'): void {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return;
    }
    for (const line of text.split('\n')) {
      const [addr, name] = line.replace(/#.*/, '').trim().split(/\s+/);
      // the first name of the first line for an address is its canonical name
      if (addr && name && !this.byAddr.has(addr)) this.byAddr.set(addr, { name, source: 'hosts' });
    }
  }

  /** Name an address; returns true when this changed the best name. */
  set(addr: string, name: string, source: HostSource): boolean {
    const cur = this.byAddr.get(addr);
    if (cur && (RANK[cur.source] > RANK[source] || (cur.name === name && cur.source === source))) return false;
    this.byAddr.set(addr, { name, source });
    return true;
  }

  get(addr: string): HostName | undefined {
    return this.byAddr.get(stripMapped(addr)) ?? this.byAddr.get(addr);
  }

  rank(source: HostSource | undefined): number {
    return source ? RANK[source] : 0;
  }
}

/** ::ffff:1.2.3.4 → 1.2.3.4, so a v4 answer names a v4-mapped connect. */
export function stripMapped(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}
