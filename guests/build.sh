#!/usr/bin/env bash
# Build every Vivarium guest into guests/dist/ (flat: dist/<name>.wasm).
#
#   ./build.sh          build the guests whose sources changed, refresh dist/
#                       and the size table in README.md
#   ./build.sh --all    the same, but rebuild every guest
#   ./build.sh --check  rebuild every guest from scratch into a temporary
#                       directory and fail (exit 1, listing the files) if
#                       anything differs byte for byte from dist/ (or
#                       README.md's size table is stale)
#
# Incremental: a guest is skipped when the hash of its inputs (its sources,
# the shared SDK and Cargo files or C headers, the tool versions and this
# script) and the hash of its dist/ file are those recorded in
# target/build-stamps/ by the build that produced it. Cargo.lock is updated
# by a plain build when a new guest brings new dependencies (from Debian's
# registry, offline); --check builds with --locked, so a stale Cargo.lock
# fails there with a message saying to run ./build.sh and commit it.
#
# Uses only Debian's toolchain (installed with apt-get if something is
# missing): /usr/bin/cargo with RUSTC=/usr/bin/rustc (rustup's proxies on
# PATH have no wasm32 target), the `http` crate from Debian's
# /usr/share/cargo/registry (no network), clang-14 + wasi-libc for the C
# guest, binaryen (wasm-opt) to shrink every module after linking, and wabt
# (wat2wasm, wasm-objdump, wasm-validate) for checks.
#
# Every result must import functions from module "env" (the hostcalls listed
# in ABI.md) or the WASI subset from "wasi_snapshot_preview1" (ABI.md, "WASI
# subset") only, export `run`, and not export `_start`; otherwise the build
# fails.
#
# The build is reproducible: paths of the checkout, $HOME/.cargo, Debian's
# crate registry and the rustc sysroot are remapped, so a clone at another
# path produces identical bytes.
set -euo pipefail

GUESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$GUESTS_DIR"

MODE=build
ALL=false
case "${1:-}" in
    "") ;;
    --all) ALL=true ;;
    --check) MODE=check ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "usage: $0 [--all | --check]" >&2
        exit 2
        ;;
esac

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Toolchain (Debian packages only)
# ---------------------------------------------------------------------------
PACKAGES=(rustc cargo libstd-rust-dev-wasm32 lld-14 librust-http-dev clang-14 wasi-libc
          libclang-rt-14-dev-wasm32 binaryen wabt)

toolchain_missing() {
    local missing=()
    [[ -x /usr/bin/rustc ]] || missing+=(rustc)
    [[ -x /usr/bin/cargo ]] || missing+=(cargo)
    [[ -d /usr/lib/rustlib/wasm32-unknown-unknown ]] || missing+=(libstd-rust-dev-wasm32)
    [[ -x /usr/bin/wasm-ld-14 ]] || missing+=(lld-14)
    [[ -d /usr/share/cargo/registry/http-0.2.7 ]] || missing+=(librust-http-dev)
    [[ -x /usr/bin/clang-14 ]] || missing+=(clang-14)
    [[ -f /usr/lib/wasm32-wasi/libc.a ]] || missing+=(wasi-libc)
    compgen -G '/usr/lib/llvm-14/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a' >/dev/null \
        || missing+=(libclang-rt-14-dev-wasm32)
    [[ -x /usr/bin/wasm-opt ]] || missing+=(binaryen)
    for t in wat2wasm wasm-objdump wasm-validate; do
        [[ -x /usr/bin/$t ]] || { missing+=(wabt); break; }
    done
    printf '%s\n' "${missing[@]}"
}

ensure_toolchain() {
    local missing
    missing="$(toolchain_missing)"
    [[ -z "$missing" ]] && return 0
    log "missing Debian packages: $(echo $missing)"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || die "not root and no sudo: install ${PACKAGES[*]}"
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y --no-install-recommends "${PACKAGES[@]}"
    missing="$(toolchain_missing)"
    [[ -z "$missing" ]] || die "still missing after apt-get install: $(echo $missing)"
}

ensure_toolchain

CARGO=/usr/bin/cargo
export RUSTC=/usr/bin/rustc
export RUSTDOC=/usr/bin/rustdoc
# Nothing from the caller's environment may change the flags.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS RUSTC_WRAPPER \
      CARGO_BUILD_RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER CARGO_BUILD_TARGET \
      CARGO_PROFILE_RELEASE_OPT_LEVEL CARGO_PROFILE_RELEASE_STRIP RUSTUP_TOOLCHAIN || true
