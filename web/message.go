package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ohemlab/ohemlab/internal/jsontype"
	"github.com/ohemlab/ohemlab/trainer"
	"github.com/ohemlab/ohemlab/trainer/experiment"
)

// Control message types, the "type" of a client message.
const (
	MsgSet    = "set"
	MsgPause  = "pause"
	MsgResume = "resume"
	MsgStep   = "step"
	MsgEval   = "eval"
	MsgReset  = "reset"
	MsgSpeed  = "speed"
)

// MaxIDBytes is the longest request id echoed back.
const MaxIDBytes = 64

// Control is one decoded client message.
type Control struct {
	// Type is one of the Msg* constants.
	Type string
	// ID is echoed in the ack or error frame.
	ID string
	// Token is the control token, if the message carries one.
	Token string
	// Change is the live change of a set message.
	Change trainer.Change
	// Config is the new config of a reset message; nil means the current
	// config with fresh weights.
	Config *trainer.Config
	// StepsPerS is the speed of a speed message (0 = unlimited).
	StepsPerS float64
}

// commonKeys are allowed on every message.
var commonKeys = []string{"type", "id", "token"}

// setKeys are the keys of a set message: arm and the Keys of the
// experiment table's live fields (the JSON keys of trainer.Change).
var setKeys = func() []string {
	keys := []string{"arm"}
	for _, f := range experiment.Fields() {
		if f.Live {
			keys = append(keys, f.Key)
		}
	}
	return keys
}()

// msgKeys lists the keys each message type allows besides commonKeys.
var msgKeys = map[string][]string{
	MsgSet:    setKeys,
	MsgPause:  nil,
	MsgResume: nil,
	MsgStep:   nil,
	MsgEval:   nil,
	MsgReset:  {"config"},
	MsgSpeed:  {"steps_per_s"},
}

// msgTypes lists the message types in documentation order.
var msgTypes = []string{MsgSet, MsgPause, MsgResume, MsgStep, MsgEval, MsgReset, MsgSpeed}

// DecodeControl parses one client message strictly: a single JSON object
// of at most MaxMessageBytes with a known type and only the fields that
// type allows, each of the right JSON type. It checks the shape only;
// applying the message checks values against the current run.
func DecodeControl(b []byte) (Control, error) {
	var c Control
	if len(b) > MaxMessageBytes {
		return c, fmt.Errorf("message too large: %d bytes, the limit is %d", len(b), MaxMessageBytes)
	}
	if !utf8.Valid(b) {
		return c, errors.New("message is not valid UTF-8")
	}
	var fields map[string]json.RawMessage
	if err := decodeStrict(b, &fields, false); err != nil {
		return c, err
	}
	if fields == nil {
		return c, errors.New("message must be a JSON object, got null")
	}
	rawType, ok := fields["type"]
	if !ok {
		return c, errors.New(`message has no "type": want one of ` + strings.Join(msgTypes, ", "))
	}
	if err := json.Unmarshal(rawType, &c.Type); err != nil {
		return c, errors.New(`"type" must be a string`)
	}
	allowed, ok := msgKeys[c.Type]
	if !ok {
		return c, fmt.Errorf("unknown message type %q: want one of %s", clip(c.Type), strings.Join(msgTypes, ", "))
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(commonKeys, k) && !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return c, fmt.Errorf("unknown field %q: a %s message takes no fields besides type, id and token", clip(k), c.Type)
			}
			return c, fmt.Errorf("unknown field %q for a %s message: allowed are %s", clip(k), c.Type, strings.Join(allowed, ", "))
		}
	}
	if raw, ok := fields["id"]; ok {
		if err := json.Unmarshal(raw, &c.ID); err != nil {
			return c, errors.New(`"id" must be a string`)
		}
		if len(c.ID) > MaxIDBytes {
			return c, fmt.Errorf(`"id" is %d bytes long, the limit is %d`, len(c.ID), MaxIDBytes)
		}
	}
	if raw, ok := fields["token"]; ok {
		if err := json.Unmarshal(raw, &c.Token); err != nil {
			return c, errors.New(`"token" must be a string`)
		}
	}
	switch c.Type {
	case MsgSet:
		ch, err := decodeChange(fields, keys)
		if err != nil {
			return c, err
		}
		c.Change = ch
	case MsgReset:
		if raw, ok := fields["config"]; ok && string(raw) != "null" {
			var cfg trainer.Config
			if err := decodeStrict(raw, &cfg, true); err != nil {
				return c, fmt.Errorf("config: %w", configFieldError(err))
			}
			c.Config = &cfg
		}
	case MsgSpeed:
		raw, ok := fields["steps_per_s"]
		if !ok {
			return c, errors.New(`speed message needs "steps_per_s" (0 = unlimited)`)
		}
		v, err := fieldValue(experiment.Lookup("speed_cap"), "steps_per_s", raw, 0)
		if err != nil {
			return c, err
		}
		c.StepsPerS = v.(float64)
	}
	return c, nil
}

