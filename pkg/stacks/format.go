package stacks

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/syms"
)

// Style is how a tool prints entries. The zero value is libbpf-tools' profile: multi-line,
// kernel frames then user frames, each indented by four spaces, then the "-" comm (pid) line
// and the count.
type Style struct {
	// Folded prints one line per entry, for flame graphs: comm, user frames outermost first,
	// kernel frames outermost first, all ";"-separated, then a space and the value.
	Folded bool
	// Delimited separates the kernel and user frames when both are printed: a "--" line
	// (multi-line) or a "-" frame (folded), as -d does.
	Delimited bool
	// Verbose shows addresses and offsets (-v): kernel "0xADDR name+0xOFF", user
	// "0x%016x name+0xOFF (path+0xOFF)".
	Verbose bool
	// Annotate appends "_[k]" to kernel frames in folded output (Python profile's -a), so
	// flame graph scripts can colour them.
	Annotate bool
	// Offsets appends "+0xOFF" to the name of each known frame in multi-line output (Python
	// offcputime's -s); -v, which shows offsets and addresses, wins.
	Offsets bool
	// Wakeup is wakeuptime's multi-line layout, tab-indented: "target:" and the woken task
	// (Entry.Target), the waker's kernel frames with their addresses, "waker:" and the waker
	// (Entry.Comm), the value. Folded, an entry with a Target ends with it as its last frame.
	Wakeup bool
	// offcputime's multi-line layout differs in three details: unknown kernel frames read
	// "unknown", verbose frames are numbered ("#0 ", "#1 "... through both stacks), and the
	// "[Missed ... Stack]" notes go to stderr.
	UnknownKernel string    // multi-line marker of an unknown kernel frame; "" is "[unknown]"
	Numbered      bool      // "#%-2d " before each verbose frame
	MissedTo      io.Writer // where multi-line "[Missed ... Stack]" notes go; nil: with the frames
	// Raw writes comms, symbol names and module paths as the traced system holds them (--raw);
	// otherwise they are escaped as all traced strings of text output (render.Escape).
	Raw bool
}

// text is v, a string of the traced system or a frame's text made from one, as the style
// shows it.
func (s *Style) text(v string) string {
	if s.Raw {
		return v
	}
	return render.Escape(v)
}

const unknown = "[unknown]"

// Write prints one entry.
func (s *Style) Write(w io.Writer, e *Entry) {
	if s.Folded {
		s.writeFolded(w, e)
		return
	}
	if s.Wakeup {
		s.writeWakeup(w, e)
		return
	}
	idx := 0
	if e.Kernel.State != Absent {
		s.writeSide(w, &e.Kernel, true, &idx)
	}
	if e.User.State != Absent {
		if s.Delimited && e.Kernel.State != Absent {
			io.WriteString(w, "    --\n")
		}
		s.writeSide(w, &e.User, false, &idx)
	}
	fmt.Fprintf(w, "    %-16s %s (%d)\n", "-", s.text(e.Comm), e.PID)
	fmt.Fprintf(w, "        %d\n\n", e.Value)
}

func (s *Style) writeSide(w io.Writer, st *Stack, kernel bool, idx *int) {
	if st.State == Missed {
		to := w
		if s.MissedTo != nil {
			to = s.MissedTo
		}
		io.WriteString(to, "    "+missedNote(kernel)+"\n")
		return
	}
	for _, f := range st.Frames {
		io.WriteString(w, "    ")
		if s.Verbose && s.Numbered {
			fmt.Fprintf(w, "#%-2d ", *idx)
			*idx++
		}
		io.WriteString(w, s.text(s.frame(f, kernel, false)))
		io.WriteString(w, "\n")
	}
}

func missedNote(kernel bool) string {
	if kernel {
		return "[Missed Kernel Stack]"
	}
	return "[Missed User Stack]"
}

func (s *Style) writeFolded(w io.Writer, e *Entry) {
	io.WriteString(w, s.text(e.Comm))
	if e.User.State != Absent {
		s.writeFoldedSide(w, &e.User, false)
	}
	if e.Kernel.State != Absent {
		if s.Delimited && e.User.State != Absent {
			io.WriteString(w, ";-")
		}
		s.writeFoldedSide(w, &e.Kernel, true)
	}
	if e.Target != "" {
		io.WriteString(w, ";"+s.text(e.Target))
	}
	io.WriteString(w, " "+strconv.FormatUint(e.Value, 10)+"\n")
}

// writeWakeup prints one entry as libbpf-tools' wakeuptime: "\n\t%-16s %s\n" (target),
// "\t%-16lx %s+0x%lx\n" or "\t%-16lx Unknown\n" per frame, "\t%16s %s\n" (waker),
// "\t%lld\n". A lost stack shows no frames (the warning after the report counts it).
func (s *Style) writeWakeup(w io.Writer, e *Entry) {
	fmt.Fprintf(w, "\n\t%-16s %s\n", "target:", s.text(e.Target))
	for _, f := range e.Kernel.Frames {
		if f.Known {
			fmt.Fprintf(w, "\t%-16x %s+0x%x\n", f.Addr, s.text(f.Name), f.Offset)
		} else {
			fmt.Fprintf(w, "\t%-16x Unknown\n", f.Addr)
		}
	}
	fmt.Fprintf(w, "\t%16s %s\n", "waker:", s.text(e.Comm))
	fmt.Fprintf(w, "\t%d\n", e.Value)
}

// showsAddresses reports whether the text tells apart frames of one function at different
// addresses: then entries that BPF keyed apart must stay apart.
func (s *Style) showsAddresses() bool {
	return s.Verbose || !s.Folded && (s.Offsets || s.Wakeup)
}

func (s *Style) writeFoldedSide(w io.Writer, st *Stack, kernel bool) {
	if st.State == Missed {
		io.WriteString(w, ";"+missedNote(kernel))
		return
	}
	for i := len(st.Frames) - 1; i >= 0; i-- {
		io.WriteString(w, ";")
		io.WriteString(w, s.text(s.frame(st.Frames[i], kernel, true)))
		if kernel && s.Annotate {
			io.WriteString(w, "_[k]")
		}
	}
}

// frame is one frame's text. Kernel symbols format here rather than through
// syms.Symbol.Verbose, so that entries built by hand (tests) print alike.
func (s *Style) frame(f syms.Symbol, kernel, folded bool) string {
	switch {
	case s.Verbose && kernel && f.Known:
		return fmt.Sprintf("0x%x %s+0x%x", f.Addr, f.Name, f.Offset)
	case s.Verbose && kernel:
		return fmt.Sprintf("0x%x [unknown]", f.Addr)
	case s.Verbose:
		return f.Verbose()
	case f.Known && s.Offsets && !folded:
		return f.Name + "+0x" + strconv.FormatUint(f.Offset, 16)
	case f.Known:
		return f.Name
	case kernel && !folded && s.UnknownKernel != "":
		return s.UnknownKernel
	}
	return unknown
}

// IDList is how profile's and offcputime's headers list the -p and -t ids: "[1, 2, 3]".
func IDList(ids []uint32) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatUint(uint64(id), 10))
	}
	b.WriteByte(']')
	return b.String()
}
