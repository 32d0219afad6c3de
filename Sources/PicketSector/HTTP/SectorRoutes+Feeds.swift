import HTTPTypes
import Hummingbird
import PicketCore

/// `GET /feeds/alerts.geojson` and `GET /feeds/alerts.atom` (PRODUCT.md
/// 7a): the alerts of `GET /v1/alerts` for GIS and feed readers, behind the
/// same operator check, with its `since`, `box`, `zone` and `limit`.
extension SectorRoutes {
    public static let geoJSONContentType = "application/geo+json"
    public static let atomContentType = "application/atom+xml; charset=utf-8"

    func registerFeeds(on router: Router<BasicRequestContext>) {
        router.get("/feeds/alerts.geojson") { request, context in
            await self.alertList(request, context) { alerts in
                Self.text(.ok, SectorFeeds.geoJSON(alerts), contentType: Self.geoJSONContentType)
            }
        }
        router.get("/feeds/alerts.atom") { request, context in
            await self.alertList(request, context) { alerts in
                Self.text(
                    .ok, SectorFeeds.atom(alerts, sector: self.sector, now: self.clock.wallNs()),
                    contentType: Self.atomContentType)
            }
        }
    }

    /// The alerts an operator asked for (`alertQuery`), answered by
    /// `answer`: `GET /v1/alerts` and both feeds.
    func alertList(
        _ request: Request, _ context: BasicRequestContext, _ answer: ([SectorAlertRecord]) -> Response
    ) async -> Response {
        if case .failure(let response) = await operatorName(request) { return response }
        let query: AlertQuery
        switch Self.alertQuery(request.uri.queryParameters) {
        case .failure(let response): return response
        case .success(let value): query = value
        }
        do {
            return answer(try await store.alerts(query))
        } catch {
            context.logger.error("cannot read alerts for \(request.uri.path): \(error)")
            return Self.problem(.serviceUnavailable, "the sector database does not answer: \(error)")
        }
    }

    /// The `since` parameter (RFC 3339 or Unix seconds) as UTC nanoseconds;
    /// nil when absent, the 400 to answer when it is no time.
    static func since(_ parameters: Parameters) -> Checked<Int64?> {
        guard let since = parameters.get("since") else { return .success(nil) }
        guard let ns = UTCTime.parse(since, saturating: true) ?? Int64(since).map({ $0 &* 1_000_000_000 }) else {
            return .failure(
                problem(
                    .badRequest, "since=\(since) is not a time: give RFC 3339 (2026-06-05T03:12:01Z) or Unix seconds"))
        }
        return .success(ns)
    }

    /// `since` (RFC 3339 or Unix seconds), `box`, `zone`, `limit` (1 to
    /// 10000) as `GET /v1/alerts` reads them.
    static func alertQuery(_ parameters: Parameters) -> Checked<AlertQuery> {
        var query = AlertQuery()
        switch since(parameters) {
        case .failure(let response): return .failure(response)
        case .success(let value): query.since = value
        }
        query.box = parameters.get("box")
        query.zone = parameters.get("zone")
        if let limit = parameters.get("limit") {
            guard let value = Int(limit), (1...10_000).contains(value) else {
                return .failure(problem(.badRequest, "limit=\(limit) must be a whole number from 1 to 10000"))
            }
            query.limit = value
        }
        return .success(query)
    }
}
