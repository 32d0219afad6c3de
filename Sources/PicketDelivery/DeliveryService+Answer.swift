import Logging

extension DeliveryService {
    /// A 2xx answer that is a web page (HTML) rather than
    /// the sector's JSON: often a captive portal, a proxy's page or a URL
    /// that names a web server instead of the sector, so the "delivered"
    /// may not have reached the sector at all. The status still decides
    /// (PRODUCT.md section 6); the operator is warned, at most once per
    /// `repeatedErrorLogNs` for each URL, with the count in between.
    func warnIfWebPage(
        _ answer: String, contentType: String?, url: String, _ metadata: Logger.Metadata, turn: inout Turn
    ) {
        guard SectorAnswer.isWebPage(answer, contentType: contentType),
            let repeats = turn.throttle.admit("web page answer \(url)", now: now())
        else { return }
        var metadata = metadata
        // Without its query, which may carry a sector's token.
        metadata["url"] = "\(url.prefix { $0 != "?" && $0 != "#" })"
        metadata["content_type"] = "\(contentType ?? "(none)")"
        metadata["answer"] = "\(Self.excerpt(answer))"
        if repeats > 0 { metadata["repeats"] = "\(repeats)" }
        logger.warning(
            """
            sector answered with a web page, not JSON: check the URL (a captive portal or proxy may be answering \
            instead of the sector); counted as delivered by its status, any reports in it ignored
            """,
            metadata: metadata)
    }
}

extension DeliveryService {
    /// The log line of a message refused for good. An alert or a text is on
    /// the dead-letter list, for `picket alerts --dead` and `--retry`; a
    /// status is not (the next status supersedes it), so its line names
    /// the setting to check instead of a list it is not on.
    static func refusedForGood(_ destination: (any Destination)?) -> String {
        guard let destination, destination.keepsNewestOnly else {
            return "delivery refused for good: on the dead-letter list (picket alerts --dead)"
        }
        return "status refused for good: dropped, the next status replaces it (check \(destination.urlKey) "
            + "and the response)"
    }
}

extension SectorAnswer {
    /// An HTML page rather than the sector's JSON (or a plain `ok`, or a
    /// CAP sector's XML): a Content-Type naming HTML, or a body that begins
    /// `<!DOCTYPE html` or `<html`.
    static func isWebPage(_ body: String, contentType: String?) -> Bool {
        if contentType?.lowercased().contains("html") == true { return true }
        let start = body.drop { $0.isWhitespace }.prefix(14).lowercased()
        return start.hasPrefix("<!doctype html") || start.hasPrefix("<html")
    }
}
