// swift-format-ignore-file
/// The fleet page's stylesheet and script, served by the binary
/// (`/assets/fleet.css`, `/assets/fleet.js`): no CDN, font or map tile.
/// The script puts everything a box sent into the page with
/// `textContent` and SVG attributes, never as markup.
enum FleetPageAssets {
    static let css = #"""
:root { color-scheme: light; --fg: #1b1f23; --muted: #57606a; --line: #d0d7de; --bg: #fff; --panel: #f6f8fa;
  --high: #b3261e; --medium: #9a5b00; --low: #1f6feb; --ok: #1a7f37; --focus: #0b57d0; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between;
  padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
h1 { font-size: 1.25rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
main { padding: 0 1rem 2rem; max-width: 72rem; margin: 0 auto; }
.sector { font-weight: normal; }
.logout { display: flex; gap: .5rem; align-items: center; margin: 0; }
.who { color: var(--muted); overflow-wrap: anywhere; }
button, input { font: inherit; }
button { padding: .4rem .9rem; border: 1px solid var(--fg); border-radius: .35rem; background: var(--bg); color: var(--fg); cursor: pointer; min-height: 2.25rem; }
button:hover { background: var(--panel); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.connection { margin: .5rem 1rem 0; color: var(--muted); font-size: .9rem; }
.connection.down { color: var(--high); font-weight: bold; }
.alerts { list-style: none; padding: 0; margin: 0; }
.alerts li { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; justify-content: space-between;
  border: 1px solid var(--line); border-left: .4rem solid var(--low); border-radius: .35rem; padding: .5rem .75rem; margin: 0 0 .5rem; }
.alerts li.severity-high { border-left-color: var(--high); }
.alerts li.severity-medium { border-left-color: var(--medium); }
.alerts li.acknowledged { border-left-color: var(--line); color: var(--muted); }
.alert-text { flex: 1 1 16rem; min-width: 0; overflow-wrap: anywhere; }
.alert-summary { font-weight: 600; }
.meta { color: var(--muted); font-size: .9rem; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: .25rem; font-size: .8rem; font-weight: bold; text-transform: uppercase; }
.badge.high, .badge.offline { background: var(--high); color: #fff; }
.badge.medium { background: var(--medium); color: #fff; }
.badge.low, .badge.never { background: var(--muted); color: #fff; }
.badge.online { background: var(--ok); color: #fff; }
.empty { color: var(--muted); }
svg.plot, svg.timeline { display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: .35rem; background: var(--panel); }
svg.plot { max-width: 36rem; }
svg text { font-size: 11px; fill: var(--muted); }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
tr.offline td { background: #fdecea; }
.wrong { color: var(--high); font-weight: bold; }
.login { max-width: 22rem; margin: 3rem auto; padding: 0 1rem; }
.login form { display: flex; flex-direction: column; gap: .5rem; margin-top: 1rem; }
.login input { padding: .5rem; border: 1px solid var(--muted); border-radius: .35rem; width: 100%; }
.login button { margin-top: .5rem; }
.error { color: var(--high); font-weight: bold; margin: 0; }
@media (max-width: 40rem) {
  /* The boxes' table becomes one block per box on a phone. */
  table, thead, tbody, tr, th, td { display: block; }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  tr { border: 1px solid var(--line); border-radius: .35rem; margin: 0 0 .5rem; }
  td { border: 0; padding: .2rem .6rem; }
  td::before { content: attr(data-label) ": "; color: var(--muted); }
  .table { overflow-x: visible; }
}
"""#

    static let javascript = #"""
"use strict";
(function () {
  var SVG = "http://www.w3.org/2000/svg";
  var csrfMeta = document.querySelector('meta[name="picket-csrf"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var state = null;
  var skewMs = 0; // the browser's clock minus the sector's
  var connection = document.getElementById("connection");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svg(tag, attributes, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (k) { node.setAttribute(k, String(attributes[k])); });
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function str(v) { return typeof v === "string" ? v : (v === null || v === undefined ? "" : String(v)); }
  function num(v) { return typeof v === "number" && isFinite(v) ? v : null; }
  function obj(v) { return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null; }
  function severity(s) { s = str(s).toLowerCase(); return s === "high" || s === "medium" ? s : "low"; }
  function time(ms) {
    if (num(ms) === null) return "never";
    return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  }
  function ago(ms) {
    if (num(ms) === null) return "never";
    var s = Math.max(0, Math.round((Date.now() - skewMs - ms) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 172800) return Math.floor(s / 3600) + " h ago";
    return Math.floor(s / 86400) + " days ago";
  }

  function alertItem(a, open) {
    var li = el("li", open ? "severity-" + severity(a.severity) : "acknowledged");
    li.setAttribute("data-alert-id", str(a.id));
    var text = el("div", "alert-text");
    var head = el("div", "alert-summary");
    head.appendChild(el("span", "badge " + severity(a.severity), severity(a.severity)));
    head.appendChild(document.createTextNode(" " + (str(a.summary) || str(a.rule) || "alert")));
    text.appendChild(head);
    var meta = "box " + str(a.box) + (a.zone ? " · zone " + str(a.zone) : "") + (a.rule ? " · " + str(a.rule) : "")
      + " · received " + time(a.received_ms);
    if (!open) meta += " · acknowledged by " + str(a.acknowledged_by) + " at " + time(a.acknowledged_ms);
    text.appendChild(el("div", "meta", meta));
    li.appendChild(text);
    if (open) {
      var button = el("button", "ack", "Acknowledge");
      button.type = "button";
      button.setAttribute("data-alert-id", str(a.id));
      button.setAttribute("aria-label", "Acknowledge: " + (str(a.summary) || str(a.rule)) + " (box " + str(a.box) + ")");
      button.addEventListener("click", function () { acknowledge(str(a.id), button); });
      li.appendChild(button);
    }
    return li;
  }

  function renderAlerts() {
    var focused = document.activeElement && document.activeElement.getAttribute
      ? document.activeElement.getAttribute("data-alert-id") : null;
    var list = document.getElementById("open");
    list.replaceChildren.apply(list, state.open.map(function (a) { return alertItem(a, true); }));
    document.getElementById("open-empty").hidden = state.open.length > 0;
    document.getElementById("open-count").textContent = "(" + state.open.length + ")";
    var done = document.getElementById("acknowledged");
    done.replaceChildren.apply(done, state.acknowledged.map(function (a) { return alertItem(a, false); }));
    if (focused) {
      var again = list.querySelector('button[data-alert-id="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
      else { var next = list.querySelector("button"); if (next) next.focus(); }
    }
  }

  function boxPosition(b) {
    var status = obj(b.status);
    var p = status ? obj(status.position) : null;
    return p && num(p.lat) !== null && num(p.lon) !== null ? p : null;
  }

  function renderPlot() {
    var plot = document.getElementById("plot");
    var desc = plot.querySelector("desc");
    plot.replaceChildren(desc);
    var points = [];
    state.open.forEach(function (a) {
      if (num(a.lat) !== null && num(a.lon) !== null) points.push({ lat: a.lat, lon: a.lon, alert: a });
    });
    state.boxes.forEach(function (b) { var p = boxPosition(b); if (p) points.push({ lat: p.lat, lon: p.lon, box: b }); });
    if (points.length === 0) {
      plot.appendChild(svg("text", { x: 200, y: 150, "text-anchor": "middle" }, "No positions yet"));
      return;
    }
    var minLat = Math.min.apply(null, points.map(function (p) { return p.lat; }));
    var maxLat = Math.max.apply(null, points.map(function (p) { return p.lat; }));
    var minLon = Math.min.apply(null, points.map(function (p) { return p.lon; }));
    var maxLon = Math.max.apply(null, points.map(function (p) { return p.lon; }));
    // Longitude degrees shrink with latitude: keep the aspect right.
    var k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180) || 1;
    var spanX = Math.max((maxLon - minLon) * k, 1e-4), spanY = Math.max(maxLat - minLat, 1e-4);
    var scale = Math.min(360 / spanX, 260 / spanY);
    var cx = (minLon + maxLon) / 2, cy = (minLat + maxLat) / 2;
    function x(lon) { return 200 + (lon - cx) * k * scale; }
    function y(lat) { return 150 - (lat - cy) * scale; }
    points.forEach(function (p) {
      var shape;
      if (p.box) {
        shape = svg("rect", { x: x(p.lon) - 5, y: y(p.lat) - 5, width: 10, height: 10,
          fill: p.box.offline ? "#b3261e" : "#1a7f37", "class": "plot-box" });
        shape.appendChild(svg("title", {}, "box " + str(p.box.box) + (p.box.offline ? " (offline)" : "")));
      } else {
        var s = severity(p.alert.severity);
        shape = svg("circle", { cx: x(p.lon), cy: y(p.lat), r: 6, "class": "plot-alert",
          fill: s === "high" ? "#b3261e" : s === "medium" ? "#9a5b00" : "#1f6feb", "fill-opacity": 0.8 });
        shape.setAttribute("data-alert-id", str(p.alert.id));
        shape.appendChild(svg("title", {}, (str(p.alert.summary) || str(p.alert.rule)) + " (box " + str(p.alert.box) + ")"));
      }
      plot.appendChild(shape);
    });
    plot.appendChild(svg("text", { x: 4, y: 296 }, minLat.toFixed(4) + ", " + minLon.toFixed(4)));
    plot.appendChild(svg("text", { x: 396, y: 12, "text-anchor": "end" }, maxLat.toFixed(4) + ", " + maxLon.toFixed(4)));
  }

  function renderTimeline() {
    var line = document.getElementById("timeline");
    var desc = line.querySelector("desc");
    line.replaceChildren(desc);
    var now = Date.now() - skewMs;
    var times = state.open.map(function (a) { return num(a.received_ms); }).filter(function (t) { return t !== null; });
    var start = Math.min.apply(null, times.concat([now - 3600 * 1000]));
    var span = Math.max(now - start, 1000);
    line.appendChild(svg("line", { x1: 10, y1: 40, x2: 390, y2: 40, stroke: "#57606a" }));
    line.appendChild(svg("text", { x: 10, y: 62 }, time(start)));
    line.appendChild(svg("text", { x: 390, y: 62, "text-anchor": "end" }, "now"));
    state.open.forEach(function (a) {
      if (num(a.received_ms) === null) return;
      var s = severity(a.severity);
      var dot = svg("circle", { cx: 10 + 380 * (a.received_ms - start) / span, cy: 40, r: 6, "class": "timeline-alert",
        fill: s === "high" ? "#b3261e" : s === "medium" ? "#9a5b00" : "#1f6feb", "fill-opacity": 0.8 });
      dot.setAttribute("data-alert-id", str(a.id));
      dot.appendChild(svg("title", {}, time(a.received_ms) + ": " + (str(a.summary) || str(a.rule)) + " (box " + str(a.box) + ")"));
      line.appendChild(dot);
    });
  }

  function cell(row, label, content) {
    var td = el("td");
    td.setAttribute("data-label", label);
    if (typeof content === "string") td.textContent = content; else td.appendChild(content);
    row.appendChild(td);
    return td;
  }

  function renderBoxes() {
    var body = document.querySelector("#boxes tbody");
    body.replaceChildren.apply(body, state.boxes.map(function (b) {
      var status = obj(b.status);
      var row = el("tr", b.offline ? "offline" : "");
      row.setAttribute("data-box", str(b.box));
      var name = el("th", "", str(b.box));
      name.scope = "row";
      row.appendChild(name);
      var stateText = b.offline ? "offline" : (num(b.last_status_ms) === null ? "never seen" : "online");
      var badge = el("span", "badge state " + (b.offline ? "offline" : num(b.last_status_ms) === null ? "never" : "online"), stateText);
      cell(row, "State", badge);
      cell(row, "Last seen", num(b.last_status_ms) === null ? "never" : ago(b.last_status_ms) + " (" + time(b.last_status_ms) + ")")
        .className = "last-seen";
      var sensors = status && Array.isArray(status.sensors) ? status.sensors.filter(obj) : [];
      var sick = sensors.filter(function (s) { return s.healthy === false; });
      var sensorText = sensors.length === 0 ? "–" : (sensors.length - sick.length) + " of " + sensors.length + " healthy";
      if (sick.length) sensorText += "; not healthy: " + sick.map(function (s) {
        return str(s.sensor) + (s.detail ? " (" + str(s.detail) + ")" : "") + (s.tamper ? " tamper" : "");
      }).join(", ");
      cell(row, "Sensors", sensorText).className = sick.length ? "sensors wrong" : "sensors";
      var batteries = sensors.map(function (s) { return num(s.battery_mv); }).filter(function (v) { return v !== null; });
      cell(row, "Battery", batteries.length ? "lowest " + (Math.min.apply(null, batteries) / 1000).toFixed(2) + " V" : "–");
      var clock = status ? obj(status.clock) : null;
      var clockText = num(b.clock_offset_s) === null ? "–" : (b.clock_offset_s >= 0 ? "+" : "") + b.clock_offset_s + " s from the sector";
      if (clock && clock.synced === true) clockText += ", synced";
      if (clock && clock.synced === false) clockText += ", not synced";
      if (b.clock_wrong) clockText = "WRONG: " + clockText;
      cell(row, "Clock", clockText).className = b.clock_wrong ? "clock wrong" : "clock";
      var outbox = status ? obj(status.outbox) : null;
      var outboxText = outbox ? str(num(outbox.pending) === null ? "?" : outbox.pending) + " pending, "
        + str(num(outbox.dead) === null ? "?" : outbox.dead) + " dead" : "–";
      cell(row, "Outbox", outboxText).className = outbox && num(outbox.dead) > 0 ? "outbox wrong" : "outbox";
      return row;
    }));
  }

  // "Reports and texts": the hotline's reports, every incoming text (unknown phones' too), opted-out phones.
  function renderHotline() {
    var h = obj(state.hotline) || {};
    function list(id, items, line) {
      var node = document.getElementById(id);
      var rows = (Array.isArray(items) ? items.filter(obj) : []).map(function (x) { return el("li", "", line(x)); });
      node.replaceChildren.apply(node, rows.length ? rows : [el("li", "empty", "None.")]);
    }
    list("hotline-reports", h.reports, function (r) {
      var takers = Array.isArray(r.taken_by) && r.taken_by.length ? "taken by " + r.taken_by.map(str).join(", ") : "not taken yet";
      return time(r.ts_ms) + " " + str(r["class"]) + " in " + (r.box ? str(r.box) + ":" : "") + str(r.zone) + " from "
        + str(r.subscriber || r.from) + ": " + str(r.note) + " (" + takers + ")";
    });
    list("hotline-texts", h.texts, function (t) {
      return time(t.received_ms) + " " + str(t.from) + (t.subscriber ? " (" + str(t.subscriber) + ")" : " (unknown phone)")
        + " [" + str(t.kind) + "]: " + str(t.body);
    });
    list("hotline-opted-out", h.opted_out, function (o) {
      return str(o.phone) + " sent " + str(o.keyword) + " " + time(o.changed_ms);
    });
  }

  var shownAlerts = null;
  function render() {
    if (!state) return;
    // The list is rebuilt only when the alerts changed: a box's status
    // alone leaves the buttons (and the keyboard's focus) where they are.
    var alerts = JSON.stringify([state.open, state.acknowledged]);
    if (alerts !== shownAlerts) { renderAlerts(); shownAlerts = alerts; }
    renderPlot();
    renderTimeline();
    renderBoxes();
    renderHotline();
  }

  function setConnection(text, down) {
    connection.textContent = text;
    connection.className = down ? "connection down" : "connection";
  }

  function acknowledge(id, button) {
    button.disabled = true;
    fetch("/v1/alerts/" + encodeURIComponent(id) + "/ack", {
      method: "POST", credentials: "same-origin", headers: { "X-Picket-CSRF": csrf }
    }).then(function (response) {
      if (response.status === 401) { window.location.assign("/login"); return; }
      if (!response.ok) {
        button.disabled = false;
        setConnection("Could not acknowledge (HTTP " + response.status + "); try again.", true);
        return;
      }
      // Shown as acknowledged at once; the stream confirms it within a second.
      state.open = state.open.filter(function (a) { return str(a.id) !== id; });
      render();
    }, function () {
      button.disabled = false;
      setConnection("Could not reach the sector to acknowledge; try again.", true);
    });
  }

  // For the page's other scripts (subscribers.js), which render from the "picket:state" event.
  window.picketFleet = { csrf: csrf, el: el, str: str, cell: cell };
  var source = new EventSource("/v1/stream");
  source.addEventListener("open", function () { setConnection("Live: updates arrive by themselves.", false); });
  source.addEventListener("error", function () { setConnection("Connection lost: reconnecting…", true); });
  source.addEventListener("logout", function () { source.close(); window.location.assign("/login"); });
  source.addEventListener("state", function (event) {
    var next;
    try { next = JSON.parse(event.data); } catch (e) { return; }
    if (!obj(next)) return;
    skewMs = num(next.now_ms) === null ? 0 : Date.now() - next.now_ms;
    next.boxes = Array.isArray(next.boxes) ? next.boxes.filter(obj) : [];
    next.open = Array.isArray(next.open) ? next.open.filter(obj) : [];
    next.acknowledged = Array.isArray(next.acknowledged) ? next.acknowledged.filter(obj) : [];
    state = next;
    setConnection("Live: updated " + time(next.now_ms) + ".", false);
    render();
    document.dispatchEvent(new CustomEvent("picket:state", { detail: next }));
  });
  // "Last seen" and the timeline's "now" move on between updates.
  setInterval(function () { if (state) { renderBoxes(); renderTimeline(); } }, 10000);
})();
"""#
}
