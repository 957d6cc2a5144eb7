# Sourced by start.sh and test.sh: a virtualenv in .venv with the given requirements file.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

say() { printf '%s\n' "$*" >&2; }

# One line per package pip collects, numbered, so a first run is never silent; pip's whole
# output stays in .venv/pip.log and its tail is shown if it fails.
_pip_lines() {
  local n=0 line
  while IFS= read -r line; do
    case $line in
      "Collecting "*) n=$((n + 1)); say "  [$n] ${line#Collecting }" ;;
      "Installing collected packages"*) say "  installing $n packages ..." ;;
    esac
  done
}

pip_install() {
  local started=$SECONDS
  if ! .venv/bin/python -m pip install --progress-bar off "$@" 2>&1 | tee .venv/pip.log | _pip_lines; then
    tail -n 30 .venv/pip.log >&2
    say "pip failed: its whole output is in .venv/pip.log"
    return 1
  fi
  say "  done in $((SECONDS - started)) s"
}

ensure_venv() {
  local requirements=$1
  if [ ! -x .venv/bin/python ]; then
    say "Creating the virtual environment in .venv ..."
    python3 -m venv .venv 2>/dev/null || { apt_install python3-venv; python3 -m venv .venv; }
  fi
  local stamp=".venv/.installed-$(basename "$requirements")"
  if [ ! -f "$stamp" ] || [ "$requirements" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    say "Installing the packages in $requirements (first run only: a minute or two) ..."
    pip_install --upgrade pip
    pip_install -r "$requirements"
    touch "$stamp"
  else
    say "Packages of $requirements already installed (.venv)."
  fi
}
