import type { DirEntry } from './tree.js';
import { INDEX_NAME } from './tree.js';

// Pages are plain HTML with relative links to `sub/index.html`, so they work from any store or
// web server without website configuration (S3 REST, Azure blob endpoints, file://). They carry no
// generation time: a page changes only when its directory does, so reruns rewrite nothing.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB". */
export function humanSize(bytes: number): string {
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${UNITS[u]}`;
}

/** Escape text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A relative href for a path of key segments. */
function href(...segments: string[]): string {
  return segments.map(encodeURIComponent).join('/');
}

function date(d: Date | undefined): string {
  return d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}
h1{font-size:1.3em;word-break:break-all}h1 a{color:inherit}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.25em .8em .25em 0;border-bottom:1px solid #eee}td.n{text-align:right;white-space:nowrap}
th{border-bottom:2px solid #ccc}a{color:#0b57d0;text-decoration:none}a:hover{text-decoration:underline}
a.d{font-weight:600}`;

/** The index page of one directory; `title` names the store (bucket, or the spec's title). */
export function renderIndexPage(title: string, entry: DirEntry): string {
  const parts = entry.dir.split('/').filter(Boolean);
  const depth = parts.length;
  // Breadcrumbs: the store, then each directory, each linking to its own page.
  const crumbs = [title, ...parts].map((name, i) => {
    const up = depth - i;
    const link = up === 0 ? INDEX_NAME : `${'../'.repeat(up)}${INDEX_NAME}`;
    return `<a href="${link}">${escapeHtml(name)}</a>`;
  });
  const rows: string[] = [];
  if (depth > 0)
    rows.push(`<tr><td><a class="d" href="../${INDEX_NAME}">..</a></td><td class="n"></td><td></td></tr>`);
  for (const d of entry.dirs)
    rows.push(
      `<tr><td><a class="d" href="${href(d, INDEX_NAME)}">${escapeHtml(d)}/</a></td><td class="n"></td><td></td></tr>`,
    );
  for (const f of entry.files) {
    const name = f.key.slice(entry.dir.length);
    rows.push(
      `<tr><td><a class="f" href="${href(name)}">${escapeHtml(name)}</a></td>` +
        `<td class="n" title="${f.size} bytes">${humanSize(f.size)}</td><td>${date(f.modified)}</td></tr>`,
    );
  }
  const heading = `${title}/${entry.dir}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)}</title>
<style>
${STYLE}
</style>
</head>
<body>
<h1>${crumbs.join(' / ')}/</h1>
<table>
<thead><tr><th>Name</th><th>Size</th><th>Last modified</th></tr></thead>
<tbody>
${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="3">(empty)</td></tr>'}
</tbody>
</table>
</body>
</html>
`;
}
