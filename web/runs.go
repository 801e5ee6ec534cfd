package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/ohemlab/ohemlab/web/store"
)

// MaxRenameBytes bounds the body of a rename request.
const MaxRenameBytes = 4 << 10

// mountRuns adds the saved-runs routes under /api/runs.
func (s *Server) mountRuns(r chi.Router) {
	r.Get("/runs", s.serveRunList)
	r.Get("/runs/{id}", s.serveRun)
	r.Delete("/runs/{id}", s.serveRunDelete)
	r.Post("/runs/{id}/name", s.serveRunRename)
	if _, ok := s.opts.Runs.(RunPinner); ok {
		r.Post("/runs/{id}/pin", s.serveRunPin)
	}
	r.Get("/runs/{id}/export.json", s.serveRunExportJSON)
	r.Get("/runs/{id}/export.csv", s.serveRunExportCSV)
}

// runID parses the {id} path parameter, answering 400 on bad input.
func runID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := store.ParseID(chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return 0, false
	}
	return id, true
}

// storeError answers a store error: 404 not found, 409 still recording,
// 500 otherwise.
func (s *Server) storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrActive):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.log.Error("run store", "err", err)
		writeError(w, http.StatusInternalServerError, "run store: "+err.Error())
	}
}

func (s *Server) serveRunList(w http.ResponseWriter, r *http.Request) {
	runs, err := s.opts.Runs.List()
	if err != nil {
		s.storeError(w, err)
		return
	}
	if runs == nil {
		runs = []store.RunInfo{}
	}
	writeJSON(w, http.StatusOK, runs)
}

func (s *Server) serveRun(w http.ResponseWriter, r *http.Request) {
	id, ok := runID(w, r)
	if !ok {
		return
	}
	run, err := s.opts.Runs.Get(id)
	if err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

// requireControl answers 403 unless r may control the server.
func (s *Server) requireControl(w http.ResponseWriter, r *http.Request) bool {
	if s.Role(r) != RoleControl {
		writeError(w, http.StatusForbidden, "read-only viewer: this needs the control token")
		return false
	}
	return true
}

func (s *Server) serveRunDelete(w http.ResponseWriter, r *http.Request) {
	if !s.requireControl(w, r) {
		return
	}
	id, ok := runID(w, r)
	if !ok {
		return
	}
	if err := s.opts.Runs.Delete(id); err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": id})
}

// renameBody is the body of POST /api/runs/{id}/name.
type renameBody struct {
	Name string `json:"name"`
}

func (s *Server) serveRunRename(w http.ResponseWriter, r *http.Request) {
	var body renameBody
	id, ok := s.runEdit(w, r, &body)
	if !ok {
		return
	}
	name, err := store.ValidateName(body.Name)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.opts.Runs.Rename(id, name); err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": id, "name": name})
}

func (s *Server) serveRunExportJSON(w http.ResponseWriter, r *http.Request) {
	id, ok := runID(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="ohemlab-run-`+strconv.FormatInt(id, 10)+`.json"`)
	if ex, ok := s.opts.Runs.(RunJSONExporter); ok {
		var buf bytes.Buffer
		if err := ex.ExportJSON(&buf, id); err != nil {
			w.Header().Del("Content-Disposition")
			s.storeError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(buf.Bytes())
		return
	}
	run, err := s.opts.Runs.Get(id)
	if err != nil {
		w.Header().Del("Content-Disposition")
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func (s *Server) serveRunExportCSV(w http.ResponseWriter, r *http.Request) {
	id, ok := runID(w, r)
	if !ok {
		return
	}
	ex, ok := s.opts.Runs.(RunCSVExporter)
	if !ok {
		writeError(w, http.StatusNotImplemented, "this run store cannot export CSV; use export.json")
		return
	}
	var buf bytes.Buffer
	if err := ex.ExportCSV(&buf, id); err != nil {
		s.storeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ohemlab-run-`+strconv.FormatInt(id, 10)+`.csv"`)
	w.Write(buf.Bytes())
}

// pinBody is the body of POST /api/runs/{id}/pin.
type pinBody struct {
	Pinned *bool `json:"pinned"`
}

// serveRunPin pins or unpins a run: a pinned run is never deleted to keep
// the store within --keep-runs and --max-store-mb.
func (s *Server) serveRunPin(w http.ResponseWriter, r *http.Request) {
	var body pinBody
	id, ok := s.runEdit(w, r, &body)
	if !ok {
		return
	}
	if body.Pinned == nil {
		writeError(w, http.StatusBadRequest, `pin: give {"pinned": true} or {"pinned": false}`)
		return
	}
	if err := s.opts.Runs.(RunPinner).Pin(id, *body.Pinned); err != nil {
		s.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": id, "pinned": *body.Pinned})
}

// runEdit reads a request that edits one saved run (rename, pin): it checks
// control, reads the run id from the path and decodes the small JSON body
// into body strictly. On failure it has answered and returns false.
func (s *Server) runEdit(w http.ResponseWriter, r *http.Request, body any) (int64, bool) {
	if !s.requireControl(w, r) {
		return 0, false
	}
	id, ok := runID(w, r)
	if !ok {
		return 0, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRenameBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request too large: the limit is %d bytes", MaxRenameBytes))
		return 0, false
	}
	if err := decodeStrict(b, body, true); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return 0, false
	}
	return id, true
}
