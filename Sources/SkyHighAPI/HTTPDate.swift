import Foundation
import Synchronization

/// The `Date` header's value (RFC 9110 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), formatted
/// at most once a second however many answers carry it.
final class HTTPDate: Sendable {
    private let latest = Mutex<(second: Int, text: String)>((-1, ""))

    var now: String {
        let second = Int(Date().timeIntervalSince1970)
        return latest.withLock { latest in
            if latest.second != second { latest = (second, Self.format(second)) }
            return latest.text
        }
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`: English names and the Gregorian calendar in GMT, whatever
    /// the machine's locale.
    private static let style = Date.VerbatimFormatStyle(
        format: """
            \(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .defaultDigits) \
            \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT
            """,
        locale: Locale(identifier: "en_US_POSIX"), timeZone: .gmt, calendar: Calendar(identifier: .gregorian))

    static func format(_ epochSeconds: Int) -> String {
        Date(timeIntervalSince1970: TimeInterval(epochSeconds)).formatted(style)
    }
}
