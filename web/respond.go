package web

import (
	"net/http"

	"github.com/ohemlab/ohemlab/internal/finitejson"
)

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := finitejson.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// errorBody is every JSON error response: {"error": "..."}, with the
// field (its key in the experiment's field table) and arm when the error
// concerns one field.
type errorBody struct {
	Error string `json:"error"`
	ID    string `json:"id,omitempty"`
	Field string `json:"field,omitempty"`
	Arm   *int   `json:"arm,omitempty"`
}

// writeError writes {"error": msg} with the given status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}
