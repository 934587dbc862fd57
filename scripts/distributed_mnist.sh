#!/usr/bin/env bash
# The main job's DDNN as separate programs over MQTT: a private mosquitto broker on a free
# loopback port (TLS, a password per node, access rules so that a device may publish only its own
# topics and only the aggregator may publish tier messages), 6 device processes (device d reads
# its own tile of test sample i when the driver ticks i), 1 aggregator, 2 cloud workers, and the
# driver that streams the test set, replays every answer on the in-process graph and writes
# results/distributed_mnist.json.
#
#   scripts/distributed_mnist.sh [--samples N] [--rate R] [--model FILE] [--random-model]
#                                [--faults] [--restart-broker] [--cpu-report] [--no-tls]
#                                [--build DIR] [--results FILE]
#
# --rate R offers R samples per second (default 0: as fast as a window of 64 samples allows).
# --faults kills device 2 with SIGKILL, stops device 4 with SIGSTOP for a second and kills cloud
# worker 0 with SIGKILL, mid-stream; the report says how long after the kill the aggregator
# stopped waiting for device 2. --restart-broker kills the broker (SIGKILL, a crash) mid-stream
# and starts it again half a second later on the same port: the nodes reconnect, and the driver
# ticks again what it got no answer for. --random-model runs a model with random parameters (no
# training needed; accuracy is then meaningless, everything else is measured).
set -euo pipefail
cd "$(dirname "$0")/.."
samples=10000 rate=0 model=results/mnist_ddnn.model.json random_model=0 faults=0 restart_broker=0
cpu_report=0 tls=1
build=build-distributed results=results/distributed_mnist.json
while [[ $# -gt 0 ]]; do
  case "$1" in
    --samples) samples=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --random-model) random_model=1; shift ;;
    --faults) faults=1; shift ;;
    --restart-broker) restart_broker=1; shift ;;
    --cpu-report) cpu_report=1; shift ;;
    --no-tls) tls=0; shift ;;  # plain TCP on loopback: to measure what TLS costs
    --build) build=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    *) echo "distributed_mnist.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in mosquitto mosquitto_passwd mosquitto_pub openssl cmake; do
  command -v "$tool" > /dev/null || PATH=$PATH:/usr/sbin
  command -v "$tool" > /dev/null || {
    echo "distributed_mnist.sh: $tool is missing (apt install mosquitto mosquitto-clients openssl cmake)" >&2
    exit 1
  }
done

# DDNN_NODE names an already built ddnn_node (the tests pass theirs); otherwise build it.
node=${DDNN_NODE:-}
if [[ -z $node ]]; then
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDDNN_BUILD_TESTS=OFF \
      -DDDNN_BUILD_BENCHMARKS=OFF > /dev/null
  fi
  cmake --build "$build" --target ddnn_node > /dev/null
  node=$build/examples/ddnn_node
fi

work=$(mktemp -d)
chmod 755 "$work"  # the broker may read it as user mosquitto
pids=()
broker_pid=
cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2> /dev/null || true; kill "$p" 2> /dev/null || true; done
  [[ -n $broker_pid ]] && kill "$broker_pid" 2> /dev/null || true
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [[ $random_model == 1 ]]; then
  model=$work/random.model.json
  "$node" --role random-model --model "$model" --incarnation 7 > /dev/null
elif [[ ! -f $model ]]; then
  echo "distributed_mnist.sh: no model at $model: run scripts/mnist_ddnn.sh first (or --random-model)" >&2
  exit 1
fi

# Certificates: a CA and a server certificate for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ddnn-test-ca \
  -keyout "$work/ca.key" -out "$work/ca.crt" 2> /dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$work/server.key" \
  -out "$work/server.csr" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
  -CAcreateserial -days 2 -extfile "$work/san.ext" -out "$work/server.crt" 2> /dev/null

# A password per node, and what each may publish and read.
users=(driver aggregator worker0 worker1 device0 device1 device2 device3 device4 device5)
declare -A password
: > "$work/passwd"
for u in "${users[@]}"; do
  password[$u]="pw-$u-$RANDOM$RANDOM"
  mosquitto_passwd -b "$work/passwd" "$u" "${password[$u]}"
