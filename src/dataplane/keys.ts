import type { EdgeKeys } from '../make/types.js';
import type { EdgeFlow, SaInstall } from './types.js';

/**
 * The two SAs one end of an edge installs from a finished MAKE handshake: inbound first, then
 * outbound (install them in this order on both ends during a rekey, so nobody seals under keys
 * the other end cannot open yet).
 */
export function saInstallsFor(flow: EdgeFlow, keys: EdgeKeys, side: 'initiator' | 'responder'): [SaInstall, SaInstall] {
  const toResponder = keys.initiatorToResponder;
  const toInitiator = keys.responderToInitiator;
  const inbound = side === 'initiator' ? toInitiator : toResponder;
  const outbound = side === 'initiator' ? toResponder : toInitiator;
  return [
    { flow, direction: 'in', epoch: keys.epoch, side, spi: inbound.spi, key: inbound.key, salt: inbound.salt },
    { flow, direction: 'out', epoch: keys.epoch, side, spi: outbound.spi, key: outbound.key, salt: outbound.salt },
  ];
}
