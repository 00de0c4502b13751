import Foundation
import Prometheus

/// A minimal HTTP/1.0 responder for Prometheus scrapes: every request gets the registry's text
/// exposition (one thread, blocking accept; the HTTP front of issue 8 is a separate server).
final class MetricsServer: @unchecked Sendable {
    private let fd: Int32

    init(port: Int, registry: PrometheusCollectorRegistry) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError.socket("socket", errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr = in_addr(s_addr: INADDR_ANY)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw MetricsServerError.socket("bind to port \(port)", e)
        }
        self.fd = fd
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                var request = [UInt8](repeating: 0, count: 4096)
                _ = read(client, &request, request.count)
                let body = registry.emitToBuffer()
                let head = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.count)\r\n\r\n"
                _ = head.withCString { write(client, $0, strlen($0)) }
                _ = body.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                Glibc.close(client)
            }
        }
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd) }
}

enum MetricsServerError: Error, CustomStringConvertible {
    case socket(String, Int32)
    var description: String {
        switch self { case .socket(let what, let e): "metrics server: \(what) failed: \(String(cString: strerror(e)))" }
    }
}