done
# The access rules come from the library (runtime/access_rules.hpp), for this model only.
"$node" --role access-rules --model "$model" --workers 2 > "$work/acl"
chmod 644 "$work"/*

tls_config="cafile $work/ca.crt
certfile $work/server.crt
keyfile $work/server.key" tls_client=(--cafile "$work/ca.crt")
[[ $tls == 1 ]] || { tls_config=""; tls_client=(); }

# A free loopback port: try random ones until a broker starts and answers there.
start_broker() {
  cat > "$work/mosquitto.conf" << CONF
listener $port 127.0.0.1
$tls_config
allow_anonymous false
password_file $work/passwd
acl_file $work/acl
persistence false
log_dest none
max_queued_messages 100000
set_tcp_nodelay true
CONF
  mosquitto -c "$work/mosquitto.conf" &
  broker_pid=$!
  for _ in $(seq 100); do
    kill -0 "$broker_pid" 2> /dev/null || return 1  # the port was taken
    mosquitto_pub -h 127.0.0.1 -p "$port" "${tls_client[@]}" -u driver \
      -P "${password[driver]}" -t ddnn/ping/tick -n 2> /dev/null && return 0
    sleep 0.1
  done
  return 1
}
for attempt in $(seq 20); do
  port=$((20000 + RANDOM % 40000))
  (: < "/dev/tcp/127.0.0.1/$port") 2> /dev/null && continue  # in use
  start_broker && break
  kill "$broker_pid" 2> /dev/null || true
  broker_pid=
done
[[ -n $broker_pid ]] || { echo "distributed_mnist.sh: could not start mosquitto" >&2; exit 1; }

common=(--model "$model" --broker "127.0.0.1:$port" "${tls_client[@]}")
start() {  # start USER ROLE ARGS...
  local user=$1; shift
  "$node" "$@" "${common[@]}" --username "$user" --password "${password[$user]}" \
    --samples "$samples" 2> "$work/$user.log" &
  pids+=($!)
}
for d in 0 1 2 3 4 5; do start "device$d" --role device --node "$d"; done
start aggregator --role aggregator
start worker0 --role worker --node 0
start worker1 --role worker --node 1
sleep 1  # every node connected and subscribed

mkdir -p "$(dirname "$results")"
"$node" --role driver "${common[@]}" --username driver --password "${password[driver]}" \
  --samples "$samples" --rate "$rate" --results "$results" --fault-log "$work/faults.log" \
  ${DDNN_DRIVER_ARGS:-} &
driver_pid=$!

if [[ $faults == 1 ]]; then
  (
    # The kill time comes from bash itself ($EPOCHREALTIME, no process started before the kill).
    sleep 2; killed=$EPOCHREALTIME; kill -9 "${pids[2]}"     # device 2 dies
    echo "kill device 2 ${killed/[.,]/}" >> "$work/faults.log"
    sleep 1; kill -STOP "${pids[4]}"; sleep 1; kill -CONT "${pids[4]}"  # device 4 freezes
    sleep 1; kill -9 "${pids[7]}"                           # cloud worker 0 dies
  ) &
fi
if [[ $restart_broker == 1 ]]; then
  sleep 2
  kill -9 "$broker_pid"; wait "$broker_pid" 2> /dev/null || true
  sleep 0.5
  start_broker || { echo "distributed_mnist.sh: the broker did not restart on port $port" >&2; exit 1; }
fi
status=0
wait "$driver_pid" || status=$?
if [[ $cpu_report == 1 ]]; then
  # CPU seconds (user + system) each process used, from /proc: where a deployment's time goes.
  tick=$(getconf CLK_TCK)
  names=(device0 device1 device2 device3 device4 device5 aggregator worker0 worker1)
  report() {  # report NAME PID
    local stat
    stat=$(cat "/proc/$2/stat" 2> /dev/null) || { printf '  %-10s gone\n' "$1"; return; }
    stat=${stat##*) }  # the fields after the command name
    read -r -a f <<< "$stat"
    awk -v n="$1" -v u="${f[11]}" -v s="${f[12]}" -v t="$tick" \
      'BEGIN { printf "  %-10s user %6.2f s  system %6.2f s\n", n, u / t, s / t }'
  }
  echo "CPU per process:"
  report broker "$broker_pid"
  for i in "${!names[@]}"; do report "${names[$i]}" "${pids[$i]}"; done
fi
exit "$status"
