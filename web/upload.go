package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/ohemlab/ohemlab/trainer/data"
)

// uploadOK is the body of a successful upload.
type uploadOK struct {
	OK       bool   `json:"ok"`
	Dataset  string `json:"dataset"`
	Rows     int    `json:"rows"`
	Features int    `json:"features"`
	Classes  int    `json:"classes"`
	Version  int64  `json:"version"`
}

// serveUpload takes a CSV file (the raw body, or the "file" field of a
// multipart form), checks it with data.ParseCSV and resets training on it.
// Bad files get 400 with the parser's message, naming the line; nothing
// changes.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	if s.opts.UploadDir == "" {
		writeError(w, http.StatusNotFound, "CSV upload is not enabled on this server")
		return
	}
	if !s.requireControl(w, r) {
		return
	}
	if !s.uploadLim.allow(clientHost(r.RemoteAddr), time.Now()) {
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many uploads: at most %d in a row, then one every %v; try again shortly", s.opts.UploadBurst, s.opts.UploadEvery))
		return
	}
	if r.ContentLength > data.MaxCSVBytes+uploadSlack {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("upload too large: the limit is %d MiB", data.MaxCSVBytes>>20))
		return
	}
	body, err := readUpload(w, r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("upload too large: the limit is %d MiB", data.MaxCSVBytes>>20))
			return
		}
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	t, err := data.ParseCSV(bytes.NewReader(body), data.CSVOptions{})
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := os.MkdirAll(s.opts.UploadDir, 0o700); err != nil {
		s.log.Error("upload dir", "err", err)
		writeError(w, http.StatusInternalServerError, "cannot store the upload")
		return
	}
	path := filepath.Join(s.opts.UploadDir, uploadFileName(body))
	if err := os.WriteFile(path, body, 0o600); err != nil {
		s.log.Error("upload write", "err", err)
		writeError(w, http.StatusInternalServerError, "cannot store the upload")
		return
	}
	cfg := s.trainer.State().Config
	cfg.Data = data.Config{Name: data.CSVPrefix + path, LabelNoise: cfg.Data.LabelNoise}
	cfg.Model.Hidden = nil
	train := t.Rows() - t.Rows()/5
	if train >= 1 && cfg.K > train {
		cfg.K = train
	}
	arms := append(cfg.Arms[:0:0], cfg.Arms...)
	for i := range arms {
		if arms[i].Select.M > cfg.K {
			arms[i].Select.M = cfg.K
		}
	}
	cfg.Arms = arms
	if err := s.trainer.Reset(cfg); err != nil {
		writeError(w, http.StatusBadRequest, "the file parsed, but training cannot start on it: "+s.redactPaths(err.Error()))
		return
	}
	s.CleanUploads()
	writeJSON(w, http.StatusOK, uploadOK{OK: true, Dataset: s.publicName(cfg.Data.Name), Rows: t.Rows(),
		Features: t.Dim(), Classes: len(t.ClassNames), Version: s.trainer.State().Version})
}

// uploadSlack allows for multipart headers around the file.
const uploadSlack = 64 << 10

// readUpload returns the uploaded file's bytes, at most data.MaxCSVBytes.
func readUpload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, data.MaxCSVBytes+uploadSlack)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		b, err := io.ReadAll(r.Body)
		if err == nil && len(b) > data.MaxCSVBytes {
			return nil, &http.MaxBytesError{Limit: data.MaxCSVBytes}
		}
		return b, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("bad multipart form: %v", err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, errors.New(`multipart form has no "file" field`)
		}
		if err != nil {
			return nil, fmt.Errorf("bad multipart form: %w", err)
		}
		if p.FormName() != "file" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, data.MaxCSVBytes+1))
		if err != nil {
			return nil, fmt.Errorf("bad multipart form: %w", err)
		}
		if len(b) > data.MaxCSVBytes {
			return nil, &http.MaxBytesError{Limit: data.MaxCSVBytes}
		}
		return b, nil
	}
}
