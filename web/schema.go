package web

import (
	"net/http"
	"strconv"

	"github.com/ohemlab/ohemlab/templates"
	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// schemaResponse is the body of GET /api/schema: the experiment's field
// table, for the page (input kinds, labels of config changes) and other
// clients.
type schemaResponse struct {
	// Fields are the rows in table order; see experiment.Field for each
	// key's meaning (key, label, symbol, unit, kind, min, max, min_open,
	// max_open, max_field, step, choices, zero_is_default, zero, default,
	// help, live, arm, flag, url).
	Fields []experiment.Field `json:"fields"`
	// ArmPrefix starts the second arm's link keys.
	ArmPrefix string `json:"arm_prefix"`
}

// serveSchema serves the field table.
func (s *Server) serveSchema(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, schemaResponse{Fields: experiment.Fields(), ArmPrefix: experiment.ArmPrefix})
}

// controlInputs are the page's number inputs, one per number field of the
// table, with bounds for the config in force (M's max is the current K)
// and a training set of numTrain examples (K's max; 0 = unknown).
func controlInputs(cfg trainer.Config, numTrain int) map[string]templates.Input {
	out := map[string]templates.Input{}
	for _, f := range experiment.Fields() {
		if f.Kind != experiment.KindInt && f.Kind != experiment.KindNumber {
			continue
		}
		in := inputOf(&f, &cfg)
		if f.Key == "k" && numTrain > 0 && numTrain < experiment.MaxK {
			in.Max = strconv.Itoa(numTrain)
		}
		out[f.Key] = in
	}
	return out
}

// inputOf is the page input of one number field.
func inputOf(f *experiment.Field, cfg *trainer.Config) templates.Input {
	in := templates.Input{Key: f.Key, Label: f.Label, Kind: string(f.Kind)}
	note := f.Unit
	if f.Zero != "" {
		if note != "" {
			note += ", "
		}
		note += "0 = " + f.Zero
	}
	in.Note = note
	if f.Step > 0 {
		in.Step = attrNum(f.Step)
	}
	if f.Kind == experiment.KindInt && f.Min == 0 && f.Max == 0 {
		return in // any whole number
	}
	in.Min, in.Max = attrNum(f.Min), attrNum(f.Max)
	in.MinOpen = f.MinOpen && !(f.ZeroIsDefault && f.Min == 0) // min="0" is then right as it is
	in.MaxOpen = f.MaxOpen
	in.ZeroIsDefault = f.ZeroIsDefault
	if f.MaxField != "" {
		if v, ok := experiment.Lookup(f.MaxField).Get(cfg, 0); ok && v != "0" {
			in.Max = v
		}
	}
	return in
}

// attrNum formats a bound for an HTML attribute.
func attrNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
