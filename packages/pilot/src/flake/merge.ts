// How `<app>.d/*.yaml` drop-ins change `<app>.yaml`.
//
// podman-pilot(8): the drop-ins are read "in alpha sort order. Redundant information will always
// overwrite the former one. Thus the last setting in the sequence wins." flake-pilot implements
// that by pasting the files' texts together and letting the YAML parser keep the last of a
// repeated top-level key, which replaces a whole section (a drop-in with only
// `container: {runtime: {resume: true}}` loses the container's name and the flake stops working).
// The merge here does what the manual says, per setting:
//   - mappings merge key by key, recursively;
//   - any other value (scalar, list, `~`) replaces the earlier one as a whole — a drop-in's
//     `podman:` list is the new list, not an addition to the old one;
//   - `~` (null) therefore resets a setting to its default.
// Every drop-in that is a valid flake for flake-pilot gives the same result here.
import { pathKey, type KeyPath, type Origins } from './yaml-origins.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** One parsed file: its value and where each key came from. */
export interface Layer {
  value: unknown;
  origins: Origins;
}

/** Merge `over` onto `base` (both left untouched) with the rule above; origins follow the values. */
export function mergeLayers(base: Layer, over: Layer): Layer {
  const origins: Origins = new Map(base.origins);
  const value = mergeValue(base.value, over.value, [], origins, over.origins);
  return { value, origins };
}

function mergeValue(
  a: unknown,
  b: unknown,
  path: (string | number)[],
  origins: Origins,
  overOrigins: Origins,
): unknown {
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const child = [...path, k];
      out[k] =
        k in a ? mergeValue(a[k], v, child, origins, overOrigins) : replaceAt(child, v, origins, overOrigins);
    }
    return out;
  }
  // An empty drop-in (`null` document) changes nothing.
  if (path.length === 0 && (b === null || b === undefined)) return a;
  return replaceAt(path, b, origins, overOrigins);
}

/** Take `v` from the drop-in at `path`: the old origins below it go, the drop-in's come in. */
function replaceAt(path: KeyPath, v: unknown, origins: Origins, overOrigins: Origins): unknown {
  const prefix = pathKey(path).slice(0, -1);
  for (const k of [...origins.keys()]) if (isBelow(k, prefix)) origins.delete(k);
  for (const [k, o] of overOrigins) if (isBelow(k, prefix)) origins.set(k, o);
  return v;
}

// `["a","b"` is a prefix of `["a","b"]` and `["a","b",0]` but not of `["a","bc"]`.
function isBelow(key: string, prefix: string): boolean {
  if (prefix === '[') return true;
  return key === `${prefix}]` || key.startsWith(`${prefix},`);
}
