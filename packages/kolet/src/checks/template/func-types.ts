// How template functions are declared: Go's parameter types decide which arguments a call
// accepts (a string where a string is expected, ...), as text/template checks them.

/**
 * Parameter types: `value` takes anything (Go's reflect.Value, nothing included), `any`
 * anything (interface{}), the others a value of that Go type.
 */
export type ParamType = 'value' | 'any' | 'string' | 'int' | 'float64' | 'bool' | 'list' | 'map' | 'strings';

export interface FuncContext {
  /** the environment (.Env) */
  env: Map<string, string>;
  /** files for readFile: relative to this directory */
  cwd: string;
}

export interface TemplateFunc {
  params: readonly ParamType[];
  /** the type of further arguments; none means a fixed number */
  variadic?: ParamType;
  /** and/or: arguments are evaluated one by one, as the function asks for them */
  lazy?: boolean;
  fn: (args: unknown[], ctx: FuncContext) => unknown;
}

/** An error a function returns: the template fails with "error calling NAME: message". */
export class FuncError extends Error {}

/** A function of fixed parameters. */
export function fixed(params: readonly ParamType[], fn: TemplateFunc['fn']): TemplateFunc {
  return { params, fn };
}

/** A function with parameters, then any number of `rest`. */
export function variadic(
  params: readonly ParamType[],
  rest: ParamType,
  fn: TemplateFunc['fn'],
): TemplateFunc {
  return { params, variadic: rest, fn };
}
