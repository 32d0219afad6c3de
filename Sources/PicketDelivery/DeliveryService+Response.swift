import AsyncHTTPClient
import NIOCore

extension DeliveryService {
    /// The most of a response body the sender reads (PRODUCT.md section 6).
    static let responseLimit = 65_536

    /// The first `limit` bytes of a response body, as text. The rest is not
    /// downloaded: leaving the stream early closes the connection, so an
    /// endpoint that answers a 2xx with a megabyte costs a metered link
    /// 64 KiB, and the status (not the body's size) decides the outcome.
    static func head(of body: HTTPClientResponse.Body, limit: Int = responseLimit) async throws -> String {
        var kept = ByteBuffer()
        for try await var chunk in body {
            let room = limit - kept.readableBytes
            if chunk.readableBytes > room, let slice = chunk.readSlice(length: room) {
                kept.writeImmutableBuffer(slice)
                break
            }
            kept.writeBuffer(&chunk)
            if kept.readableBytes >= limit { break }
        }
        return String(buffer: kept)
    }
}
