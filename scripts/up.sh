#!/usr/bin/env bash
# Starts spdyn on this machine and prints how to use it. State lives in ./var
# (delete it to start from scratch). Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
var="$root/var"
mkdir -p "$var"

echo "building (release; the first build takes a few minutes)..." >&2
cargo build --release --bins --locked -q
bin="$root/target/release"

# A private admin secret instead of the example's placeholder.
if [ ! -s "$var/admin-secret" ]; then
  (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$var/admin-secret")
fi
export DNSD_CONFIG="$root/config/dnsd.example.toml"
export DNSD__ADMIN__SECRET_FILE="$var/admin-secret"
export DNSD__ADMIN__SECRET=""

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

"$bin/dnsd" run 2> >(tee "$var/dnsd.log" >&2) &
pids+=($!)

# Wait until dnsd reports ready.
for _ in $(seq 1 100); do
  grep -q "dnsd ready" "$var/dnsd.log" 2>/dev/null && break
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    echo "dnsd failed to start; see $var/dnsd.log" >&2
    exit 1
  fi
  sleep 0.1
done

addr() { grep -o "listening service=$1 addr=[^ ]*" "$var/dnsd.log" | head -1 | sed 's/.*addr=//'; }
dns=$(addr dns-udp)
http=$(addr update-http)
demo="demo.dyn.example.net"

token=""
if [ ! -e "$var/.demo-created" ]; then
  token=$("$bin/dnsd" host add "$demo" | tail -1)
  touch "$var/.demo-created"
fi

cat <<EOF

spdyn is running.
  DNS (UDP+TCP)     $dns
  update endpoint   http://$http/nic/update
  checkip           http://$http/checkip
  admin             $bin/dnsd --config $DNSD_CONFIG host list   (with DNSD__ADMIN__SECRET_FILE=$var/admin-secret)
EOF
if [ -n "$token" ]; then
  cat <<EOF

A demo host was created: $demo
Its update token (shown only now): $token

Update it:
  curl -u '$demo:$token' 'http://$http/nic/update?hostname=$demo&myip=192.0.2.1'
EOF
else
  cat <<EOF

The demo host $demo exists; its token was printed on the first start.
New token:  $bin/dnsd host token $demo
Update:     curl -u '$demo:<token>' 'http://$http/nic/update?hostname=$demo&myip=192.0.2.1'
EOF
fi
cat <<EOF
Query it:
  dig @${dns%:*} -p ${dns##*:} $demo A +norecurse

Press Ctrl-C to stop.
EOF
wait "${pids[0]}"
