// The web view of `vpcsim serve`: everything it shows comes from the HTTP API of the same server
// (GET /topology, POST /diagram, POST /trace, POST /resolve, POST /check, GET /events), so the
// page answers exactly what `vpcsim trace`, `vpcsim resolve` and `vpcsim check` answer.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { topology: null, down: new Set(), trace: null };

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const type = r.headers.get("content-type") || "";
  const data = type.startsWith("application/json") ? await r.json() : await r.text();
  if (!r.ok) {
    const e = new Error(data.error || String(data));
    e.hint = data.hint;
    throw e;
  }
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function showError(where, e) {
  const box = $(where);
  if (!e) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.hidden = false;
  box.textContent = e.hint ? `${e.message}\n${e.hint}` : e.message;
}

function fillSelect(select, values, keep, extra) {
  const old = keep ? select.value : "";
  select.replaceChildren(...(extra || []).map(([v, t]) => el("option", { value: v }, t)),
    ...values.map((v) => el("option", { value: v }, v)));
  if ([...select.options].some((o) => o.value === old)) select.value = old;
}

function links() {
  return (state.topology.elements || []).filter((e) => e.kind === "direct-connect" || e.kind === "vpn");
}

async function loadTopology() {
  const t = await api("GET", "/topology");
  state.topology = t;
  $("name").textContent = t.name;
  $("generation").textContent = `generation ${t.generation}`;
  document.title = `vpcsim — ${t.name}`;
  fillSelect($("from"), t.senders, true);
  fillSelect($("resolve-from"), t.sources || t.senders, true);
  fillSelect($("principal"), t.principals, true, [["", "(the sender's own)"], ["anonymous", "anonymous"]]);
  // Links and VPN tunnels: ticked is up. What no longer exists is forgotten.
  const tunnels = (l) => l.kind === "vpn" && l.facts.tunnels
    ? String(l.facts.tunnels).split(", ").map((t) => `${l.name}/${t.split(" ")[0]}`) : [];
  const names = new Set(links().flatMap((l) => [l.name, ...tunnels(l)]));
  for (const d of [...state.down]) if (!names.has(d)) state.down.delete(d);
  const toggle = (name, text, cls) => {
    const box = el("input", { type: "checkbox", "data-link": name });
    box.checked = !state.down.has(name);
    box.addEventListener("change", () => {
      if (box.checked) state.down.delete(name); else state.down.add(name);
      refresh();
    });
    return el("label", cls ? { class: cls } : {}, box, text);
  };
  $("links").replaceChildren(...links().flatMap((l) => [
    toggle(l.name, `${l.name} (${l.kind === "vpn" ? "VPN" : "Direct Connect"})`),
    ...tunnels(l).map((t) => toggle(t, t.split("/")[1], "tunnel")),
  ]));
  if (links().length === 0) $("links").replaceChildren(el("p", { class: "note" }, "This topology has no links."));
  $("scenarios").replaceChildren(
    ...(t.scenarios || []).map((s) => {
      const b = el("button", { type: "button", title: s.description || "", "data-scenario": s.name }, `scenario ${s.name}`);
      b.addEventListener("click", () => {
        state.down = new Set(s.fail);
        loadTopology().then(refresh);
      });
      return b;
    }),
    ...(t.scenarios && t.scenarios.length ? [(() => {
      const b = el("button", { type: "button", id: "all-up" }, "all links up");
      b.addEventListener("click", () => { state.down.clear(); loadTopology().then(refresh); });
      return b;
    })()] : []),
  );
}

// What the picture and the trace are drawn from: links down and the traced request.
function question() {
  const body = { fail: [...state.down] };
  if (state.trace) {
    body.from = state.trace.from;
    body.request = state.trace.request;
    if (state.trace.principal) body.principal = state.trace.principal;
  }
  return body;
}

function hopTable(title, hops) {
  const rows = hops.map((h, i) => {
    const tr = el("tr", { class: "hop", "data-element": h.element || "" },
      el("td", { class: "mono" }, title === "back" ? `b${i + 1}` : `${i + 1}`),
      el("td", {}, h.at),
      el("td", { class: "code" }, h.code),
      el("td", {}, h.detail));
    tr.addEventListener("mouseenter", () => highlight(h.element, true));
    tr.addEventListener("mouseleave", () => highlight(h.element, false));
    return tr;
  });
  return [el("h3", {}, title === "back" ? "Back" : "There"),
    el("table", { class: "hops" }, el("tr", {}, el("th", {}, "#"), el("th", {}, "at"), el("th", {}, "code"), el("th", {}, "what happened")), ...rows)];
}

