extension QRCode {
    /// The code as a standalone SVG: one path of unit squares on a white background, a quiet zone
    /// of `quietZone` modules, scaled to `moduleSize` pixels a module, with a title for screen
    /// readers.
    public func svg(moduleSize: Int = 4, quietZone: Int = 4, title: String) -> String {
        let side = size + 2 * quietZone
        var path = ""
        for (y, row) in modules.enumerated() {
            for (x, dark) in row.enumerated() where dark { path += "M\(x + quietZone) \(y + quietZone)h1v1h-1z" }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 \(side) \(side)" \
            width="\(side * moduleSize)" height="\(side * moduleSize)" shape-rendering="crispEdges" role="img">\
            <title>\(Self.escaped(title))</title>\
            <rect width="100%" height="100%" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
