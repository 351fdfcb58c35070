#!/usr/bin/env bash
# The long fuzz run (issue 11): each target fuzzes until it has used N seconds of its own
# CPU (user + system), not N seconds of wall time. On a shared or busy machine a wall-clock
# budget gives a fuzzer whatever the scheduler leaves it (one run of "an hour" got 75 s of
# CPU); counting CPU makes a run mean the same work wherever it runs.
#   bash tests/fuzz/long_run.sh                       every target, 3600 CPU-s, 2 at a time
#   bash tests/fuzz/long_run.sh -s 600 -j 1 fuzz_sdp  one target, 10 CPU-minutes
#   -n L   nice level (default 19: anything else on the machine goes first; the fuzzers
#          soak up what is left, and the budget still counts only their own CPU)
# Each target's log, stats and artifacts go to build-fuzz/long/; its corpus grows in
# build-fuzz/corpus/<target>/ (kept between runs). One line per finished target is
# appended to build-fuzz/long/summary.tsv:
#   target  result  cpu_s  wall_s  execs  cov  ft  corpus_files  peak_rss_mb  pieces
#   -f     run targets that summary.tsv has already
#   -S     save the unfinished runs into the repository (tests/fuzz/long_resume/: each one's
#          progress line and its grown corpus as .tar.xz) and exit; commit them before a
#          session ends, and a later run in a fresh checkout goes on from there
# tests/fuzz/long_runs.tsv keeps the finished lines in the repository (copy them there):
# build-fuzz/ may not outlive the machine.
# A target fails when it crashes, leaks, times out on one input (-timeout, wall seconds)
# or exits for any reason other than the budget's interrupt.
set -o pipefail
cd "$(dirname "$0")/../.."
B=build-fuzz
CPU_SECS=3600; SLOTS=2; NICE=19; TIMEOUT=${FUZZ_TIMEOUT:-120}; FORCE=; SAVE=
while getopts "s:j:n:fS" o; do
  case $o in s) CPU_SECS=$OPTARG ;; j) SLOTS=$OPTARG ;; n) NICE=$OPTARG ;; f) FORCE=1 ;; S) SAVE=1 ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
R=tests/fuzz/long_resume
if [ -n "$SAVE" ]; then
  mkdir -p $R
  for p in $B/long/*.progress; do
    [ -f "$p" ] || continue
    t=$(basename "$p" .progress)
    cp "$p" $R/"$t".progress
    tar -C $B/corpus -cJf $R/"$t".corpus.tar.xz "$t"
    echo "saved $t: $(cat "$p") (cpu_s wall_s execs pieces), $(ls $B/corpus/"$t" | wc -l) corpus files"
  done
  exit 0
fi
targets=("$@")
if [ ${#targets[@]} = 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
FUZZ_SECONDS=0 FUZZ_ONLY="^($(IFS='|'; echo "${targets[*]}"))\$" bash tests/fuzz/build.sh || exit 1
L=$B/long; mkdir -p "$L"
# A fresh checkout starts from the runs the repository records, so finished targets are
# not run again when build-fuzz/ did not survive.
[ -f $L/summary.tsv ] || cp tests/fuzz/long_runs.tsv $L/summary.tsv
TICK=$(getconf CLK_TCK)

cpu_ticks() { # utime + stime of one process, from /proc/PID/stat (fields 14 and 15)
  local s; s=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
  s=${s##*) }; set -- $s; echo $(( ${12} + ${13} ))
}

# A run may be cut (the machine stops, ^C): its progress file keeps the CPU, wall time
# and runs it had, and the next long_run.sh goes on from there with the rest of the
# budget and the corpus it grew (a "piece" each time). A finished target has its line in
# summary.tsv and is skipped unless -f.
run_one() {
  local name=$1 bin=$B/fuzz/$1 seeds=tests/fuzz/corpus/$1 prog=$L/$1.progress
  [ -d "$seeds" ] || seeds=
  mkdir -p $B/corpus/"$name"
  if [ ! -f "$prog" ] && [ -f $R/"$name".progress ]; then # saved by -S in an earlier checkout
    cp $R/"$name".progress "$prog"
    [ -f $R/"$name".corpus.tar.xz ] && tar -C $B/corpus -xJf $R/"$name".corpus.tar.xz
  fi
  local prev_cpu=0 prev_wall=0 prev_execs=0 pieces=0
  [ -f "$prog" ] && read -r prev_cpu prev_wall prev_execs pieces <"$prog"
  pieces=$((pieces + 1))
  local log=$L/$name.log.$pieces start; start=$(date +%s)
  local left=$(( (CPU_SECS - prev_cpu) * TICK ))
  nice -n "$NICE" "$bin" -max_total_time=0 -timeout="$TIMEOUT" -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix=$L/"$name"- $B/corpus/"$name" $seeds >"$log" 2>&1 &
  local pid=$! used=0 execs
  while kill -0 $pid 2>/dev/null; do
    used=$(cpu_ticks $pid) || break
    execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    echo "$((prev_cpu + used / TICK)) $((prev_wall + $(date +%s) - start)) $((prev_execs + ${execs:-0})) $pieces" >"$prog"
    if [ "$used" -ge "$left" ]; then kill -INT $pid; break; fi
    sleep 5
  done
  wait $pid; local rc=$?
  local wall=$(( prev_wall + $(date +%s) - start )) result=ok
  # libFuzzer exits 72 after the interrupt that ends the budget; anything else is a finding.
  [ $rc = 72 ] || [ $rc = 0 ] || result="FAIL(rc=$rc)"
  local cov ft rss files
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  execs=$((prev_execs + ${execs:-0}))
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  files=$(ls $B/corpus/"$name" | wc -l)
  local cpu=$((prev_cpu + used / TICK))
  printf '%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\n' "$name" "$result" $cpu "$wall" \
    "$execs" "${cov:-?}" "${ft:-?}" "$files" "${rss:-?}" $pieces >>$L/summary.tsv
  rm -f "$prog" $R/"$name".progress $R/"$name".corpus.tar.xz
  echo "$(date +%H:%M:%S) $name: $result, $cpu CPU-s in ${wall} s ($pieces piece(s)), $execs runs, cov ${cov:-?} ft ${ft:-?}"
  [ "$result" = ok ] || grep -A25 '^==[0-9]*==ERROR\|runtime error\|deadly signal\|ALARM' "$log" | head -40
}

ran=0
for name in "${targets[@]}"; do
  if [ -z "$FORCE" ] && awk -F'\t' -v t="$name" '$1 == t { f = 1 } END { exit !f }' $L/summary.tsv; then
    echo "$name: done already (summary.tsv; -f runs it again)"; continue
  fi
  ran=$((ran + 1))
  while [ "$(jobs -rp | wc -l)" -ge "$SLOTS" ]; do wait -n; done
  run_one "$name" &
done
wait
failed=$(awk -F'\t' 'NR > 1 && $2 != "ok"' $L/summary.tsv | wc -l)
echo "RESULT long fuzz: $ran target(s) run; $failed failed in all of $L/summary.tsv"
[ "$failed" = 0 ]
