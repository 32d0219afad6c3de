// swift-format-ignore-file
import Hummingbird

/// The fleet page's "Subscribers" section (PRODUCT.md 7a): the hotline's
/// list, a form to add one and a Remove button each, through `GET`,
/// `POST` and `DELETE /v1/subscribers` with the session's CSRF header. The
/// list comes with the page's view (`/v1/stream`), so a subscriber added
/// with the CLI or by another operator shows without a reload. Its own
/// script and stylesheet, served by the binary like the page's.
enum FleetPageSubscribers {
    /// Lines for the page's `<head>`.
    static let head = """
<link rel="stylesheet" href="/assets/subscribers.css">
<script src="/assets/subscribers.js" defer></script>
"""

    static let section = """
<section aria-labelledby="subscribers-title" id="subscribers-section">
<h2 id="subscribers-title">Subscribers <span id="subscribers-count" class="count"></span></h2>
<div class="table"><table id="subscribers">
<thead><tr><th scope="col">Name</th><th scope="col">Phone</th><th scope="col">Zones</th><th scope="col">Min severity</th><th scope="col">Quiet hours</th><th scope="col">Cap</th><th scope="col">Texts</th><th scope="col"><span class="visually-hidden">Remove</span></th></tr></thead>
<tbody></tbody>
</table></div>
<p id="subscribers-empty" class="empty" hidden>No subscribers yet.</p>
<form id="subscriber-form" class="subscriber-form" novalidate>
<h3 id="subscriber-form-title">Add a subscriber</h3>
<div class="field"><label for="subscriber-name">Name</label>
<input id="subscriber-name" name="name" required autocomplete="off"></div>
<div class="field"><label for="subscriber-phone">Phone (E.164)</label>
<input id="subscriber-phone" name="phone" type="tel" required placeholder="+18025550100" aria-describedby="subscriber-phone-hint" autocomplete="off">
<small id="subscriber-phone-hint">+ then country code and number, no spaces</small></div>
<div class="field"><label for="subscriber-zones">Zones</label>
<input id="subscriber-zones" name="zones" required placeholder="north-fork, ridge-01:gate" aria-describedby="subscriber-zones-hint" autocomplete="off" autocapitalize="none" spellcheck="false">
<small id="subscriber-zones-hint">zone names or box:zone, separated by commas</small></div>
<div class="field"><label for="subscriber-severity">Min severity</label>
<select id="subscriber-severity" name="min_severity"><option value="low" selected>low</option><option value="medium">medium</option><option value="high">high</option><option value="critical">critical</option></select></div>
<div class="field"><label for="subscriber-quiet">Quiet hours (optional)</label>
<input id="subscriber-quiet" name="quiet_hours" placeholder="22:00-06:00" autocomplete="off"></div>
<div class="field"><label for="subscriber-cap">Max texts an hour (optional)</label>
<input id="subscriber-cap" name="max_per_hour" type="number" min="1" step="1" inputmode="numeric"></div>
<div class="actions"><button type="submit" id="subscriber-add">Add subscriber</button></div>
<p id="subscriber-message" class="subscriber-message" role="status" aria-live="polite"></p>
</form>
</section>
"""

