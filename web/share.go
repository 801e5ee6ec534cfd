package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// pageParams are the page's own query parameters; every other parameter of
// GET / belongs to a shared experiment config (trainer.ParseQuery).
var pageParams = map[string]bool{"token": true, "large": true, "run": true}

// shareResponse is the body of GET /api/share.
type shareResponse struct {
	// Query is the current experiment as a query string (no leading "?").
	Query string `json:"query"`
	// Shareable is false when the experiment cannot be rebuilt from a link
	// (an uploaded CSV file lives only on this server).
	Shareable bool   `json:"shareable"`
	Why       string `json:"why,omitempty"`
}

// serveShare answers the link of the experiment now running.
func (s *Server) serveShare(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, shareOf(s.State().Config))
}

// shareOf encodes cfg as a link.
func shareOf(cfg trainer.Config) shareResponse {
	if strings.HasPrefix(cfg.Data.Name, data.CSVPrefix) {
		return shareResponse{Query: "", Shareable: false,
			Why: "an experiment on your own CSV data cannot be shared by link: the file lives on this server only"}
	}
	return shareResponse{Query: cfg.QueryString(), Shareable: true}
}

// sharedConfig returns the experiment a page URL carries: ok is false when
// the URL has no experiment parameters; err explains a bad link.
func sharedConfig(q url.Values) (cfgJSON string, ok bool, err error) {
	rest := url.Values{}
	for k, v := range q {
		if !pageParams[k] {
			rest[k] = v
		}
	}
	if len(rest) == 0 {
		return "", false, nil
	}
	cfg, err := experiment.ParseQuery(rest)
	if err != nil {
		return "", true, err
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", true, err
	}
	return string(b), true, nil
}
