import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import Logging
import PicketCore

/// The HTTP interface of PRODUCT.md 7a (the parts built so far): the box
/// endpoints, the operators' JSON, `/healthz` and `/metrics`.
///
/// A box's request is checked in this order, each step before the next
/// reads more: the box is known (401, before the body is read); the body
/// is at most `maximumBodyBytes` (413, by `Content-Length` before reading,
/// else while reading, which stops at the limit); the signature (401); the
/// timestamp within `maximumSkewS` (503 with `Retry-After: 60`, and the
/// box's clock is kept as wrong); the body (400); then stored (200, also
/// for an id already stored).
///
/// 413 for a body over 1 MiB: a box treats every 4xx but 408 and 429 as
/// final and moves the alert to its dead letters, which is right for a
/// body that will never shrink; 413 says why where 400 would not.
public struct SectorRoutes: Sendable {
    public static let maximumBodyBytes = 1 << 20
    public static let maximumSkewS: Int64 = 300
    public static let retryAfterS = 60

    let store: any SectorStore
    let keys: BoxKeys
    let operators: Operators
    let clock: any PicketClock
    let metrics: SectorMetrics
    let sector: String
    /// The SMS gateway's webhook; nil without a `hotline` (the webhook answers 404).
    let hotline: HotlineWebhook?

