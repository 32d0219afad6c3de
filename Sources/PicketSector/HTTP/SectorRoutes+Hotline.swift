import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PicketCore

/// The hotline's inbound half on the sector's router: `POST
/// /v1/sms/inbound` (the SMS gateway's webhook), the reports in a box's
/// status answer, and `GET /v1/reports` for operators.
extension SectorRoutes {
    static let twilioSignatureHeader = HTTPField.Name("X-Twilio-Signature")!
    /// A report is offered to boxes this long after it was texted.
    static let reportWindowNs: Int64 = 24 * 3600 * 1_000_000_000
    /// Reports in one status answer; the rest go with the next status.
    static let reportsPerAnswer = 20

    func registerHotline(on router: Router<BasicRequestContext>) {
        router.post("/v1/sms/inbound") { request, context in await self.postInbound(request, context) }
        router.get("/v1/reports") { request, context in await self.getReports(request, context) }
    }

    /// TwiML with `Content-Type: text/xml`.
    static func twiml(_ reply: String?) -> Response {
        text(.ok, HotlineInbox.twiml(reply), contentType: "text/xml; charset=utf-8")
    }

    func postInbound(_ request: Request, _ context: BasicRequestContext) async -> Response {
        guard let hotline else {
            return Self.problem(
                .notFound,
                "sector \(sector) has no hotline: add a hotline section (with auth_token_file) and public_url to "
                    + "its configuration to take incoming texts at \(HotlineWebhook.path)")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: HotlineWebhook.maximumBodyBytes)
        } catch {
            return Self.problem(
                .contentTooLarge, "the form is larger than \(HotlineWebhook.maximumBodyBytes) bytes or unreadable")
        }
        let fields = HotlineWebhook.formPairs(String(buffer: buffer))
        guard
            hotline.verify(
                query: request.uri.query, fields: fields, header: request.headers[Self.twilioSignatureHeader])
        else {
            metrics.refused(.badSignature)
            context.logger.warning("refused a text at \(HotlineWebhook.path): bad or missing X-Twilio-Signature")
            return Self.problem(
                .forbidden,
                "the X-Twilio-Signature does not match this form posted to \(hotline.url) under "
                    + "hotline.auth_token_file; check that public_url is the URL the gateway posts to and the "
                    + "token is the gateway's; nothing was changed")
        }
        let inbox = HotlineInbox(store: store, clock: clock, sector: sector, contact: hotline.contact)
        let incoming: HotlineInbox.Incoming
        do throws(HotlineInbox.Refusal) {
            incoming = try HotlineInbox.incoming(fields)
        } catch {
            return Self.problem(.badRequest, error.reason)
        }
        do {
            let reply = try await inbox.take(incoming)
            context.logger.notice("text \(incoming.messageSid) from \(incoming.from) taken")
            return Self.twiml(reply)
        } catch {
            context.logger.error("cannot take the text \(incoming.messageSid) from \(incoming.from): \(error)")
            var response = Self.problem(.serviceUnavailable, "the sector cannot store the text now; retry")
            response.headers[.retryAfter] = String(Self.retryAfterS)
            return response
        }
    }

    /// `{"reports":[...]}` for a box that just posted `status`: records
    /// its `reports_taken`, then offers the reports of the last 24 hours for
    /// the zones of its `sensors` it has not taken (oldest first, up to
    /// `reportsPerAnswer`). A database error answers no reports: the status
    /// is stored, and the next one tries again.
    func reportsAnswer(box: String, status: IncomingBody.Status, at now: Int64, logger: Logger) async -> String {
        let reports: [SectorReport]
        do {
            reports = try await store.takeReports(
                box: box, taken: status.reportsTaken, zones: status.zones, since: now - Self.reportWindowNs,
                limit: Self.reportsPerAnswer,
                at: now)
        } catch {
            logger.error("cannot hand reports to box \(box): \(error)")
            return "{\"reports\":[]}"
        }
        if !reports.isEmpty { logger.notice("box \(box): \(reports.count) report(s) offered") }
        return "{\"reports\":[" + reports.map(Self.reportForBox).joined(separator: ",") + "]}"
    }

    /// One report as a box reads it (PRODUCT.md 6): `id`, `zone`, `class`, `note`, `ts`.
    static func reportForBox(_ report: SectorReport) -> String {
        var w = JSONWriter()
        w.string("id", report.id)
        w.string("zone", report.zone)
        w.string("class", report.detectionClass)
        w.string("note", report.note)
        w.time("ts", report.ts)
        return w.finish()
    }

    /// `GET /v1/reports?since=T`: reports for operators, newest first, with the boxes that took each.
    func getReports(_ request: Request, _ context: BasicRequestContext) async -> Response {
        if case .failure(let response) = await operatorName(request) { return response }
        let since: Int64?
        switch Self.since(request.uri.queryParameters) {
        case .failure(let response): return response
        case .success(let value): since = value
        }
        do {
            let reports = try await store.reports(since: since, limit: AlertQuery.defaultLimit)
            return Self.json(.ok, SectorJSON.list("reports", reports.map { Self.reportJSON($0) }))
        } catch {
            context.logger.error("cannot list reports: \(error)")
            return Self.problem(.serviceUnavailable, "the sector database does not answer: \(error)")
        }
    }

    /// A report for operators; the fleet page's also has `ts_ms`.
    static func reportJSON(_ report: SectorReport, forPage: Bool = false) -> String {
        var w = JSONWriter()
        w.string("id", report.id)
        w.string("zone", report.zone)
        w.string("box", report.box)
        w.string("class", report.detectionClass)
        w.string("note", report.note)
        w.time("ts", report.ts)
        w.string("from", report.from)
        w.string("subscriber", report.subscriber)
        w.strings("taken_by", report.takenBy)
        if forPage { w.int("ts_ms", report.ts / 1_000_000) }
        return w.finish()
    }
}
