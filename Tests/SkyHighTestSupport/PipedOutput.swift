import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pipe a ``ChildProcess`` writes its standard output and error into, read as the bytes come:
/// what `docker logs` or a supervisor sees. Over a pipe, stdio buffers a child's output fully, so
/// a line shows here only once the child has written it out.
public final class PipedOutput: Sendable {
    let writeEnd: Int32
    private let readEnd: Int32
    private let bytes = Mutex<[UInt8]>([])

    public init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        // Close-on-exec, so that no other child inherits the write end and holds the pipe open
        // (ChildProcess closes what a child inherits anyway, where glibc can); the child's own
        // copy, made by dup2, does not inherit the flag.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    /// What the child has written so far.
    public var current: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Closes this process's write end (the child has its own) and reads until the child's is
    /// closed too, on a thread of its own: the read blocks.
    func parentStarted() {
        close(writeEnd)
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                bytes.withLock { $0 += buffer[0..<count] }
            }
            close(readEnd)
        }
        thread.start()
    }
}
