/** The cipher suite: pick a provider; both give identical bytes. */
import { nodeCrypto } from './node.js';
import type { CryptoProvider } from './provider.js';

export { nobleCrypto } from './noble.js';
export { nodeCrypto } from './node.js';
export { CryptoError, bytesEqual, type CryptoProvider } from './provider.js';

/** The provider attestflow uses by default (node:crypto, for speed; noble is the reference). */
export const defaultCrypto: CryptoProvider = nodeCrypto;
