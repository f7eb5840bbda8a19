// The Vivarium dashboard: plain JavaScript, no library. It reads the admin API next to it
// (../deployments, ../stats, ../deployments/ID/logs?follow=1) with the token the user typed,
// kept in sessionStorage, sent as Authorization: Bearer.
"use strict";

const API = new URL("../", location.href);
const TOKEN_KEY = "vivarium.token";
const POLL_MS = 1000;
const POINTS = 120; // two minutes of one-second points
const MAX_LOG_LINES = 1000;

const $ = (id) => document.getElementById(id);

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** A request to the admin API; rejects with the server's JSON error message. */
async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers, { Authorization: "Bearer " + token() });
  const response = await fetch(new URL(path, API), Object.assign({}, options, { headers }));
  if (response.status === 401) {
    signOut("The token was refused.");
    throw new Error("401");
  }
  if (!response.ok) {
    let message = "HTTP " + response.status;
    try {
      message += ": " + (await response.json()).error;
    } catch (ignored) {
      // not JSON
    }
    throw new Error(message);
  }
  return response;
}

// ---- a small line chart on a canvas ---------------------------------------------------------

const COLORS = ["#2f6f4f", "#c7772b", "#b3261e", "#3f5fa8"];

class LineChart {
  constructor(canvas, names) {
    this.canvas = canvas;
    this.series = names.map((name, i) => ({ name, color: COLORS[i % COLORS.length], values: [] }));
  }

  clear() {
    this.series.forEach((s) => (s.values = []));
    this.draw();
  }

  push(values) {
    this.series.forEach((s, i) => {
      s.values.push(values[i]);
      if (s.values.length > POINTS) s.values.shift();
    });
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const w = c.clientWidth || c.width;
    const h = c.clientHeight || c.height;
    if (c.width !== Math.round(w * ratio)) {
      c.width = Math.round(w * ratio);
      c.height = Math.round(h * ratio);
    }
    const g = c.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    const left = 44, right = 8, top = 8, bottom = 18;
    let max = 0;
    this.series.forEach((s) => s.values.forEach((v) => { if (v != null && v > max) max = v; }));
    max = niceCeiling(max);
    g.font = "11px system-ui, sans-serif";
    g.strokeStyle = "#e4e4de";
    g.fillStyle = "#6b6b66";
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = top + ((h - top - bottom) * i) / 4;
      g.beginPath();
      g.moveTo(left, y + 0.5);
      g.lineTo(w - right, y + 0.5);
      g.stroke();
      g.fillText(format(max * (1 - i / 4)), 2, y + 4);
    }
    g.fillText("-" + POINTS + " s", left, h - 4);
    g.fillText("now", w - right - 22, h - 4);
    const x = (i) => left + ((w - left - right) * i) / (POINTS - 1);
    const y = (v) => top + (h - top - bottom) * (1 - v / max);
    let legend = left + 6;
    this.series.forEach((s) => {
      const offset = POINTS - s.values.length;
      g.strokeStyle = s.color;
      g.lineWidth = 1.5;
      g.beginPath();
      let drawing = false;
      s.values.forEach((v, i) => {
        if (v == null) {
          drawing = false;
          return;
        }
        if (drawing) g.lineTo(x(offset + i), y(v));
        else g.moveTo(x(offset + i), y(v));
        drawing = true;
      });
      g.stroke();
      if (this.series.length > 1) {
        g.fillStyle = s.color;
        g.fillText(s.name, legend, top + 10);
        legend += g.measureText(s.name).width + 12;
      }
    });
  }
}

function niceCeiling(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function format(v) {
  if (v == null || isNaN(v)) return "–";
  if (v >= 100) return Math.round(v).toString();
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2).replace(/\.?0+$/, "") || "0";
}

function bytes(n) {
  if (n < 0) return "–";
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}

function duration(ms) {
  if (ms <= 0) return "expired";
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
}

// ---- numbers over the interval between two reads of /stats -------------------------------------

/** The latency (ms) under which a fraction q of the requests between two reads finished. */
function percentile(before, after, q) {
  const now = after.latency.buckets;
  const then = before ? before.latency.buckets : [];
  const total = after.latency.count - (before ? before.latency.count : 0);
  if (total <= 0 || now.length === 0) return null;
  const target = q * total;
  let lower = 0;
  for (let i = 0; i < now.length; i++) {
    const count = now[i][1] - (then[i] ? then[i][1] : 0);
    if (count >= target) {
      const le = now[i][0];
      return le == null ? lower * 1000 : le * 1000;
    }
    if (now[i][0] != null) lower = now[i][0];
  }
  return lower * 1000;
}

function sum(requests) {
  return Object.values(requests).reduce((a, b) => a + b, 0);
}

function interval(before, after, seconds) {
  const total = sum(after.requests) - (before ? sum(before.requests) : 0);
  const ok = (after.requests.ok || 0) - (before ? before.requests.ok || 0 : 0);
  return {
    rate: seconds > 0 ? Math.max(0, total) / seconds : 0,
    errors: total > 0 ? (100 * (total - ok)) / total : 0,
    p50: percentile(before, after, 0.5),
    p95: percentile(before, after, 0.95),
    p99: percentile(before, after, 0.99),
  };
}

