// kola's userData may be Butane YAML or Ignition JSON; tell them apart and return Ignition.
import { InputError } from '../errors/index.js';
import { butaneToIgnition, type ButaneOptions } from './butane.js';
import { parseIgnition } from './parse.js';
import type { IgnitionConfig } from './types.js';

/** Options of ignitionFromUserData: those of both readers. */
export interface UserDataOptions extends ButaneOptions {
  /** Ignition JSON: unknown keys are errors (default) or warnings */
  rejectUnknownKeys?: boolean;
}

/** What ignitionFromUserData found and made of it. */
export interface UserDataResult {
  config: IgnitionConfig;
  warnings: string[];
  /** what the text was */
  kind: 'ignition' | 'butane';
}

/** Read user data that is either Ignition JSON (starts with "{") or Butane YAML. */
export function ignitionFromUserData(text: string, opts: UserDataOptions = {}): UserDataResult {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') {
    throw new InputError({
      code: 'IGNITION_EMPTY',
      message: `${opts.source ?? 'user data'} is empty`,
      hint: 'give a Butane config (variant: flatcar, version: 1.0.0, ...) or an Ignition JSON config',
    });
  }
  // JSON is a subset of YAML, so sniff by the first significant character, as Ignition
  // itself only ever reads JSON objects.
  if (body.trimStart().startsWith('{')) {
    const r = parseIgnition(body, {
      source: opts.source,
      strict: opts.strict,
      requireRemoteHash: opts.requireRemoteHash,
      rejectUnknownKeys: opts.rejectUnknownKeys,
    });
    return { ...r, kind: 'ignition' };
  }
  const r = butaneToIgnition(body, opts);
  return { config: r.config, warnings: r.warnings, kind: 'butane' };
}
