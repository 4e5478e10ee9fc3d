import { missingOreLayer } from '../destinations/missing.js';
import type { ResolvedRelease } from '../spec/resolve.js';

/** Refuse, before any step, a release whose destinations need cloud layers ore lacks. */
export function checkDestinationsSupported(r: ResolvedRelease, command: 'pre-release' | 'release'): void {
  if (command === 'release' && r.azure?.gallery)
    throw missingOreLayer('Azure gallery image versions', 'azure.gallery');
}
