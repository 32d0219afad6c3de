import PicketCore

/// The fleet page's "Reports and texts": the hotline's latest reports (with
/// the boxes that took each), incoming texts (unknown phones' too) and the
/// phones opted out.
extension SectorPage {
    static let hotlineShown = 50

    func hotlineView() async throws -> String {
        let reports = try await store.reports(since: nil, limit: Self.hotlineShown)
        let texts = try await store.inboundTexts(limit: Self.hotlineShown)
        let optedOut = try await store.optedOutPhones().prefix(Self.hotlineShown)
        return "{\"reports\":[" + reports.map { SectorRoutes.reportJSON($0, forPage: true) }.joined(separator: ",")
            + "],\"texts\":["
            + texts.map(Self.textViewJSON).joined(separator: ",") + "],\"opted_out\":["
            + optedOut.map(Self.optOutViewJSON).joined(separator: ",") + "]}"
    }

    static func textViewJSON(_ t: InboundText) -> String {
        var w = JSONWriter()
        w.string("sid", t.messageSid)
        w.string("from", t.from)
        w.string("subscriber", t.subscriber)
        w.string("kind", t.kind.rawValue)
        w.string("body", t.body)
        w.string("reply", t.reply)
        w.int("received_ms", ms(t.receivedTs))
        return w.finish()
    }

    static func optOutViewJSON(_ o: PhoneOptOut) -> String {
        var w = JSONWriter()
        w.string("phone", o.phone)
        w.string("keyword", o.keyword)
        w.int("changed_ms", ms(o.changedTs))
        return w.finish()
    }
}