# A private CARGO_HOME: no user-level cargo config can leak in.
USER_CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export CARGO_HOME="$GUESTS_DIR/target/cargo-home"
export CARGO_NET_OFFLINE=true
export SOURCE_DATE_EPOCH=0

SYSROOT="$($RUSTC --print sysroot)"

case "$GUESTS_DIR$USER_CARGO_HOME$SYSROOT" in
    *"'"* | *"="*) die "paths containing ' or = are not supported: $GUESTS_DIR" ;;
esac

# ---------------------------------------------------------------------------
# Where results go
# ---------------------------------------------------------------------------
TMP_DIRS=()
cleanup() { [[ ${#TMP_DIRS[@]} -eq 0 ]] || rm -rf "${TMP_DIRS[@]}"; }
trap cleanup EXIT

# Results are collected in a temporary directory; a successful build then
# replaces dist/*.wasm with them (a failed one leaves dist/ untouched).
OUT="$(mktemp -d)"
TMP_DIRS+=("$OUT")
if [[ $MODE == build ]]; then
    export CARGO_TARGET_DIR="$GUESTS_DIR/target"
else
    # A from-scratch build, so that a stale target/ cannot hide anything.
    CARGO_TARGET_DIR="$(mktemp -d)"
    export CARGO_TARGET_DIR
    TMP_DIRS+=("$CARGO_TARGET_DIR")
fi
mkdir -p "$CARGO_HOME"

# ---------------------------------------------------------------------------
# Rust guests (one cargo workspace: http_guest, examples/*, fixtures/*, and
# compat/*, which must compile but is not shipped)
# ---------------------------------------------------------------------------
# Later --remap-path-prefix options win, so the sysroot (/usr on Debian)
# comes first and the more specific registry path after it.
REMAP="[
  '--remap-path-prefix=$SYSROOT=/rustc-sysroot',
  '--remap-path-prefix=$USER_CARGO_HOME=/cargo-home',
  '--remap-path-prefix=$CARGO_HOME=/cargo-home',
  '--remap-path-prefix=/usr/share/cargo/registry=/cargo-registry',
  '--remap-path-prefix=$GUESTS_DIR=/vivarium/guests',
]"

RUST_GUESTS=()
for dir in examples/*/ fixtures/*/; do
    dir="${dir%/}"
    name="$(basename "$dir")"
    grep -q "^name = \"$name\"\$" "$dir/Cargo.toml" \
        || die "$dir/Cargo.toml: the package must be named after its directory ($name)"
    RUST_GUESTS+=("$name")
done

# ---------------------------------------------------------------------------
# Which guests changed (a plain build only; --check and --all rebuild all)
# ---------------------------------------------------------------------------
STAMPS="$GUESTS_DIR/target/build-stamps"

# One hash of these files and of every file under these directories (paths
# included, so a renamed or removed file counts as a change).
tree_hash() {
    local p
    for p in "$@"; do
        if [[ -d $p ]]; then
            find "$p" -type f -not -path '*/target/*' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
        elif [[ -f $p ]]; then
            sha256sum "$p"
        fi
    done | sha256sum | cut -d' ' -f1
}

TOOLS_HASH="$({ $RUSTC -vV; /usr/bin/clang-14 --version; wasm-opt --version; wat2wasm --version
                sha256sum "$GUESTS_DIR/build.sh"; } | sha256sum | cut -d' ' -f1)"
RUST_SHARED_HASH="$(tree_hash Cargo.toml Cargo.lock .cargo http_guest compat)"
C_SHARED_HASH="$(tree_hash c/*.h)"

# input_hash rust|c NAME
input_hash() {
    if [[ $1 == rust ]]; then
        local dir=examples/$2
        [[ -d $dir ]] || dir=fixtures/$2
        echo "$TOOLS_HASH $RUST_SHARED_HASH $(tree_hash "$dir")" | sha256sum | cut -d' ' -f1
    else
        echo "$TOOLS_HASH $C_SHARED_HASH $(tree_hash "c/$2.c")" | sha256sum | cut -d' ' -f1
    fi
}

# fresh rust|c NAME: dist/NAME.wasm is what the recorded build made from these inputs
fresh() {
    [[ $MODE == build && $ALL == false ]] || return 1
    local stamp="$STAMPS/$2" recorded_in recorded_out
    [[ -f $stamp && -f dist/$2.wasm ]] || return 1
    read -r recorded_in recorded_out <"$stamp" || return 1
    [[ $recorded_in == "$(input_hash "$1" "$2")" ]] || return 1
    [[ $recorded_out == "$(sha256sum "dist/$2.wasm" | cut -d' ' -f1)" ]]
}

BUILT=()     # guests built now (the others are copied from dist/)
for name in "${RUST_GUESTS[@]}"; do
    if fresh rust "$name"; then
        cp "dist/$name.wasm" "$OUT/$name.wasm"
    else
        BUILT+=("rust:$name")
    fi
done

# Cargo builds the whole workspace when anything Rust changed, so features
# resolve as in a full build (the bytes must match --check's); it recompiles
# only the crates that changed. --locked only in --check: a plain build may
# add a new guest's dependencies to Cargo.lock (offline, from Debian's
# registry), which --locked would refuse.
if [[ " ${BUILT[*]} " == *" rust:"* ]]; then
    CARGO_FLAGS=(--release --offline --target wasm32-unknown-unknown --workspace)
    if [[ $MODE == check ]]; then
        "$CARGO" metadata --locked --offline --format-version 1 >/dev/null 2>&1 \
            || die "Cargo.lock does not match the workspace (a new guest or dependency?): run guests/build.sh, which updates it, and commit Cargo.lock"
        CARGO_FLAGS+=(--locked)
    fi
    LOCK_BEFORE="$(sha256sum Cargo.lock | cut -d' ' -f1)"
    log "cargo build (${#RUST_GUESTS[@]} guests in the workspace) with $($RUSTC --version)"
    "$CARGO" build "${CARGO_FLAGS[@]}" \
        --config "target.wasm32-unknown-unknown.rustflags=$REMAP"
    if [[ $LOCK_BEFORE != "$(sha256sum Cargo.lock | cut -d' ' -f1)" ]]; then
        log "Cargo.lock was updated for new dependencies: commit it with the guest"
        RUST_SHARED_HASH="$(tree_hash Cargo.toml Cargo.lock .cargo http_guest compat)"
    fi
    for entry in "${BUILT[@]}"; do
        [[ $entry == rust:* ]] || continue
        name="${entry#rust:}"
        cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/$name.wasm" "$OUT/$name.wasm"
    done
else
    log "Rust guests unchanged (${#RUST_GUESTS[@]}): not built"
fi

# ---------------------------------------------------------------------------
# C guests: wasm32-wasi against wasi-libc
# ---------------------------------------------------------------------------
# Every C guest is built with the plain flags a user would use (the header
# exports run): clang --target=wasm32-wasi -O2 -nostartfiles -Wl,--no-entry.
# hello_c is the exception that shows the reactor model (_initialize, called
# by the host before run) with the flags Terrarium users had; --export-table:
# wasm-ld 14 drops the function table when the module has no call_indirect of
# its own, even though hostcall_init_mm(malloc, free) passes table indices;
# exporting the table keeps it (and names it __indirect_function_table).
C_REACTOR_GUESTS=" hello_c "
C_OBJ_DIR="$(mktemp -d)"
TMP_DIRS+=("$C_OBJ_DIR")
for src in c/*.c; do
    name="$(basename "$src" .c)"
    if fresh c "$name"; then
        cp "dist/$name.wasm" "$OUT/$name.wasm"
        continue
    fi
    BUILT+=("c:$name")
    log "clang-14 $src"
    # Compile and link in two steps: clang's wasm driver runs binaryen's
    # wasm-opt after linking whenever an -O option is on the link command and
    # wasm-opt is on PATH, which would make the output depend on whether
    # binaryen happens to be installed.
    /usr/bin/clang-14 --target=wasm32-wasi -O2 -std=c11 \
        -Wall -Wextra -Werror \
        -ffile-prefix-map="$GUESTS_DIR"=/vivarium/guests \
        -c -o "$C_OBJ_DIR/$name.o" "$src"
    if [[ $C_REACTOR_GUESTS == *" $name "* ]]; then
        /usr/bin/clang-14 --target=wasm32-wasi -mexec-model=reactor \
            -fuse-ld=lld -Wl,-z,stack-size=65536 -Wl,--export-table -Wl,--strip-all \
            -o "$OUT/$name.wasm" "$C_OBJ_DIR/$name.o"
    else
        /usr/bin/clang-14 --target=wasm32-wasi -nostartfiles -Wl,--no-entry \
            -o "$OUT/$name.wasm" "$C_OBJ_DIR/$name.o"
    fi
done

# ---------------------------------------------------------------------------
# wasm-opt (binaryen) on every module
# ---------------------------------------------------------------------------
# rustc's and clang's output still has redundancy that binaryen removes:
# -Oz makes the Rust guests about 16% smaller (hello: 69 KB -> 58 KB) at the
# same speed (JMH HelloBenchmark, see bench/README.md). --mvp-features: the
# result may use only what the input used (wasm32 MVP in rustc 1.63 and
# clang 14), so no passive data segments or bulk-memory instructions appear
# (data.drop would cost the guest its instance reuse; see ../docs/architecture.md).
# wasm-opt output is deterministic for a given binaryen version (Debian 12:
# 108), which --check relies on.
# -ocimfs=200: binaryen inlines every function that has one caller, whatever
# its size, by default; that merged the SDK's request reading, the handler
# and the response writing back into `run` (the SDK keeps them apart with
# #[inline(never)]), an 11 KB JVM method under Chicory, which HotSpot at its
# default flags never JIT-compiles (methods over 8000 bytes of bytecode): the
# Rust hello guest took 4x as long without -XX:-DontCompileHugeMethods
# (bench/README.md, issue 17). 200 binaryen "size" units are about 200 wasm
# instructions.
log "wasm-opt -Oz ($(wasm-opt --version)) on ${#BUILT[@]} modules built now"
for entry in "${BUILT[@]}"; do
    f="$OUT/${entry#*:}.wasm"
    wasm-opt -Oz --one-caller-inline-max-function-size=200 --mvp-features --strip-debug --strip-producers "$f" -o "$f.opt" \
        || die "wasm-opt failed on $(basename "$f")"
    mv "$f.opt" "$f"
done

# ---------------------------------------------------------------------------
# Checks on every module (and the WAT templates, assembled to a temp dir)
# ---------------------------------------------------------------------------
# The hostcalls of ABI.md plus the Vivarium extension.
ALLOWED_IMPORTS="hostcall_req_create hostcall_req_send hostcall_req_send_async
hostcall_pending_req_wait hostcall_pending_req_poll hostcall_pending_req_select
hostcall_req_get_header hostcall_req_get_headers hostcall_req_get_method hostcall_req_get_body
hostcall_req_get_path hostcall_req_set_header hostcall_req_set_body hostcall_resp_get_headers
hostcall_resp_get_header hostcall_resp_get_body hostcall_resp_get_response_code
hostcall_resp_set_header hostcall_resp_set_body hostcall_resp_set_response_code
hostcall_kvstore_insert hostcall_kvstore_upsert hostcall_kvstore_append hostcall_kvstore_get
hostcall_kvstore_remove hostcall_panic_hook hostcall_init_mm hostcall_rng_next_u64
hostcall_time_now hostcall_dns_query_raw hostcall_dns_query_ip hostcall_debug
hostcall_kvstore_insert_ttl"
# The WASI preview1 subset (ABI.md, "WASI subset").
ALLOWED_WASI_IMPORTS="fd_write fd_seek fd_close fd_fdstat_get fd_prestat_get fd_prestat_dir_name
proc_exit environ_sizes_get environ_get args_sizes_get args_get clock_time_get random_get"

allowed_import() {
    local module="${1%%.*}" name="${1#*.}" list
    case "$module" in
        env) list="$ALLOWED_IMPORTS" ;;
        wasi_snapshot_preview1) list="$ALLOWED_WASI_IMPORTS" ;;
        *) return 1 ;;
    esac
    grep -qxF "$name" <<<"$(tr ' ' '\n' <<<"$list")"
}

check_module() {
    local f="$1" dump line kind target bad=0
    wasm-validate "$f" || die "$f: wasm-validate failed"
    dump="$(wasm-objdump -x "$f")"
    # Import lines look like: " - func[0] sig=3 <env.hostcall_init_mm> <- env.hostcall_init_mm"
    while IFS= read -r line; do
        kind="$(sed -E 's/^ - ([a-z]+)\[.*/\1/' <<<"$line")"
        target="${line##*<- }"
        if [[ $kind != func ]] || ! allowed_import "$target"; then
            echo "build.sh: $f: forbidden import: $line" >&2
            bad=1
        fi
    done < <(sed -n '/^Import\[/,/^[A-Z][a-zA-Z]*\[/p' <<<"$dump" | grep '^ - ' || true)
    if grep -q '<- env.hostcall_init_mm$' <<<"$dump" && ! grep -q '^Table\[' <<<"$dump"; then
        echo "build.sh: $f: calls hostcall_init_mm but has no function table (link C with -Wl,--export-table)" >&2
        bad=1
    fi
    if grep -qE '^ - func\[[0-9]+\].* -> "_start"$' <<<"$dump"; then
        echo "build.sh: $f: exports _start (guests must not)" >&2
        bad=1
    fi
    if ! grep -qE '^ - func\[[0-9]+\].* -> "run"$' <<<"$dump"; then
        echo "build.sh: $f: does not export run" >&2
        bad=1
    fi
    [[ $bad -eq 0 ]] || die "$f: module checks failed"
}

