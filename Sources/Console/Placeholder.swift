import NIOCore
import Prometheus
