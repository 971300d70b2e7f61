#!/usr/bin/env bash
# Makes sure Debian's redis-server is installed for the fleet tests (test/fleet/*.test.ts start
# their own redis-server on 127.0.0.1 on a free port and stop it afterwards; nothing is started
# here). Installs it with apt-get when missing and running as root. Never fails: when redis-server
# cannot be had, the fleet tests skip and say why.
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-redis: redis-server missing and not root; fleet tests will be skipped" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-redis: redis-server missing and no apt-get; fleet tests will be skipped" >&2
  exit 0
fi
echo "ensure-redis: installing Debian's redis-server with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends redis-server >/dev/null; then
  echo "ensure-redis: installed $(redis-server --version 2>/dev/null | cut -d' ' -f1-3)" >&2
else
  echo "ensure-redis: apt-get could not install redis-server; fleet tests will be skipped" >&2
fi
exit 0
