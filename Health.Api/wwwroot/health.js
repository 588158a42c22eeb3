// Draws /health/history as hand-made SVG line charts: no libraries, no build step, nothing from the network.
"use strict";

const refreshMs = 5000;
const svgNs = "http://www.w3.org/2000/svg";

// Each chart: a title, a unit and how to read its value from a history point (null where unknown).
const charts = [
  { title: "Spans accepted", unit: "/s", value: p => p.figures.spansAcceptedPerSecond },
  { title: "Queue depth", unit: "messages", value: p => p.figures.queueDepth },
  { title: "Queue trend", unit: "messages/min", value: p => p.figures.queueTrendPerMinute },
  { title: "Oldest unflushed batch", unit: "s", value: p => p.figures.oldestUnflushedBatchAgeSeconds },
  { title: "Blocks written", unit: "/min", value: p => p.figures.blocksWrittenPerMinute },
  { title: "End-to-end freshness", unit: "s", value: p => p.figures.freshnessSeconds },
  { title: "Dead-lettered", unit: "messages", value: p => p.figures.deadLetterDepth },
  { title: "Errors, all services", unit: "/s", value: p => sumErrors(p.figures.errorRates) },
  { title: "Status", unit: "0 ok, 1 degraded, 2 unhealthy", value: p => ({ Healthy: 0, Degraded: 1, Unhealthy: 2 })[p.status] },
];

function sumErrors(rates) {
  const values = Object.values(rates || {}).map(r => r.errorsPerSecond).filter(v => v !== null && v !== undefined);
  return values.length ? values.reduce((a, b) => a + b, 0) : null;
}

function format(v) {
  if (v === null || v === undefined) return "n/a";
  const abs = Math.abs(v);
  return abs >= 1000 ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function element(name, attributes, text) {
  const e = document.createElementNS(svgNs, name);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function drawChart(container, chart, points) {
  const width = 360, height = 140, left = 44, right = 6, top = 6, bottom = 18;
  const values = points.map(p => ({ t: Date.parse(p.time), v: chart.value(p) })).filter(x => x.v !== null && x.v !== undefined);
  const box = document.createElement("div");
  box.className = "chart";
  const title = document.createElement("h3");
  title.textContent = `${chart.title} (${chart.unit})`;
  const now = document.createElement("span");
  now.className = "now";
  now.textContent = values.length ? format(values[values.length - 1].v) : "n/a";
  title.appendChild(now);
  box.appendChild(title);

  const svg = element("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": chart.title });
  svg.appendChild(element("line", { class: "axis", x1: left, y1: height - bottom, x2: width - right, y2: height - bottom }));
  svg.appendChild(element("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }));
  if (values.length > 0) {
    const t0 = values[0].t, t1 = Math.max(values[values.length - 1].t, t0 + 1);
    const vMax = Math.max(...values.map(x => x.v), 0), vMin = Math.min(...values.map(x => x.v), 0);
    const span = vMax - vMin || 1;
    const x = t => left + (t - t0) / (t1 - t0) * (width - left - right);
    const y = v => height - bottom - (v - vMin) / span * (height - top - bottom);
    const path = values.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
    svg.appendChild(element("path", { class: "line", d: path }));
    svg.appendChild(element("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, format(vMax)));
    svg.appendChild(element("text", { x: left - 4, y: height - bottom, "text-anchor": "end" }, format(vMin)));
    svg.appendChild(element("text", { x: left, y: height - 4 }, new Date(t0).toLocaleTimeString()));
    svg.appendChild(element("text", { x: width - right, y: height - 4, "text-anchor": "end" }, new Date(t1).toLocaleTimeString()));
  }
  box.appendChild(svg);
  container.appendChild(box);
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : text;
  if (className) td.className = className;
  row.appendChild(td);
}

function render(history) {
  const latest = history.latest;
  const status = document.getElementById("status");
  status.textContent = latest ? latest.status : "starting";
  status.className = "badge " + (latest ? latest.status : "");
  document.getElementById("updated").textContent = latest ? "as of " + new Date(latest.time).toLocaleTimeString() : "";

  const reasons = document.getElementById("reasons");
  reasons.replaceChildren(...(latest ? latest.reasons : []).map(r => {
    const li = document.createElement("li");
    li.textContent = r;
    return li;
  }));

  const body = document.querySelector("#components tbody");
  body.replaceChildren(...(latest ? latest.components : []).map(c => {
    const row = document.createElement("tr");
    cell(row, c.name);
    cell(row, c.status, "badge " + c.status);
    cell(row, new Date(c.lastCheck).toLocaleTimeString());
    cell(row, c.latencyMs === null ? "" : c.latencyMs + " ms");
    cell(row, c.reason);
    cell(row, c.lastError ? `${c.lastError} (${new Date(c.lastErrorAt).toLocaleTimeString()})` : "");
    return row;
  }));

  const container = document.getElementById("charts");
  container.replaceChildren();
  for (const chart of charts) drawChart(container, chart, history.points);
}

async function refresh() {
  try {
    const response = await fetch("health/history", { cache: "no-store" });
    if (response.ok) {
      render(await response.json());
    } else {
      document.getElementById("updated").textContent = `history answered ${response.status}`;
    }
  } catch (e) {
    // Health.Api restarting: say so on the page and try again at the next tick.
    document.getElementById("updated").textContent = "Health.Api does not answer";
  }
}

refresh();
setInterval(refresh, refreshMs);
