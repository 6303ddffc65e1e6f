// Package frontend embeds the built map page (dist/, made by `npm run build`
// or `make frontend`) into the binary.
package frontend

import (
	"embed"
	"io/fs"
)

// all: so that a fresh clone, whose dist/ holds only .gitkeep, compiles.
//
//go:embed all:dist
var dist embed.FS

// FS returns the built page: index.html at its root, bundles under assets/.
// Before a build it holds only .gitkeep.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a valid path: cannot happen
	}
	return sub
}

// Built reports whether the page was built before the binary, that is
// whether FS has an index.html.
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}