function highlight(id, on) {
  if (!id) return;
  for (const n of $("diagram").querySelectorAll(`[data-id="${CSS.escape(id)}"]`)) n.classList.toggle("highlight", on);
}

function showTrace(t) {
  if (!t) {
    $("result").hidden = true;
    $("hops").replaceChildren();
    return;
  }
  $("result").hidden = false;
  const v = $("verdict");
  v.className = t.verdict;
  v.textContent = `${t.verdict} (${t.code}): ${t.reason}`;
  const dns = t.dns ? [el("h3", {}, `DNS: ${t.dns.status}`), el("table", { class: "dns" },
    ...t.dns.steps.map((s) => el("tr", {}, el("td", {}, s.at), el("td", { class: "code" }, s.code), el("td", {}, s.detail))))] : [];
  $("dns").replaceChildren(...dns);
  $("hops").replaceChildren(...hopTable("there", t.forward), ...(t.back.length ? hopTable("back", t.back) : []));
}

// Each change (a trace asked, a link toggled, a reload) redraws; answers that come back after a
// newer question was asked are dropped, so the page always shows the last question's answer.
let asked = 0;
async function refresh() {
  const mine = ++asked;
  try {
    const body = question();
    const [svg, trace] = await Promise.all([
      api("POST", "/diagram", body),
      state.trace ? api("POST", "/trace", body) : Promise.resolve(null),
    ]);
    if (mine !== asked) return;
    showError("error", null);
    $("diagram").innerHTML = svg;
    showTrace(trace);
  } catch (e) {
    if (mine === asked) showError("error", e);
  }
}

$("trace-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.trace = { from: $("from").value, request: $("request").value.trim(), principal: $("principal").value };
  $("resolution").hidden = true;
  refresh();
});

$("clear-button").addEventListener("click", () => {
  state.trace = null;
  refresh();
});

$("resolve-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    showError("error", null);
    const r = await api("POST", "/resolve", {
      from: $("resolve-from").value, name: $("resolve-name").value.trim(),
      type: $("resolve-type").value, fail: [...state.down],
    });
    const box = $("resolution");
    box.hidden = false;
    box.replaceChildren(
      el("h3", {}, `${r.query.name} ${r.query.type} from ${r.query.from}: ${r.status} (${r.rcode})`),
      el("table", { class: "answers" }, ...r.answers.map((a) => el("tr", {}, el("td", { class: "mono" }, a.name), el("td", { class: "mono" }, a.type), el("td", { class: "mono" }, a.data)))),
      el("table", { class: "steps" }, ...r.steps.map((s) => el("tr", {}, el("td", {}, s.at), el("td", { class: "code" }, s.code), el("td", {}, s.detail)))),
    );
  } catch (e) {
    showError("error", e);
  }
});

$("check-button").addEventListener("click", async () => {
  try {
    const r = await api("POST", "/check", {});
    $("check-summary").textContent = `${r.passed} passed, ${r.failed} failed`;
    $("check-summary").className = r.failed ? "failed-check" : "passed";
    $("check-results").replaceChildren(...r.results.map((x) => el("tr", {},
      el("td", { class: x.passed ? "passed" : "failed-check" }, x.passed ? "✓" : "✗"),
      el("td", {}, x.scenario ? `${x.scenario}: ${x.name}` : x.name))));
  } catch (e) {
    showError("error", e);
  }
});

async function health() {
  const h = await api("GET", "/health");
  if (h.reload_error) {
    const box = $("reload-error");
    box.hidden = false;
    const d = h.reload_error.diagnostics || [];
    box.textContent = `${h.reload_error.error}\n${Array.isArray(d) ? d.join("\n") : d}`;
  } else {
    showError("reload-error", null);
  }
}

// Follow the server: each change (a reload, a bucket policy put by a client) redraws.
function follow() {
  const live = $("live");
  const source = new EventSource("/events");
  source.addEventListener("open", () => { live.className = "live on"; live.textContent = "live"; });
  source.addEventListener("error", () => { live.className = "live off"; live.textContent = "offline"; });
  let first = true;
  source.addEventListener("change", async () => {
    if (first) { first = false; return; }
    try {
      await health();
      await loadTopology();
      await refresh();
    } catch (e) {
      showError("error", e);
    }
  });
}

(async () => {
  try {
    await health();
    await loadTopology();
    await refresh();
  } catch (e) {
    showError("error", e);
  }
  follow();
})();
