import Foundation
import SkyHighCore
import Testing

@Suite struct IDGeneratorTests {
    @Test func randomIdentifiersAreVersionFourAndDistinct() {
        let ids = (0..<1000).map { _ in IDGenerator.random() }
        #expect(Set(ids).count == 1000)
        for id in ids {
            let text = id.uuidString
            #expect(Array(text)[14] == "4", "version digit of \(text)")
            #expect("89AB".contains(Array(text)[19]), "variant digit of \(text)")
        }
    }
}
