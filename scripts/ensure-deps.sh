#!/usr/bin/env bash
# Installs the system packages maillage needs, when they are missing:
#   PostgreSQL 15 + PostGIS 3 (the server's private cluster, the tests)
#   --chromium  Chromium, poppler-utils (pdftotext) and gdal-bin (ogrinfo,
#               ogr2ogr), for the browser tests and the GIS client tests
#   --cgo       gcc and libc headers, for go test -race
# Debian 12 and apt-get, as root or with password-less sudo; otherwise it
# prints the command to run and exits 1. Quiet when all is there.
# MAILLAGE_SKIP_DEPS=1 skips every check (other systems, own PostgreSQL).
set -euo pipefail

usage() { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; }

chromium=0
cgo=0
for arg in "$@"; do
	case "$arg" in
	--chromium) chromium=1 ;;
	--cgo) cgo=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "ensure-deps: unknown option $arg" >&2; usage >&2; exit 2 ;;
	esac
done

[[ "${MAILLAGE_SKIP_DEPS:-}" == 1 ]] && exit 0

missing=()

# The server uses the newest /usr/lib/postgresql/*/bin (unless
# MAILLAGE_PG_BINDIR says otherwise): that version needs PostGIS.
if [[ -n "${MAILLAGE_PG_BINDIR:-}" && -x "${MAILLAGE_PG_BINDIR}/initdb" ]]; then
	: # the user's own PostgreSQL: their PostGIS is their business
else
	version=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
		awk -F/ '{print $5}' | sort -V | tail -n 1 || true)
	if [[ -z "$version" ]]; then
		missing+=(postgresql-15 postgresql-15-postgis-3)
	elif [[ ! -f "/usr/share/postgresql/$version/extension/postgis.control" ]]; then
		missing+=("postgresql-$version-postgis-3")
	fi
fi

if ((chromium)) && ! command -v chromium >/dev/null 2>&1; then
	missing+=(chromium fonts-dejavu-core)
fi
if ((chromium)) && ! command -v pdftotext >/dev/null 2>&1; then
	missing+=(poppler-utils)
fi
if ((chromium)) && ! command -v ogr2ogr >/dev/null 2>&1; then
	missing+=(gdal-bin)
fi

if ((cgo)) && ! command -v gcc >/dev/null 2>&1; then
	missing+=(gcc libc6-dev)
fi

((${#missing[@]} == 0)) && exit 0

install=(apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}")
if [[ $(id -u) -eq 0 ]]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo=(sudo -n)
else
	sudo=()
fi
if ! command -v apt-get >/dev/null 2>&1 || { [[ $(id -u) -ne 0 ]] && ((${#sudo[@]} == 0)); }; then
	{
		echo "maillage needs these packages: ${missing[*]}"
		if command -v apt-get >/dev/null 2>&1; then
			echo "Install them with:"
			echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
		else
			echo "Install PostgreSQL 15 with PostGIS 3 (and Chromium, pdftotext and GDAL for the tests)"
			echo "with your system's package manager, set MAILLAGE_PG_BINDIR to the directory"
			echo "holding initdb, or set DATABASE_URL and MAILLAGE_SKIP_DEPS=1."
		fi
	} >&2
	exit 1
fi

echo "ensure-deps: installing ${missing[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q -o DPkg::Lock::Timeout=600 >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "${install[@]}" >&2
