import Foundation
import NIOCore

/// A server that could not listen where it was told to, in one line that names the address:
/// `cannot listen on 127.0.0.1:8080: address already in use (...)`, not NIO's
/// `bind(descriptor:ptr:bytes:): Address already in use (errno: 98)`.
public struct ListenFailure: Error, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let reason: String

    public var description: String { "cannot listen on \(StartupBanner.listenURL(host: host, port: port)): \(reason)" }

    /// `error` as a listen failure, if it is one: a bind the system refused, or a host that does not
    /// resolve. `setting` names what chooses the address (for the hint on a port in use).
    public init?(_ error: any Error, host: String, port: Int, setting: String) {
        self.host = host
        self.port = port
        if let error = error as? IOError, "\(error)".hasPrefix("bind(") {
            switch error.errnoCode {
            case EADDRINUSE:
                reason = "address already in use (another process listens there; choose another port with \(setting))"
            case EADDRNOTAVAIL:
                reason = "address not available (not an address of this machine)"
            case EACCES:
                reason = "permission denied (ports below 1024 need privileges)"
            default:
                reason = String(cString: strerror(error.errnoCode))
            }
        } else if let error = error as? SocketAddressError, case .unknown = error {
            reason = "unknown host"
        } else {
            return nil
        }
    }
}
