// The parse tree of a template (text/template/parse/node.go's node kinds), each node with the
// source offset it starts at.

export type Node =
  ListNode | TextNode | ActionNode | BranchNode | TemplateCallNode | BreakNode | ContinueNode;

export interface ListNode {
  type: 'list';
  pos: number;
  nodes: Node[];
}

interface TextNode {
  type: 'text';
  pos: number;
  text: string;
}

/** `{{pipeline}}`: evaluated, and printed unless it declares or assigns variables. */
interface ActionNode {
  type: 'action';
  pos: number;
  pipe: PipeNode;
}

/** `$x := cmd | cmd`: commands joined by pipes, with the variables they declare or assign. */
export interface PipeNode {
  type: 'pipe';
  pos: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
  /** the action's source text, for messages */
  text: string;
}

/** One command of a pipeline: a function or value, then its arguments. */
export interface CommandNode {
  type: 'command';
  pos: number;
  args: ArgNode[];
}

export type ArgNode =
  | FieldNode
  | VariableNode
  | ChainNode
  | IdentifierNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | PipeNode;

/** `.A.B`: fields of dot. */
interface FieldNode {
  type: 'field';
  pos: number;
  ident: string[];
}

/** `$x.A.B`: a variable and fields of it (`$` alone is the data). */
export interface VariableNode {
  type: 'variable';
  pos: number;
  ident: string[];
}

/** `(pipeline).A.B`: fields of a parenthesized value. */
export interface ChainNode {
  type: 'chain';
  pos: number;
  node: ArgNode;
  field: string[];
}

/** A function name. */
interface IdentifierNode {
  type: 'identifier';
  pos: number;
  ident: string;
}

interface DotNode {
  type: 'dot';
  pos: number;
}

interface NilNode {
  type: 'nil';
  pos: number;
}

interface BoolNode {
  type: 'bool';
  pos: number;
  value: boolean;
}

/** A number constant: Go keeps whether it reads as an integer, a float, or both. */
export interface NumberNode {
  type: 'number';
  pos: number;
  text: string;
  isInt: boolean;
  isFloat: boolean;
  /** its value (a character constant's code point) */
  value: number;
  /** a character constant ('a') */
  isChar: boolean;
}

interface StringNode {
  type: 'string';
  pos: number;
  /** the literal as written */
  quoted: string;
  text: string;
}

/** if, range and with: a pipeline, the body, and what runs otherwise. */
export interface BranchNode {
  type: 'if' | 'range' | 'with';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}

/** `{{template "name" pipeline}}` (and the call half of `{{block}}`). */
export interface TemplateCallNode {
  type: 'template';
  pos: number;
  name: string;
  pipe: PipeNode | undefined;
}

interface BreakNode {
  type: 'break';
  pos: number;
}

interface ContinueNode {
  type: 'continue';
  pos: number;
}

/** A parsed template: its body and the templates it defines (`define`, `block`). */
export interface Tree {
  root: ListNode;
  defines: Map<string, ListNode>;
}

/** How an argument node reads in messages. */
export function argText(n: ArgNode): string {
  switch (n.type) {
    case 'field':
      return `.${n.ident.join('.')}`;
    case 'variable':
      return n.ident.join('.');
    case 'chain':
      return `(${argText(n.node)}).${n.field.join('.')}`;
    case 'identifier':
      return n.ident;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'pipe':
      return n.text;
  }
}
