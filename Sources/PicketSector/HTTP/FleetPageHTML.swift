/// The fleet page's two HTML documents. Everything interpolated is
/// escaped as text (`escape`); what boxes send never reaches this file,
/// the page's script puts it in with `textContent`.
enum FleetPageHTML {
    /// `&`, `<`, `>`, `"` and `'` as character references.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func head(_ title: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <link rel="stylesheet" href="/assets/fleet.css">
        """
    }

    static func login(sector: String, message: String?) -> String {
        let alert = message.map { "<p class=\"error\" role=\"alert\" id=\"login-error\">\(escape($0))</p>\n" } ?? ""
        return head("Log in: picket sector \(sector)")
            + """
            </head>
            <body>
            <main class="login">
            <h1>picket sector <span class="sector">\(escape(sector))</span></h1>
            <form method="post" action="/login">
            \(alert)<label for="name">Operator name</label>
            <input id="name" name="name" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">Log in</button>
            </form>
            </main>
            </body>
            </html>

            """
    }

    static func fleet(sector: String, operatorName: String, csrf: String) -> String {
        head("Fleet: picket sector \(sector)")
            + """
            <meta name="picket-csrf" content="\(escape(csrf))">
            <script src="/assets/fleet.js" defer></script>
            \(FleetPageSubscribers.head)
            </head>
            <body>
            <header>
            <h1>picket sector <span class="sector">\(escape(sector))</span></h1>
            <form method="post" action="/logout" class="logout">
            <input type="hidden" name="csrf" value="\(escape(csrf))">
            <span class="who">\(escape(operatorName))</span>
            <button type="submit">Log out</button>
            </form>
            </header>
            <p id="connection" class="connection" role="status" aria-live="polite">Connecting…</p>
            <main>
            <section aria-labelledby="open-title">
            <h2 id="open-title">Open alerts <span id="open-count" class="count"></span></h2>
            <ul id="open" class="alerts"></ul>
            <p id="open-empty" class="empty" hidden>No open alerts.</p>
            </section>
            <section aria-labelledby="plot-title">
            <h2 id="plot-title">Positions</h2>
            <svg id="plot" class="plot" viewBox="0 0 400 300" role="img" aria-labelledby="plot-title plot-desc">
            <desc id="plot-desc">Open alerts (circles) and boxes (squares) by latitude and longitude, scaled to fit.</desc>
            </svg>
            </section>
            <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">Timeline</h2>
            <svg id="timeline" class="timeline" viewBox="0 0 400 70" role="img" aria-labelledby="timeline-title timeline-desc">
            <desc id="timeline-desc">Open alerts by the time the sector received them.</desc>
            </svg>
            </section>
            <section aria-labelledby="boxes-title">
            <h2 id="boxes-title">Boxes</h2>
            <div class="table"><table id="boxes">
            <thead><tr><th scope="col">Box</th><th scope="col">State</th><th scope="col">Last seen</th><th scope="col">Sensors</th><th scope="col">Battery</th><th scope="col">Clock</th><th scope="col">Outbox</th></tr></thead>
            <tbody></tbody>
            </table></div>
            </section>
            <section aria-labelledby="acknowledged-title">
            <h2 id="acknowledged-title">Recently acknowledged</h2>
            <ul id="acknowledged" class="alerts"></ul>
            </section>
            \(FleetPageSubscribers.section)
            <section aria-labelledby="hotline-title">
            <h2 id="hotline-title">Reports and texts</h2>
            <h3>Reports</h3><ul id="hotline-reports" class="hotline"></ul>
            <h3>Incoming texts</h3><ul id="hotline-texts" class="hotline"></ul>
            <h3>Opted out</h3><ul id="hotline-opted-out" class="hotline"></ul>
            </section>
            </main>
            </body>
            </html>

            """
    }
}
