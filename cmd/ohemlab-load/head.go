package main

import (
	"bytes"
	"encoding/json"
	"errors"
)

// parseHead reads the fields of a frame the tool needs (type, t, arm,
// step) and stops as soon as it has them, so that the load tool does not
// spend its CPU on the losses and examples of every batch frame.
func parseHead(b []byte) (frameHead, error) {
	var h frameHead
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return h, errors.New("frame is not a JSON object")
	}
	var haveArm, haveStep bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return h, err
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			err = dec.Decode(&h.Type)
		case "t":
			err = dec.Decode(&h.T)
		case "arm":
			err, haveArm = dec.Decode(&h.Arm), true
		case "step":
			err, haveStep = dec.Decode(&h.Step), true
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return h, err
		}
		if h.Type != "" && h.T != 0 && (h.Type != "batch" || (haveArm && haveStep)) {
			return h, nil
		}
	}
	if h.Type == "" {
		return h, errors.New("frame has no type")
	}
	return h, nil
}
