import { describe, expect, it } from 'vitest';
import { LAUNCHERS, launcherEngine } from './launchers.js';

describe('launcherEngine', () => {
  it("knows each engine's launcher, as a bin and as the dist file", () => {
    for (const [engine, bin] of Object.entries(LAUNCHERS)) {
      expect(launcherEngine(bin)).toBe(engine);
      expect(launcherEngine(`${bin}.js`)).toBe(engine);
    }
  });

  it("takes flake-pilot's name for the bubblewrap launcher, and nothing else", () => {
    expect(launcherEngine('bubblewrap-pilot')).toBe('bwrap');
    expect(launcherEngine('firecracker-pilot')).toBeUndefined();
    expect(launcherEngine('pilot')).toBeUndefined();
    expect(launcherEngine('aws')).toBeUndefined();
  });
});
