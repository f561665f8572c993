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
type Line struct {
	b []byte
	// raw writes Text as it is (Sink.Raw); otherwise Text escapes it (escape.go).
	raw bool
}

// Raw reports whether Text writes the traced system's bytes as they are (--raw), for a column
// that escapes some bytes its own way when it is not.
func (l *Line) Raw() bool { return l.raw }

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

// Text appends s, bytes of the traced system (a comm, a path from an event), as %*s without
// copying it to a string: escaped (escape.go) unless the line is raw, the width counting the
// bytes written.
func (l *Line) Text(s []byte, width int) *Line {
	appendText(l, s, width)
	return l
}

// TextString is Text for a string of the traced system (a symbol name).
func (l *Line) TextString(s string, width int) *Line {
	appendText(l, s, width)
	return l
}

func appendText[S string | []byte](l *Line, s S, width int) {
	clean := len(s)
	if !l.raw {
		clean = escapeFrom(s)
	}
	if clean == len(s) {
		l.spaces(width, len(s))
		l.b = append(l.b, s...)
		l.spaces(-width, len(s))
		return
	}
	mark := len(l.b)
	l.b = appendEscaped(l.b, s, clean)
	l.padFrom(mark, width)
}

// TextMax appends s as %*.*s: at most max bytes of it (max < 0: all), never cutting a UTF-8
// character in two, then escaped as Text escapes it (the cut counts the traced bytes: an
// escaped value can be wider than max).
func (l *Line) TextMax(s []byte, width, max int) *Line {
	if max >= 0 && len(s) > max {
		s = s[:cutPoint(s, max)]
	}
	return l.Text(s, width)
}

// cutPoint is where to cut s to at most max bytes: max, or before the valid UTF-8 character
// that max falls in. Bytes that are no part of a character are cut as single bytes: a string
// of them cut to nothing would hide what it holds.
func cutPoint[S string | []byte](s S, max int) int {
	if utf8.RuneStart(s[max]) {
		return max
	}
	// A character that max falls in began at most UTFMax-1 bytes before it.
	for start := max - 1; start >= 0 && start > max-utf8.UTFMax; start-- {
		if utf8.RuneStart(s[start]) {
			if _, size := decodeRune(s[start:]); size > 1 && start+size > max {
				return start
			}
			break
		}
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
