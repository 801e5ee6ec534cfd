package web

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/data"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// The upload naming rule, in one place: POST /api/upload stores a file
// under the SHA-256 of its content (uploadFileName) in the server's upload
// folder, and the trainer names it by its full path. No server path
// reaches a client: the state, hello and config frames name an upload
// "csv:<sha256>.csv" (publicName), and a reset that names one that way is
// resolved back to the file in the upload folder (privateName).

// uploadName matches the file names POST /api/upload creates: the
// SHA-256 of the content, then .csv.
var uploadName = regexp.MustCompile(`^[0-9a-f]{64}\.csv$`)

// uploadFileName is the name POST /api/upload gives a file's content.
func uploadFileName(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:]) + ".csv"
}

// uploadedFile returns the file name of dataset name when it is a file
// uploaded to this server ("csv:" + the upload folder + an upload name).
func (s *Server) uploadedFile(name string) (base string, ok bool) {
	path, isCSV := strings.CutPrefix(name, data.CSVPrefix)
	if !isCSV || s.opts.UploadDir == "" {
		return "", false
	}
	dir, base := filepath.Split(filepath.Clean(path))
	if filepath.Clean(dir) != filepath.Clean(s.opts.UploadDir) || !uploadName.MatchString(base) {
		return "", false
	}
	return base, true
}

// uploadLabel is how the page names an uploaded file: by the start of
// its hash.
func uploadLabel(base string) string {
	return "upload " + base[:8]
}

// publicName returns the dataset name a client sees.
func (s *Server) publicName(name string) string {
	if base, ok := s.uploadedFile(name); ok {
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

// publicConfigEvent is e as clients see it (a copy when anything changes):
// the config's dataset and the dataset's old and new names in Diff.
func (s *Server) publicConfigEvent(e *trainer.ConfigEvent) *trainer.ConfigEvent {
	var c *trainer.ConfigEvent
	copied := func() *trainer.ConfigEvent {
		if c == nil {
			cp := *e
			cp.Diff = append([]experiment.FieldChange(nil), e.Diff...)
			c = &cp
		}
		return c
	}
	if name := s.publicName(e.Config.Data.Name); name != e.Config.Data.Name {
		copied().Config.Data.Name = name
	}
	for i, d := range e.Diff {
		if d.Field != "dataset" {
			continue
		}
		from, to := s.publicName(d.From), s.publicName(d.To)
		if from != d.From || to != d.To {
			cp := copied()
			cp.Diff[i].From, cp.Diff[i].To = from, to
			cp.Diff[i].Label = strings.Replace(strings.Replace(d.Label, d.From, from, 1), d.To, to, 1)
		}
	}
	if c == nil {
		return e
	}
	return c
}
