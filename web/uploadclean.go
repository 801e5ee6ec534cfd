package web

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ohemlab/ohemlab/trainer/data"
)

// Default upload limits per client address (Options.UploadBurst,
// UploadEvery).
const (
	DefaultUploadBurst = 5
	DefaultUploadEvery = 10 * time.Second
)

// CleanUploads deletes the uploaded CSV files that neither the running
// experiment nor any kept run uses. It runs after every upload and after
// the run store deleted runs to stay within its limits (cmd wires the
// latter).
func (s *Server) CleanUploads() {
	dir := s.opts.UploadDir
	if dir == "" {
		return
	}
	used := map[string]bool{}
	use := func(name string) {
		if path, ok := strings.CutPrefix(name, data.CSVPrefix); ok {
			used[filepath.Base(path)] = true
		}
	}
	use(s.trainer.State().Config.Data.Name)
	if s.opts.Runs != nil {
		pr, ok := s.opts.Runs.(RunPruneReporter)
		if !ok {
			return // cannot tell which uploads the saved runs use
		}
		names, err := pr.DataNames()
		if err != nil {
			s.log.Error("listing the datasets of saved runs", "err", err)
			return
		}
		for _, n := range names {
			use(n)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Type().IsRegular() && uploadName.MatchString(e.Name()) && !used[e.Name()] {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				s.log.Warn("deleting an unused upload", "err", err)
			}
		}
	}
}

// redactPaths replaces the server's upload folder in a message with
// "uploads/", so that no server path reaches a client.
func (s *Server) redactPaths(msg string) string {
	dir := s.opts.UploadDir
	if dir == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, filepath.Clean(dir)+string(filepath.Separator), "uploads/")
	return strings.ReplaceAll(msg, filepath.Clean(dir), "uploads")
}
