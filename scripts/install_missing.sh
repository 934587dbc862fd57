# Sourced by the scripts here: install_missing NAME PACKAGE... installs, with apt-get, the Debian
# packages that dpkg does not report as installed (through sudo when not root). Without
# dpkg/apt-get it assumes the packages are present and says so.
install_missing() {
  local caller=$1
  shift
  if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "$caller: no dpkg/apt-get: assuming $* are installed" >&2
    return 0
  fi
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    echo "$caller: all $# packages installed" >&2
    return 0
  fi
  echo "$caller: installing ${missing[*]}" >&2
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "$caller: not root and no sudo: install ${missing[*]} first" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
}
