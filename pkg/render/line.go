package render

import (
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Line builds an output line in a buffer it reuses, for tools that print one line per event:
// fmt.Fprintf allocates for every int and string it is handed, and under a storm of hundreds of
// thousands of events that garbage is what the tool's RSS grows by. Widths follow printf: a
// positive width right-aligns (%6d), a negative one left-aligns (%-16s); 0 means no padding.
//
//	l.Reset().Int(int64(e.Pid), -6).Byte(' ').Str(comm, -16).Byte('\n').WriteTo(app.Output)
type Line struct{ b []byte }

// Reset empties the line.
func (l *Line) Reset() *Line {
	l.b = l.b[:0]
	return l
}

// Bytes returns the line so far (valid until the next change).
func (l *Line) Bytes() []byte { return l.b }

// WriteTo writes the line to w and empties it.
func (l *Line) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(l.b)
	l.b = l.b[:0]
	return int64(n), err
}

// Append replaces the line with b, which extends it: for appenders that take and return the
// line's bytes (l.Append(strconv.AppendQuote(l.Bytes(), s))).
func (l *Line) Append(b []byte) *Line {
	l.b = b
	return l
}

// Byte appends one byte.
func (l *Line) Byte(c byte) *Line {
	l.b = append(l.b, c)
	return l
}

// Int appends v as %*d.
func (l *Line) Int(v int64, width int) *Line {
	if width > 0 {
		n := 0
		if v < 0 {
			n = 1 + digits(uint64(-v))
		} else {
			n = digits(uint64(v))
		}
		l.spaces(width, n)
	}
	mark := len(l.b)
	l.b = strconv.AppendInt(l.b, v, 10)
	l.spaces(-width, len(l.b)-mark)
	return l
}

// Uint appends v as %*d.
func (l *Line) Uint(v uint64, width int) *Line {
	if width > 0 {
		l.spaces(width, digits(v))
	}
	mark := len(l.b)
	l.b = strconv.AppendUint(l.b, v, 10)
	l.spaces(-width, len(l.b)-mark)
	return l
}

// digits is how many decimal digits v has: numbers are padded before they are written, and
// written straight into the line.
func digits(v uint64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// Float appends v as %*.*f.
func (l *Line) Float(v float64, width, prec int) *Line {
	var tmp [64]byte
	return l.pad(strconv.AppendFloat(tmp[:0], v, 'f', prec, 64), width)
}

// Str appends s as %*s. Widths count bytes, as printf's do.
func (l *Line) Str(s string, width int) *Line {
	l.spaces(width, len(s))
	l.b = append(l.b, s...)
	l.spaces(-width, len(s))
	return l
}

// StrMax appends s as %*.*s: at most max bytes of it (max < 0: all), never cutting a UTF-8
// character in two.
func (l *Line) StrMax(s string, width, max int) *Line {
	if max >= 0 && len(s) > max {
		s = s[:cutPoint(s, max)]
	}
	return l.Str(s, width)
}

// Text appends s (a byte slice, e.g. a path from an event) as %*s, without copying it to a string.
func (l *Line) Text(s []byte, width int) *Line {
	l.spaces(width, len(s))
	l.b = append(l.b, s...)
	l.spaces(-width, len(s))
	return l
}

// TextMax appends s as %*.*s: at most max bytes of it (max < 0: all), never cutting a UTF-8
// character in two.
func (l *Line) TextMax(s []byte, width, max int) *Line {
	if max >= 0 && len(s) > max {
		s = s[:cutPoint(s, max)]
	}
	return l.Text(s, width)
}

// cutPoint is where to cut s to at most max bytes: max, or before the character max falls in.
func cutPoint[S string | []byte](s S, max int) int {
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return max
}

// pad appends ASCII digits d padded to width.
func (l *Line) pad(d []byte, width int) *Line {
	l.spaces(width, len(d))
	l.b = append(l.b, d...)
	l.spaces(-width, len(d))
	return l
}

// spaces pads a field of n bytes to width when width is positive (right-aligned before the
// field, or left-aligned after it when called with the negated width).
func (l *Line) spaces(width, n int) {
	k := width - n
	if k <= 0 {
		return
	}
	start := len(l.b)
	l.b = slices.Grow(l.b, k)[:start+k]
	for i := start; i < len(l.b); i++ {
		l.b[i] = ' '
	}
}

// Clock appends the wall-clock time t as "15:04:05", or "15:04:05.000" with millis, without
// allocating (libbpf-tools' str_timestamp formats).
func (l *Line) Clock(t time.Time, millis bool) *Line {
	h, m, s := t.Clock()
	l.two(h).Byte(':').two(m).Byte(':').two(s)
	if millis {
		ms := t.Nanosecond() / 1e6
		l.Byte('.').Byte(byte('0' + ms/100)).two(ms % 100)
	}
	return l
}

func (l *Line) two(n int) *Line { return l.Byte(byte('0' + n/10)).Byte(byte('0' + n%10)) }
