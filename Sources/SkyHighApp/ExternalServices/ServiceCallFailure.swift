import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SkyHighCore

/// How one attempt at an external call went wrong, which decides whether another attempt may help
/// and whether the circuit breaker counts it against the service.
public enum ServiceCallFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Timed out, could not connect, answered 5xx or 429: the next attempt may well succeed.
    case transient(String)
    /// The service answered but refused the request (any other 4xx) or answered something
    /// unreadable: asking again gets the same answer, and the service itself is up.
    case rejected(String)

    public var description: String {
        switch self {
        case .transient(let reason), .rejected(let reason): reason
        }
    }

    /// The failure an HTTP answer with a status outside 2xx stands for.
    public static func status(_ status: Int, body: Data) -> ServiceCallFailure {
        let detail = String(decoding: body.prefix(200), as: UTF8.self)
        let reason = "answered \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        return status == 408 || status == 429 || status >= 500 ? .transient(reason) : .rejected(reason)
    }

    /// Classifies whatever an attempt threw; `nil` for cancellation, which is the caller giving up
    /// and says nothing about the service.
    public init?(_ error: any Error) {
        switch error {
        case let failure as ServiceCallFailure:
            self = failure
        case is CancellationError:
            return nil
        case let unavailable as ServiceUnavailableError:
            self = .transient(unavailable.reason)
        case let urlError as URLError where urlError.code == .cancelled && Task.isCancelled:
            return nil
        case let urlError as URLError:
            self = .transient("could not be reached (\(urlError.code.rawValue): \(urlError.localizedDescription))")
        case is DecodingError:
            self = .rejected("answered something unreadable")
        default:
            // Connection-level errors surface in several types depending on the platform.
            self = .transient("could not be reached (\(error))")
        }
    }
}
