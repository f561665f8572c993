package stacks

import (
	"strconv"
	"strings"
	"time"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

// Output declares a stack tool's entries: what the value counts, for JSON, and the order of a
// report.
type Output struct {
	// ValueKey names the value in JSON: "count" (samples), "total_us" (microseconds blocked);
	// ValueNote and PIDNote say what the value and the pid are, for docs/json.md.
	ValueKey, ValueNote, PIDNote string
	// LargestFirst orders a report by value, largest first (profile); otherwise the largest
	// comes last (offcputime, wakeuptime: it stays on screen).
	LargestFirst bool
	// Wakeups: each entry is a waker (Entry.Comm) and the task it woke (Entry.Target), without
	// a pid; JSON names them "waker" and "target" (wakeuptime).
	Wakeups bool
}

// Header is the first line of profile and offcputime: what (e.g. "Tracing off-CPU time (us)
// of"), whose stacks (" PID [1, 2]", " TID [3]", both, or " all threads"), how (profile's
// " by user + kernel"), then for how long: " for 5 secs." or, without a duration (0 or
// app.Forever), "... Hit Ctrl-C to end.".
func Header(what string, pids, tids []uint32, how string, duration time.Duration) string {
	var b strings.Builder
	b.WriteString(what)
	if pids != nil {
		b.WriteString(" PID " + IDList(pids))
	}
	if tids != nil {
		b.WriteString(" TID " + IDList(tids))
	}
	if pids == nil && tids == nil {
		b.WriteString(" all threads")
	}
	b.WriteString(how)
	if secs := int(duration.Seconds()); secs > 0 && duration < app.Forever {
		b.WriteString(" for " + strconv.Itoa(secs) + " secs.")
	} else {
		b.WriteString("... Hit Ctrl-C to end.")
	}
	return b.String()
}

// Report prints one report of a stack tool: the entries, sorted, each through Write, then
// the warning about the stacks r could not show (ReportMissed). Entries that the text would
// show alike (same task, same function names: BPF keys stacks by exact addresses) are added
// up first; where the text shows addresses or offsets, and in JSON, whose frames carry them,
// they stay apart.
func (o *Output) Report(out *render.Sink, style *Style, r *Reader, entries []Entry) error {
	if out.Text() && !style.showsAddresses() {
		entries = Merge(entries)
	}
	Sort(entries, o.LargestFirst)
	for i := range entries {
		o.Write(out, style, &entries[i])
	}
	if err := out.Flush(); err != nil {
		return err
	}
	r.ReportMissed(out)
	return nil
}

// Write renders one entry: in text as style lays it out, in JSON as a "stack" line with the
// task, the value and the frames of each side (innermost first) as {symbol, offset, module,
// address}; a side the tool did not take is left out, a side it lost is null with a
// "<side>_missed": true member.
func (o *Output) Write(out *render.Sink, style *Style, e *Entry) {
	switch out.Format {
	case render.FormatText:
		st := *style
		st.Raw = st.Raw || out.Raw
		st.Write(out.Writer(), e)
	case render.FormatJSON:
		j := out.Begin(render.KindStack)
		if o.Wakeups {
			j.Text("waker", []byte(e.Comm)).Text("target", []byte(e.Target))
		} else {
			j.Text("comm", []byte(e.Comm)).Uint("pid", uint64(e.PID))
		}
		j.Uint(o.ValueKey, e.Value)
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
	// A hex string: kernel addresses are past 2^53, which JSON readers' doubles round.
	j.Open().Str("address", "0x"+strconv.FormatUint(f.Addr, 16))
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
	task := []render.Field{{Key: "comm", Type: "string"}, {Key: "pid", Type: "integer", Note: o.PIDNote}}
	if o.Wakeups {
		task = []render.Field{
			{Key: "waker", Type: "string", Note: "the task that woke the target up"},
			{Key: "target", Type: "string", Note: "the task woken up"},
		}
	}
	fields := append(task, render.Field{Key: o.ValueKey, Type: "integer", Note: o.ValueNote})
	if !o.Wakeups {
		fields = append(fields, render.Field{Key: "user", Type: "array",
			Note: "frames innermost first: {address, symbol, offset, module}; null and user_missed: true when lost"})
	}
	return render.Shape{Kind: render.KindStack, Fields: append(fields, render.Field{Key: "kernel", Type: "array",
		Note: "frames innermost first: {address, symbol, offset, module}, module vmlinux or the kernel module; null and kernel_missed: true when lost"})}
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
