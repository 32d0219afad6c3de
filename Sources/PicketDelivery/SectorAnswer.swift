import Foundation
import PicketCore

/// A sector's 2xx answer to an alert or a status: `{"reports": [{"id",
/// "zone", "class", "note", "ts"}]}`, sightings reported to the sector for
/// zones this box watches (PRODUCT.md section 6). The status code decides
/// delivery; the body only hands reports over.
enum SectorAnswer: Equatable {
    struct Report: Equatable {
        var id: String
        var zone: String
        var detectionClass: String?
        var note: String?
        var ts: Int64
    }

    /// No reports: an empty body, plain text, JSON without `reports`.
    case none
    case reports([Report])
    /// JSON that claims to carry reports but does not hold them right.
    case malformed(String)

    static func parse(_ body: String) -> SectorAnswer {
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{") else { return .none }
        guard let data = trimmed.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return .malformed("not a JSON object") }
        guard let value = object["reports"] else { return .none }
        guard let list = value as? [Any] else { return .malformed("reports is not a list") }
        var out: [Report] = []
        for (index, item) in list.enumerated() {
            guard let report = item as? [String: Any] else { return .malformed("reports[\(index)] is not an object") }
            guard let id = report["id"] as? String, !id.isEmpty, id.count <= 200, Self.printable(id) else {
                return .malformed("reports[\(index)].id is not a non-empty string")
            }
            guard let zone = report["zone"] as? String, !zone.isEmpty, Self.printable(zone) else {
                return .malformed("reports[\(index)].zone is not a zone name")
            }
            guard let tsText = report["ts"] as? String, let ts = UTCTime.parse(tsText) else {
                return .malformed("reports[\(index)].ts is not an RFC 3339 time")
            }
            let detectionClass = report["class"] as? String
            let note = report["note"] as? String
            if report["class"].map({ !($0 is NSNull) && detectionClass == nil }) ?? false {
                return .malformed("reports[\(index)].class is not a string")
            }
            if report["note"].map({ !($0 is NSNull) && note == nil }) ?? false {
                return .malformed("reports[\(index)].note is not a string")
            }
            out.append(
                Report(
                    // A class outside FOOT, VEH, ANIM, UNK (any case) is kept as UNK: the sighting counts, its word does not.
                    id: id, zone: zone,
                    detectionClass: detectionClass.flatMap { $0.isEmpty ? nil : Self.detectionClass($0) },
                    note: note.flatMap { $0.isEmpty ? nil : String($0.prefix(1000)) }, ts: ts))
        }
        return .reports(out)
    }

    /// The wire spelling of a report's class: one of PRODUCT.md section 3's, else `UNK`.
    static func detectionClass(_ text: String) -> String {
        (DetectionClass(rawValue: text.uppercased()) ?? .unknown).rawValue
    }

    /// Names are printable text without control characters (PRODUCT.md section 9).
    static func printable(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
