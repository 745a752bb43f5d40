package logformat

import (
	"fmt"
	"strconv"
)

// BasicSamples compiles the few fetches a log line can take from Values
// alone (src, dst, src_port, dst_port, fe_name, be_name, srv_name,
// unique-id); the adapter plugs in the full sample-expression compiler
// when it has one.
func BasicSamples(expr string) (Sample, error) {
	switch expr {
	case "src":
		return func(dst []byte, v *Values) ([]byte, bool) {
			if !v.Client.IsValid() {
				return dst, false
			}
			return v.Client.Addr().Unmap().AppendTo(dst), true
		}, nil
	case "dst":
		return func(dst []byte, v *Values) ([]byte, bool) {
			if !v.Frontend.IsValid() {
				return dst, false
			}
			return v.Frontend.Addr().Unmap().AppendTo(dst), true
		}, nil
	case "src_port":
		return func(dst []byte, v *Values) ([]byte, bool) {
			return strconv.AppendUint(dst, uint64(v.Client.Port()), 10), v.Client.IsValid()
		}, nil
	case "dst_port":
		return func(dst []byte, v *Values) ([]byte, bool) {
			return strconv.AppendUint(dst, uint64(v.Frontend.Port()), 10), v.Frontend.IsValid()
		}, nil
	case "fe_name":
		return func(dst []byte, v *Values) ([]byte, bool) { return append(dst, v.FrontendName...), true }, nil
	case "be_name":
		// Without a backend the stream's backend is the frontend itself.
		return func(dst []byte, v *Values) ([]byte, bool) {
			if v.BackendName == "" {
				return append(dst, v.FrontendName...), !v.NoStream
			}
			return append(dst, v.BackendName...), true
		}, nil
	case "srv_name":
		return func(dst []byte, v *Values) ([]byte, bool) {
			return append(dst, v.ServerName...), v.ServerName != ""
		}, nil
	case "unique-id":
		return func(dst []byte, v *Values) ([]byte, bool) { return append(dst, v.UniqueID...), v.UniqueID != nil }, nil
	}
	return nil, &UnsupportedSample{Expr: expr}
}

// UnsupportedSample is BasicSamples' error for an expression it cannot
// evaluate; the adapter decides whether the reference would accept it.
type UnsupportedSample struct{ Expr string }

func (e *UnsupportedSample) Error() string {
	return fmt.Sprintf("sample expression '%s' is not evaluated by Fulcrum yet", e.Expr)
}
