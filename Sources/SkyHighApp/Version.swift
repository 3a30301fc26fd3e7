/// The version of SkyHigh Core: what `skyhigh --version` prints and the start-up banner shows.
public enum SkyHighVersion {
    public static let current = "1.0.0"
}
