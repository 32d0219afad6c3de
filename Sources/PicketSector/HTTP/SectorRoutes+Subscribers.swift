import Foundation
import HTTPTypes
import Hummingbird
import PicketConfig
import PicketCore

/// The hotline's subscriber list for operators (PRODUCT.md 7a), behind the
/// operator check of `GET /v1/alerts`; a change made with a session needs
/// its CSRF header, as `POST /v1/alerts/{id}/ack` does.
///
/// - `GET /v1/subscribers`: `{"subscribers": [...]}`, fields as `picket
///   sector subscribers list --json`.
/// - `POST /v1/subscribers`: a JSON object with `name`, `phone`, `zones`
///   (array), and optionally `min_severity`, `quiet_hours`, `max_per_hour`;
///   201 with `{"subscriber": {...}, "warnings": [...]}`, 400 naming the
///   field, 409 when the phone is a subscriber's already.
/// - `DELETE /v1/subscribers/{phone}`: 200 with the removed subscriber, 404
///   when none.
extension SectorRoutes {
    static let maximumSubscriberBodyBytes = 16 << 10
    static let subscriberFields: Set<String> = [
        "name", "phone", "zones", "min_severity", "quiet_hours", "max_per_hour",
    ]

    func registerSubscribers(on router: Router<BasicRequestContext>) {
        router.get("/v1/subscribers") { request, context in await self.getSubscribers(request, context) }
        router.post("/v1/subscribers") { request, context in await self.addSubscriber(request, context) }
        router.delete("/v1/subscribers/{phone}") { request, context in
            await self.removeSubscriber(request, context)
        }
    }

    func getSubscribers(_ request: Request, _ context: BasicRequestContext) async -> Response {
        if case .failure(let response) = await operatorName(request) { return response }
        do {
            let subscribers = try await store.subscribers()
            return Self.json(.ok, SectorJSON.list("subscribers", subscribers.map(SectorJSON.subscriber)))
        } catch {
            context.logger.error("cannot list subscribers: \(error)")
            return Self.problem(.serviceUnavailable, "the sector database does not answer: \(error)")
        }
    }

    /// The fields of `POST /v1/subscribers` as JSON types; a value of
    /// another type is a `BadField` naming its key.
    private struct NewSubscriber: Decodable {
        struct BadField: Error { var key: String }
        enum CodingKeys: String, CodingKey {
            case name, phone, zones
            case minSeverity = "min_severity", quietHours = "quiet_hours", maxPerHour = "max_per_hour"
        }

