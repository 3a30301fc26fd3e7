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

    func holdID() throws -> HoldID {
        guard let id = UUID(uuidString: parameters.get("holdId") ?? "") else {
            throw Problem.notFound("hold-not-found", "no hold \(parameters.get("holdId") ?? "")")
        }
        return id
    }
}
