// Package finitejson encodes JSON like encoding/json, except that NaN and
// ±Inf, which JSON cannot represent and a diverging run produces, are
// written as null instead of failing. It is the one place the program
// handles non-finite numbers in JSON: the server's frames and responses,
// the saved runs' export and the headless report.
package finitejson

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
)

// Marshal marshals v like json.Marshal, except that NaN and ±Inf are
// written as null. The fast path is plain json.Marshal.
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	var uve *json.UnsupportedValueError
	if err == nil || !errors.As(err, &uve) {
		return b, err
	}
	return json.Marshal(finiteTree(reflect.ValueOf(v)))
}

// MarshalIndent is Marshal with json.MarshalIndent's layout.
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	b, err := Marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, prefix, indent); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// finiteTree converts v into plain maps, slices and scalars (following the
// json struct tags) with every non-finite float replaced by nil.
func finiteTree(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if m, ok := asMarshaler(v); ok {
		return m
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return finiteTree(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		if v.Kind() == reflect.Float32 {
			return float32(f)
		}
		return f
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface()
		}
		fallthrough
	case reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = finiteTree(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			k, err := json.Marshal(it.Key().Interface())
			if err != nil {
				continue
			}
			var ks string
			if json.Unmarshal(k, &ks) != nil {
				ks = string(k)
			}
			out[ks] = finiteTree(it.Value())
		}
		return out
	case reflect.Struct:
		out := &object{}
		structFields(v, out)
		return out
	default:
		return v.Interface()
	}
}

// asMarshaler returns v itself when it implements json.Marshaler and
// marshals successfully.
func asMarshaler(v reflect.Value) (any, bool) {
	if !v.CanInterface() {
		return nil, false
	}
	m, ok := v.Interface().(json.Marshaler)
	if !ok || (v.Kind() == reflect.Pointer && v.IsNil()) {
		return nil, false
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return nil, false
	}
	return json.RawMessage(b), true
}

// object is a JSON object whose keys keep the order they were added in:
// a struct's fields, as encoding/json writes them.
type object struct {
	keys []string
	vals []any
}

func (o *object) set(k string, v any) {
	for i, x := range o.keys {
		if x == k {
			o.vals[i] = v
			return
		}
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// MarshalJSON writes the keys in order.
func (o *object) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, kb...), ':'), vb...)
	}
	return append(b, '}'), nil
}

// structFields adds v's exported fields to out under their JSON names,
// flattening embedded structs and honouring "-" and omitempty.
func structFields(v reflect.Value, out *object) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		name, opts := f.Name, ""
		if tag, ok := f.Tag.Lookup("json"); ok {
			if tag == "-" {
				continue
			}
			name, opts, _ = cutComma(tag)
			if name == "" {
				name = f.Name
			}
		}
		fv := v.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				structFields(fv, out)
				continue
			}
		}
		if opts == "omitempty" && isEmpty(fv) {
			continue
		}
		out.set(name, finiteTree(fv))
	}
}

func cutComma(s string) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// isEmpty reports whether v is empty in the sense of encoding/json's
// omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	default:
		return v.IsZero()
	}
}
