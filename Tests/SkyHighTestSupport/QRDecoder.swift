import Foundation

/// The independent QR decoder of the tests: scripts/barcode/decode.py (zxing-cpp), run with python3. Missing zxing-cpp is a skip, unless
/// SKYHIGH_REQUIRE_DECODER=1 (CI) makes it a failure.
public enum QRDecoder {
    struct Failed: Error, CustomStringConvertible {
        let why: String
        var description: String { "decode.py failed: \(why)" }
    }

    struct Missing: Error, CustomStringConvertible {
        let why: String
        var description: String { "the independent QR decoder is missing (\(why)); pip install zxing-cpp numpy" }
    }

    /// What zxing-cpp reads from each module matrix (rows, `true` dark, no quiet zone), in order;
    /// `nil` when the decoder is not installed and not required.
    public static func read(_ codes: [[[Bool]]]) throws -> [String?]? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/barcode/decode.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let text = codes.map { $0.map { row in String(row.map { $0 ? "1" : "0" }) }.joined(separator: "\n") }
            .joined(separator: "\n\n")
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 3 || process.terminationStatus == 127 {
            if ProcessInfo.processInfo.environment["SKYHIGH_REQUIRE_DECODER"] == "1" { throw Missing(why: complaint) }
            return nil
        }
        guard process.terminationStatus == 0 else { throw Failed(why: complaint) }
        return String(decoding: answer, as: UTF8.self).split(separator: "\n").map { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["text"] as? String
        }
    }
}
