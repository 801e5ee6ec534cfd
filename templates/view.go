// Package templates renders the dashboard's HTML with templ. It knows view
// structs only, never the trainer.
package templates

// PageView is everything the page needs for its first render. The web
// package fills it from the trainer's state.
type PageView struct {
	Title string
	// StateJSON is the initial state (as GET /api/state) embedded in the page
	// so the client can draw before the first frame.
	StateJSON string
}
