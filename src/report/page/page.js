// report.html: the cluster at a time cursor, from the run's records embedded above.
// No network: everything the page shows is in this file.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("run-data").textContent);
  const text = data.text;
  const $ = (id) => document.getElementById(id);
  const fill = (template, values) =>
    template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));

  // ---- time ----
  const pad = (n, w) => String(n).padStart(w, "0");
  function clock(ms) {
    const s = Math.floor(ms / 1000);
    return pad(Math.floor(s / 3600), 2) + ":" + pad(Math.floor(s / 60) % 60, 2) + ":" +
      pad(s % 60, 2) + "." + pad(ms % 1000, 3);
  }
  // apimachinery's duration.HumanDuration, as kubectl's AGE column prints it.
  function humanDuration(ms) {
    const seconds = Math.floor(ms / 1000);
    if (seconds < -1) return "<invalid>";
    if (seconds < 0) return "0s";
    if (seconds < 120) return seconds + "s";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 10) return seconds % 60 === 0 ? minutes + "m" : minutes + "m" + (seconds % 60) + "s";
    if (minutes < 180) return minutes + "m";
    const hours = Math.floor(seconds / 3600);
    if (hours < 8) return minutes % 60 === 0 ? hours + "h" : hours + "h" + (minutes % 60) + "m";
    if (hours < 48) return hours + "h";
    if (hours < 24 * 8) return hours % 24 === 0 ? Math.floor(hours / 24) + "d" : Math.floor(hours / 24) + "d" + (hours % 24) + "h";
    return Math.floor(hours / 24) + "d";
  }
  // The last index i with key(items[i]) <= t, or -1.
  function lastAtOrBefore(items, t, key) {
    let lo = 0, hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(items[mid]) <= t) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }

  // ---- the moments the cursor steps through ----
  const moments = new Set([0, data.end_ms]);
  for (const rs of data.replica_sets) for (const s of rs.samples) moments.add(s[0]);
  for (const p of data.pods) {
    moments.add(p.created);
    if (p.gone !== null) moments.add(p.gone);
    for (const s of p.statuses) moments.add(s[0]);
  }
  for (const d of data.decisions) moments.add(d.t);
  for (const l of data.lines) moments.add(l[0]);
  const times = Array.from(moments).sort((a, b) => a - b);
  const decisionTimes = Array.from(new Set(data.decisions.map((d) => d.t))).sort((a, b) => a - b);

  // ---- state at the cursor ----
  function rsAt(rs, t) {
    const i = lastAtOrBefore(rs.samples, t, (s) => s[0]);
    return i < 0 ? null : rs.samples[i];
  }
  function newestRevisions(t) {
    const newest = {};
    for (const rs of data.replica_sets) {
      const s = rsAt(rs, t);
      if (s && (!(rs.deployment in newest) || s[1] > newest[rs.deployment])) newest[rs.deployment] = s[1];
    }
    return newest;
  }
  // The state a pod is drawn in: the one the report computed for its status row
  // (status is [time, STATUS, ready, available, restarts, state]), except that an
  // unscheduled pod counts as creating once the cursor passes the moment it was bound.
  function podState(p, status, t) {
    const state = status ? status[5] : 0;
    return state === 0 && p.scheduled !== null && p.scheduled <= t ? 1 : state;
  }
  function podsAt(t) {
    const out = [];
    for (const p of data.pods) {
      if (p.created > t || (p.gone !== null && p.gone <= t)) continue;
      const i = lastAtOrBefore(p.statuses, t, (s) => s[0]);
      const status = i < 0 ? null : p.statuses[i];
      out.push({ pod: p, status, state: podState(p, status, t) });
    }
    return out;
  }

  // ---- drawing ----
  function table(headers, rows) {
    const t = document.createElement("table");
    t.className = "kubectl";
    const head = t.createTHead().insertRow();
    for (const h of headers) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      head.appendChild(th);
    }
    const body = t.createTBody();
    for (const r of rows) {
      const tr = body.insertRow();
      for (const c of r) tr.insertCell().textContent = c;
    }
    return t;
  }
  function drawReplicaSets(t) {
    const rows = [];
    for (const rs of data.replica_sets) {
      const s = rsAt(rs, t);
      if (!s) continue;
      rows.push([rs.name, String(s[2]), String(s[3]), String(s[4]), humanDuration(t - rs.samples[0][0])]);
    }
    $("rs-table").replaceChildren(table(["NAME", "DESIRED", "CURRENT", "READY", "AGE"], rows));
  }
  function drawPods(t, alive) {
    const rows = alive.map(({ pod, status }) => {
      const ready = status && status[2] && status[1] === "Running";
      const rs = data.replica_sets[pod.rs];
      return [
        pod.name, (ready ? rs.containers : 0) + "/" + rs.containers, status ? status[1] : "Pending",
        String(status ? status[4] : 0), humanDuration(t - pod.created),
        pod.ip && status && status[1] !== "Pending" ? pod.ip : "<none>",
        pod.node !== null && pod.scheduled <= t ? data.nodes[pod.node] : "<none>", "<none>", "<none>",
      ];
    });
    const headers = ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"];
    $("pod-table").replaceChildren(rows.length ? table(headers, rows) : document.createTextNode(text.no_pods));
  }
  const MAX_NODES = 120;
  function podSquare(entry, newest, t) {
    const span = document.createElement("span");
    const rs = data.replica_sets[entry.pod.rs];
    const s = rsAt(rs, t);
    const isNewest = s !== null && newest[rs.deployment] === s[1];
    span.className = "pod s" + entry.state + (isNewest ? " newest" : "");
    span.title = entry.pod.name + ": " + (entry.status ? entry.status[1] : "Pending") + " — " + text.states[entry.state];
    span.setAttribute("role", "img");
    span.setAttribute("aria-label", span.title);
    return span;
  }
  function drawNodes(t, alive) {
    const newest = newestRevisions(t);
    const byNode = new Map();
    for (const e of alive) {
      const key = e.pod.node !== null && e.pod.scheduled <= t ? e.pod.node : -1;
      if (!byNode.has(key)) byNode.set(key, []);
      byNode.get(key).push(e);
    }
    const keys = Array.from(byNode.keys()).sort((a, b) => a - b);
    const shown = keys.slice(0, MAX_NODES);
    const view = $("node-view");
    const frag = document.createDocumentFragment();
    for (const k of shown) {
      const row = document.createElement("div");
      row.className = "node";
      const name = document.createElement("span");
      name.className = "node-name";
      name.textContent = k < 0 ? text.unscheduled : data.nodes[k];
      const pods = document.createElement("span");
      pods.className = "node-pods";
      for (const e of byNode.get(k)) pods.appendChild(podSquare(e, newest, t));
      row.append(name, pods);
      frag.appendChild(row);
    }
    if (keys.length > shown.length) {
      const p = document.createElement("p");
      p.className = "note";
      p.textContent = fill(text.nodes_cut, { shown: shown.length, total: keys.length });
      frag.appendChild(p);
    }
    view.replaceChildren(frag);
  }
  function drawLegend() {
    const legend = $("node-legend");
    legend.className = "legend";
    text.states.forEach((label, i) => {
      const item = document.createElement("span");
      const sw = document.createElement("span");
      sw.className = "pod s" + i;
      item.append(sw, document.createTextNode(label));
      legend.appendChild(item);
    });
    const item = document.createElement("span");
    const sw = document.createElement("span");
    sw.className = "pod s6 newest";
    item.append(sw, document.createTextNode(text.newest));
    legend.appendChild(item);
  }
  function drawExplanation(t) {
    const body = $("explanation-body");
    const i = lastAtOrBefore(data.decisions, t, (d) => d.t);
    if (i < 0) {
      body.textContent = text.no_decision_yet;
      return;
    }
    const at = data.decisions[i].t;
    let first = i;
    while (first > 0 && data.decisions[first - 1].t === at) first--;
    const frag = document.createDocumentFragment();
    for (let k = first; k <= i; k++) {
      const d = data.decisions[k];
      const p = document.createElement("p");
      p.className = "decision-item";
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = "[" + clock(d.t) + "] " + d.controller + " " + d.object + ": ";
      const decision = document.createElement("span");
      decision.className = "decision";
      decision.textContent = d.decision;
      const reason = document.createElement("span");
      reason.className = "reason";
      reason.textContent = " — " + d.reason;
      p.append(when, decision, reason);
      frag.appendChild(p);
    }
    body.replaceChildren(frag);
  }
  function drawTraffic(t) {
    if (!data.services.length && !data.clients.length) return;
    $("traffic").hidden = false;
    const lines = [];
    for (const s of data.services) {
      const i = lastAtOrBefore(s.samples, t, (x) => x[0]);
      lines.push(fill(text.endpoints, { service: s.service, ready: i < 0 ? 0 : s.samples[i][1] }));
    }
    const sec = Math.floor(t / 1000);
    for (const c of data.clients) {
      const x = c.seconds[sec] || [0, 0];
      lines.push(fill(text.requests, { client: c.client, ok: x[0], failed: x[1] }));
    }
    $("traffic-body").replaceChildren(...lines.map((l) => {
      const p = document.createElement("p");
      p.textContent = l;
      return p;
    }));
  }
  function drawChartCursors(t) {
    for (const fig of document.querySelectorAll("figure.chart")) {
      const left = Number(fig.dataset.left), right = Number(fig.dataset.right);
      const seconds = Number(fig.dataset.seconds), width = Number(fig.dataset.width);
      const x = left + Math.min(1, t / 1000 / seconds) * (right - left);
      fig.querySelector(".cursor-line").style.left = (100 * x / width) + "%";
    }
  }
  let currentLine = null;
  function drawTranscript(t, line) {
    const i = line ?? lastAtOrBefore(data.lines, t, (l) => l[0]);
    const li = i < 0 ? null : lineItems[i];
    if (li === currentLine) return;
    if (currentLine) {
      currentLine.classList.remove("current");
      currentLine.removeAttribute("aria-current");
    }
    currentLine = li;
    if (!li) return;
    li.classList.add("current");
    li.setAttribute("aria-current", "true");
    const box = $("transcript-lines");
    if (li.offsetTop < box.scrollTop || li.offsetTop > box.scrollTop + box.clientHeight - li.offsetHeight) {
      box.scrollTop = li.offsetTop - box.clientHeight / 3;
    }
  }

  // ---- the cursor ----
  let cursor = 0;
  // Moves the cursor to time t (and to one transcript line of that time, when it was clicked).
  function moveTo(t, line) {
    cursor = Math.max(0, Math.min(data.end_ms, Math.round(t)));
    $("cursor").value = String(cursor);
    $("clock").textContent = clock(cursor) + " / " + clock(data.end_ms);
    const alive = podsAt(cursor);
    drawExplanation(cursor);
    drawReplicaSets(cursor);
    drawNodes(cursor, alive);
    drawPods(cursor, alive);
    drawTraffic(cursor);
    drawChartCursors(cursor);
    drawTranscript(cursor, line);
    if (history.replaceState) history.replaceState(null, "", "#t=" + cursor);
  }
  function step(list, dir) {
    if (dir > 0) {
      const i = lastAtOrBefore(list, cursor, (x) => x) + 1;
      if (i < list.length) moveTo(list[i]);
    } else {
      const i = lastAtOrBefore(list, cursor - 1, (x) => x);
      if (i >= 0) moveTo(list[i]);
    }
  }

  // ---- transcript lines and notes ----
  const lineItems = [];
  (function drawLines() {
    const ol = $("transcript-lines");
    const frag = document.createDocumentFragment();
    data.lines.forEach(([t, line], i) => {
      const li = document.createElement("li");
      li.textContent = line;
      li.dataset.t = String(t);
      li.dataset.i = String(i);
      li.tabIndex = -1;
      if (/^\[\d\d:\d\d:\d\d\.\d{3}\] (?!\$)/.test(line)) li.classList.add("later");
      lineItems.push(li);
      frag.appendChild(li);
    });
    ol.appendChild(frag);
    ol.tabIndex = 0;
    ol.addEventListener("click", (e) => {
      const li = e.target.closest("li");
      if (li) moveTo(Number(li.dataset.t), Number(li.dataset.i));
    });
    if (data.lines_total > data.lines.length) {
      $("transcript-note").textContent = fill(text.lines_cut, { shown: data.lines.length, total: data.lines_total });
    }
    if (data.pods_step > 1) {
      $("pods-note").textContent = fill(text.pods_sampled, { shown: data.pods.length, total: data.pods_total, step: data.pods_step });
    }
  })();

  $("cursor").addEventListener("input", (e) => moveTo(Number(e.target.value)));
  $("prev").addEventListener("click", () => step(times, -1));
  $("next").addEventListener("click", () => step(times, 1));
  $("prev-decision").addEventListener("click", () => step(decisionTimes, -1));
  $("next-decision").addEventListener("click", () => step(decisionTimes, 1));
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const keys = {
      ArrowLeft: () => step(times, -1), ArrowRight: () => step(times, 1),
      PageUp: () => step(decisionTimes, -1), PageDown: () => step(decisionTimes, 1),
      Home: () => moveTo(0), End: () => moveTo(data.end_ms),
    };
    if (e.key in keys && (e.target.tagName !== "BUTTON" || e.key.startsWith("Arrow"))) {
      e.preventDefault();
      keys[e.key]();
    }
  });

  // `report.html#t=MS` opens (or moves) the cursor at that moment: a link a class can share.
  function fromHash() {
    const m = /^#t=(\d+)$/.exec(location.hash);
    return m ? Number(m[1]) : null;
  }
  window.addEventListener("hashchange", () => {
    const t = fromHash();
    if (t !== null) moveTo(t);
  });
  drawLegend();
  moveTo(fromHash() ?? 0);
})();