    public init(
        store: any SectorStore, keys: BoxKeys, operators: Operators, clock: any PicketClock, metrics: SectorMetrics,
        sector: String, hotline: HotlineWebhook? = nil
    ) {
        self.hotline = hotline
        self.store = store
        self.keys = keys
        self.operators = operators
        self.clock = clock
        self.metrics = metrics
        self.sector = sector
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/v1/alerts") { request, context in await self.postAlert(request, context) }
        router.post("/v1/status") { request, context in await self.postStatus(request, context) }
        router.get("/v1/alerts") { request, context in await self.getAlerts(request, context) }
        router.get("/v1/boxes") { request, context in await self.getBoxes(request, context) }
        router.post("/v1/alerts/{id}/ack") { request, context in await self.acknowledge(request, context) }
        registerFeeds(on: router)
        registerSubscribers(on: router)
        registerHotline(on: router)
        router.get("/healthz") { _, _ in await self.health() }
        router.get("/metrics") { _, _ in
            Self.text(.ok, self.metrics.text(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        return router
    }

    // MARK: Answers

    static func text(_ status: HTTPResponse.Status, _ body: String, contentType: String = "text/plain; charset=utf-8")
        -> Response
    {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        text(status, body + "\n", contentType: "application/json")
    }

    /// `{"error": "..."}` with `status`.
    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var w = JSONWriter()
        w.string("error", message)
        return json(status, w.finish())
    }

    // MARK: Box requests

    static let boxHeader = HTTPField.Name("X-Picket-Box")!
    static let timestampHeader = HTTPField.Name("X-Picket-Timestamp")!
    static let signatureHeader = HTTPField.Name("X-Picket-Signature")!
    static let idempotencyHeader = HTTPField.Name("Idempotency-Key")!

    /// A box request that passed the checks up to its body.
    struct Authentic {
        var box: String
        var body: [UInt8]
        var offsetS: Int64
        var now: Int64
    }

    /// A check's outcome: go on with the value, or answer with the refusal.
    enum Checked<Value> {
        case success(Value)
        case failure(Response)
    }

    /// Checks a box's request in order; returns the answer to give when it fails.
    func authenticate(_ request: Request, _ context: BasicRequestContext) async -> Checked<Authentic> {
        let logger = context.logger
        guard let box = request.headers[Self.boxHeader], keys.knows(box) else {
            metrics.refused(.unknownBox)
            let named = request.headers[Self.boxHeader].map { "box \($0)" } ?? "no X-Picket-Box header"
            logger.warning("refused a request from an unknown box: \(named)")
            return .failure(
                Self.problem(
                    .unauthorized, "\(named): not a box of sector \(sector); add it to boxes in the configuration"))
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maximumBodyBytes {
            return .failure(tooLarge(box: box, logger: logger))
        }
        var body: [UInt8] = []
        do {
            for try await chunk in request.body {
                guard body.count + chunk.readableBytes <= Self.maximumBodyBytes else {
                    return .failure(tooLarge(box: box, logger: logger))
                }
                body += chunk.readableBytesView
            }
        } catch {
            metrics.refused(.malformed)
            return .failure(Self.problem(.badRequest, "the body could not be read: \(error)"))
        }
        guard let timestampText = request.headers[Self.timestampHeader],
            let signature = request.headers[Self.signatureHeader],
            keys.verify(box: box, timestamp: timestampText, body: body, header: signature),
            let timestamp = Int64(timestampText)
        else {
            metrics.refused(.badSignature)
            logger.warning("refused a request from box \(box): bad or missing X-Picket-Signature")
            return .failure(
                Self.problem(
                    .unauthorized,
                    "box \(box): the X-Picket-Signature does not match the body and X-Picket-Timestamp under its secret; "
                        + "check that the box's forward.secret_file holds the secret the sector has for it"))
        }
        let now = clock.wallNs()
        let offset = timestamp &- now / 1_000_000_000
        guard abs(offset) <= Self.maximumSkewS else {
            metrics.refused(.clock)
            try? await store.noteClock(box: box, offsetS: offset, wrong: true, at: now)
            let message =
                "box \(box): its clock is \(abs(offset)) s \(offset > 0 ? "ahead of" : "behind") the sector's "
                + "(X-Picket-Timestamp \(timestamp), sector time \(now / 1_000_000_000)); more than "
                + "\(Self.maximumSkewS) s off is refused: set the box's clock (GPS, NTP), it retries"
            logger.warning("\(message)")
            var response = Self.problem(.serviceUnavailable, message)
            response.headers[.retryAfter] = String(Self.retryAfterS)
            return .failure(response)
        }
        return .success(Authentic(box: box, body: body, offsetS: offset, now: now))
    }

    private func tooLarge(box: String, logger: Logger) -> Response {
        metrics.refused(.tooLarge)
        logger.warning("refused a body over \(Self.maximumBodyBytes) bytes from box \(box)")
        return Self.problem(
            .contentTooLarge, "box \(box): the body is larger than \(Self.maximumBodyBytes) bytes (1 MiB)")
    }

    func postAlert(_ request: Request, _ context: BasicRequestContext) async -> Response {
        let checked: Authentic
        switch await authenticate(request, context) {
        case .failure(let response): return response
        case .success(let value): checked = value
        }
        let alert: IncomingAlert
        do throws(MalformedBody) {
            alert = try IncomingBody.alert(
                checked.body, contentType: request.headers[.contentType], box: checked.box,
                key: request.headers[Self.idempotencyHeader], receivedTs: checked.now, clockOffsetS: checked.offsetS)
        } catch {
            metrics.refused(.malformed)
            context.logger.warning("refused a malformed alert from box \(checked.box): \(error.reason)")
            return Self.problem(.badRequest, "box \(checked.box): \(error.reason)")
        }
        metrics.alertReceived()
        do {
            let outcome = try await store.storeAlert(alert)
            metrics.alertStored(new: outcome == .stored)
            if outcome == .stored {
                context.logger.notice(
                    "alert \(alert.id) from box \(checked.box): \(alert.rule ?? "?") \(alert.severity ?? "")")
            }
            var w = JSONWriter()
            w.string("id", alert.id)
            w.bool("stored", outcome == .stored)
            w.raw("reports", "[]")
            return Self.json(.ok, w.finish())
        } catch {
            context.logger.error("cannot store alert \(alert.id) from box \(checked.box): \(error)")
            var response = Self.problem(.serviceUnavailable, "the sector cannot store the alert now; retry")
            response.headers[.retryAfter] = String(Self.retryAfterS)
            return response
        }
    }

    func postStatus(_ request: Request, _ context: BasicRequestContext) async -> Response {
        let checked: Authentic
        switch await authenticate(request, context) {
        case .failure(let response): return response
        case .success(let value): checked = value
        }
        let parsed: IncomingBody.Status
        do throws(MalformedBody) {
            parsed = try IncomingBody.status(checked.body, box: checked.box)
        } catch {
            metrics.refused(.malformed)
            return Self.problem(.badRequest, "box \(checked.box): \(error.reason)")
        }
        do {
            let online = try await store.storeStatus(
                IncomingStatus(
                    box: checked.box, boxTs: parsed.boxTs, receivedTs: checked.now, clockOffsetS: checked.offsetS,
                    document: parsed.text))
            metrics.statusStored()
            if let online { context.logger.notice("\(online.summary ?? "box online")") }
            return Self.json(
                .ok,
                await reportsAnswer(box: checked.box, status: parsed, at: checked.now, logger: context.logger))
        } catch {
            context.logger.error("cannot store the status of box \(checked.box): \(error)")
            var response = Self.problem(.serviceUnavailable, "the sector cannot store the status now; retry")
            response.headers[.retryAfter] = String(Self.retryAfterS)
            return response
        }
    }

    // MARK: Operators

    /// The operator's name, or the 401 (or 403) to answer: HTTP basic auth,
    /// else the fleet page's session cookie; a session's request that
    /// `changesState` must carry its CSRF token (`X-Picket-CSRF`), else 403.
    func operatorName(_ request: Request, changesState: Bool = false) async -> Checked<String> {
        if let basic = request.headers.basic, await operators.verify(name: basic.username, password: basic.password) {
            return .success(basic.username)
        }
        if let session = await OperatorSessions(store: store, clock: clock).session(for: request) {
            guard !changesState || OperatorSessions.headerMatches(request, session) else {
                return .failure(
                    Self.problem(
                        .forbidden,
                        "this request changes state and needs the session's CSRF token in the "
                            + "\(OperatorSessions.csrfHeader) header (the fleet page sends it); nothing was changed"))
            }
            return .success(session.operatorName)
        }
        var response = Self.problem(
            .unauthorized,
            "an operator's name and password are needed (HTTP basic auth; picket sector operators add NAME)")
        response.headers[.wwwAuthenticate] = "Basic realm=\"picket sector \(sector)\", charset=\"UTF-8\""
        return .failure(response)
    }

    func getAlerts(_ request: Request, _ context: BasicRequestContext) async -> Response {
        await alertList(request, context) { alerts in
            Self.json(.ok, SectorJSON.list("alerts", alerts.map { SectorJSON.alert($0, sector: sector) }))
        }
    }

    func getBoxes(_ request: Request, _ context: BasicRequestContext) async -> Response {
        if case .failure(let response) = await operatorName(request) { return response }
        do {
            let boxes = try await store.boxes()
            return Self.json(.ok, SectorJSON.list("boxes", boxes.map(SectorJSON.box)))
        } catch {
            context.logger.error("cannot list boxes: \(error)")
            return Self.problem(.serviceUnavailable, "the sector database does not answer: \(error)")
        }
    }

    func acknowledge(_ request: Request, _ context: BasicRequestContext) async -> Response {
        let name: String
        switch await operatorName(request, changesState: true) {
        case .failure(let response): return response
        case .success(let value): name = value
        }
        guard let id = context.parameters.get("id") else { return Self.problem(.badRequest, "no alert id in the path") }
        do {
            switch try await store.acknowledge(id: id, by: name, at: clock.wallNs()) {
            case .notFound:
                return Self.problem(.notFound, "no alert \(id)")
            case .acknowledged(let alert):
                context.logger.notice("alert \(id) acknowledged by \(name)")
                return Self.json(.ok, SectorJSON.alert(alert, sector: sector))
            case .alreadyAcknowledged(let alert):
                return Self.json(.ok, SectorJSON.alert(alert, sector: sector))
            }
        } catch {
            context.logger.error("cannot acknowledge alert \(id): \(error)")
            return Self.problem(.serviceUnavailable, "the sector database does not answer: \(error)")
        }
    }

    func health() async -> Response {
        do {
            try await store.ping()
            return Self.text(.ok, "ok\n")
        } catch {
            return Self.text(.serviceUnavailable, "the database does not answer: \(error)\n")
        }
    }
}
