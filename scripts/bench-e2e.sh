#!/usr/bin/env bash
# End-to-end performance run (issue 8): the whole local stack and the load generator share this machine.
# Starts the AppHost (Release, Local mode, fresh data), measures the single-stage limits, runs the load generator
# with --verify, samples each service's CPU time and the Batcher's peak RSS, and writes docs/perf/e2e-latest.md.
#
#   scripts/bench-e2e.sh [load generator arguments]      default: --duration 60s --concurrency 8 --batch-size 512
#   VERIFY_TIMEOUT=600s                                   how long --verify may take to read every trace back
#   E2E_VERIFY=0                                          skip reading every trace back (it takes about 20 min after a
#                                                         30 s run: one lookup per trace); CPU is then of the load alone
#   E2E_BACKLOG_SECONDS=N                                 also sample the compaction backlog every 10 s for N seconds
#                                                         from the start of the load (issue 7), into the report
#   E2E_REPORT=path                                       where the report goes (default docs/perf/e2e-latest.md)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=docs/perf
mkdir -p "$out"
work=$(mktemp -d /tmp/otelstorage-bench-XXXXXX)
load_args=("$@")
[ ${#load_args[@]} -gt 0 ] || load_args=(--duration 60s --concurrency 8 --batch-size 512)

export AWS_EC2_METADATA_DISABLED=true DOTNET_CLI_TELEMETRY_OPTOUT=1
for project in OtelStorage.AppHost OtelStorage.LoadGen tests/OtelStorage.Benchmarks; do
  dotnet build -c Release -v q "$project" | grep -E " error |rror\(s\)" || true
done

echo "starting the stack (data in $work)"
# dotnet run applies the AppHost's launch profile (plain-HTTP dashboard), which running the dll directly would not.
# setsid makes dotnet run the leader of a new process group, whose ID is $apphost; the AppHost it starts joins that
# group. DCP runs in a session of its own and stops every resource once the AppHost has exited.
setsid dotnet run -c Release --no-build --project OtelStorage.AppHost -- \
  "Infrastructure:Mode=Local" "Infrastructure:DataPath=$work" >"$work/apphost.log" 2>&1 &
apphost=$!
backlog=""
cleanup() {
  [ -z "$backlog" ] || kill -TERM "$backlog" 2>/dev/null || true
  kill -TERM -- "-$apphost" 2>/dev/null || true
  wait "$apphost" 2>/dev/null || true
  # dotnet run may exit before the AppHost does: wait for the whole group, and kill what is left after a minute.
  for _ in $(seq 1 120); do
    kill -0 -- "-$apphost" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -KILL -- "-$apphost" 2>/dev/null || true
}
trap cleanup EXIT

wait_healthy() {
  for _ in $(seq 1 180); do
    curl -fsS -m 2 "$1" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "timed out waiting for $1" >&2
  exit 1
}
wait_healthy http://127.0.0.1:4318/health
wait_healthy http://127.0.0.1:16686/health
wait_healthy http://127.0.0.1:13133/alive

# Only this checkout's services and this run's broker and s3rver (their data is under $work), not another stack's.
pid_of() { pgrep -f "^$root/$1/bin/Release/net10.0/$1" | head -n 1; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
declare -A pids before
for svc in Ingest.Api Batcher.Worker Compactor.Worker Query.Api Health.Api; do
  pids[$svc]=$(pid_of "$svc")
done
pids[rabbitmq]=$(pgrep -f "beam.smp.* -home $work/rabbitmq" | head -n 1)
pids[s3rver]=$(pgrep -f "s3rver.js -d $work/s3rver" | head -n 1)

echo "measuring single-stage limits"
dotnet tests/OtelStorage.Benchmarks/bin/Release/net10.0/OtelStorage.Benchmarks.dll limits \
  --amqp amqp://guest:guest@127.0.0.1:5672/ \
  --s3 "Endpoint=http://127.0.0.1:9000;AccessKey=S3RVER;SecretKey=S3RVER;Bucket=otelstorage;Region=us-east-1;ForcePathStyle=true" \
  --json "$work/limits.json"

s3_bytes_before=$(du -sb "$work/s3rver" | cut -f1)
for name in "${!pids[@]}"; do before[$name]=$(cpu_seconds "${pids[$name]}"); done

s3_connection="Endpoint=http://127.0.0.1:9000;AccessKey=S3RVER;SecretKey=S3RVER;Bucket=otelstorage;Region=us-east-1;ForcePathStyle=true"
if [ -n "${E2E_BACKLOG_SECONDS:-}" ]; then
  dotnet tests/OtelStorage.Benchmarks/bin/Release/net10.0/OtelStorage.Benchmarks.dll backlog --s3 "$s3_connection" \
    --interval 10s --duration "${E2E_BACKLOG_SECONDS}s" --json "$work/backlog.json" &
  backlog=$!
fi

queue_messages() {
  curl -fsS -u guest:guest http://127.0.0.1:15672/api/queues/%2F/otelstorage.spans |
    python3 -c 'import json, sys; print(json.load(sys.stdin).get("messages", 0))'
}

echo "load: ${load_args[*]}"
verify_args=(--verify --verify-timeout "${VERIFY_TIMEOUT:-600s}")
[ "${E2E_VERIFY:-1}" = 1 ] || verify_args=()
dotnet OtelStorage.LoadGen/bin/Release/net10.0/OtelStorage.LoadGen.dll "${load_args[@]}" "${verify_args[@]}" --json "$work/load.json" || true

declare -A used
for name in "${!pids[@]}"; do used[$name]=$(awk -v a="${before[$name]}" -v b="$(cpu_seconds "${pids[$name]}")" 'BEGIN{print b-a}'); done
peak_rss_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
batcher_rss_kb=$(peak_rss_kb "${pids[Batcher.Worker]}")
compactor_rss_kb=$(peak_rss_kb "${pids[Compactor.Worker]}")
# Acknowledged but not yet in a block: what the batchers still had to do when the load stopped, and how long it took.
queued_at_end=$(queue_messages || echo 0)
drain_started=$(date +%s.%N)
for _ in $(seq 1 600); do [ "$(queue_messages || echo 1)" = 0 ] && break; sleep 0.2; done
drain_seconds=$(awk -v a="$drain_started" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
# Forgotten once reaped, so that cleanup never signals a PID the system has given to another process.
[ -z "$backlog" ] || wait "$backlog" || true
backlog=""
s3_bytes_after=$(du -sb "$work/s3rver" | cut -f1)

echo "measuring freshness (acknowledged -> queryable)"
dotnet OtelStorage.LoadGen/bin/Release/net10.0/OtelStorage.LoadGen.dll --spans 50 --seed 7 --verify --verify-timeout 30s --json "$work/fresh.json" >/dev/null || true

cpu_json=$(for name in "${!used[@]}"; do printf '"%s": %s,' "$name" "${used[$name]}"; done)
python3 - "$work" "${E2E_REPORT:-$out/e2e-latest.md}" "{${cpu_json%,}}" "$batcher_rss_kb" "$((s3_bytes_after - s3_bytes_before))" "${load_args[*]}" "$queued_at_end" "$drain_seconds" "$compactor_rss_kb" <<'PY'
import json, sys, subprocess, platform, os
work, target, cpu, rss_kb, s3_bytes, load_args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
queued_at_end, drain_seconds, compactor_rss_kb = int(sys.argv[7]), sys.argv[8], int(sys.argv[9])
load = json.load(open(f"{work}/load.json"))
limits = json.load(open(f"{work}/limits.json"))
fresh = json.load(open(f"{work}/fresh.json"))
v = load.get("Verification") or {}
spans = load["SpansAcknowledged"]
rate = load["AcknowledgedSpansPerSecond"]
bytes_per_span = s3_bytes / spans if spans else 0
s3_limit_spans = limits.get("s3_put_mb_per_s", 0) * 1e6 / bytes_per_span if bytes_per_span else 0
stage = {
    "protobuf decode, one core": limits["decode_spans_per_s_one_core"],
    "RabbitMQ publish + confirm, same message size": limits.get("rabbitmq_publish_confirm_spans_per_s", 0),
    "s3rver PUT (16 MiB objects) at the measured bytes/span": s3_limit_spans,
}
slowest = min(stage, key=stage.get)
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception: return "?"
mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
# Python 3.11 (Debian 12) allows no backslash inside an f-string expression, so these are computed first.
rabbit = sh("dpkg-query -W -f='${Version}' rabbitmq-server")
commit = sh("git rev-parse --short HEAD")
lines = [
    "# End-to-end run (latest)", "",
    f"Command: `scripts/bench-e2e.sh {load_args}` (also run by `make bench`).", "",
    f"Machine: {os.cpu_count()} cores, {mem_gib:.0f} GiB, {platform.platform()}; .NET {sh('dotnet --version')}; "
    f"RabbitMQ {rabbit}; s3rver 3.7.1; commit {commit}.",
    "RabbitMQ, s3rver, the five services and the load generator share the cores.", "",
    "| figure | value | ratio to the slowest single-stage limit |", "|---|---|---|",
    f"| sustained acknowledged spans/s | {rate:,.0f} | {rate / stage[slowest]:.0%} of {slowest} |",
    (f"| spans acknowledged / verified queryable / missing / duplicates | {spans:,} / {v['FoundSpans']:,} / {v['ExpectedSpans'] - v['FoundSpans']:,} / {v['DuplicateSpans']:,} | |"
     if v else f"| spans acknowledged / verified queryable | {spans:,} / not verified (E2E_VERIFY=0) | |"),
    f"| failed requests | {load['FailedRequests']:,} ({', '.join(f'{k}: {n}' for k, n in load['ErrorsByKind'].items()) or 'none'}) | |",
    f"| export latency p50 / p99 | {load['LatencyP50Ms']:.1f} ms / {load['LatencyP99Ms']:.1f} ms | |",
    f"| bytes per span in S3 | {bytes_per_span:.1f} | |",
    f"| freshness (acknowledged → queryable, 50-span probe) | {(fresh.get('Verification') or {}).get('TimeToComplete', '?')} | |",
    f"| span messages still queued when the load stopped / drained after | {queued_at_end:,} / {drain_seconds} s | |",
    f"| stored spans/s, load and drain (every acknowledged span in a block) | {spans / (load['Seconds'] + float(drain_seconds)):,.0f} | {spans / (load['Seconds'] + float(drain_seconds)) / stage[slowest]:.0%} of {slowest} |",
    f"| Batcher peak RSS | {rss_kb / 1024:.0f} MiB | |",
    f"| Compactor peak RSS (compaction and retention, its own process) | {compactor_rss_kb / 1024:.0f} MiB | |", "",
    "CPU-seconds per million acknowledged spans:", "", "| process | CPU-s / M spans |", "|---|---|",
]
lines += [f"| {k} | {c / spans * 1e6:.1f} |" for k, c in sorted(cpu.items())] if spans else []
# The load generator measures itself (Process.TotalProcessorTime) over its sending phase only.
lines += [f"| load generator | {load.get('LoadGeneratorCpuSecondsPerMillionSpans', 0):.1f} |"]
lines += ["", "Single-stage limits measured in the same run:", "", "| stage | spans/s |", "|---|---|"]
lines += [f"| {k} | {s:,.0f} |" for k, s in stage.items()]
lines += ["", f"RabbitMQ publish+confirm: {limits.get('rabbitmq_publish_confirm_mb_per_s', 0):.0f} MB/s with {limits.get('rabbitmq_message_bytes', 0):,.0f}-byte messages; "
          f"s3rver PUT: {limits.get('s3_put_mb_per_s', 0):.0f} MB/s; OTLP request bytes per span: {limits['request_bytes_per_span']:.0f}.", ""]
if os.path.exists(f"{work}/backlog.json"):
    samples = json.load(open(f"{work}/backlog.json"))
    lines += ["Compaction backlog (visible blocks under half the compaction target, sampled from the start of the load):", "",
              "| s | visible blocks | backlog | compacted blocks | visible spans |", "|---|---|---|---|---|"]
    lines += [f"| {x['Seconds']:.0f} | {x['Visible']} | {x['Backlog']} | {x['Compacted']} | {x['VisibleSpans']:,} |" for x in samples]
    lines += [""]
open(target, "w").write("\n".join(lines))
print("\n".join(lines))
PY
