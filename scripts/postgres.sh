#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for tests and local replicas.
#
#   scripts/postgres.sh install            install the server if missing (what `make test` runs first)
#   scripts/postgres.sh start [DIR] [--watch PID]
#                                          init (if needed) and start; prints DATABASE_URL on stdout;
#                                          with --watch, stop and delete it once process PID is gone
#   scripts/postgres.sh url DIR            print the DATABASE_URL of a running cluster
#   scripts/postgres.sh createdb DIR NAME  create database NAME; prints its DATABASE_URL
#   scripts/postgres.sh stop DIR           stop the cluster and delete DIR
#
# DIR defaults to a fresh folder under /tmp. Installs Debian's `postgresql` when no server binaries are
# found (as root: apt-get update first). PostgreSQL refuses to run as root, so as root every server
# command runs as the `postgres` system user; as anyone else, as that user. The cluster listens on
# 127.0.0.1 only, on a free port, with scram-sha-256 passwords; its Unix socket stays inside DIR. Role
# `postpulse` (CREATEDB, random password) owns database `postpulse`. Durability is traded for speed
# (fsync off): this cluster is for tests and demos, never for data you keep. Exit status 2: the
# server is not installed and this user cannot install it.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }
log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
    local candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [[ -x "$candidate/pg_ctl" ]] && { echo "$candidate"; return 0; }
    done
    if command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return 0
    fi
    return 1
}

ensure_installed() {
    BINDIR="$(find_bindir)" && return 0
    if [[ "$(id -u)" -ne 0 ]]; then  # exit 2: not installed and not ours to install (tests skip)
        echo "postgres.sh: PostgreSQL is not installed; run: sudo apt-get install -y postgresql" >&2
        exit 2
    fi
    log "installing Debian's postgresql (apt-get)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BINDIR="$(find_bindir)" || die "postgresql installed but pg_ctl not found"
}

# Run a server command as the cluster's owner (never as root).
as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

url_for() {  # url_for DIR DBNAME
    local dir="$1" db="$2"
    echo "postgresql://postpulse:$(cat "$dir/postpulse.password")@127.0.0.1:$(cat "$dir/port")/$db"
}

psql_super() {  # psql_super DIR SQL... (over the cluster's private Unix socket)
    local dir="$1"; shift
    as_owner "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/socket" -p "$(cat "$dir/port")" \
        -U postgres -d postgres "$@" >&2
}

cmd_start() {
    local dir="" watch=""
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --watch) watch="${2:?--watch needs a PID}"; shift 2 ;;
            *) dir="$1"; shift ;;
        esac
    done
    ensure_installed
    if [[ -z "$dir" ]]; then
        dir="$(mktemp -d /tmp/postpulse-pg.XXXXXX)"
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [[ "$(id -u)" -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' system user (the Debian package creates it)"
        chown postgres "$dir"
        chmod 700 "$dir"
    fi
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
        python3 -c 'import secrets; print(secrets.token_hex(16))' > "$dir/postpulse.password"
        python3 -c 'import secrets; print(secrets.token_hex(16))' > "$dir/superuser.password"
        mkdir -p "$dir/socket"
        [[ "$(id -u)" -eq 0 ]] && chown postgres "$dir/socket" "$dir/superuser.password"
        as_owner "$BINDIR/initdb" -D "$dir/data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 --pwfile="$dir/superuser.password" -E UTF8 --locale=C.UTF-8 \
            --no-sync > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
        fresh=1
    else
        fresh=0
    fi
    if as_owner "$BINDIR/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        log "already running in $dir"
        url_for "$dir" postpulse
        return 0
    fi
    local attempt port
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        echo "$port" > "$dir/port"
        if as_owner "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -s start \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/socket -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >&2; then
            break
        fi
        log "start on port $port failed (attempt $attempt); last log lines:"
        tail -n 5 "$dir/server.log" >&2 || true
        [[ "$attempt" -eq 5 ]] && die "could not start PostgreSQL (log: $dir/server.log)"
    done
    if [[ "$fresh" -eq 1 ]]; then
        psql_super "$dir" -c "CREATE ROLE postpulse LOGIN CREATEDB PASSWORD '$(cat "$dir/postpulse.password")'"
        psql_super "$dir" -c "CREATE DATABASE postpulse OWNER postpulse"
    fi
    log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data: $dir)"
    if [[ -n "$watch" ]]; then
        # A killed test run leaves no server behind: a detached watcher stops it when PID exits.
        setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; exec bash "$2" stop "$3"' \
            watcher "$watch" "${BASH_SOURCE[0]}" "$dir" </dev/null >/dev/null 2>&1 &
    fi
    url_for "$dir" postpulse
}

cmd_url() {
    local dir="${1:?usage: postgres.sh url DIR}"
    [[ -f "$dir/port" ]] || die "no cluster in $dir"
    url_for "$dir" postpulse
}

cmd_createdb() {
    local dir="${1:?usage: postgres.sh createdb DIR NAME}" name="${2:?usage: postgres.sh createdb DIR NAME}"
    [[ "$name" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "database name must match [a-z_][a-z0-9_]*: $name"
    ensure_installed
    psql_super "$dir" -c "CREATE DATABASE $name OWNER postpulse"
    url_for "$dir" "$name"
}

cmd_stop() {
    local dir="${1:?usage: postgres.sh stop DIR}"
    [[ -d "$dir" ]] || return 0
    [[ -f "$dir/data/PG_VERSION" ]] || die "$dir holds no cluster; not deleting it"
    ensure_installed
    as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w -s stop >&2 || true
    rm -rf "$dir"
}

case "${1:-}" in
    install) ensure_installed; log "server binaries in $BINDIR" ;;
    start) shift; cmd_start "$@" ;;
    url) shift; cmd_url "$@" ;;
    createdb) shift; cmd_createdb "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) die "usage: postgres.sh install | start [DIR] | url DIR | createdb DIR NAME | stop DIR" ;;
esac
