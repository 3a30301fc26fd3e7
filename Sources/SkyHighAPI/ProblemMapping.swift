import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import OpenAPIRuntime
import SkyHighCore

/// The one place where failures become HTTP answers.
enum ProblemMapping {
    static func problem(for error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let domain as DomainError:
            return problem(for: domain)
        case let server as ServerError where server.operationInput == nil:
            return inputProblem(server, logger: logger)
        case let server as ServerError:
            // What a generated operation's handler threw.
            return problem(for: server.underlyingError, logger: logger)
        case let unavailable as StoreUnavailableError:
            logger.warning("store unavailable", metadata: ["reason": "\(unavailable.reason)"])
            return Problem("store-unavailable", .serviceUnavailable, "Service unavailable",
                           "the store is unavailable; retry shortly", headers: [.retryAfter: "1"])
        case let unavailable as ServiceUnavailableError:
            logger.warning("external service unavailable", metadata: ["service": "\(unavailable.service.rawValue)",
                                                                      "reason": "\(unavailable.reason)"])
            return Problem("\(unavailable.service.rawValue)-service-unavailable", .serviceUnavailable, "Service unavailable",
                           "the \(unavailable.service.rawValue) service is unavailable; nothing was changed, retry shortly",
                           headers: [.retryAfter: "2"])
        case is NIOTooManyBytesError:
            return .bodyTooLarge
        case is HTTPParserError:
            // The client's fault, not ours: a body cut short (its connection closed at the request
            // deadline) or bytes that are not HTTP. The connection is usually gone already.
            return .badRequest("the request could not be read to its end")
        case let http as HTTPError where http.status == .contentTooLarge:
            return .bodyTooLarge
        case let http as HTTPError where http.status.code < 500:
            return Problem("http-\(http.status.code)", http.status, http.status.reasonPhrase,
                           http.body ?? http.status.reasonPhrase)
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem("internal", .internalServerError, "Internal error", "an unexpected error occurred")
        }
    }

    /// The generated server could not read the request into the operation's input: a body that
    /// is not the schema's JSON (400, naming the member), a body refused by its limit, or a
    /// request the runtime refuses (a content type or `Accept` the operation does not offer).
    static func inputProblem(_ error: ServerError, logger: Logger) -> Problem {
        switch error.underlyingError {
        case let decoding as DecodingError:
            return .badRequest(JSONBody.describe(decoding))
        case let other where error.httpStatus == .internalServerError:
            // Not the runtime's own error: ours, such as the body limit.
            return problem(for: other, logger: logger)
        default:
            if error.httpStatus == .badRequest { return .badRequest(error.causeDescription) }
            return Problem("http-\(error.httpStatus.code)", error.httpStatus, error.httpStatus.reasonPhrase,
                           error.causeDescription)
        }
    }

    static func problem(for error: DomainError) -> Problem {
        switch error {
        case .flightNotFound(let id): .notFound("flight-not-found", "no flight \(id)")
        case .seatNotFound(let flight, let seat): .notFound("seat-not-found", "flight \(flight) has no seat \(seat)")
        case .holdNotFound(let id): .notFound("hold-not-found", "no hold \(id.lowercased)")
        case .passengerNotFound(let id): .notFound("passenger-not-found", "no passenger \(id.lowercased)")
        case .signInFailed: .unauthorized("sign-in-failed", "booking reference and last name do not match a booking")
        case .notSignedIn: .unauthorized("not-signed-in", "sign in with POST /sessions and send Authorization: Bearer <token>")
        case .notYourBooking: .forbidden("not-your-booking", "that passenger or hold does not belong to your booking")
        case .notOnThisFlight(let id): .forbidden("not-on-this-flight", "your booking is not on flight \(id)")
        case .seatUnavailable(let seat): .conflict("seat-unavailable", "seat \(seat) is not available")
        case .alreadyHoldingSeat(let seat): .conflict("already-holding-seat", "you already hold seat \(seat)")
        case .holdNotHeld(let state): .conflict("hold-not-held", "the hold is \(state.rawValue), not HELD")
        case .holdNotActive(let state): .conflict("hold-not-active", "the hold is already \(state.rawValue)")
        case .holdExpired(let id):
            Problem("hold-expired", .gone, "Hold expired", "hold \(id.lowercased) has expired")
        case .flightDeparted(let id): .conflict("flight-departed", "flight \(id) has departed")
        case .flightExists(let id): .conflict("flight-exists", "flight \(id) already exists")
        case .bookingExists(let reference): .conflict("booking-exists", "booking \(reference) already exists")
        case .concurrentChange: .conflict("concurrent-change", "another request changed this at the same moment; retry")
        case .waitlistEntryNotFound(let id): .notFound("waitlist-entry-not-found", "no waitlist entry \(id.lowercased)")
        case .waitlistEntryNotWaiting(let state): .conflict("waitlist-entry-not-waiting", "the entry is \(state.rawValue), not WAITING")
        case .alreadyWaiting(let id):
            Problem("already-waiting", .conflict, "Conflict with the current state",
                    "the passenger is already on this waitlist", extensions: ["waitlistId": id.lowercased])
        case .waitlistClosed(let id): .conflict("waitlist-closed", "check-in and the waitlist for \(id) have closed")
        case .jobNotFound(let id): .notFound("job-not-found", "no job \(id.lowercased)")
        case .jobNotDead(let state): .conflict("job-not-dead", "only DEAD jobs can be retried; this one is \(state.rawValue)")
        case .checkInNotFound(let id): .notFound("checkin-not-found", "no check-in \(id.lowercased)")
        case .checkInClosed(let id): .conflict("checkin-closed", "check-in for \(id) has closed")
        case .checkInNotOpen(let state): .conflict("checkin-not-open", "the check-in is \(state.rawValue)")
        case .checkInIncomplete(let missing):
            Problem("checkin-incomplete", .conflict, "Check-in incomplete",
                    "the check-in cannot complete without: \(missing.joined(separator: ", "))",
                    lists: ["missing": missing])
        case .boardingPassNotIssued(let state):
            .conflict("boarding-pass-not-issued", "a boarding pass needs a COMPLETED check-in; this one is \(state.rawValue)")
        case .bagExists(let tag): .conflict("bag-exists", "bag \(tag) is already on this check-in")
        case .bagNotFound(let tag): .notFound("bag-not-found", "no bag \(tag) on this check-in")
        case .paymentPending(let id):
            Problem("payment-pending", .conflict, "Conflict with the current state",
                    "payment \(id) is still pending", extensions: ["paymentIntentId": id])
        case .nothingToPay: .conflict("nothing-to-pay", "nothing is owed on this check-in")
        case .invalid(let field, let reason): .invalid(field, reason)
        }
    }
}

/// Turns every thrown error into a problem+json answer, and the router's "no such route" into
/// 404 or, when the path exists with other methods, 405 with `Allow`.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.methods(forPath: request.uri.path)
            guard !allowed.isEmpty else {
                return Problem.notFound("route-not-found", "no route \(request.method) \(request.uri.path)").response
            }
            return Problem("method-not-allowed", .methodNotAllowed, "Method not allowed",
                           "\(request.method) is not supported on \(request.uri.path)",
                           headers: [.allow: allowed.map(\.rawValue).joined(separator: ", ")]).response
        } catch {
            return ProblemMapping.problem(for: error, logger: context.logger).response
        }
    }
}
