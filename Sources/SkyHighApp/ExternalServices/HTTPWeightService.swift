import Foundation
import SkyHighCore

/// The airport's Weight service over HTTP: `POST {base}/weights`
/// `{"checkinId", "tag", "declaredWeightKg"?}` → `{"tag", "weightKg"}`. One attempt per call;
/// ``ResilientService`` adds retries and the circuit breaker.
public struct HTTPWeightService: WeightService {
    let client: ServiceHTTPClient

    /// `timeout`: seconds one exchange may take.
    public init(baseURL: URL, timeout: TimeInterval) {
        client = ServiceHTTPClient(baseURL: baseURL, timeout: timeout)
    }

    public func weigh(checkinID: UUID, tag: BagTag, declaredGrams: Int?) async throws -> Int {
        let request = ServiceWireFormat.WeighRequest(
            checkinId: checkinID.uuidString.lowercased(), tag: tag.rawValue,
            declaredWeightKg: declaredGrams.map(ServiceWireFormat.kilograms(grams:)))
        let answer = try await client.send("POST", ["weights"], json: ServiceWireFormat.encoder.encode(request))
        let weighing = try client.decode(ServiceWireFormat.Weighing.self, from: answer)
        guard weighing.weightKg >= 0, weighing.weightKg < 1000 else {
            throw ServiceCallFailure.rejected("answered an impossible weight of \(weighing.weightKg) kg")
        }
        return ServiceWireFormat.grams(kilograms: weighing.weightKg)
    }
}
