package tracer

import (
	"fmt"
	"reflect"
)

// RodataValues lists the globals a Spec's Rodata sets, by C name: a map is taken as it is, a
// struct by its fields' `bpf:"name"` tags.
func RodataValues(rodata any) (map[string]any, error) {
	switch r := rodata.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return r, nil
	}
	v := reflect.ValueOf(rodata)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("rodata must be a struct or a map, not %T", rodata)
	}
	out := make(map[string]any, v.NumField())
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		name := f.Tag.Get("bpf")
		if name == "" {
			return nil, fmt.Errorf("rodata field %s.%s has no bpf tag", v.Type(), f.Name)
		}
		out[name] = v.Field(i).Interface()
	}
	return out, nil
}
