package render

import (
	"time"
	"unicode/utf8"
)

// Column is one field of a record a tool reports (an event, or a row of a table): its text
// header, printf-style width, and JSON key, declared once for both renderings. Build columns with
// Uint, Int, Float, Str, Text or Custom, then adjust them:
//
//	render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) })
//	render.Text("COMM", -14, "comm", commOf).Max(14)
//	render.Float("LAT(ms)", 7, 3, "latency_ms", latencyMs).JSONUint("latency_ns", latencyNs)
type Column[R any] struct {
	Header string
	// Width as printf reads it: positive right-aligns (%7d), negative left-aligns (%-16s), 0
	// neither. Header and value are padded alike.
	Width int
	// Key names the value in JSON (snake_case, with its unit: latency_ns, bytes).
	Key string

	max      int // at most this many characters of a string value (%.14s); 0: all
	tight    bool
	off      bool // neither text nor JSON (a flag turned it off)
	textOff  bool
	text     func(*Line, *R)
	json     func(*JSON, string, *R)
	jsonType string // for docs/json.md: number, string, ...
	note     string // for docs/json.md
}

// Note documents the JSON value in docs/json.md (what -1 means, the values a string takes).
func (c Column[R]) Note(text string) Column[R] {
	c.note = text
	return c
}

// Uint declares an unsigned integer column (%*d).
func Uint[R any](header string, width int, key string, get func(*R) uint64) Column[R] {
	return Column[R]{Header: header, Width: width, Key: key, jsonType: "integer",
		text: func(l *Line, r *R) { l.Uint(get(r), 0) },
		json: func(j *JSON, k string, r *R) { j.Uint(k, get(r)) }}
}

// Int declares a signed integer column (%*d).
func Int[R any](header string, width int, key string, get func(*R) int64) Column[R] {
	return Column[R]{Header: header, Width: width, Key: key, jsonType: "integer",
		text: func(l *Line, r *R) { l.Int(get(r), 0) },
		json: func(j *JSON, k string, r *R) { j.Int(k, get(r)) }}
}

// Float declares a fixed-point column (%*.*f).
func Float[R any](header string, width, prec int, key string, get func(*R) float64) Column[R] {
	return Column[R]{Header: header, Width: width, Key: key, jsonType: "number",
		text: func(l *Line, r *R) { l.Float(get(r), 0, prec) },
		json: func(j *JSON, k string, r *R) { j.Float(k, get(r)) }}
}

// Str declares a column of text the tool makes itself (names, labels: never bytes from the
// traced system, which go through Text).
func Str[R any](header string, width int, key string, get func(*R) string) Column[R] {
	return Column[R]{Header: header, Width: width, Key: key, jsonType: "string",
		text: func(l *Line, r *R) { l.Str(get(r), 0) },
		json: func(j *JSON, k string, r *R) { j.Str(k, get(r)) }}
}

// Text declares a column of bytes that come from the traced system (a comm, a path, arguments).
func Text[R any](header string, width int, key string, get func(*R) []byte) Column[R] {
	return Column[R]{Header: header, Width: width, Key: key, jsonType: "string",
		text: func(l *Line, r *R) { l.Text(get(r), 0) },
		json: func(j *JSON, k string, r *R) { j.Text(k, get(r)) }}
}

// Custom declares a column whose text the tool writes itself (a clock time, decoded flags);
// the renderer pads it to the width. It has no JSON value until one of the JSON methods gives it.
func Custom[R any](header string, width int, text func(*Line, *R)) Column[R] {
	return Column[R]{Header: header, Width: width, text: text}
}

// JSONOnly declares a value that JSON carries and text does not show.
func JSONOnly[R any](c Column[R]) Column[R] {
	c.textOff = true
	return c
}

// Max cuts string values after n characters, as %.Ns does.
func (c Column[R]) Max(n int) Column[R] {
	c.max = n
	return c
}

// Tight leaves out the space that otherwise follows the column in a text line.
func (c Column[R]) Tight() Column[R] {
	c.tight = true
	return c
}

// If keeps the column only when on (an option that adds a column: -Q, -P, -U).
func (c Column[R]) If(on bool) Column[R] {
	c.off = c.off || !on
	return c
}

