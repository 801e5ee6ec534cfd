// Package jsontype names a Go type as the JSON value a person would send
// for it, for the messages of JSON decoding errors ("want an integer in
// range, got JSON string"): the control messages' and the ingest API's.
package jsontype

import (
	"reflect"
	"strings"
)

// Want names the JSON value that decodes into a value of type t.
func Want(t reflect.Type) string {
	name := strings.TrimPrefix(t.String(), "*")
	switch {
	case strings.HasPrefix(name, "[]"):
		return "an array"
	case strings.HasPrefix(name, "int") || strings.HasPrefix(name, "uint"):
		return "an integer in range"
	case strings.HasPrefix(name, "float"):
		return "a number"
	case name == "string":
		return "a string"
	case name == "bool":
		return "true or false"
	}
	return "an object"
}
