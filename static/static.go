// Package static holds the dashboard's browser assets, embedded into the
// binary: vendored uPlot and htmx (see SHA256SUMS) and OHEM Lab's own
// JavaScript and CSS.
package static

import "embed"

// FS holds every asset under assets/, served at /static/.
//
//go:embed assets
var FS embed.FS
