import Foundation

/// An admin-chosen flight identifier such as `SH101-2026-12-01`: `^[A-Z0-9-]{3,40}$`.
public struct FlightID: Hashable, Sendable, CheckedText, Comparable {
    public static let expectation = "flightId must match ^[A-Z0-9-]{3,40}$"
    public let rawValue: String

    /// Accepts only identifiers matching `^[A-Z0-9-]{3,40}$`.
    public init?(_ rawValue: String) {
        guard (3...40).contains(rawValue.utf8.count),
              rawValue.utf8.allSatisfy({ $0.isUppercaseASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "-") })
        else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A seat on a flight: a row number (1-999) followed by a seat letter, such as `12A`.
public struct SeatID: Hashable, Sendable, CheckedText {
    public static let expectation = "seatId must look like 12A"
    public let row: Int
    public let letter: Character

    public init(row: Int, letter: Character) {
        self.row = row
        self.letter = letter
    }

    /// Parses `12A`; lowercase letters are accepted and normalised.
    public init?(_ text: String) {
        guard let last = text.last, last.isASCII, last.isLetter,
              let row = Int(text.dropLast()), (1...999).contains(row),
              text.dropLast().allSatisfy(\.isASCII), text.first != "0"
        else { return nil }
        self.init(row: row, letter: Character(last.uppercased()))
    }

    public var description: String { "\(row)\(letter)" }
}

/// A six-character booking reference (PNR locator), stored uppercase.
public struct BookingReference: Hashable, Sendable, CheckedText {
    public static let expectation = "bookingReference must be 6 letters or digits"
    public let rawValue: String

    /// Accepts six letters or digits, any case.
    public init?(_ text: String) {
        let upper = text.uppercased()
        guard upper.utf8.count == 6,
              upper.utf8.allSatisfy({ $0.isUppercaseASCIILetter || $0.isASCIIDigit })
        else { return nil }
        self.rawValue = upper
    }

    public var description: String { rawValue }
}

/// A value that travels as text and is checked when it is parsed: JSON decoding goes through the
/// same checking initialiser as every other parse, and a bad value names what was expected.
public protocol CheckedText: Codable, CustomStringConvertible {
    init?(_ text: String)
    /// What a valid value looks like, for the decoding error.
    static var expectation: String { get }
}

extension CheckedText {
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: Self.expectation))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A closed set of names, such as a cabin or a seat type, decoded exactly; a name outside the set
/// is refused with a message that lists the allowed ones.
public protocol CheckedEnum: RawRepresentable, CaseIterable, Codable where RawValue == String {}

extension CheckedEnum {
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: raw) else {
            let allowed = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "must be one of \(allowed), not \(raw)"))
        }
        self = value
    }
}

public typealias PassengerID = UUID
public typealias HoldID = UUID

extension UInt8 {
    var isUppercaseASCIILetter: Bool { self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") }
    var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    /// A–Z, a–z or 0–9.
    var isASCIILetterOrDigit: Bool {
        isUppercaseASCIILetter || isASCIIDigit || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z"))
    }
}
