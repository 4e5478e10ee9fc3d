// For tests of kola's junit.xml: validation by a real XML parser against a JUnit schema (xmllint
// with test/fixtures/junit.xsd, the structure Ant and Jenkins read), and parsing with a
// maintained XML parser for assertions on the content.
import { fileURLToPath } from 'node:url';
import { run } from '@mantle/core/exec';
import { XMLParser } from 'fast-xml-parser';

const SCHEMA = fileURLToPath(new URL('../../test/fixtures/junit.xsd', import.meta.url));

/** Throws with xmllint's messages unless `xml` is well-formed and valid against the JUnit schema. */
export async function assertValidJUnit(xml: string): Promise<void> {
  const r = await run('xmllint', ['--noout', '--nonet', '--schema', SCHEMA, '-'], {
    input: xml,
    reject: false,
    debianPackage: 'libxml2-utils',
  });
  if (r.exitCode !== 0) throw new Error(`junit.xml is not valid JUnit XML:\n${r.stderr}`);
}

/** An element: its name, attributes, text (CDATA included) and child elements. */
export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlNode[];
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
});

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function toNode(name: string, entries: Ordered[], attrs: Record<string, string>): XmlNode {
  const node: XmlNode = { name, attrs, text: '', children: [] };
  for (const e of entries) {
    const child = Object.keys(e).find((k) => k !== ':@');
    if (child === undefined) continue;
    if (child === '#text') node.text += String(e[child]);
    else node.children.push(toNode(child, e[child] as Ordered[], e[':@'] ?? {}));
  }
  // Indentation between child elements is not text.
  if (node.children.length > 0) node.text = node.text.trim();
  return node;
}

/** The root element (`testsuites`) of a JUnit XML text, parsed by fast-xml-parser. */
export function parseJUnit(xml: string): XmlNode {
  const root = toNode('', parser.parse(xml) as Ordered[], {}).children.find((c) => c.name !== '?xml');
  if (!root) throw new Error('junit.xml has no root element');
  return root;
}
