import XCTest
import NIOEmbedded
