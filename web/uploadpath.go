package web

import (
	"path/filepath"
	"strings"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
)

// Uploaded CSV files live in the server's upload folder, and the trainer
// names them by their full path. No server path reaches a client: the
// state, hello and config frames name an upload "csv:<sha256>.csv"
// (publicName), and a reset that names one that way is resolved back to the
// file in the upload folder (privateName).

// publicName returns the dataset name a client sees.
func (s *Server) publicName(name string) string {
	path, ok := strings.CutPrefix(name, data.CSVPrefix)
	if !ok || s.opts.UploadDir == "" {
		return name
	}
	dir, base := filepath.Split(filepath.Clean(path))
	if filepath.Clean(dir) == filepath.Clean(s.opts.UploadDir) && uploadName.MatchString(base) {
		return data.CSVPrefix + base
	}
	return name
}

// privateName maps a client's "csv:<sha256>.csv" back to the uploaded file;
// other names are returned as they are (checkDataName judges them).
func (s *Server) privateName(name string) string {
	base, ok := strings.CutPrefix(name, data.CSVPrefix)
	if !ok || s.opts.UploadDir == "" || !uploadName.MatchString(base) {
		return name
	}
	return data.CSVPrefix + filepath.Join(s.opts.UploadDir, base)
}

// publicState is st as clients see it.
func (s *Server) publicState(st trainer.State) trainer.State {
	st.Config.Data.Name = s.publicName(st.Config.Data.Name)
	st.Dataset.Name = s.publicName(st.Dataset.Name)
	return st
}

// publicConfigEvent is e as clients see it (a copy when anything changes).
func (s *Server) publicConfigEvent(e *trainer.ConfigEvent) *trainer.ConfigEvent {
	name := s.publicName(e.Config.Data.Name)
	if name == e.Config.Data.Name {
		return e
	}
	c := *e
	c.Config.Data.Name = name
	return &c
}
