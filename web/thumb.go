package web

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/ohemlab/ohemlab/trainer/data"
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
	var img image.Image
	if im, ok := s.trainer.(ExampleImager); ok {
		img, err = im.ExampleImage(id)
	} else if ds := s.trainer.Dataset(); ds == nil {
		writeError(w, http.StatusServiceUnavailable, "no dataset loaded yet")
		return
	} else {
		img, err = thumbnail(ds, id)
	}
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

// thumbnail renders training example id of an image data set. Features in
// [0, 1] map to 0..255; others are clamped.
func thumbnail(ds *data.Set, id int) (*image.Gray, error) {
	if ds.ImageW <= 0 || ds.ImageH <= 0 {
		return nil, fmt.Errorf("dataset %s has no images", ds.Name)
	}
	if id < 0 || id >= ds.NumTrain() {
		return nil, fmt.Errorf("no training example %d: ids run from 0 to %d", id, ds.NumTrain()-1)
	}
	n := ds.ImageW * ds.ImageH
	img := image.NewGray(image.Rect(0, 0, ds.ImageW, ds.ImageH))
	if n > ds.Dim || (id+1)*ds.Dim > max(len(ds.TrainX), len(ds.TrainPix)) {
		return nil, fmt.Errorf("dataset %s: image size %dx%d does not fit its %d features", ds.Name, ds.ImageW, ds.ImageH, ds.Dim)
	}
	if px := ds.TrainRowBytes(id); px != nil {
		copy(img.Pix, px[:n])
		return img, nil
	}
	px := ds.TrainX[id*ds.Dim : id*ds.Dim+n]
	for i, v := range px {
		switch {
		case !(v > 0): // also NaN
			img.Pix[i] = 0
		case v >= 1:
			img.Pix[i] = 255
		default:
			img.Pix[i] = uint8(v*255 + 0.5)
		}
	}
	return img, nil
}
