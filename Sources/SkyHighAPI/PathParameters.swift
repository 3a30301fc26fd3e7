import Foundation
import Hummingbird
import SkyHighCore

/// Path parameters, parsed; a value that cannot name anything is simply unknown (404). The
/// generated handlers receive them as the text of the path, the routes written by hand through
/// their context.
enum PathID {
    static func flight(_ raw: String) throws -> FlightID {
        guard let id = FlightID(raw) else { throw Problem.notFound("flight-not-found", "no flight \(raw)") }
        return id
    }

    static func seat(_ raw: String, on flight: FlightID) throws -> SeatID {
        guard let id = SeatID(raw) else { throw Problem.notFound("seat-not-found", "flight \(flight) has no seat \(raw)") }
        return id
    }

    static func hold(_ raw: String) throws -> HoldID { try uuid(raw, kind: "hold-not-found", noun: "hold") }

    /// The UUID `raw`; anything else names nothing (404 `kind`).
    static func uuid(_ raw: String, kind: String, noun: String) throws -> UUID {
        guard let id = UUID(uuidString: raw) else { throw Problem.notFound(kind, "no \(noun) \(raw)") }
        return id
    }
}

extension AppRequestContext {
    func flightID() throws -> FlightID { try PathID.flight(parameters.get("flightId") ?? "") }

    /// The UUID in path parameter `name`; anything else names nothing (404 `kind`).
    func uuid(_ name: String, kind: String, noun: String) throws -> UUID {
        try PathID.uuid(parameters.get(name) ?? "", kind: kind, noun: noun)
    }
}
