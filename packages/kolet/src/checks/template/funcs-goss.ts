// goss's own template functions (they replace Sprig's of the same name, as in goss):
// mkSlice, getEnv, readFile, regexMatch, toUpper, toLower, findStringSubmatch.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { goRegexp } from '../go/go-regexp.js';
import { FuncError, fixed, variadic, type TemplateFunc } from './func-types.js';

function regex(re: string): RegExp {
  try {
    return goRegexp(re);
  } catch (err) {
    throw new FuncError((err as Error).message);
  }
}

export const GOSS_FUNCS: Record<string, TemplateFunc> = {
  mkSlice: variadic([], 'any', (args) => args),
  getEnv: variadic(['string'], 'string', ([key, ...def], ctx) => {
    const value = ctx.env.get(key as string) ?? '';
    return value === '' && def.length > 0 ? def[0] : value;
  }),
  readFile: fixed(['string'], ([file], ctx) => {
    const path = isAbsolute(file as string) ? (file as string) : resolve(ctx.cwd, file as string);
    try {
      return readFileSync(path, 'utf8').trim();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new FuncError(
        `open ${file as string}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`,
      );
    }
  }),
  regexMatch: fixed(['string', 'string'], ([re, s]) => regex(re as string).test(s as string)),
  toUpper: fixed(['string'], ([s]) => (s as string).toUpperCase()),
  toLower: fixed(['string'], ([s]) => (s as string).toLowerCase()),
  findStringSubmatch: fixed(['string', 'string'], ([re, s]) => {
    const m = regex(re as string).exec(s as string);
    const byIndex: Record<string, unknown> = {};
    const named: Record<string, unknown> = {};
    if (m) {
      m.forEach((g, i) => (byIndex[String(i)] = g ?? ''));
      for (const [k, v] of Object.entries(m.groups ?? {})) named[k] = v ?? '';
    }
    return Object.keys(named).length > 0 ? named : byIndex;
  }),
};
