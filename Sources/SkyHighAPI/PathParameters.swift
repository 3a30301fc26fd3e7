import Foundation
import HTTPTypes
import Hummingbird
import SkyHighCore

/// Path parameters, parsed; a value that cannot name anything is simply unknown (404).
extension AppRequestContext {
    func flightID() throws -> FlightID {
        let raw = parameters.get("flightId") ?? ""
        guard let id = FlightID(raw) else { throw Problem.notFound("flight-not-found", "no flight \(raw)") }
        return id
    }

    func seatID(on flight: FlightID) throws -> SeatID {
        guard let id = SeatID(parameters.get("seatId") ?? "") else {
            throw Problem.notFound("seat-not-found", "flight \(flight) has no seat \(parameters.get("seatId") ?? "")")
        }
        return id
    }

    func holdID() throws -> HoldID { try uuid("holdId", kind: "hold-not-found", noun: "hold") }

    /// The UUID in path parameter `name`; anything else names nothing (404 `kind`).
    func uuid(_ name: String, kind: String, noun: String) throws -> UUID {
        let raw = parameters.get(name) ?? ""
        guard let id = UUID(uuidString: raw) else { throw Problem.notFound(kind, "no \(noun) \(raw)") }
        return id
    }
}
