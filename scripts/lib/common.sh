# shellcheck shell=bash
# Shared helpers for scripts/setup, scripts/test and scripts/demo. Sourced, never run.
# Every helper is safe under `set -euo pipefail`.

# The repository root, whatever the caller's working directory.
SWF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SWF_ROOT

# The release binary; SWIFTFWD_BIN overrides it (the e2e tests honour the same variable).
SWF_BIN="${SWIFTFWD_BIN:-$SWF_ROOT/.build/release/swiftfwd}"

swf_log() { printf '%s: %s\n' "${SWF_SCRIPT:-swiftfwd}" "$*" >&2; }
swf_die() { swf_log "error: $*"; exit 1; }

swf_require_root() {
    [ "$(id -u)" -eq 0 ] || swf_die "this needs root (network namespaces, veth, hugepages); run it as root"
}

swf_require_binary() {
    [ -x "$SWF_BIN" ] || swf_die "no swiftfwd binary at $SWF_BIN; run 'bash scripts/setup' (it builds it) or set SWIFTFWD_BIN"
}

# swf_wait_for_line FILE PATTERN PID TIMEOUT_SECONDS
# Waits until FILE contains PATTERN (fixed string). Fails if PID exits first or time runs out.
swf_wait_for_line() {
    local file="$1" pattern="$2" pid="$3" timeout="$4" waited=0
    while ! grep -qF -- "$pattern" "$file" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        if [ "$waited" -ge $((timeout * 10)) ]; then
            return 2
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}
