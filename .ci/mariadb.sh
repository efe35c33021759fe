# Sourced by .ci/run: a throw-away MariaDB server (Debian's mariadb-server) for the tests that need
# MySQL/MariaDB (ETL sources). Exports MARIADB_URL; stopped when .ci/run exits.
start_mariadb() {
  if [ ! -x /usr/sbin/mariadbd ]; then
    echo ".ci/run: installing MariaDB from Debian for the MySQL/MariaDB tests"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mariadb-server </dev/null
  fi
  local dir port password
  dir="$(mktemp -d /tmp/pumpjack-ci-mariadb.XXXXXX)"
  # A free port (a fixed one clashes with any MySQL/MariaDB already running on the machine).
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  mariadb-install-db --user="$(id -un)" --datadir="$dir/data" --skip-test-db >"$dir/install.log" 2>&1
  /usr/sbin/mariadbd --user="$(id -un)" --datadir="$dir/data" --socket="$dir/mysqld.sock" \
    --port="$port" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
    --skip-name-resolve </dev/null >/dev/null 2>&1 &
  MARIADB_PID=$!
  trap 'kill "$MARIADB_PID" 2>/dev/null; wait "$MARIADB_PID" 2>/dev/null; rm -rf "'"$dir"'"' EXIT
  for _ in $(seq 1 60); do
    [ -S "$dir/mysqld.sock" ] && mariadb --socket="$dir/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    kill -0 "$MARIADB_PID" 2>/dev/null || break  # it stopped: say why below
    sleep 0.5
  done
  if ! mariadb --socket="$dir/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
    echo ".ci/run: MariaDB did not start; its log says:" >&2
    tail -n 20 "$dir/error.log" >&2
    return 1
  fi
  mariadb --socket="$dir/mysqld.sock" -uroot -e \
    "CREATE USER 'pumpjack'@'127.0.0.1' IDENTIFIED BY '$password'; GRANT ALL ON *.* TO 'pumpjack'@'127.0.0.1' WITH GRANT OPTION;"
  export MARIADB_URL="mysql://pumpjack:$password@127.0.0.1:$port"
  echo ".ci/run: MariaDB $(mariadb --version | awk '{print $5}' | tr -d ,) on 127.0.0.1:$port for the MySQL/MariaDB tests"
}