WAT_TMP="$(mktemp -d)"
TMP_DIRS+=("$WAT_TMP")
for wat in wat/*.wat; do
    log "wat2wasm $wat (validation only; Vivarium converts WAT itself)"
    wat2wasm "$wat" -o "$WAT_TMP/$(basename "$wat" .wat).wasm"
    check_module "$WAT_TMP/$(basename "$wat" .wat).wasm"
done
for f in "$OUT"/*.wasm; do
    check_module "$f"
done

# ---------------------------------------------------------------------------
# Size / memory table (kept in README.md between markers)
# ---------------------------------------------------------------------------
size_table() {
    local f pages
    echo "| module | bytes | initial memory pages (64 KiB) |"
    echo "|---|---:|---:|"
    for f in "$1"/*.wasm; do
        pages="$(wasm-objdump -x -j Memory "$f" | sed -nE 's/.*pages: initial=([0-9]+).*/\1/p')"
        echo "| $(basename "$f") | $(stat -c %s "$f") | ${pages:-?} |"
    done
}

TABLE="$(size_table "$OUT")"
BEGIN_MARK='<!-- sizes:begin (generated by build.sh) -->'
END_MARK='<!-- sizes:end -->'
readme_with_table() {
    awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v t="$TABLE" '
        $0 == b { print; print t; skip = 1; next }
        $0 == e { skip = 0 }
        !skip { print }
    ' README.md
}

