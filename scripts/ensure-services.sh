#!/usr/bin/env bash
# Start the local services the server-backed tests use, if they are installed but down.
# On a machine without them this prints what is missing and exits 0: those tests then skip
# with a message (outside CI) or fail (in CI, CI=true).
set -u

wait_for() { # name, command
  for _ in $(seq 1 30); do
    if eval "$2" >/dev/null 2>&1; then echo "services: $1 is up"; return 0; fi
    sleep 1
  done
  echo "services: $1 did not come up"
  return 1
}

if command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    fi
  fi
  wait_for postgres "pg_isready -q -h 127.0.0.1 -p 5432" || true
else
  echo "services: no PostgreSQL installed (Postgres server tests will skip outside CI)"
fi

if command -v redis-cli >/dev/null 2>&1; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    if command -v redis-server >/dev/null 2>&1; then
      mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    fi
  fi
  wait_for redis "redis-cli -h 127.0.0.1 -p 6379 ping" || true
else
  echo "services: no Redis installed (Redis tests will skip outside CI)"
fi

if [ ! -x /usr/bin/chromium ] && [ "${CI:-}" = "true" ] && command -v apt-get >/dev/null 2>&1; then
  echo "services: installing Chromium for the browser tests"
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "services: Chromium install failed"
fi
exit 0
