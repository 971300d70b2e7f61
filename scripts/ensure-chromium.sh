#!/usr/bin/env bash
# Makes sure Debian's chromium is at /usr/bin/chromium for the browser tests
# (test/report/*.test.ts drive it with playwright-core; never a downloaded browser).
# Installs it with apt-get when missing and running as root. Never fails: when
# chromium cannot be had, the browser tests skip and say why.
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "ensure-chromium: /usr/bin/chromium missing and not root; browser tests will be skipped" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: /usr/bin/chromium missing and no apt-get; browser tests will be skipped" >&2
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
  echo "ensure-chromium: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)" >&2
else
  echo "ensure-chromium: apt-get could not install chromium; browser tests will be skipped" >&2
fi
exit 0
