/**
 * Semver-ish comparison of OS versions (os-release VERSION_ID, e.g. `3815.2.0`, `4081.0.0+nightly`,
 * `1.2.3-rc1`): numeric dotted components compared left to right, missing components count as 0,
 * build metadata after `+` is ignored and a `-pre` release sorts before the same release.
 */
export function compareVersions(a: string, b: string): number {
  const pa = splitVersion(a);
  const pb = splitVersion(b);
  const n = Math.max(pa.nums.length, pb.nums.length);
  for (let i = 0; i < n; i++) {
    const d = (pa.nums[i] ?? 0) - (pb.nums[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === undefined) return 1;
  if (pb.pre === undefined) return -1;
  return pa.pre < pb.pre ? -1 : 1;
}

function splitVersion(v: string): { nums: number[]; pre: string | undefined } {
  const noBuild = v.trim().replace(/^v/i, '').split('+')[0] ?? '';
  const dash = noBuild.indexOf('-');
  const core = dash >= 0 ? noBuild.slice(0, dash) : noBuild;
  const pre = dash >= 0 ? noBuild.slice(dash + 1) : undefined;
  const nums = core.split('.').map((p) => {
    const m = /^\d+/.exec(p);
    return m ? Number(m[0]) : 0;
  });
  return { nums, pre };
}

/** Why a version falls outside [minVersion, endVersion), or undefined when it is inside. */
export function versionOutsideRange(
  version: string,
  range: { minVersion?: string | undefined; endVersion?: string | undefined },
): string | undefined {
  if (range.minVersion && compareVersions(version, range.minVersion) < 0)
    return `image version ${version} is older than the test's minVersion ${range.minVersion}`;
  if (range.endVersion && compareVersions(version, range.endVersion) >= 0)
    return `image version ${version} is at or past the test's endVersion ${range.endVersion}`;
  return undefined;
}
