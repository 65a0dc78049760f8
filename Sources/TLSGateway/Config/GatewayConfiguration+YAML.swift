import Foundation
import Yams

extension GatewayConfiguration {
    /// Reads and validates a YAML config file. Relative paths in it are taken from its directory.
    public static func load(path: String) throws(GatewayConfigError) -> GatewayConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            let why = !FileManager.default.fileExists(atPath: path) ? "no such file"
                : !FileManager.default.isReadableFile(atPath: path) ? "permission denied" : "it is not a readable file"
            throw GatewayConfigError(file: path, problem: "cannot read the file (\(why))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw GatewayConfigError(file: path, problem: "cannot read the file (it is not UTF-8 text)")
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, file: path, baseDirectory: base)
    }

    /// Parses YAML text; `file` names it in errors, `baseDirectory` anchors relative paths.
    public static func parse(yaml: String, file: String = "<inline>", baseDirectory: String? = nil) throws(GatewayConfigError) -> GatewayConfiguration {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            let text = "\(error)".split(whereSeparator: \.isNewline).first.map(String.init) ?? "\(error)"
            throw GatewayConfigError(file: file, problem: "not valid YAML: \(text)")
        }
        guard let node else { throw GatewayConfigError(file: file, problem: "the file is empty") }
        var reader = YAMLReader(file: file, base: baseDirectory ?? FileManager.default.currentDirectoryPath)
        var config = try reader.read(ConfigNode(node: node, path: "", file: file))
        config.sourcePath = file == "<inline>" ? nil : file
        return config
    }
}