// TextIf shows the column in text only when on; JSON carries it either way.
func (c Column[R]) TextIf(on bool) Column[R] {
	c.textOff = c.textOff || !on
	return c
}

// JSONUint replaces the column's JSON value with an integer under key (text shows milliseconds,
// JSON the exact nanoseconds).
func (c Column[R]) JSONUint(key string, get func(*R) uint64) Column[R] {
	c.Key, c.jsonType = key, "integer"
	c.json = func(j *JSON, k string, r *R) { j.Uint(k, get(r)) }
	return c
}

// JSONInt replaces the column's JSON value with a signed integer under key.
func (c Column[R]) JSONInt(key string, get func(*R) int64) Column[R] {
	c.Key, c.jsonType = key, "integer"
	c.json = func(j *JSON, k string, r *R) { j.Int(k, get(r)) }
	return c
}

// JSONFloat replaces the column's JSON value with a number under key.
func (c Column[R]) JSONFloat(key string, get func(*R) float64) Column[R] {
	c.Key, c.jsonType = key, "number"
	c.json = func(j *JSON, k string, r *R) { j.Float(k, get(r)) }
	return c
}

// JSONStr replaces the column's JSON value with a string the tool makes under key.
func (c Column[R]) JSONStr(key string, get func(*R) string) Column[R] {
	c.Key, c.jsonType = key, "string"
	c.json = func(j *JSON, k string, r *R) { j.Str(k, get(r)) }
	return c
}

// JSONBytes replaces the column's JSON value with a string the tool makes, as bytes.
func (c Column[R]) JSONBytes(key string, get func(*R) []byte) Column[R] {
	c.Key, c.jsonType = key, "string"
	c.json = func(j *JSON, k string, r *R) { j.StrBytes(k, get(r)) }
	return c
}

// JSONText replaces the column's JSON value with bytes of the traced system under key.
func (c Column[R]) JSONText(key string, get func(*R) []byte) Column[R] {
	c.Key, c.jsonType = key, "string"
	c.json = func(j *JSON, k string, r *R) { j.Text(k, get(r)) }
	return c
}

// JSONWith replaces the column's JSON value with whatever write adds to the object (several
// members, an array); typ documents it in docs/json.md.
func (c Column[R]) JSONWith(key, typ string, write func(j *JSON, key string, r *R)) Column[R] {
	c.Key, c.jsonType, c.json = key, typ, write
	return c
}

// NoJSON leaves the column out of JSON (its value is in another column's already).
func (c Column[R]) NoJSON() Column[R] {
	c.Key, c.json = "", nil
	return c
}

// cell writes one value padded to the column's width.
func (c *Column[R]) cell(l *Line, r *R) {
	mark := len(l.b)
	c.text(l, r)
	if c.max > 0 {
		l.cutFrom(mark, c.max)
	}
	l.padFrom(mark, c.Width)
}

// cutFrom keeps at most max bytes of what was appended since mark, as %.Ns does, but never
// cuts a UTF-8 character in two: the line stays valid text.
func (l *Line) cutFrom(mark, max int) {
	end := mark + max
	if end >= len(l.b) {
		return
	}
	for end > mark && !utf8.RuneStart(l.b[end]) {
		end--
	}
	l.b = l.b[:end]
}

// padFrom pads what was appended since mark to width bytes, printf style (printf counts bytes,
// not characters, and so does the text libbpf-tools prints).
func (l *Line) padFrom(mark, width int) {
	n := len(l.b) - mark
	switch {
	case width < 0:
		l.spaces(-width, n)
	case width > n:
		pad := width - n
		for i := 0; i < pad; i++ {
			l.b = append(l.b, ' ')
		}
		copy(l.b[mark+pad:], l.b[mark:len(l.b)-pad])
		for i := mark; i < mark+pad; i++ {
			l.b[i] = ' '
		}
	}
}

// Clock declares a text column with the wall-clock time each record is written ("15:04:05", or
// with millis "15:04:05.000"). JSON lines have their "time" already: it is text only.
func Clock[R any](header string, width int, millis bool) Column[R] {
	return Column[R]{Header: header, Width: width, text: func(l *Line, _ *R) { l.Clock(time.Now(), millis) }}
}
