/**
 * An in-memory key table with the data plane's install/remove semantics: used where no kernel data
 * plane runs (the bootstrap bench keys thousands of edges in one process; `--no-dataplane` agents).
 * It is strict like the kernel adapter: installing an SA twice or removing one that is not there is
 * an error, so agent bugs show up here too.
 */
import type { SaInstall } from '../dataplane/types.js';
import { AgentError } from './errors.js';
import type { KeySink } from './ports.js';

const keyOf = (sa: Pick<SaInstall, 'flow' | 'direction' | 'epoch' | 'spi'>): string => `${sa.flow.edge}|${sa.direction}|${sa.epoch}|${sa.spi}`;

export class MemoryKeySink implements KeySink {
  private readonly table = new Map<string, SaInstall>();

  async install(sa: SaInstall): Promise<void> {
    const k = keyOf(sa);
    if (this.table.has(k)) throw new AgentError('agent.duplicate-sa', `SA ${k} is already installed`);
    this.table.set(k, sa);
  }

  async remove(sa: Pick<SaInstall, 'flow' | 'direction' | 'epoch' | 'spi'>): Promise<void> {
    const k = keyOf(sa);
    if (!this.table.delete(k)) throw new AgentError('agent.unknown-sa', `SA ${k} is not installed`);
  }

  /** Everything installed now (tests compare both ends of an edge). */
  installed(): SaInstall[] {
    return [...this.table.values()];
  }

  get size(): number {
    return this.table.size;
  }
}