    static let css = #"""
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
h3 { font-size: 1rem; margin: 1rem 0 .5rem; }
.subscriber-form { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: .5rem 1rem; align-items: start;
  border: 1px solid var(--line); border-radius: .35rem; padding: .75rem; margin-top: .75rem; background: var(--panel); }
.subscriber-form h3, .subscriber-form .actions, .subscriber-message { grid-column: 1 / -1; margin: 0; }
.subscriber-form .field { display: flex; flex-direction: column; gap: .2rem; min-width: 0; }
.subscriber-form input, .subscriber-form select { font: inherit; padding: .45rem; border: 1px solid var(--muted); border-radius: .35rem; width: 100%; background: var(--bg); color: var(--fg); }
.subscriber-form small { color: var(--muted); font-size: .85rem; }
.subscriber-message.error { color: var(--high); font-weight: bold; }
tr.opted-out td, tr.opted-out th { background: #fdecea; }
.badge.opted-out { background: var(--high); color: #fff; }
.badge.texting { background: var(--ok); color: #fff; }
#subscribers td.remove-cell::before { content: none; }
#subscribers td.phone, #subscribers td.quiet-hours, #subscribers td.texts, #subscribers td.remove-cell { white-space: nowrap; overflow-wrap: normal; }
"""#

    static let javascript = #"""
"use strict";
(function () {
  var fleet = window.picketFleet;
  var form = document.getElementById("subscriber-form");
  var message = document.getElementById("subscriber-message");
  if (!form || !fleet) return;
  var csrf = fleet.csrf, el = fleet.el, str = fleet.str, cell = fleet.cell;
  var shown = null;
  var removed = {};

  function say(text, error) {
    message.textContent = text;
    message.className = error ? "subscriber-message error" : "subscriber-message";
  }
  function render(list) {
    list = list.filter(function (s) { return !removed[str(s.phone)]; });
    var text = JSON.stringify(list);
    if (text === shown) return;
    shown = text;
    var focused = document.activeElement && document.activeElement.getAttribute
      ? document.activeElement.getAttribute("data-phone") : null;
    var body = document.querySelector("#subscribers tbody");
    body.replaceChildren.apply(body, list.map(function (s) {
      var phone = str(s.phone);
      var row = el("tr", s.opted_out === true ? "opted-out" : "");
      row.setAttribute("data-phone", phone);
      var name = el("th", "", str(s.name));
      name.scope = "row";
      row.appendChild(name);
      cell(row, "Phone", phone).className = "phone";
      cell(row, "Zones", (Array.isArray(s.zones) ? s.zones.map(str) : []).join(", ")).className = "zones";
      cell(row, "Min severity", str(s.min_severity) || "low").className = "min-severity";
      cell(row, "Quiet hours", s.quiet_hours ? str(s.quiet_hours) : "none").className = "quiet-hours";
      cell(row, "Cap", typeof s.max_per_hour === "number" ? s.max_per_hour + " an hour" : "no cap").className = "cap";
      var badge = s.opted_out === true
        ? el("span", "badge opted-out", "opted out (STOP)")
        : el("span", "badge texting", "receiving");
      cell(row, "Texts", badge).className = "texts";
      var button = el("button", "remove", "Remove");
      button.type = "button";
      button.setAttribute("data-phone", phone);
      button.setAttribute("aria-label", "Remove subscriber " + str(s.name) + " (" + phone + ")");
      button.addEventListener("click", function () { remove(phone, str(s.name), button); });
      cell(row, "Remove", button).className = "remove-cell";
      return row;
    }));
    document.getElementById("subscribers-empty").hidden = list.length > 0;
    document.getElementById("subscribers-count").textContent = "(" + list.length + ")";
    if (focused) {
      var again = body.querySelector('button[data-phone="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
      else { var next = body.querySelector("button.remove"); (next || document.getElementById("subscriber-name")).focus(); }
    }
  }

  function problem(response) {
    return response.json().then(function (body) { return str(body && body.error); }, function () { return ""; })
      .then(function (text) { return text || "HTTP " + response.status; });
  }

  function remove(phone, name, button) {
    button.disabled = true;
    fetch("/v1/subscribers/" + encodeURIComponent(phone), {
      method: "DELETE", credentials: "same-origin", headers: { "X-Picket-CSRF": csrf }
    }).then(function (response) {
      if (response.status === 401) { window.location.assign("/login"); return; }
      if (!response.ok && response.status !== 404) {
        button.disabled = false;
        return problem(response).then(function (text) { say("Could not remove " + name + ": " + text, true); });
      }
      removed[phone] = true;
      say("Removed " + name + " (" + phone + ").", false);
      if (lastList) render(lastList);
    }, function () {
      button.disabled = false;
      say("Could not reach the sector to remove " + name + "; try again.", true);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = function (name) { return form.elements[name].value.trim(); };
    var body = {
      name: value("name"),
      phone: value("phone").replace(/[\s()-]/g, ""),
      zones: value("zones").split(",").map(function (z) { return z.trim(); }).filter(function (z) { return z; }),
      min_severity: value("min_severity"),
      quiet_hours: value("quiet_hours") || null,
      max_per_hour: value("max_per_hour") ? Number(value("max_per_hour")) : null
    };
    var button = document.getElementById("subscriber-add");
    button.disabled = true;
    say("Adding…", false);
    fetch("/v1/subscribers", {
      method: "POST", credentials: "same-origin",
      headers: { "X-Picket-CSRF": csrf, "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (response) {
      button.disabled = false;
      if (response.status === 401) { window.location.assign("/login"); return; }
      if (!response.ok) {
        return problem(response).then(function (text) { say("Not added: " + text, true); });
      }
      return response.json().then(function (answer) {
        var added = answer && answer.subscriber ? answer.subscriber : body;
        delete removed[str(added.phone)];
        var warnings = answer && Array.isArray(answer.warnings) ? answer.warnings.map(str) : [];
        say("Added " + str(added.name) + " (" + str(added.phone) + ")." + (warnings.length ? " Warning: " + warnings.join("; ") : ""), false);
        form.reset();
        if (lastList) render(lastList.filter(function (s) { return str(s.phone) !== str(added.phone); }).concat([added]));
      });
    }, function () {
      button.disabled = false;
      say("Could not reach the sector to add the subscriber; try again.", true);
    });
  });

  var lastList = null;
  document.addEventListener("picket:state", function (event) {
    var state = event.detail;
    if (!state || !Array.isArray(state.subscribers)) return;
    lastList = state.subscribers.filter(function (s) { return s !== null && typeof s === "object"; });
    // A phone removed here and added again elsewhere shows again.
    Object.keys(removed).forEach(function (phone) {
      if (!lastList.some(function (s) { return str(s.phone) === phone; })) delete removed[phone];
    });
    render(lastList);
  });
})();
"""#
}

extension SectorPage {
    func registerSubscriberAssets(on router: Router<BasicRequestContext>) {
        router.get("/assets/subscribers.css") { _, _ in
            Self.asset(FleetPageSubscribers.css, contentType: "text/css; charset=utf-8")
        }
        router.get("/assets/subscribers.js") { _, _ in
            Self.asset(FleetPageSubscribers.javascript, contentType: "text/javascript; charset=utf-8")
        }
    }

    /// `,"subscribers":[...]` for the page's view, fields as `GET /v1/subscribers`.
    func subscribersView() async throws -> String {
        let subscribers = try await store.subscribers()
        return ",\"subscribers\":[" + subscribers.map(SectorJSON.subscriber).joined(separator: ",") + "]"
    }
}