// ---- the page -------------------------------------------------------------------------------

const charts = {
  rate: new LineChart($("chart-rate"), ["req/s"]),
  latency: new LineChart($("chart-latency"), ["p50", "p95", "p99"]),
  errors: new LineChart($("chart-errors"), ["errors %"]),
  memory: new LineChart($("chart-memory"), ["used"]),
};

let previous = null; // the last /stats read, with its time in ms
let deployments = [];
let timer = null;

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  stopFollowing();
  clearInterval(timer);
  timer = null;
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function signIn() {
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  await refresh();
  if (!timer && token()) timer = setInterval(() => refresh().catch(showError), POLL_MS);
}

function showError(e) {
  if (e && e.message !== "401") $("status").textContent = e.message;
}

async function refresh() {
  const [list, stats] = await Promise.all([
    api("deployments").then((r) => r.json()),
    api("stats").then((r) => r.json()),
  ]);
  $("status").textContent = "";
  deployments = list.deployments || [];
  const now = Date.parse(stats.time);
  const seconds = previous ? (now - previous.at) / 1000 : 0;
  const before = new Map(previous ? previous.stats.deployments.map((d) => [d.id, d]) : []);
  const figures = new Map(
    stats.deployments.map((d) => [d.id, { stats: d, interval: interval(before.get(d.id), d, seconds) }]));
  renderDeployments(figures);
  renderSelects();
  const chosen = figures.get($("chart-deployment").value);
  if (previous && chosen) {
    charts.rate.push([chosen.interval.rate]);
    charts.latency.push([chosen.interval.p50, chosen.interval.p95, chosen.interval.p99]);
    charts.errors.push([chosen.interval.errors]);
  }
  charts.memory.push([stats.memory.used / 1048576]);
  $("memory").textContent =
    "memory " + bytes(stats.memory.used) + " / " + bytes(stats.memory.max);
  previous = { at: now, stats };
}

function cell(row, text, numeric) {
  const td = row.insertCell();
  td.textContent = text;
  if (numeric) td.className = "num";
  return td;
}

/** The host names a deployment answers at: its own (deployments.domain) and its routes' hosts. */
function hostnames(d) {
  const hosts = new Set();
  for (const u of d.urls || []) {
    try {
      const h = new URL(u).hostname;
      if (h !== location.hostname) hosts.add(h);
    } catch (notAUrl) {
      // shown by its route
    }
  }
  for (const r of String(d.route || "").split("\n")) {
    const slash = r.indexOf("/");
    if (slash > 0) hosts.add(r.substring(0, slash));
  }
  return hosts.size ? Array.from(hosts).join(", ") : "any";
}

function renderDeployments(figures) {
  const body = $("deployments").tBodies[0];
  body.replaceChildren();
  $("no-deployments").hidden = deployments.length > 0;
  for (const d of deployments) {
    const f = figures.get(d.id);
    const s = f ? f.stats : null;
    const i = f ? f.interval : {};
    const row = body.insertRow();
    row.dataset.id = d.id;
    if (d.id === $("chart-deployment").value) row.className = "selected";
    cell(row, d.id).className = "id";
    cell(row, hostnames(d)).className = "hostname";
    cell(row, d.route);
    cell(row, d.deployedAt ? new Date(d.deployedAt).toLocaleString() : "configured");
    cell(row, d.expiresAt ? duration(Date.parse(d.expiresAt) - Date.now()) : "never");
    cell(row, s ? sum(s.requests) : 0, true).classList.add("requests");
    cell(row, format(i.rate), true);
    cell(row, i.errors == null ? "–" : format(i.errors) + " %", true);
    cell(row, i.p50 == null ? "–" : format(i.p50) + " ms", true);
    cell(row, i.p95 == null ? "–" : format(i.p95) + " ms", true);
    cell(row, i.p99 == null ? "–" : format(i.p99) + " ms", true);
    cell(row, s ? s.pool.idle + " / " + s.pool.inUse : "–", true);
    cell(row, s && s.kv.keys >= 0 ? s.kv.keys + " / " + bytes(s.kv.bytes) : "–", true);
    const actions = row.insertCell();
    if (d.uploaded) {
      const del = document.createElement("button");
      del.type = "button";
      del.className = "danger delete";
      del.textContent = "Delete";
      del.addEventListener("click", () => remove(d.id));
      const extend = document.createElement("button");
      extend.type = "button";
      extend.className = "extend";
      extend.textContent = "Extend TTL";
      extend.addEventListener("click", () => extendTtl(d.id));
      actions.append(extend, " ", del);
    }
  }
}

