package static

import (
	"io/fs"
	"sort"
	"strings"
)

// Entry is the page's entry module; it imports the others.
const Entry = "app.js"

// Modules returns the names of the page's other ES modules (the .js files
// beside the entry module, not the vendored scripts), sorted, so that the
// page can ask for all of them at once instead of discovering them import
// by import.
func Modules() []string {
	ents, err := fs.ReadDir(FS, "assets")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".js") && n != Entry {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
