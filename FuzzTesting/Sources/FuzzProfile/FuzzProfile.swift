import TLSPolicy

// The compliance profile reader (YAML or JSON): any text must give a Profile or a ProfileError,
// never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfile(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    _ = try? Profile.parse(text, source: "fuzz.yaml")
    return 0
}
