package trainer

import (
	G "gorgonia.org/gorgonia"
)

var (
	protoDV    = true
	protoPrune bool
	protoOpts  []G.VMOpt
)

func (ng *netGraph) valueGrads(m *mlp) []G.ValueGrad {
	out := make([]G.ValueGrad, len(ng.grads))
	for i := range ng.grads {
		out[i] = paramGrad{w: m.params[i], g: ng.grads[i]}
	}
	return out
}
