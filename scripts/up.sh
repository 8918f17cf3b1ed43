#!/usr/bin/env bash
# Starts spdyn on this machine and prints how to use it: control (portal and
# API, with a private PostgreSQL cluster under ./var/control when no database
# URL is configured) and dnsd (DNS and the update endpoint, following
# control's database through the change feed). State lives in ./var (delete
# it to start from scratch; SPDYN_VAR chooses another directory). Stop with
# Ctrl-C (or SIGTERM): everything started here stops, the cluster included.
#
#   scripts/up.sh                  build (release) and start
#   scripts/up.sh --bin-dir DIR    start the binaries in DIR without building
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
var=${SPDYN_VAR:-$root/var}
mkdir -p "$var"
var=$(cd "$var" && pwd)
# A start that fails says where, whatever failed.
trap 'echo "up.sh: failed at line $LINENO: $BASH_COMMAND (see the logs in $var)" >&2' ERR

bin=""
case "${1:-}" in
  --bin-dir) bin=$(cd "${2:?--bin-dir needs a directory}" && pwd) ;;
  "") ;;
  *) echo "usage: scripts/up.sh [--bin-dir DIR]" >&2; exit 2 ;;
esac
if [ -z "$bin" ]; then
  echo "building (release; the first build takes a few minutes)..." >&2
  cargo build --release --bins --locked -q
  bin="$root/target/release"
fi

# A private admin secret instead of the example's placeholder (which dnsd
# refuses): 64 hex digits; one left from an older run that is shorter than
# the 32 characters dnsd requires is replaced.
if [ ! -s "$var/admin-secret" ] || [ "$(tr -d '[:space:]' < "$var/admin-secret" | wc -c)" -lt 32 ]; then
  (umask 077; od -An -vtx1 -N32 /dev/urandom | tr -d ' \n' > "$var/admin-secret")
fi
export DNSD_CONFIG="$root/config/dnsd.example.toml"
export DNSD__ADMIN__SECRET_FILE="$var/admin-secret"
export DNSD__ADMIN__SECRET=""
export CONTROL_CONFIG="$root/config/control.example.toml"
# On the first start control creates a demo host for its administrator.
export CONTROL__HOSTS__DEMO_HOST="demo"
# dnsd follows control's private database; control writes its URL here.
export DNSD__SYNC__DATABASE_URL_FILE="$var/control/database-url"
# Every piece of state under $var.
export CONTROL__DATA_DIR="$var/control"
export CONTROL__MAIL__MAIL_DIR="$var/control/mail"
export DNSD__STORE__PATH="$var/dnsd"

pids=()
cleanup() {
  trap - INT TERM EXIT ERR
  # control stops its private PostgreSQL cluster on TERM.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # A control that was killed could not stop its cluster: stop it here.
  if [ -e "$var/control/postgres/data/postmaster.pid" ]; then
    "$bin/control" postgres stop --dir "$var/control/postgres" >/dev/null 2>&1 &&
      echo "stopped the private PostgreSQL cluster control left running" >&2
  fi
  rm -f "$var/control.out"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

# The log copies to the terminal ignore SIGINT: Ctrl-C reaches the whole
# foreground process group, and a copier that ended first would leave
# control and dnsd writing their last lines into a closed pipe. They end
# when the process they copy closes its stderr.
show_log() { trap '' INT; exec tee "$1" >&2; }

# Waits until a log shows the ready line; fails when the process dies first.
wait_ready() { # name pid logfile line
  for _ in $(seq 1 600); do
    grep -q "$4" "$3" 2>/dev/null && return 0
    if ! kill -0 "$2" 2>/dev/null; then
      echo "$1 failed to start; see $3" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$1 did not become ready; see $3" >&2
  exit 1
}

# control prints the first admin's password once, on stdout: it is kept in a
# private file only until it is shown below.
# The logs are emptied first: a ready line from the last run must not pass
# for this one's.
: > "$var/control.log"
: > "$var/dnsd.log"
(umask 077; : > "$var/control.out")
"$bin/control" serve > "$var/control.out" 2> >(show_log "$var/control.log") &
pids+=($!)
wait_ready control "${pids[0]}" "$var/control.log" "control ready"

"$bin/dnsd" run 2> >(show_log "$var/dnsd.log") &
pids+=($!)
wait_ready dnsd "${pids[1]}" "$var/dnsd.log" "dnsd ready"

addr() { grep -o "listening service=$1 addr=[^ ]*" "$2" | head -1 | sed 's/.*addr=//'; }
# dnsd takes updates once it has the first snapshot of control's database.
metrics=$(addr metrics "$var/dnsd.log")
for _ in $(seq 1 100); do
  curl -sf "http://$metrics/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
portal="http://$(addr control-http "$var/control.log")"
dns=$(addr dns-udp "$var/dnsd.log")
http=$(addr update-http "$var/dnsd.log")
demo="demo.dyn.example.net"
admin=$(grep -o "name=[^ ]* password=[^ ]*" "$var/control.out" || true)
token=$(grep "demo host created" "$var/control.out" | grep -o "token=[^ ]*" | sed 's/token=//' || true)
rm -f "$var/control.out"

cat <<EOF

spdyn is running.
  portal            $portal
  JSON API          $portal/api/v1   (OpenAPI: $portal/api/openapi.json)
  DNS (UDP+TCP)     $dns
  update endpoint   http://$http/nic/update
  checkip           http://$http/checkip
  dnsd hosts        $bin/dnsd --config $DNSD_CONFIG host list   (with DNSD__ADMIN__SECRET_FILE=$var/admin-secret)
  mail              $var/control/mail   (every mail of this run — password resets, 2FA, welcome — lands here as a file)
EOF
if [ -n "$admin" ]; then
  cat <<EOF

First start: sign in to the portal as its administrator (shown only now):
  $admin
EOF
else
  cat <<EOF

The portal's administrator was printed on the first start. Forgot it? Use
"Forgot your password?" with the name "admin": the mail lands in
$var/control/mail.
EOF
fi
if [ -n "$token" ]; then
  cat <<EOF

A demo host was created for the administrator: $demo
Its update token (shown only now): $token

Update it:
  curl -u '$demo:$token' 'http://$http/nic/update?hostname=$demo&myip=192.0.2.1'
EOF
else
  cat <<EOF

The demo host $demo exists; its token was printed on the first start.
New token:  in the portal, host $demo → "Exchange token"
Update:     curl -u '$demo:<token>' 'http://$http/nic/update?hostname=$demo&myip=192.0.2.1'
EOF
fi
cat <<EOF
Query it:
  dig @${dns%:*} -p ${dns##*:} $demo A +norecurse

Hosts made in the portal are served by dnsd within a second.
Press Ctrl-C to stop.
EOF
# Until one of them ends (Ctrl-C and SIGTERM run cleanup instead).
status=0
wait -n "${pids[@]}" || status=$?
echo "control or dnsd ended (exit status $status); stopping the rest" >&2
exit "$status"
