# shellcheck shell=bash
# Shared helpers for tlsguard's scripts. Source it; don't execute it.
#   . "$(dirname "$0")/common.sh"

# Print a message to stderr, prefixed with the calling script's name.
log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Run a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Print a TCP port on 127.0.0.1 that is free right now.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Wait until something accepts TCP connections on 127.0.0.1:$1 (at most $2 s, default 10).
wait_port() {
    python3 - "$1" "${2:-10}" <<'PY'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
end = time.monotonic() + limit
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# gen_cert DIR NAME [rsa|ecdsa]: write a self-signed cert for 127.0.0.1/localhost
# to DIR/NAME.crt and its key to DIR/NAME.key (RSA-2048 or ECDSA P-256).
gen_cert() {
    local dir=$1 name=$2 kind=${3:-rsa} keyopt
    case $kind in
        rsa) keyopt=(-newkey rsa:2048) ;;
        ecdsa) keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
        *) die "gen_cert: unknown key kind $kind" ;;
    esac
    openssl req -x509 -nodes -days 2 "${keyopt[@]}" -sha256 \
        -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$dir/$name.key" -out "$dir/$name.crt" >/dev/null 2>&1 \
        || die "cannot generate the $kind certificate in $dir"
}

# Cleanup registry: add_cleanup 'shell command'; all run once, last added first,
# on EXIT (and on INT/TERM, which then exit with 130/143).
_CLEANUPS=()
add_cleanup() { _CLEANUPS+=("$1"); }
_run_cleanups() {
    local i
    for ((i = ${#_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${_CLEANUPS[i]}" || true
    done
    _CLEANUPS=()
}
trap _run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# kill_pid PID: stop a process we started, by its id, and reap it.
kill_pid() {
    local pid=$1
    kill "$pid" 2>/dev/null || return 0
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