function renderSelects() {
  for (const id of ["chart-deployment", "log-deployment"]) {
    const select = $(id);
    const current = select.value;
    const ids = deployments.map((d) => d.id);
    if (Array.from(select.options).map((o) => o.value).join() !== ids.join()) {
      select.replaceChildren(...ids.map((v) => new Option(v, v)));
      select.value = ids.includes(current) ? current : ids[0] || "";
      select.dispatchEvent(new Event("change"));
    }
  }
}

async function remove(id) {
  if (!confirm("Delete deployment " + id + " and its KV store?")) return;
  try {
    await api("deployments/" + encodeURIComponent(id), { method: "DELETE" });
    $("status").textContent = "deleted " + id;
    await refresh();
  } catch (e) {
    showError(e);
  }
}

async function extendTtl(id) {
  const ttl = prompt("New TTL of " + id + ", from now (e.g. 30m, 2h, 7d):", "1h");
  if (!ttl) return;
  try {
    await api("deployments/" + encodeURIComponent(id) + "?ttl=" + encodeURIComponent(ttl.trim()), {
      method: "PATCH",
    });
    $("status").textContent = "extended " + id + " by " + ttl.trim();
    await refresh();
  } catch (e) {
    showError(e);
  }
}

async function deploy(event) {
  event.preventDefault();
  const id = $("deploy-id").value.trim();
  const route = $("deploy-route").value.trim();
  const ttl = $("deploy-ttl").value.trim();
  const file = $("deploy-file").files[0];
  if (!file) return;
  if (!confirm("Deploy " + file.name + " as " + id + " at " + route + "?")) return;
  const query = "?route=" + encodeURIComponent(route) + (ttl ? "&ttl=" + encodeURIComponent(ttl) : "");
  try {
    const r = await api("deployments/" + encodeURIComponent(id) + query, {
      method: "PUT",
      headers: { "Content-Type": "application/wasm" },
      body: file,
    });
    const result = await r.json();
    $("deploy-result").textContent = (result.replaced ? "replaced " : "deployed ") + id;
    await refresh();
  } catch (e) {
    $("deploy-result").textContent = e.message;
  }
}

// ---- the live log: the admin API's server-sent events, read with fetch -------------------------

let following = null; // { id, controller }

function stopFollowing() {
  if (following) following.controller.abort();
  following = null;
}

function follow(id) {
  stopFollowing();
  $("log").replaceChildren();
  if (!id) return;
  const me = { id, controller: new AbortController(), lastEventId: null };
  following = me;
  run(me).catch((e) => {
    if (e.name !== "AbortError" && following === me) $("log-state").textContent = e.message;
  });
}

async function run(me) {
  while (following === me) {
    const headers = { Accept: "text/event-stream" };
    if (me.lastEventId) headers["Last-Event-ID"] = me.lastEventId;
    const r = await api("deployments/" + encodeURIComponent(me.id) + "/logs?follow=1", {
      headers,
      signal: me.controller.signal,
    });
    $("log-state").textContent = "following";
    const reason = await readEvents(r.body, me);
    if (reason !== "maxDuration") {
      $("log-state").textContent = reason === "removed" ? "the deployment was removed" : "ended";
      return;
    }
  }
}

/** Reads a text/event-stream; resolves with the reason of its end event. */
async function readEvents(body, me) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { type: "message", data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return null;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, "");
      buffer = buffer.slice(nl + 1);
      if (line === "") {
        if (event.data.length > 0) {
          const data = event.data.join("\n");
          if (event.type === "end") return JSON.parse(data).reason;
          if (following === me) addLine(JSON.parse(data));
        }
        event = { type: "message", data: [] };
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const v = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "data") event.data.push(v);
        else if (field === "event") event.type = v;
        else if (field === "id") me.lastEventId = v;
      }
    }
  }
}

function addLine(entry) {
  const log = $("log");
  const li = document.createElement("li");
  li.value = entry.seq;
  li.className = entry.stream === "fault" ? "fault" : "guest";
  li.textContent = new Date(entry.time).toLocaleTimeString() + "  " + entry.text;
  filterLine(li, $("log-filter").value.toLowerCase());
  const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(li);
  while (log.children.length > MAX_LOG_LINES) log.firstElementChild.remove();
  if (atEnd) log.scrollTop = log.scrollHeight;
}

function filterLine(li, filter) {
  li.classList.toggle("hidden", filter !== "" && !li.textContent.toLowerCase().includes(filter));
}

// ---- wiring ---------------------------------------------------------------------------------

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  signIn().catch(showError);
});
$("logout").addEventListener("click", () => signOut(""));
$("deploy-form").addEventListener("submit", deploy);
$("chart-deployment").addEventListener("change", () => {
  Object.values(charts).forEach((c) => c !== charts.memory && c.clear());
});
$("log-deployment").addEventListener("change", () => follow($("log-deployment").value));
$("log-filter").addEventListener("input", () => {
  const filter = $("log-filter").value.toLowerCase();
  for (const li of $("log").children) filterLine(li, filter);
});
window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.draw()));

Object.values(charts).forEach((c) => c.draw());
if (token()) signIn().catch(showError);
