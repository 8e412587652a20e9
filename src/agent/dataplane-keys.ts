/**
 * The kernel data plane as the agent's key sink: SAs go to the eBPF maps through the data-plane
 * adapter (the only code that touches the kernel), counters come back from its verdict map.
 */
import type { Dataplane } from '../dataplane/dataplane.js';
import type { SaInstall } from '../dataplane/types.js';
import type { KeySink, PacketCount } from './ports.js';

export class DataplaneKeySink implements KeySink {
  constructor(private readonly dp: Dataplane) {}

  install(sa: SaInstall): Promise<void> {
    return this.dp.install(sa);
  }

  remove(sa: Pick<SaInstall, 'flow' | 'direction' | 'epoch' | 'spi'>): Promise<void> {
    return this.dp.remove(sa.flow.edge, sa.direction, sa.epoch);
  }

  async counters(): Promise<PacketCount[]> {
    const c = await this.dp.counters();
    const out: PacketCount[] = [];
    for (const direction of ['in', 'out'] as const) {
      for (const [verdict, n] of Object.entries(c[direction])) out.push({ direction, verdict, value: Number(n) });
    }
    return out;
  }
}
