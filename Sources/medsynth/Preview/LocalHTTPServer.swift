import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on the loopback interface, for `medsynth preview`: GET and HEAD only,
/// one request per connection (`Connection: close`), each handled on a thread of its own, at
/// most `maximumConnections` at once (more wait to be accepted).
///
/// It listens on 127.0.0.1 alone, so nothing off the machine reaches it, and answers only
/// requests whose Host is 127.0.0.1 or localhost at its port: a web page whose name was made to
/// point at 127.0.0.1 (DNS rebinding) names itself and is refused. A request head larger than
/// 16 KiB is answered 400; one not complete within 5 seconds, or an answer not taken within 5
/// seconds, closes the connection.
final class LocalHTTPServer: @unchecked Sendable {
    struct Request {
        var method: String
        /// The path, percent-decoded, without the query.
        var path: String
    }

    struct Response {
        var status: Int
        var contentType: String
        var body: [UInt8]

        static func text(_ status: Int, _ text: String) -> Response {
            Response(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
        }
    }

    private let socket: Int32
    /// The port it listens on (the system's choice when 0 was asked for).
    let port: UInt16
    static let maximumHeadBytes = 16 * 1024
    static let maximumConnections = 16
    /// Free places for connections.
    private let places = DispatchSemaphore(value: LocalHTTPServer.maximumConnections)

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(port: UInt16) throws {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw Failure(description: "cannot listen on 127.0.0.1:\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.socket = descriptor
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit { close(socket) }

    /// Accepts connections on a thread of its own, answering each with `handler`.
    func start(_ handler: @escaping @Sendable (Request) -> Response) {
        let thread = Thread { [self] in
            while true {
                places.wait()
                let connection = accept(socket, nil, nil)
                if connection < 0 {
                    places.signal()
                    // Out of descriptors, or a connection gone before it was taken: wait, go on.
                    if errno != EINTR && errno != ECONNABORTED { usleep(100_000) }
                    continue
                }
                Thread.detachNewThread { [self] in
                    Self.answer(connection, port: port, handler)
                    places.signal()
                }
            }
        }
        thread.start()
    }

    private static func answer(_ connection: Int32, port: UInt16, _ handler: (Request) -> Response) {
        defer { close(connection) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sendTimeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = Date().addingTimeInterval(5)
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !head.containsHeadEnd {
            guard Date() < deadline else { return }
            let count = recv(connection, &buffer, buffer.count, 0)
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
            guard count > 0 else { return }
            head += buffer[0..<count]
            if head.count > maximumHeadBytes {
                send(connection, .text(400, "request too large\n"), includeBody: true)
                return
            }
        }
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n")
        guard let line = lines.first else { return }
        let host = lines.dropFirst().first { $0.lowercased().hasPrefix("host:") }
            .map { $0.dropFirst("host:".count).trimmingCharacters(in: .whitespaces).lowercased() }
        let names = ["127.0.0.1:\(port)", "localhost:\(port)"] + (port == 80 ? ["127.0.0.1", "localhost"] : [])
        guard let host, names.contains(host) else {
            send(connection, .text(403, "this server answers requests for 127.0.0.1:\(port) only\n"), includeBody: true)
            return
        }
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            send(connection, .text(400, "bad request\n"), includeBody: true)
            return
        }
        let method = String(parts[0])
        guard method == "GET" || method == "HEAD" else {
            send(connection, .text(405, "only GET and HEAD\n"), includeBody: true)
            return
        }
        let target = parts[1].split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        guard let path = target.removingPercentEncoding else {
            send(connection, .text(400, "bad path\n"), includeBody: true)
            return
        }
        send(connection, handler(Request(method: method, path: path)), includeBody: method == "GET")
    }

    private static func send(_ connection: Int32, _ response: Response, includeBody: Bool) {
        let reasons = [200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"]
        let head = "HTTP/1.1 \(response.status) \(reasons[response.status] ?? "Status")\r\n"
            + "Content-Type: \(response.contentType)\r\nContent-Length: \(response.body.count)\r\n"
            + "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if includeBody { bytes += response.body }
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return }
            sent += count
        }
    }
}

private extension Array where Element == UInt8 {
    /// Whether the bytes hold the blank line that ends a request head.
    var containsHeadEnd: Bool {
        guard count >= 4 else { return false }
        for index in 0...(count - 4) where self[index] == 13 && self[index + 1] == 10 && self[index + 2] == 13 && self[index + 3] == 10 {
            return true
        }
        return false
    }
}
