import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * `GET /docs/errors` — the error catalogue (docs/errors.md) as a page, so the `docs` link of every
 * error body (`/docs/errors#payload_too_large`) resolves on the server that sent it.
 * `GET /docs/openapi.json` (the OpenAPI 3.1 document built from the routes' zod schemas) and
 * `GET /docs`, a self-contained page that renders it: no CDN (machines here reach no internet) and
 * no UI bundle to ship (ADR 0008). Both are public: they describe the API, not its data.
 */
export async function registerDocsRoutes(app: FastifyInstance, deps: { document(): Record<string, unknown> }): Promise<void> {
  app.get('/docs/openapi.json', { config: { access: 'public' } }, async () => deps.document());
  app.get('/docs/errors', { config: { access: 'public' } }, async (_request, reply) => {
    const markdown = await readFile(errorsMarkdownPath(), 'utf8');
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(errorsPage(markdown));
  });
  app.get('/docs', { config: { access: 'public' } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
      .send(DOCS_PAGE),
  );
}

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Payscope API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#123;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.8}
main{max-width:1100px;margin:0 auto;padding:16px 24px}h2{margin:24px 0 8px;text-transform:capitalize}
details{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:6px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:12px;align-items:center}
.m{font:600 12px monospace;padding:2px 8px;border-radius:4px;color:#fff;min-width:56px;text-align:center}
.get{background:#2b7bb9}.post{background:#2f9e44}.put{background:#e67700}.delete{background:#c92a2a}.patch{background:#7048e8}
.p{font-family:monospace}.a{margin-left:auto;font-size:12px;color:#555}
.b{padding:4px 16px 12px}pre{background:#f1f3f5;padding:8px;border-radius:4px;overflow:auto;max-height:360px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:top}
</style></head><body>
<header><h1 id="t">Payscope API</h1><p id="d"></p><p><a style="color:#9cf" href="/docs/openapi.json">openapi.json</a></p></header>
<main id="root">Loading…</main>
<script>
const esc=(s)=>String(s??'').replace(/[&<>"]/g,(c)=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
fetch('/docs/openapi.json').then((r)=>r.json()).then((doc)=>{
  document.getElementById('t').textContent=doc.info.title+' '+doc.info.version;
  document.getElementById('d').textContent=doc.info.description||'';
  const byTag={};
  for(const [path,ops] of Object.entries(doc.paths))for(const [method,op] of Object.entries(ops)){(byTag[(op.tags||['api'])[0]]??=[]).push({path,method,op});}
  let html='';
  for(const [tag,ops] of Object.entries(byTag).sort()){
    html+='<h2>'+esc(tag)+'</h2>';
    for(const {path,method,op} of ops){
      const params=(op.parameters||[]).map((p)=>'<tr><td>'+esc(p.name)+'</td><td>'+esc(p.in)+(p.required?' (required)':'')+'</td><td><code>'+esc(JSON.stringify(p.schema))+'</code></td><td>'+esc(p.description)+'</td></tr>').join('');
      const body=op.requestBody?'<h4>Body</h4><pre>'+esc(JSON.stringify(Object.values(op.requestBody.content)[0].schema,null,2))+'</pre>':'';
      const resp=Object.entries(op.responses).map(([s,r])=>'<h4>'+esc(s)+' — '+esc(r.description)+'</h4>'+(r.content?'<pre>'+esc(JSON.stringify(Object.values(r.content)[0].schema,null,2))+'</pre>':'')).join('');
      html+='<details><summary><span class="m '+method+'">'+method.toUpperCase()+'</span><span class="p">'+esc(path)+'</span><span>'+esc(op.summary)+'</span><span class="a">'+esc(JSON.stringify(op['x-payscope-access']))+'</span></summary><div class="b"><p>'+esc(op.description).replace(/\\n/g,'<br>')+'</p>'+(params?'<h4>Parameters</h4><table>'+params+'</table>':'')+body+resp+'</div></details>';
    }
  }
  document.getElementById('root').innerHTML=html;
}).catch((e)=>{document.getElementById('root').textContent='Could not load /docs/openapi.json: '+e;});
</script></body></html>`;

/** docs/errors.md of this package, found from this file in `src/` or `dist/`. */
function errorsMarkdownPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'docs', 'errors.md');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'docs', 'errors.md');
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** Inline markdown of the catalogue: its `<a id>` anchors, `code` and [links](…); everything else escaped. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/&lt;a id=&quot;([a-z0-9_]+)&quot;&gt;&lt;\/a&gt;/g, '<a id="$1"></a>')
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '<a href="$2">$1</a>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

/** The catalogue's markdown (headings, paragraphs, one table) as a self-contained page. */
export function errorsPage(markdown: string): string {
  const out: string[] = [];
  let table: string[][] = [];
  const flush = () => {
    if (table.length === 0) return;
    const [head, , ...rows] = table;
    out.push(
      `<table><tr>${(head ?? []).map((c) => `<th>${inline(c)}</th>`).join('')}</tr>${rows
        .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`)
        .join('')}</table>`,
    );
    table = [];
  };
  for (const line of markdown.split('\n')) {
    if (line.startsWith('|')) {
      table.push(
        line
          .replace(/^\||\|$/g, '')
          .split(/(?<!\\)\|/)
          .map((c) => c.trim()),
      );
      continue;
    }
    flush();
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    if (heading) out.push(`<h${heading[1]?.length}>${inline(heading[2] ?? '')}</h${heading[1]?.length}>`);
    else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
  }
  flush();
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Payscope error codes</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#1b1f24}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
td:first-child{white-space:nowrap}:target{background:#fff3bf}</style></head><body>
<p><a href="/docs">API reference</a></p>${out.join('\n')}</body></html>`;
}
