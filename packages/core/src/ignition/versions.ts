// Ignition spec versions and the Butane variant/version pairs that produce them.

/** The Ignition config spec versions mantle reads and writes. */
export const IGNITION_VERSIONS = ['3.0.0', '3.1.0', '3.2.0', '3.3.0', '3.4.0'] as const;

/** One Ignition 3.x spec version. */
export type IgnitionVersion = (typeof IGNITION_VERSIONS)[number];

/**
 * The version newIgnition() uses: every Flatcar release of the last years boots 3.3.0
 * (Butane flatcar 1.0.0 emits it); 3.4.0 needs a newer Ignition on the image.
 */
export const DEFAULT_IGNITION_VERSION: IgnitionVersion = '3.3.0';

/** The Ignition minor version (3.x) as a number: the unit field availability is keyed by. */
export type IgnitionMinor = 0 | 1 | 2 | 3 | 4;

/** Whether `v` is an Ignition version mantle supports. */
export function isIgnitionVersion(v: unknown): v is IgnitionVersion {
  return typeof v === 'string' && (IGNITION_VERSIONS as readonly string[]).includes(v);
}

/** The minor number of a supported Ignition version ('3.2.0' → 2). */
export function ignitionMinor(v: IgnitionVersion): IgnitionMinor {
  return Number(v.split('.')[1]) as IgnitionMinor;
}

/** The Ignition version string of a minor number (2 → '3.2.0'). */
export function ignitionVersionOf(minor: IgnitionMinor): IgnitionVersion {
  return `3.${minor}.0`;
}

/** Compare two supported Ignition versions like a sort comparator. */
export function compareIgnitionVersions(a: IgnitionVersion, b: IgnitionVersion): number {
  return ignitionMinor(a) - ignitionMinor(b);
}

/**
 * A Butane spec: the variant/version a user writes, the Ignition version it emits, and the
 * "base" level of Butane's own sugar (base/v0_N in the Butane sources) that decides which
 * Butane-only keys (local, trees, contents_local, ...) it knows.
 */
export interface ButaneSpec {
  variant: 'flatcar' | 'fcos';
  version: string;
  ignition: IgnitionVersion;
  base: 1 | 2 | 3 | 4 | 5;
}

/**
 * Every Butane spec mantle translates, checked against coreos/butane's config registry
 * (note fcos 1.3.0 still emits 3.2.0; fcos 1.6.0+ emits 3.5.0, which mantle does not write).
 */
export const BUTANE_SPECS: readonly ButaneSpec[] = [
  { variant: 'flatcar', version: '1.0.0', ignition: '3.3.0', base: 4 },
  { variant: 'flatcar', version: '1.1.0', ignition: '3.4.0', base: 5 },
  { variant: 'fcos', version: '1.0.0', ignition: '3.0.0', base: 1 },
  { variant: 'fcos', version: '1.1.0', ignition: '3.1.0', base: 2 },
  { variant: 'fcos', version: '1.2.0', ignition: '3.2.0', base: 3 },
  { variant: 'fcos', version: '1.3.0', ignition: '3.2.0', base: 3 },
  { variant: 'fcos', version: '1.4.0', ignition: '3.3.0', base: 4 },
  { variant: 'fcos', version: '1.5.0', ignition: '3.4.0', base: 5 },
];

/** The Butane spec of a variant/version pair, if mantle supports it. */
export function findButaneSpec(variant: string, version: string): ButaneSpec | undefined {
  return BUTANE_SPECS.find((s) => s.variant === variant && s.version === version);
}

/** The lowest Butane spec of `variant` that emits at least Ignition 3.`minor`, for hints. */
export function butaneSpecFor(variant: string, minor: IgnitionMinor): ButaneSpec | undefined {
  return BUTANE_SPECS.find((s) => s.variant === variant && ignitionMinor(s.ignition) >= minor);
}
