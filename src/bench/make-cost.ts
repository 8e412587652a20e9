/** MAKE handshake cost, measured with the MAKE driver (src/make) once it is available. */
import type { HandshakeCost } from './types.js';

export async function makeHandshakeCost(_n: number): Promise<HandshakeCost | { missing: string }> {
  return { missing: 'the MAKE driver (branch make) has not landed in this branch yet' };
}