// decodeChange reads a set message's fields into a Change: every value
// must have its field's JSON type and be in its field's range (the
// experiment table's Parse), so that a bad value is refused here with the
// same words as everywhere else.
func decodeChange(fields map[string]json.RawMessage, keys []string) (trainer.Change, error) {
	var ch trainer.Change
	if raw, ok := fields["arm"]; ok {
		if string(raw) == "null" {
			return ch, errors.New(`field "arm" must not be null`)
		}
		if err := json.Unmarshal(raw, &ch.Arm); err != nil {
			return ch, errors.New(`field "arm": want an integer in range, got JSON ` + jsonKind(raw))
		}
	}
	given := 0
	for _, k := range keys {
		if k == "arm" || !slices.Contains(setKeys, k) {
			continue
		}
		given++
		f := experiment.Lookup(k)
		v, err := fieldValue(f, k, fields[k], ch.Arm)
		if err != nil {
			return ch, err
		}
		if err := experiment.SetChange(&ch, k, fmt.Sprint(v)); err != nil {
			return ch, err
		}
	}
	if given == 0 {
		return ch, errors.New("set message changes nothing: give at least one of " + strings.Join(setKeys[1:], ", "))
	}
	return ch, nil
}

// fieldValue reads the JSON value of key, a value of field f: a number
// for KindInt and KindNumber, a string for the others, then parses it with
// the table's Parse (arm is the arm for the error).
func fieldValue(f *experiment.Field, key string, raw json.RawMessage, arm int) (any, error) {
	if string(raw) == "null" {
		return nil, fmt.Errorf("field %q must not be null", key)
	}
	var text string
	switch f.Kind {
	case experiment.KindInt, experiment.KindNumber:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("field %q: want a number, got JSON %s", key, jsonKind(raw))
		}
		text = n.String()
	default:
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, fmt.Errorf("field %q: want a string, got JSON %s", key, jsonKind(raw))
		}
	}
	return f.Parse(text, arm)
}

// jsonKind names the JSON type of a raw value for error messages.
func jsonKind(raw json.RawMessage) string {
	switch t := bytes.TrimSpace(raw); {
	case len(t) == 0:
		return "nothing"
	case t[0] == '"':
		return "string"
	case t[0] == '{':
		return "object"
	case t[0] == '[':
		return "array"
	case t[0] == 't' || t[0] == 'f':
		return "bool"
	case t[0] == 'n':
		return "null"
	}
	return "number"
}

// configFieldError turns a JSON type error of a reset message's config
// into the FieldError of the table row at that path ("arms.select.m" is
// "arms[].select.m"), so that the client learns which field it was; other
// errors are returned as they are.
func configFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return err
	}
	for _, f := range experiment.Fields() {
		if f.Path == "" || strings.ReplaceAll(f.Path, "[]", "") != te.Field {
			continue
		}
		arm := -1
		if f.Arm {
			arm = 0
		}
		value, isNumber := strings.CutPrefix(te.Value, "number ")
		if !isNumber {
			value = "a JSON " + te.Value
		}
		return &experiment.FieldError{Field: f.Key, Arm: arm, Value: value, Want: f.Want(nil)}
	}
	return err
}

func countCommon(keys []string) int {
	n := 0
	for _, k := range keys {
		if slices.Contains(commonKeys, k) {
			n++
		}
	}
	return n
}

// decodeStrict decodes exactly one JSON value from b into v, optionally
// rejecting unknown fields, and turns decoder errors into clear messages.
func decodeStrict(b []byte, v any, disallowUnknown bool) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if disallowUnknown {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty message: want a JSON object")
		}
		return &jsonError{msg: describeJSONError(err).Error(), err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object: send one message per frame")
	}
	return nil
}

// jsonError is a decoding error described for people that keeps the
// decoder's error in its chain.
type jsonError struct {
	msg string
	err error
}

func (e *jsonError) Error() string { return e.msg }

func (e *jsonError) Unwrap() error { return e.err }

// describeJSONError rewrites encoding/json errors into messages a person
// can act on.
func describeJSONError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Errorf("message must be a JSON object, got a JSON %s", te.Value)
		}
		field := te.Field
		if i := strings.LastIndexByte(field, '.'); i >= 0 {
			field = field[i+1:]
		}
		return fmt.Errorf("field %q: want %s, got JSON %s", field, jsontype.Want(te.Type), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: the message ends early")
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s", clip(rest))
	}
	return errors.New(strings.TrimPrefix(msg, "json: "))
}

// clip shortens user-supplied text quoted in an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return s[:max]
}
