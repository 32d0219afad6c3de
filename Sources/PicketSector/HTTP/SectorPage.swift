import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PicketCore
import ServiceLifecycle

/// The fleet page (PRODUCT.md 7a `GET /`): its login, the page itself,
/// its assets and its live stream. Every byte is served by the binary
/// (`FleetPageAssets`); nothing is loaded from elsewhere, and the
/// `Content-Security-Policy` says so to the browser too.
///
/// The page renders what `GET /v1/stream` sends: Server-Sent Events with
/// the whole view (boxes, open and recently acknowledged alerts) each time
/// it differs from the last one sent. The stream reads the store every
/// `pollInterval`, so an alert stored, a box gone offline or an alert
/// acknowledged by another process on the same database shows too.
public struct SectorPage: Sendable {
    let store: any SectorStore
    let operators: Operators
    let clock: any PicketClock
    let sector: String
    let offlineAfterS: Int
    /// `Secure` on the session cookie: when `public_url` is https.
    let secureCookies: Bool
    let pollInterval: Duration
    /// A stream ends after this long; the browser's `EventSource`
    /// reconnects by itself (and finds out about an ended session then).
    let streamLifetime: Duration

    public init(
        store: any SectorStore, operators: Operators, clock: any PicketClock, sector: String, offlineAfterS: Int,
        secureCookies: Bool, pollInterval: Duration = .seconds(1), streamLifetime: Duration = .seconds(300)
    ) {
        self.store = store
        self.operators = operators
        self.clock = clock
        self.sector = sector
        self.offlineAfterS = offlineAfterS
        self.secureCookies = secureCookies
        self.pollInterval = pollInterval
        self.streamLifetime = streamLifetime
    }

    var sessions: OperatorSessions { OperatorSessions(store: store, clock: clock) }

    /// Alerts the page looks at: the newest this many.
    static let alertWindow = 500
    /// Acknowledged alerts shown below the open ones.
    static let acknowledgedShown = 20
    static let maximumFormBytes = 16 << 10

    public func register(on router: Router<BasicRequestContext>) {
        router.get("/") { request, context in await self.page(request, context) }
        router.get("/login") { request, _ in await self.loginForm(request) }
        router.post("/login") { request, context in await self.login(request, context) }
        router.post("/logout") { request, context in await self.logout(request, context) }
        router.get("/v1/stream") { request, context in await self.stream(request, context) }
        router.get("/assets/fleet.css") { _, _ in
            Self.asset(FleetPageAssets.css, contentType: "text/css; charset=utf-8")
        }
        router.get("/assets/fleet.js") { _, _ in
            Self.asset(FleetPageAssets.javascript, contentType: "text/javascript; charset=utf-8")
        }
        registerSubscriberAssets(on: router)
    }

    // MARK: Answers

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func html(_ status: HTTPResponse.Status, _ body: String, cookie: String? = nil) -> Response {
        var response = SectorRoutes.text(status, body, contentType: "text/html; charset=utf-8")
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
        if let cookie { response.headers[.setCookie] = cookie }
        return response
    }

    static func asset(_ text: String, contentType: String) -> Response {
        var response = SectorRoutes.text(.ok, text, contentType: contentType)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// `application/x-www-form-urlencoded` fields; the first of each name.
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in HotlineWebhook.formPairs(body) where fields[name] == nil { fields[name] = value }
        return fields
    }

