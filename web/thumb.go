package web

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// serveThumb serves GET /api/examples/{id}.png?gen=G: a training image as
// an 8-bit grayscale PNG. With gen equal to the dataset's generation the
// response is cached as immutable; a stale gen is 404.
func (s *Server) serveThumb(w http.ResponseWriter, r *http.Request) {
	file := chi.URLParam(r, "file")
	idText, ok := strings.CutSuffix(file, ".png")
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such thumbnail %q: want /api/examples/ID.png", clip(file)))
		return
	}
	id, err := pathID(idText)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	genNow := s.trainer.State().Dataset.Generation
	gen, err := queryInt(r, "gen", -1, 0, math.MaxInt64)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if gen >= 0 && gen != genNow {
		writeError(w, http.StatusNotFound, fmt.Sprintf("dataset generation %d is gone: the current one is %d", gen, genNow))
		return
	}
	img, err := s.trainer.ExampleImage(id)
	if err != nil {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		writeError(w, http.StatusInternalServerError, "cannot encode PNG: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/png")
	if gen >= 0 {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}
