extension Sequence where Element == UInt8 {
    /// The bytes as lowercase hexadecimal, two digits each: how hashes and signatures are written.
    /// (It runs on every signed-in request, to hash the token, so it builds the text directly.)
    public var lowercaseHex: String {
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)
