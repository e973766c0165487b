import type { Store } from '../../store';
import type { TopOptions } from '../types';

export async function runApp(store: Store, opts: TopOptions & { atNs?: number }): Promise<number> {
  void store;
  void opts;
  process.stderr.write('agentsight: the interactive view is not built yet; use --once\n');
  return 2;
}
