/** Names of MAKE defences on the command line, checked against the `Defences` contract. */
import { UsageError } from '../errors.js';
import { ALL_DEFENCES, type Defences } from '../make/types.js';

export const DEFENCE_NAMES = Object.keys(ALL_DEFENCES) as (keyof Defences)[];

export function isDefenceName(n: string): n is keyof Defences {
  return (DEFENCE_NAMES as string[]).includes(n);
}

/** All defences on except the named ones; an unknown name is a usage error listing the valid ones. */
export function parseDefenceNames(names: readonly string[]): Defences {
  const d: Defences = { ...ALL_DEFENCES };
  for (const n of names) {
    if (!isDefenceName(n)) throw new UsageError(`unknown defence "${n}"; one of: ${DEFENCE_NAMES.join(', ')}`);
    d[n] = false;
  }
  return d;
}
