package stacks

import (
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

// Output declares a stack tool's entries: what the value counts, for JSON.
type Output struct {
	// ValueKey names the value in JSON: "count" (samples), "total_us" (microseconds blocked).
	ValueKey string
}

// Write renders one entry: in text as style lays it out, in JSON as a "stack" line with the
// task, the value and the frames of each side (innermost first) as {symbol, offset, module,
// address}; a side the tool did not take is left out, a side it lost is null with a
// "<side>_missed": true member.
func (o *Output) Write(out *render.Sink, style *Style, e *Entry) {
	switch out.Format {
	case render.FormatText:
		style.Write(out.Writer(), e)
	case render.FormatJSON:
		j := out.Begin(render.KindStack).Text("comm", []byte(e.Comm)).Uint("pid", uint64(e.PID)).Uint(o.ValueKey, e.Value)
		writeSide(j, "user", &e.User, false)
		writeSide(j, "kernel", &e.Kernel, true)
		out.Emit()
	}
}

func writeSide(j *render.JSON, name string, st *Stack, kernel bool) {
	switch st.State {
	case Absent:
		return
	case Missed:
		j.Null(name).Bool(name+"_missed", true)
		return
	}
	j.Array(name)
	for _, f := range st.Frames {
		writeFrame(j, f, kernel)
	}
	j.CloseArray()
}

func writeFrame(j *render.JSON, f syms.Symbol, kernel bool) {
	j.Open().Uint("address", f.Addr)
	if f.Known {
		j.Text("symbol", []byte(f.Name)).Uint("offset", f.Offset)
	} else {
		j.Null("symbol")
	}
	module := f.Module
	if !kernel {
		module = f.Path
	}
	if module != "" {
		j.Text("module", []byte(module))
	} else if kernel {
		j.Str("module", "vmlinux")
	}
	j.Close()
}

// Describe lists a stack line's members.
func (o *Output) Describe() render.Shape {
	return render.Shape{Kind: render.KindStack, Fields: []render.Field{
		{Key: "comm", Type: "string"}, {Key: "pid", Type: "integer"}, {Key: o.ValueKey, Type: "integer"},
		{Key: "user", Type: "array", Note: "frames innermost first: {address, symbol, offset, module}; null and user_missed: true when lost"},
		{Key: "kernel", Type: "array", Note: "likewise; module is vmlinux or the kernel module"},
	}}
}

// ReportMissed says on standard error how many stacks could not be shown, once per report,
// with advice when a larger stack map would have kept them.
func (r *Reader) ReportMissed(out *render.Sink) {
	n, collision := r.Missed()
	if n == 0 {
		return
	}
	advice := ""
	if collision {
		advice = " Consider increasing --stack-storage-size."
	}
	out.Warnf("WARNING: %d stack traces could not be displayed.%s", n, advice)
}
