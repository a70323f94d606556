"""The HTML report's stylesheet and script, inline in every page (hand-written, no build step)."""

from __future__ import annotations

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--accent:#0969da;
--error:#cf222e;--warning:#9a6700;--note:#0969da;--bar:#fd8c73}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header.top{padding:16px 24px;border-bottom:1px solid var(--line);background:var(--soft)}
header.top h1{margin:0;font-size:20px}
header.top p{margin:4px 0 0;color:var(--muted)}
main{padding:0 24px 48px;max-width:1280px}
h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 8px}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px 8px;z-index:9}
code,pre,.loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.loc{color:var(--muted);overflow-wrap:anywhere}
.muted{color:var(--muted)}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:130px}
.card .big{font-size:22px;font-weight:600}
.card.error .big{color:var(--error)}.card.warning .big{color:var(--warning)}.card.note .big{color:var(--note)}
table.counts{border-collapse:collapse;margin-top:14px}
table.counts caption{text-align:left;padding-bottom:4px}
table.counts th,table.counts td{padding:3px 12px;border-bottom:1px solid var(--line);text-align:right}
table.counts th:first-child,table.counts td:first-child{text-align:left}
table.counts tfoot td{font-weight:600}
ol.bars{list-style:none;padding:0;margin:0;max-width:900px}
ol.bars li{margin:4px 0}
button{font:inherit;color:inherit}
.bar{display:block;width:100%;text-align:left;border:1px solid var(--line);border-radius:4px;background:var(--bg);
padding:4px 8px;cursor:pointer;position:relative;overflow:hidden}
.bar .fill,.node .fill{position:absolute;left:0;top:0;bottom:0;background:var(--bar);opacity:.28;pointer-events:none}
.bar>span,.node>span{position:relative}
.bar[aria-pressed=true],.node[aria-pressed=true]{border-color:var(--accent);box-shadow:0 0 0 1px var(--accent)}
.overview{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:8px 32px;align-items:start}
.paths{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px;align-items:start}
@media (max-width:900px){.paths,.overview{grid-template-columns:1fr}}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:18px}
ul.tree{padding-left:0}
ul.tree li{margin:3px 0}
ul.tree ul{border-left:1px dashed var(--line)}
.node{display:inline-block;max-width:100%;text-align:left;border:1px solid var(--line);border-radius:4px;background:var(--bg);
padding:2px 8px;cursor:pointer;position:relative;overflow:hidden}
.node .fn{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:600}
.node-note{color:var(--muted);font-size:12.5px;margin-left:10px}
.panel{position:sticky;top:8px;border:1px solid var(--line);border-radius:6px;padding:10px 14px;background:var(--soft);
max-height:90vh;overflow:auto}
.panel h3{margin-top:0}
.panel ul{padding-left:18px;margin:6px 0}
form.filters{display:flex;flex-wrap:wrap;gap:10px 16px;align-items:end;padding:10px 0}
form.filters label{display:flex;flex-direction:column;font-size:12.5px;color:var(--muted)}
form.filters select,form.filters input{font:inherit;padding:3px 6px;min-width:140px}
.banner{background:#ddf4ff;border:1px solid #54aeff;border-radius:6px;padding:6px 10px}
article.finding{border:1px solid var(--line);border-left:4px solid var(--note);border-radius:6px;padding:10px 14px;margin:12px 0}
article.finding.sev-error{border-left-color:var(--error)}article.finding.sev-warning{border-left-color:var(--warning)}
article.finding header{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:baseline}
.sev{font-weight:700;text-transform:uppercase;font-size:11.5px;letter-spacing:.04em}
.sev-error .sev,.sev.sev-error{color:var(--error)}.sev-warning .sev,.sev.sev-warning{color:var(--warning)}
.sev-note .sev,.sev.sev-note{color:var(--note)}
.rule-code{font-weight:600}
.msg{margin:6px 0;font-weight:500}
dl.nums{display:flex;flex-wrap:wrap;gap:4px 22px;margin:6px 0}
dl.nums div{display:flex;gap:6px;align-items:baseline}
dl.nums dt{color:var(--muted);font-size:12.5px}dl.nums dd{margin:0;font-weight:600}
.ctx{color:var(--muted);margin:4px 0}
.why{color:var(--muted);margin:4px 0;font-size:12.5px}
.fix{margin:8px 0 4px}.fix strong{color:#1a7f37}
details>summary{cursor:pointer;color:var(--muted);margin:6px 0}
ol.trace{margin:4px 0;padding-left:22px}
ol.trace li{margin:6px 0}
.hl{border:1px solid var(--line);border-radius:4px;background:var(--soft);margin:6px 0;overflow-x:auto}
.hl pre{margin:0;padding:6px 0;line-height:1.45}
.hl .linenos{display:inline-block;min-width:4.5em;padding:0 10px 0 8px;text-align:right;color:#8c959f;user-select:none}
.hl .hll{display:block;background:#fff8c5}
.nosrc{color:var(--muted);font-style:italic;font-size:12.5px}
.bidi{unicode-bidi:isolate;color:var(--error);font-weight:700}
.bidi::before{content:"[" attr(data-cp) "]";font-family:ui-monospace,monospace;font-size:11px}
.rule-doc{border:1px solid var(--line);border-radius:6px;padding:4px 14px;margin:12px 0}
.rule-doc h2{font-size:14px;border:0;margin:12px 0 4px;padding:0}
.rule-doc>h3{font-size:16px}
.rule-doc pre{background:var(--soft);padding:8px;border-radius:4px;overflow-x:auto}
.errors li{margin:4px 0}
"""

# Filters, the hot-path node panel and keyboard shortcuts. Reads only the page itself: the
# JSON block written by html.py and the articles' data-* attributes; builds DOM with
# textContent, never innerHTML, so nothing from the scanned code is parsed as markup.
JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("perflint-data").textContent);
  var articles = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  var byId = {};
  var haystack = articles.map(function (a) { byId[a.id] = a; return a.textContent.toLowerCase(); });
  var form = document.getElementById("filters");
  var status = document.getElementById("status");
  var empty = document.getElementById("empty");
  var banner = document.getElementById("node-filter");
  var panel = document.getElementById("node-panel");
  var selected = null;

  function field(id) { var el = document.getElementById(id); return el ? el.value : ""; }

  function apply() {
    var family = field("filter-family"), severity = field("filter-severity"), rule = field("filter-rule");
    var path = field("filter-path").trim().toLowerCase(), query = field("filter-search").trim().toLowerCase();
    var only = null;
    if (selected) {
      only = {};
      data.nodes[selected].findings.forEach(function (id) { only[id] = true; });
    }
    var shown = 0;
    articles.forEach(function (a, i) {
      var ok = (!family || a.dataset.family === family) && (!severity || a.dataset.severity === severity) &&
        (!rule || a.dataset.rule === rule) && (!path || a.dataset.path.toLowerCase().indexOf(path) !== -1) &&
        (!query || haystack[i].indexOf(query) !== -1) && (!only || only[a.id] === true);
      a.hidden = !ok;
      if (ok) { shown += 1; }
    });
    status.textContent = "Showing " + shown + " of " + articles.length + " findings";
    empty.hidden = shown !== 0;
  }

  function showPanel(id) {
    var list = panel.querySelector("ul");
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var title = panel.querySelector("h3");
    var hint = panel.querySelector("p");
    if (!id) {
      title.textContent = "Findings on a path";
      hint.hidden = false;
      return;
    }
    var node = data.nodes[id];
    title.textContent = node.function + " (" + node.time + ", " + node.findings.length +
      (node.findings.length === 1 ? " finding)" : " findings)");
    hint.hidden = true;
    node.findings.forEach(function (fid) {
      var a = byId[fid];
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + fid;
      link.textContent = a.dataset.severity + " " + a.dataset.rule + " " + a.dataset.path + ":" + a.dataset.line +
        " - " + a.querySelector(".msg").textContent;
      item.appendChild(link);
      list.appendChild(item);
    });
  }

  function select(id) {
    selected = selected === id ? null : id;
    Array.prototype.forEach.call(document.querySelectorAll("button[data-node]"), function (b) {
      b.setAttribute("aria-pressed", b.dataset.node === selected ? "true" : "false");
    });
    banner.hidden = !selected;
    if (selected) {
      banner.querySelector("strong").textContent = data.nodes[selected].function;
    }
    showPanel(selected);
    apply();
  }

  Array.prototype.forEach.call(document.querySelectorAll("button[data-node]"), function (b) {
    b.addEventListener("click", function () { select(b.dataset.node); });
  });
  banner.querySelector("button").addEventListener("click", function () { select(selected); });
  // excerpts of trace hops are <template>s shared by every finding that passes there
  document.addEventListener("toggle", function (e) {
    if (!e.target.open) { return; }
    Array.prototype.forEach.call(e.target.querySelectorAll("div.lazy:empty"), function (slot) {
      slot.appendChild(document.getElementById(slot.dataset.code).content.cloneNode(true));
    });
  }, true);
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  document.getElementById("filter-clear").addEventListener("click", function () {
    ["filter-family", "filter-severity", "filter-rule", "filter-path", "filter-search"].forEach(function (id) {
      document.getElementById(id).value = "";
    });
    apply();
  });
  document.addEventListener("keydown", function (e) {
    var typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName);
    if (e.key === "/" && !typing) {
      e.preventDefault();
      document.getElementById("filter-search").focus();
    } else if (e.key === "Escape" && selected) {
      select(selected);
    }
  });
  apply();
}());
"""