if [[ $MODE == build ]]; then
    mkdir -p dist
    rm -f dist/*.wasm
    cp "$OUT"/*.wasm dist/
    chmod 0644 dist/*.wasm
    if [[ -f README.md ]] && grep -qxF "$BEGIN_MARK" README.md; then
        readme_with_table >README.md.tmp
        mv README.md.tmp README.md
    fi
    # record what each guest was built from, for the next plain build
    rm -rf "$STAMPS"
    mkdir -p "$STAMPS"
    for src in c/*.c; do
        name="$(basename "$src" .c)"
        echo "$(input_hash c "$name") $(sha256sum "dist/$name.wasm" | cut -d' ' -f1)" >"$STAMPS/$name"
    done
    for name in "${RUST_GUESTS[@]}"; do
        echo "$(input_hash rust "$name") $(sha256sum "dist/$name.wasm" | cut -d' ' -f1)" >"$STAMPS/$name"
    done
    echo "$TABLE"
    log "built ${#BUILT[@]} of $(ls dist/*.wasm | wc -l) modules into dist/ (the others unchanged)"
    exit 0
fi

# --check: compare with dist/
status=0
for f in "$OUT"/*.wasm; do
    name="$(basename "$f")"
    if [[ ! -f dist/$name ]]; then
        echo "differs: dist/$name is missing" >&2
        status=1
    elif ! cmp -s "$f" "dist/$name"; then
        echo "differs: dist/$name ($(stat -c %s "dist/$name") bytes committed, $(stat -c %s "$f") bytes rebuilt)" >&2
        status=1
    fi
done
for f in dist/*.wasm; do
    [[ -e $f ]] || continue
    [[ -f $OUT/$(basename "$f") ]] || { echo "differs: $f is not produced by the build" >&2; status=1; }
done
if [[ -f README.md ]] && grep -qxF "$BEGIN_MARK" README.md; then
    if ! cmp -s <(readme_with_table) README.md; then
        echo "differs: README.md size table is stale (run ./build.sh)" >&2
        status=1
    fi
fi
if [[ $status -ne 0 ]]; then
    echo "build.sh --check: dist/ is out of date; run guests/build.sh and commit dist/" >&2
    exit 1
fi
echo "$TABLE"
log "check passed: dist/ matches a fresh build byte for byte"
