package jsontype

import (
	"reflect"
	"testing"
)

func TestWant(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{int64(0), "an integer in range"}, {uint8(0), "an integer in range"}, {new(int), "an integer in range"},
		{0.5, "a number"}, {"", "a string"}, {true, "true or false"}, {[]int{}, "an array"},
		{struct{}{}, "an object"}, {map[string]int{}, "an object"},
	} {
		if got := Want(reflect.TypeOf(tc.v)); got != tc.want {
			t.Errorf("Want(%T) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
