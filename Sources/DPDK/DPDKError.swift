import CDPDK

/// A failed DPDK call: what we were doing, and DPDK's own words for the errno.
public struct DPDKError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code < 0 ? -code : code
    }

    /// For calls that return NULL or -1 and leave the reason in rte_errno.
    public static func fromErrno(_ operation: String) -> DPDKError {
        DPDKError(operation, code: cdpdk_errno())
    }

    public var description: String {
        "\(operation) failed: \(String(cString: rte_strerror(code))) (errno \(code))"
    }
}

/// Checks a DPDK return value that is negative on error (-errno or -1 with rte_errno set).
@discardableResult
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    if result < 0 {
        throw DPDKError(operation(), code: result == -1 ? cdpdk_errno() : result)
    }
    return result
}
