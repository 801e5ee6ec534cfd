package templates

import (
	"fmt"
	"math"
	"net/url"
	"strconv"

	"github.com/a-h/templ"
)

// num formats a float compactly for a form value or a table cell: up to
// four significant digits, no trailing zeros.
func num(f float64) string {
	return strconv.FormatFloat(f, 'g', 4, 64)
}

// sig3 formats a number for reading: 3 significant digits with a leading
// zero (0.720, 2.61, 15.0), whole numbers from 100 on.
func sig3(f float64) string {
	if math.Abs(f) >= 100 || f == 0 {
		return strconv.FormatFloat(math.Round(f), 'f', -1, 64)
	}
	if math.Abs(f) < 0.001 {
		return strconv.FormatFloat(f, 'e', 2, 64)
	}
	return strconv.FormatFloat(f, 'f', 2-int(math.Floor(math.Log10(math.Abs(f)))), 64)
}

// itoa formats an int.
func itoa(i int) string { return strconv.Itoa(i) }

// i64 formats an int64.
func i64(i int64) string { return strconv.FormatInt(i, 10) }

// pct formats a share in [0, 1] as a percentage with one decimal.
func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// ratio formats M/K for the controls, or an empty string when K is not
// positive.
func ratio(m, k int) string {
	if k <= 0 {
		return ""
	}
	return fmt.Sprintf("%.3g", float64(m)/float64(k))
}

// thumbURL is the cache-keyed thumbnail URL of a training example.
func thumbURL(id int, gen int64) string {
	return fmt.Sprintf("/api/examples/%d.png?gen=%d", id, gen)
}

// armLetter names arm i as A, B, ...
func armLetter(i int) string { return string(rune('A' + i)) }

// stateClass is the CSS class of a run state; unknown states map to
// "unknown" so that no outside string reaches a class name.
func stateClass(s string) string {
	switch s {
	case "running", "paused", "diverged", "stopped", "loading", "waiting":
		return "state-" + s
	}
	return "state-unknown"
}

// runURL is the URL of a saved run's sub-resource, with the id escaped.
func runURL(id, rest string) templ.SafeURL {
	return templ.SafeURL("/api/runs/" + url.PathEscape(id) + "/" + rest)
}

// roleName maps the page role to control or viewer; anything else is a
// viewer.
func roleName(r string) string {
	if r == "control" {
		return "control"
	}
	return "viewer"
}
