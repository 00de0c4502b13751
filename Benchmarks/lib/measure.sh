# Sourced (not run) by the Benchmarks/*.sh scripts, before they change folder: where results go,
# which swift builds, and how a command is timed. See "Conventions" in Benchmarks/README.md.
#
#   RESULTS       folder the script writes its results to (default Benchmarks/results). A relative
#                 path is taken from the folder the script was started in; created when missing.
#   SCRATCH_PATH  the script's release build folder (each script has its default, always .build*).
#   SWIFT         the swift driver (default swift; e.g. SWIFT=swift-locked on a shared machine).
#
# After sourcing: RESULTS is absolute, BENCH_ROOT is the repository root, and
#   timed FILE COMMAND...  runs COMMAND under /usr/bin/time (stdout and stderr as the caller
#                          redirects them) and writes "wall_s cpu_s peak_rss_mib" to FILE, where
#                          cpu_s = user + system seconds and peak_rss_mib = the maximum resident set
#                          of the process (of its largest waited-for child when it forks); returns
#                          COMMAND's exit status.
#   machine_note           "N cores (CPU model), load average a b c" for a results header.
# shellcheck shell=bash

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RESULTS=$(realpath -m "${RESULTS:-$BENCH_ROOT/Benchmarks/results}")
mkdir -p "$RESULTS"
SWIFT=${SWIFT:-swift}
if [ ! -x /usr/bin/time ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

timed() {
    local file=$1 status=0
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$file.time" "$@" || status=$?
    # On failure GNU time writes "Command exited with non-zero status N" before the format line.
    tail -n 1 "$file.time" | awk '{ printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }' > "$file"
    rm -f "$file.time"
    return "$status"
}

machine_note() {
    echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
