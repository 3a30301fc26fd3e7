import HTTPTypes
import NIOCore

/// An HTTP/1.1 response head as the bytes that go on the wire, for answers written straight to
/// the socket. Values come from this service (never a client's raw header), so no field is
/// checked again here.
struct EncodedHead: Sendable {
    let status: HTTPResponse.Status
    private var bytes: ByteBuffer

    init(_ status: HTTPResponse.Status, _ fields: HTTPFields) {
        self.status = status
        bytes = ByteBuffer()
        bytes.reserveCapacity(256)
        bytes.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        for field in fields { append(field.name, field.value) }
    }

    mutating func append(_ name: HTTPField.Name, _ value: String) {
        bytes.writeString(name.rawName)
        bytes.writeStaticString(": ")
        bytes.writeString(value)
        bytes.writeStaticString("\r\n")
    }

    /// The head with its closing empty line.
    func finished() -> ByteBuffer {
        var bytes = bytes
        bytes.writeStaticString("\r\n")
        return bytes
    }
}
