import Foundation

/// API-SPECIFICATION.yml from the repository root, shipped inside the binary's resource bundle:
/// the document `GET /openapi.yaml` serves is the file in the repository, byte for byte.
public enum OpenAPIDocument {
    public static let bytes: Data? = Bundle.module.url(forResource: "API-SPECIFICATION", withExtension: "yml")
        .flatMap { try? Data(contentsOf: $0) }
}
