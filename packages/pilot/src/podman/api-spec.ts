// The flake's podman options (after options.ts) as a libpod SpecGenerator for the REST API's
// containers/create. Only options whose meaning the spec carries one to one are mapped; any
// other option makes the launch use the podman CLI, which knows them all (README: Engines).

/** The part of libpod's SpecGenerator the launcher fills. */
export interface CreateSpec {
  image: string;
  entrypoint?: string[];
  command: string[];
  init?: boolean;
  stdin: boolean;
  /** podman run's default (--http-proxy=true): the host's proxy variables go in */
  httpproxy: boolean;
  labels: Record<string, string>;
  env: Record<string, string>;
  netns?: { nsmode: 'none' | 'host' };
  user?: string;
  work_dir?: string;
  hostname?: string;
  name?: string;
  privileged?: boolean;
  read_only_filesystem?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
}

type Mapper = (spec: CreateSpec, value: string, env: NodeJS.ProcessEnv) => boolean;

const BOOL_VALUE = /^(true|false)$/;

function bool(set: (spec: CreateSpec, on: boolean) => void): { takesValue: false; map: Mapper } {
  return {
    takesValue: false,
    map: (spec, value) => {
      if (value !== '' && !BOOL_VALUE.test(value)) return false;
      set(spec, value !== 'false');
      return true;
    },
  };
}

function valued(map: Mapper): { takesValue: true; map: Mapper } {
  return { takesValue: true, map };
}

const OPTIONS: Record<string, { takesValue: boolean; map: Mapper }> = {
  '--network': valued((spec, v) => {
    if (v !== 'none' && v !== 'host') return false;
    spec.netns = { nsmode: v };
    return true;
  }),
  '--env': valued((spec, v, env) => {
    const eq = v.indexOf('=');
    if (eq > 0) spec.env[v.slice(0, eq)] = v.slice(eq + 1);
    else if (v.includes('*'))
      return false; // podman's -e 'PREFIX*' globbing
    else if (env[v] !== undefined) spec.env[v] = env[v]!; // -e NAME: the caller's value, if set
    return true;
  }),
  '--user': valued((spec, v) => ((spec.user = v), true)),
  '--workdir': valued((spec, v) => ((spec.work_dir = v), true)),
  '--hostname': valued((spec, v) => ((spec.hostname = v), true)),
  '--name': valued((spec, v) => ((spec.name = v), true)),
  '--label': valued((spec, v) => {
    const eq = v.indexOf('=');
    spec.labels[eq < 0 ? v : v.slice(0, eq)] = eq < 0 ? '' : v.slice(eq + 1);
    return true;
  }),
  '--cap-add': valued((spec, v) => (spec.cap_add ??= []).push(...v.split(',')) > 0),
  '--cap-drop': valued((spec, v) => (spec.cap_drop ??= []).push(...v.split(',')) > 0),
  '--privileged': bool((spec, on) => (spec.privileged = on)),
  '--read-only': bool((spec, on) => (spec.read_only_filesystem = on)),
  '--init': bool((spec, on) => (spec.init = on)),
  // what every launch does anyway: stdin attached, the container removed after the call
  '--interactive': bool(() => undefined),
  '--rm': bool(() => undefined),
};

const ALIASES: Record<string, string> = {
  '--net': '--network',
  '-e': '--env',
  '-u': '--user',
  '-w': '--workdir',
  '-h': '--hostname',
  '-l': '--label',
  '-i': '--interactive',
};

/**
 * Fold the flake's options into `spec`; false when one of them has no faithful mapping (the
 * caller then runs the podman CLI instead).
 */
export function mapOptions(spec: CreateSpec, args: readonly string[], env: NodeJS.ProcessEnv): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const name = ALIASES[flag] ?? flag;
    const opt = OPTIONS[name];
    if (!opt) return false;
    let value = eq > 0 ? arg.slice(eq + 1) : '';
    if (opt.takesValue && eq < 0) {
      if (i + 1 >= args.length) return false;
      value = args[++i]!;
    }
    if (!opt.map(spec, value, env)) return false;
  }
  return true;
}