        var name: String?
        var phone: String?
        var zones: [String]?
        var minSeverity: String?
        var quietHours: String?
        var maxPerHour: Int?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func field<T: Decodable>(_ key: CodingKeys, _ type: T.Type) throws -> T? {
                do {
                    return try container.decodeIfPresent(type, forKey: key)
                } catch {
                    throw BadField(key: key.rawValue)
                }
            }
            name = try field(.name, String.self)
            phone = try field(.phone, String.self)
            zones = try field(.zones, [String].self)
            minSeverity = try field(.minSeverity, String.self)
            quietHours = try field(.quietHours, String.self)
            maxPerHour = try field(.maxPerHour, Int.self)
        }
    }

    /// The subscriber in a `POST /v1/subscribers` body, or the 400 or 413 naming what is wrong.
    static func newSubscriber(_ request: Request) async -> Checked<Subscriber> {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: maximumSubscriberBodyBytes) else {
            return .failure(
                problem(.contentTooLarge, "the body is larger than \(maximumSubscriberBodyBytes) bytes (16 KiB)"))
        }
        let data = Data(buffer.readableBytesView)
        let example =
            "{\"name\": \"North farm\", \"phone\": \"+18025550100\", \"zones\": [\"north-fork\"]}"
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return .failure(problem(.badRequest, "the body must be a JSON object such as \(example)"))
        }
        if let unknown = object.keys.sorted().first(where: { !subscriberFields.contains($0) }) {
            let hint =
                unknown == "opted_out"
                ? " (a phone opts out and in by texting STOP and START)"
                : "; the fields are \(subscriberFields.sorted().joined(separator: ", "))"
            return .failure(problem(.badRequest, "\(unknown): is not a field of a new subscriber\(hint)"))
        }
        let fields: NewSubscriber
        do {
            fields = try JSONDecoder().decode(NewSubscriber.self, from: data)
        } catch let error as NewSubscriber.BadField {
            let expected =
                switch error.key {
                case "zones": "must be an array of zone names such as [\"north-fork\", \"ridge-01:gate\"]"
                case "max_per_hour": "must be a whole number >= 1 or null"
                case "min_severity", "quiet_hours": "must be a string or null"
                default: "must be a string"
                }
            return .failure(problem(.badRequest, "\(error.key): \(expected)"))
        } catch {
            return .failure(problem(.badRequest, "the body must be a JSON object such as \(example)"))
        }
        guard let name = fields.name else { return .failure(problem(.badRequest, "name: is missing, e.g. \(example)")) }
        guard let phone = fields.phone else {
            return .failure(problem(.badRequest, "phone: is missing, e.g. \(example)"))
        }
        guard let zones = fields.zones else {
            return .failure(problem(.badRequest, "zones: is missing, e.g. \(example)"))
        }
        do throws(SubscriberChecks.FieldProblem) {
            return .success(
                try SubscriberChecks.sectorSubscriber(
                    name: name, phone: phone, zones: zones, minSeverity: fields.minSeverity,
                    quietHours: fields.quietHours, maxPerHour: fields.maxPerHour))
        } catch {
            return .failure(
                problem(
                    .badRequest,
                    "\(error.field): \(error.value.map { (error.field == "max_per_hour" ? $0 : jsonQuoted($0)) + " " } ?? "")"
                        + error.problem.expectation))
        }
    }

    private static func jsonQuoted(_ text: String) -> String {
        var out = ""
        JSONWriter.appendQuoted(text, to: &out)
        return out
    }

    func addSubscriber(_ request: Request, _ context: BasicRequestContext) async -> Response {
        let name: String
        switch await operatorName(request, changesState: true) {
        case .failure(let response): return response
        case .success(let value): name = value
        }
        let subscriber: Subscriber
        switch await Self.newSubscriber(request) {
        case .failure(let response): return response
        case .success(let value): subscriber = value
        }
        do {
            guard try await store.addSubscriber(subscriber, at: clock.wallNs()) == .stored else {
                return Self.problem(
                    .conflict,
                    "phone \(subscriber.phone) is a subscriber's already; remove it first to change its entry")
            }
            context.logger.notice("subscriber \(subscriber.phone) (\(subscriber.name)) added by \(name)")
            let stored =
                try await store.subscriber(phone: subscriber.phone)
                ?? SectorSubscriber(subscriber: subscriber, optedOut: false, createdTs: clock.wallNs())
            let warnings = SectorJSON.unknownBoxWarnings(subscriber, knows: keys.knows)
            return Self.json(
                .created,
                "{\"subscriber\":\(SectorJSON.subscriber(stored)),\"warnings\":\(JSONWriter.array(warnings))}")
        } catch {
            context.logger.error("cannot add subscriber \(subscriber.phone): \(error)")
            return Self.problem(.serviceUnavailable, "the sector database does not answer: \(error)")
        }
    }

    func removeSubscriber(_ request: Request, _ context: BasicRequestContext) async -> Response {
        let name: String
        switch await operatorName(request, changesState: true) {
        case .failure(let response): return response
        case .success(let value): name = value
        }
        let raw = context.parameters.get("phone") ?? ""
        // `encodeURIComponent("+1802...")` sends `%2B1802...`.
        let phone = raw.removingPercentEncoding ?? raw
        do throws(SubscriberChecks.Problem) {
            _ = try SubscriberChecks.phone(phone)
        } catch {
            return Self.problem(.badRequest, "phone \(Self.jsonQuoted(phone)) in the path \(error.expectation)")
        }
        do {
            guard let existing = try await store.subscriber(phone: phone) else {
                return Self.problem(.notFound, "no subscriber has phone \(phone)")
            }
            guard try await store.removeSubscriber(phone: phone) else {
                return Self.problem(.notFound, "no subscriber has phone \(phone)")
            }
            context.logger.notice("subscriber \(phone) (\(existing.subscriber.name)) removed by \(name)")
            return Self.json(.ok, SectorJSON.subscriber(existing))
        } catch {
            context.logger.error("cannot remove subscriber \(phone): \(error)")
            return Self.problem(.serviceUnavailable, "the sector database does not answer: \(error)")
        }
    }
}
