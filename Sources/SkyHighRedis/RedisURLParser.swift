/// Parses `redis://` URLs by hand: the grammar is small, and every way it can be wrong gets a
/// message of its own.
enum RedisURLParser {
    static func parse(_ url: String) throws(RedisURLError) -> RedisConnectionSettings {
        let masked = mask(url)
        func fail(_ problem: RedisURLError.Problem) -> RedisURLError {
            RedisURLError(problem: problem, url: masked)
        }
        let trimmed = url.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw fail(.empty) }
        guard let schemeEnd = trimmed.firstRange(of: "://") else { throw fail(.missingScheme) }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "redis" else { throw fail(.unsupportedScheme(scheme)) }
        var rest = trimmed[schemeEnd.upperBound...]
        guard !rest.contains("?"), !rest.contains("#") else { throw fail(.unsupportedQuery) }

        // Credentials end at the last "@": a raw "@" in a password is then still read right.
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let login = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let user: Substring
            if let colon = login.firstIndex(of: ":") {
                user = login[..<colon]
                guard let decoded = percentDecoded(login[login.index(after: colon)...]) else {
                    throw fail(.invalidPercentEncoding)
                }
                password = decoded
            } else {
                user = login
            }
            guard let decodedUser = percentDecoded(user) else { throw fail(.invalidPercentEncoding) }
            username = decodedUser.isEmpty ? nil : decodedUser
        }

        let authority: Substring
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            authority = rest
        }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw fail(.invalidHost(String(authority))) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail(.invalidHost(String(authority))) }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw fail(.missingHost) }
        guard host.allSatisfy({ !$0.isWhitespace && $0 != "/" && $0 != "@" }) else { throw fail(.invalidHost(String(host))) }

        var port = 6379
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else { throw fail(.invalidPort(String(portText))) }
            port = number
        }

        var database = 0
        if !path.isEmpty {
            guard let number = Int32(path), number >= 0 else { throw fail(.invalidDatabase(String(path))) }
            database = Int(number)
        }
        return RedisConnectionSettings(host: String(host), port: port, database: database,
                                       username: username, password: password)
    }

    /// The URL with everything between the first ":" after the scheme's "//" and the last "@"
    /// replaced, so that an error message never shows a password.
    static func mask(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://"), let at = url.lastIndex(of: "@"), at > schemeEnd.upperBound
        else { return url }
        let login = url[schemeEnd.upperBound..<at]
        guard let colon = login.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    /// `%XX` sequences decoded as UTF-8; `nil` if one is malformed.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let start = firstIndex(where: { !$0.isWhitespace }) ?? endIndex
        let end = lastIndex(where: { !$0.isWhitespace }).map { index(after: $0) } ?? start
        return self[start..<max(start, end)]
    }
}
