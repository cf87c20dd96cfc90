import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);
let loaded: typeof Undici | undefined;

/** undici, loaded by the first outbound connection pool rather than at start-up (it took 50 ms of a 500 ms boot). */
export function undici(): typeof Undici {
  return (loaded ??= require('undici') as typeof Undici);
}
