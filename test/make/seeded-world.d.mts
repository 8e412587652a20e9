import type { PartyConfig } from '../../src/make/party.js';
export function seededWorld(lib: Record<string, unknown>): { alpha: PartyConfig; beta: PartyConfig };
