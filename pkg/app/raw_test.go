package app

import (
	"bytes"
	"context"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// TestRawOption: --raw reaches the sink, so that a Text column prints the traced bytes as they
// are; without it they are escaped, and JSON is the same either way.
func TestRawOption(t *testing.T) {
	type row struct{ comm []byte }
	tool := Define(Def[struct{}]{Name: "demo",
		Run: func(env *Env, _ *struct{}, _ *tracer.Tracer) error {
			recs := render.NewRecords(render.KindEvent, render.Text("COMM", 0, "comm", func(r *row) []byte { return r.comm })).To(env.Out)
			recs.Write(&row{comm: []byte("a\x1b[2J\nb")})
			return nil
		}})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, `a\x1b[2J\nb` + "\n"},
		{[]string{"--raw"}, "a\x1b[2J\nb\n"},
		{[]string{"--json"}, `"comm":"a\u001b[2J\nb"}` + "\n"},
		{[]string{"--json", "--raw"}, `"comm":"a\u001b[2J\nb"}` + "\n"},
	} {
		var out, errb bytes.Buffer
		if code := tool.Main(context.Background(), tc.args, &out, &errb); code != 0 {
			t.Fatalf("%q: exit %d, %s", tc.args, code, errb.String())
		}
		if !bytes.HasSuffix(out.Bytes(), []byte(tc.want)) {
			t.Errorf("%q: printed %q, want it to end with %q", tc.args, out.String(), tc.want)
		}
	}
}
