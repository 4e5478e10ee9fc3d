import type { CheckContext } from '../context.js';
import { expectContainsAll, expectEqual, skipped, type Outcome } from '../outcome.js';
import { runCapture } from '../system/spawn-capture.js';
import type { PackageProps } from '../types.js';

/** Check an installed package with the machine's package manager (dpkg-query, else rpm). */
export async function checkPackage(id: string, props: PackageProps, ctx: CheckContext): Promise<Outcome[]> {
  const wanted: [string, unknown][] = [
    ['installed', props.installed],
    ['versions', props.versions],
  ];
  const versions = await installedVersions(id, ctx);
  if (versions === undefined) {
    return wanted
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => skipped(k, v, 'no package manager (dpkg-query or rpm) on this machine'));
  }
  const out: Outcome[] = [];
  if (props.installed !== undefined) out.push(expectEqual('installed', props.installed, versions.length > 0));
  if (props.versions !== undefined) out.push(expectContainsAll('versions', props.versions, versions));
  return out;
}

/** The installed versions of a package ([] when not installed), undefined without a package manager. */
async function installedVersions(name: string, ctx: CheckContext): Promise<string[] | undefined> {
  const dpkg = await ctx.tool('dpkg-query');
  if (dpkg) {
    const r = await runCapture([dpkg, '-W', '-f', '${Status}\\t${Version}\\n', '--', name], {
      env: ctx.env,
      timeoutMs: 15_000,
      signal: ctx.signal,
    });
    if (r.exitCode !== 0) return [];
    return r.stdout
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([status]) => status?.endsWith(' installed'))
      .map(([, version]) => version ?? '');
  }
  const rpm = await ctx.tool('rpm');
  if (rpm) {
    const r = await runCapture([rpm, '-q', '--qf', '%{VERSION}-%{RELEASE}\\n', '--', name], {
      env: ctx.env,
      timeoutMs: 15_000,
      signal: ctx.signal,
    });
    if (r.exitCode !== 0) return [];
    return r.stdout.split('\n').filter(Boolean);
  }
  return undefined;
}