    /// The form's fields, or nil when the body is over `maximumFormBytes` or unreadable.
    static func readForm(_ request: Request) async -> [String: String]? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: maximumFormBytes) else { return nil }
        return formFields(String(buffer: buffer))
    }

    // MARK: Login and logout

    /// bcrypt runs on NIO's blocking thread pool (`Operators.verify`), not on
    /// the cooperative pool's few threads that serve every request.
    static func verifyOffThePool(_ operators: Operators, name: String, password: String) async -> Bool {
        await operators.verify(name: name, password: password)
    }

    func loginForm(_ request: Request) async -> Response {
        if await sessions.session(for: request) != nil { return Self.redirect("/") }
        return Self.html(.ok, FleetPageHTML.login(sector: sector, message: nil))
    }

    func login(_ request: Request, _ context: BasicRequestContext) async -> Response {
        guard let form = await Self.readForm(request) else {
            return Self.html(
                .contentTooLarge,
                FleetPageHTML.login(sector: sector, message: "The form is larger than 16 KiB; nothing was checked."))
        }
        let name = form["name"] ?? ""
        let password = form["password"] ?? ""
        do {
            if let wait = try await sessions.retryAfterS(name: name) {
                context.logger.warning("refused a login as \(name): too many failed logins, wait \(wait) s")
                var response = Self.html(
                    .tooManyRequests,
                    FleetPageHTML.login(
                        sector: sector,
                        message: "Too many failed logins for this name: try again in \(wait) seconds."))
                response.headers[.retryAfter] = String(wait)
                return response
            }
            guard !name.isEmpty, await Self.verifyOffThePool(operators, name: name, password: password) else {
                try await sessions.noteFailure(name: name)
                context.logger.warning("failed login as \(name): wrong name or password")
                return Self.html(
                    .unauthorized, FleetPageHTML.login(sector: sector, message: "Wrong name or password."))
            }
            let (token, _) = try await sessions.start(for: name)
            context.logger.notice("operator \(name) logged in to the fleet page")
            return Self.redirect("/", cookie: OperatorSessions.cookie(token, secure: secureCookies))
        } catch {
            context.logger.error("cannot log in \(name): the sector database does not answer: \(error)")
            return Self.html(
                .serviceUnavailable,
                FleetPageHTML.login(sector: sector, message: "The sector's database does not answer; try again."))
        }
    }

    func logout(_ request: Request, _ context: BasicRequestContext) async -> Response {
        guard let session = await sessions.session(for: request) else {
            return Self.redirect("/login", cookie: OperatorSessions.cookie("", secure: secureCookies))
        }
        guard let form = await Self.readForm(request),
            OperatorSessions.constantTimeEqual(form[OperatorSessions.csrfField] ?? "", session.csrfToken)
                || OperatorSessions.headerMatches(request, session)
        else {
            return SectorRoutes.problem(
                .forbidden, "logout needs the session's CSRF token (form field csrf); you are still logged in")
        }
        do {
            try await sessions.end(session)
        } catch {
            context.logger.error("cannot end the session of \(session.operatorName): \(error)")
            return SectorRoutes.problem(.serviceUnavailable, "the sector database does not answer; try again")
        }
        context.logger.notice("operator \(session.operatorName) logged out of the fleet page")
        return Self.redirect("/login", cookie: OperatorSessions.cookie("", secure: secureCookies))
    }

    // MARK: The page and its stream

    func page(_ request: Request, _ context: BasicRequestContext) async -> Response {
        guard let session = await sessions.session(for: request) else { return Self.redirect("/login") }
        return Self.html(
            .ok, FleetPageHTML.fleet(sector: sector, operatorName: session.operatorName, csrf: session.csrfToken))
    }

    /// The view as JSON (without the time, so two equal views compare equal).
    func view() async throws -> String {
        let alerts = try await store.alerts(AlertQuery(limit: Self.alertWindow))
        let open = alerts.filter { $0.acknowledgedBy == nil }
        let acknowledged = alerts.filter { $0.acknowledgedBy != nil }.prefix(Self.acknowledgedShown)
        let boxes = try await store.boxes()
        let subscribers = try await subscribersView()
        let hotline = try await hotlineView()
        return "\"offline_after_s\":\(offlineAfterS),\"boxes\":["
            + boxes.map(Self.boxJSON).joined(separator: ",") + "],\"open\":["
            + open.map(Self.alertJSON).joined(separator: ",") + "],\"acknowledged\":["
            + acknowledged.map(Self.alertJSON).joined(separator: ",") + "],\"hotline\":" + hotline + subscribers
    }

    static func ms(_ ns: Int64?) -> Int64? { ns.map { $0 / 1_000_000 } }

    static func alertJSON(_ a: SectorAlertRecord) -> String {
        var w = JSONWriter()
        w.string("id", a.id)
        w.string("source", a.source.rawValue)
        w.string("box", a.box)
        w.string("rule", a.rule)
        w.string("severity", a.severity)
        w.string("zone", a.zone)
        w.string("summary", a.summary)
        w.double("lat", a.lat)
        w.double("lon", a.lon)
        w.int("first_ms", ms(a.firstTs))
        w.int("received_ms", ms(a.receivedTs))
        w.string("acknowledged_by", a.acknowledgedBy)
        w.int("acknowledged_ms", ms(a.acknowledgedTs))
        return w.finish()
    }

    static func boxJSON(_ b: BoxRecord) -> String {
        var w = JSONWriter()
        w.string("box", b.box)
        w.bool("offline", b.offline)
        w.int("offline_changed_ms", ms(b.offlineChangedTs))
        w.int("last_status_ms", ms(b.lastStatusTs))
        w.int("clock_offset_s", b.clockOffsetS)
        w.bool("clock_wrong", b.clockWrong)
        // Checked to be a JSON object when it was stored; the page reads it defensively.
        w.raw("status", b.lastStatus ?? "null")
        return w.finish()
    }

    /// One SSE event; `data` may hold line breaks (they become `data:` lines).
    static func event(_ name: String, _ data: String) -> ByteBuffer {
        var text = "event: \(name)\n"
        for line in data.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            text += "data: \(line)\n"
        }
        return ByteBuffer(string: text + "\n")
    }

    func stream(_ request: Request, _ context: BasicRequestContext) async -> Response {
        guard let session = await sessions.session(for: request) else {
            return SectorRoutes.problem(.unauthorized, "log in on the fleet page (/login) first")
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        let logger = context.logger
        let page = self
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await page.feed(&writer, session: session, logger: logger)
                try await writer.finish(nil)
            })
    }

    /// Writes the view whenever it changed, a comment every 5 s otherwise (so a closed connection is noticed),
    /// until the session ends, the stream's lifetime is up, the client goes
    /// (a write throws) or the service shuts down.
    func feed(_ writer: inout any ResponseBodyWriter, session: OperatorSession, logger: Logger) async throws {
        let monotonic = ContinuousClock()
        let end = monotonic.now + streamLifetime
        var lastView = ""
        var lastWrite = monotonic.now
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        while monotonic.now < end, !Task.isCancelled, !Task.isShuttingDownGracefully {
            guard (try? await store.session(id: session.id, at: clock.wallNs())) != nil else {
                try await writer.write(Self.event("logout", "{}"))
                return
            }
            // Only reading the store is caught here: a write that fails (the browser left) ends the stream.
            var view = lastView
            do {
                view = try await self.view()
            } catch let error as CancellationError {
                throw error
            } catch {
                logger.error("the fleet page's stream cannot read the sector database: \(error)")
            }
            if view != lastView {
                let now = clock.wallNs() / 1_000_000
                try await writer.write(Self.event("state", "{\"now_ms\":\(now),\(view)}"))
                lastView = view
                lastWrite = monotonic.now
            }
            if monotonic.now - lastWrite >= .seconds(5) {
                try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                lastWrite = monotonic.now
            }
            try await Task.sleep(for: pollInterval)
        }
    }
}
