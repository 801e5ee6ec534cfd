package experiment

import (
	"errors"
	"fmt"
)

// FieldError is a value of one field that is refused. Every layer renders
// it in its own form: the command line leads with the flag (--m), the
// shareable link with its key (m), the HTTP API and the websocket send
// Field and Arm beside the message, and the page shows the message next to
// the field's input.
type FieldError struct {
	// Field is the field's Key in the table, e.g. "m".
	Field string
	// Arm is the arm of a per-arm field (0 or 1); -1 for the others.
	Arm int
	// Value is the refused value as text ("" when it was missing).
	Value string
	// Want says what is accepted, in the user's words, e.g.
	// "between 1 and K = 128".
	Want string
}

// Error reads "M (kept) must be a whole number between 1 and K = 128; got
// 200", with
// "arm B: " in front for the second arm's fields.
func (e *FieldError) Error() string {
	label := e.Field
	if f := Lookup(e.Field); f != nil {
		label = f.Label
	} else if l, ok := otherLabels[e.Field]; ok {
		label = l
	}
	prefix := ""
	if e.Arm > 0 {
		prefix = "arm " + ArmLetter(e.Arm) + ": "
	}
	got := ""
	if e.Value != "" {
		got = "; got " + clip(e.Value)
	}
	return fmt.Sprintf("%s%s must be %s%s", prefix, label, e.Want, got)
}

// otherLabels name the FieldError fields that are not rows of the table.
var otherLabels = map[string]string{"arm": "Arm", "arms": "Number of arms"}

// AsFieldError returns the *FieldError in err's chain, or nil.
func AsFieldError(err error) *FieldError {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// ArmLetter names arm i as the page does: A, B, ...
func ArmLetter(i int) string {
	if i < 0 || i >= 26 {
		return fmt.Sprint(i)
	}
	return string(rune('A' + i))
}

// clip shortens user-supplied text quoted in an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	r := []rune(s)
	if len(r) > max {
		r = r[:max]
	}
	return string(r) + "…"
}
