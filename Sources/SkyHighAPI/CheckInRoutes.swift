import Foundation
import HTTPTypes
import Hummingbird
import SkyHighBarcode
import SkyHighCore

extension RouteTable {
    mutating func addCheckInRoutes(_ env: APIEnvironment) {
        add(.post, "/checkin") { request, context in
            let reference = try context.requireBooking()
            let body = try await JSONBody.decode(CheckInRequest.self, from: request)
            try await Ownership.authorize(body.passengerId, of: reference, on: body.flightId, env)
            let started = try await env.store.startCheckIn(flightID: body.flightId, passengerID: body.passengerId,
                                                           at: env.clock.now())
            return try JSONBody.response(CheckInResponse(started.checkIn, policy: env.baggage),
                                         status: started.created ? .created : .ok,
                                         headers: [.location: "/checkin/\(started.checkIn.id.lowercased)"])
        }

        add(.get, "/checkin/{checkinId}") { _, context in
            let checkIn = try await Self.ownCheckIn(context, env)
            return try JSONBody.response(CheckInResponse(checkIn, policy: env.baggage,
                                                         history: try await env.store.checkInHistory(checkIn.id)))
        }

        add(.delete, "/checkin/{checkinId}") { _, context in
            let checkIn = try await Self.ownCheckIn(context, env)
            let now = env.clock.now()
            let cancelled = try await env.store.changeCheckIn(checkIn.id, at: now) { current in
                try CheckInRules.cancel(current, actor: .passenger(current.passengerID), reason: "cancelled by the passenger", now: now)
            }
            return try JSONBody.response(CheckInResponse(cancelled, policy: env.baggage))
        }

        add(.post, "/checkin/{checkinId}/baggage") { request, context in
            let checkIn = try await Self.ownCheckIn(context, env)
            let body = try await JSONBody.decode(BaggageRequest.self, from: request)
            let declared = try body.declaredGrams()
            try CheckInRules.checkNewBags(body.bags.map(\.tag), for: checkIn, policy: env.baggage)
            let weights = try await env.checkIns.weigh(body.bags.map(\.tag), declared: declared, for: checkIn.id)
            let now = env.clock.now()
            let bags = zip(body.bags, zip(declared, weights)).map { bag, measured in
                Bag(tag: bag.tag, declaredGrams: measured.0, weightGrams: measured.1, addedAt: now)
            }
            let update = try CheckInRules.addBags(bags, to: checkIn, policy: env.baggage, now: now)
            let saved = try await env.checkIns.save(update, decidedOn: checkIn, at: now)
            return try JSONBody.response(CheckInResponse(saved, policy: env.baggage))
        }

        add(.delete, "/checkin/{checkinId}/baggage/{tag}") { _, context in
            let checkIn = try await Self.ownCheckIn(context, env)
            let raw = context.parameters.get("tag") ?? ""
            guard let tag = BagTag(raw) else { throw Problem.notFound("bag-not-found", "no bag \(raw) on this check-in") }
            let now = env.clock.now()
            let update = try CheckInRules.removeBag(tag, from: checkIn, policy: env.baggage, now: now)
            let saved = try await env.checkIns.save(update, decidedOn: checkIn, at: now)
            return try JSONBody.response(CheckInResponse(saved, policy: env.baggage))
        }

        add(.post, "/checkin/{checkinId}/payment") { _, context in
            let checkIn = try await Self.ownCheckIn(context, env)
            _ = try CheckInRules.retryPayment(checkIn, policy: env.baggage)
            let now = env.clock.now()
            let saved = try await env.checkIns.save(CheckInUpdate(checkIn: checkIn), decidedOn: checkIn, at: now)
            return try JSONBody.response(CheckInResponse(saved, policy: env.baggage), status: .created)
        }

        add(.post, "/checkin/{checkinId}/complete") { _, context in
            let checkIn = try await Self.ownCheckIn(context, env)
            let now = env.clock.now()
            let completed = try await env.store.changeCheckIn(checkIn.id, at: now) { current in
                try CheckInRules.complete(current, policy: env.baggage, now: now)
            }
            return try JSONBody.response(CheckInResponse(completed, policy: env.baggage))
        }

        add(.get, "/checkin/{checkinId}/boarding-pass") { _, context in
            try JSONBody.response(BoardingPassResponse(try await Self.boardingPass(context, env)))
        }

        add(.get, "/checkin/{checkinId}/boarding-pass.svg") { _, context in
            let pass = try await Self.boardingPass(context, env)
            let code = try QRCode(text: pass.bcbp, level: .medium)
            let svg = code.svg(title: "Boarding pass barcode, flight \(pass.flight.flightNumber), seat \(pass.seat.id)")
            var headers = HTTPFields()
            headers[.contentType] = "image/svg+xml"
            headers[.cacheControl] = "private, no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: svg)))
        }
    }

    /// The boarding pass of the check-in named in the path: its passenger's, once COMPLETED.
    static func boardingPass(_ context: AppRequestContext, _ env: APIEnvironment) async throws -> BoardingPass {
        let checkIn = try await Self.ownCheckIn(context, env)
        guard checkIn.state == .completed, let seatID = checkIn.seatID,
              let booking = try await env.store.booking(of: checkIn.passengerID),
              let passenger = booking.passengers.first(where: { $0.id == checkIn.passengerID }),
              let flight = try await env.store.flight(checkIn.flightID),
              let seat = try await env.store.seat(seatID, on: checkIn.flightID),
              let pass = BoardingPass(checkIn: checkIn, booking: booking.reference, passenger: passenger,
                                      flight: flight, seat: seat)
        else { throw DomainError.boardingPassNotIssued(checkIn.state) }
        return pass
    }

    /// The check-in named in the path, if its passenger is on the signed-in booking.
    static func ownCheckIn(_ context: AppRequestContext, _ env: APIEnvironment) async throws -> CheckIn {
        let reference = try context.requireBooking()
        let id = try context.uuid("checkinId", kind: "checkin-not-found", noun: "check-in")
        guard let checkIn = try await env.store.checkIn(id) else { throw DomainError.checkInNotFound(id) }
        try await Ownership.requireOwn(checkIn.passengerID, reference, env)
        return checkIn
    }
}
