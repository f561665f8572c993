package render

import (
	"time"
	"unsafe"
)

// Column is one field of a record a tool reports (an event, or a row of a table): its text
// header, printf-style width, and JSON key, declared once for both renderings. Build columns with
// Uint, Int, Float, Str, Text or Custom, then adjust them:
//
//	render.Uint("PID", -7, "pid", func(e *event) uint64 { return uint64(e.Pid) })
//	render.Text("COMM", -14, "comm", commOf).Max(14)
//	render.Float("LAT(ms)", 7, 3, "latency_ms", latencyMs).JSONUint("latency_ns", latencyNs)
type Column[R any] struct{ *col }

// col is a column with its type parameter erased: the code that renders records exists once,
// not once per tool's record type (each instance cost the binary, and so every tool's memory).
// Column[R] holds it by pointer, so that its builder methods stay a few instructions each: a
// column is declared once, and adjusting it changes that declaration.
type col struct {
	Header string
	// Width as printf reads it: positive right-aligns (%7d), negative left-aligns (%-16s), 0
	// neither. Header and value are padded alike; widths count bytes, as C's printf does.
	Width int
	// Key names the value in JSON (snake_case, with its unit: latency_ns, bytes).
	Key string

	max     int // at most this many bytes of a value (%.14s); 0: all
	tight   bool
	off     bool // neither text nor JSON (a flag turned it off)
	textOff bool
	// text and json read the value: a typed getter each, so that writing a record calls the
	// tool's function and nothing else per column.
	text     value
	json     value
	jsonType string // for docs/json.md: number, string, ...
	note     string // for docs/json.md
}

// valueKind is which getter of a value is set.
type valueKind uint8

const (
	none valueKind = iota
	kindUint
	kindInt
	kindFloat
	kindStr       // a string the tool made
	kindText      // bytes of the traced system
	kindBytes     // bytes the tool made
	kindCustom    // text the tool writes itself
	kindJSONWrite // JSON the tool writes itself
)

// value reads one field of a record, passed as a pointer whose type the getters were declared
// with (see erase).
type value struct {
	kind   valueKind
	prec   int
	u      func(unsafe.Pointer) uint64
	i      func(unsafe.Pointer) int64
	f      func(unsafe.Pointer) float64
	s      func(unsafe.Pointer) string
	b      func(unsafe.Pointer) []byte
	custom func(*Line, unsafe.Pointer)
	write  func(*JSON, string, unsafe.Pointer)
}

// erase turns a getter of *R into one of unsafe.Pointer without wrapping it: both take one
// pointer and return the same type, so they are called alike, and every call site passes the
// *R the getter was declared for (Records[R].Write). A wrapper closure would cost an indirect
// call per column of every event.
func erase[F, G any](f F) G {
	return *(*G)(unsafe.Pointer(&f))
}

func uintValue[R any](get func(*R) uint64) value {
	return value{kind: kindUint, u: erase[func(*R) uint64, func(unsafe.Pointer) uint64](get)}
}

func intValue[R any](get func(*R) int64) value {
	return value{kind: kindInt, i: erase[func(*R) int64, func(unsafe.Pointer) int64](get)}
}

func floatValue[R any](get func(*R) float64, prec int) value {
	return value{kind: kindFloat, prec: prec, f: erase[func(*R) float64, func(unsafe.Pointer) float64](get)}
}

func strValue[R any](get func(*R) string) value {
	return value{kind: kindStr, s: erase[func(*R) string, func(unsafe.Pointer) string](get)}
}

func bytesValue[R any](kind valueKind, get func(*R) []byte) value {
	return value{kind: kind, b: erase[func(*R) []byte, func(unsafe.Pointer) []byte](get)}
}

// Note documents the JSON value in docs/json.md (what -1 means, the values a string takes).
func (c Column[R]) Note(text string) Column[R] {
	c.note = text
	return c
}

func both[R any](header string, width int, key, typ string, v value) Column[R] {
	return Column[R]{&col{Header: header, Width: width, Key: key, jsonType: typ, text: v, json: v}}
}

// Uint declares an unsigned integer column (%*d).
func Uint[R any](header string, width int, key string, get func(*R) uint64) Column[R] {
	return both[R](header, width, key, "integer", uintValue(get))
}

// Int declares a signed integer column (%*d).
func Int[R any](header string, width int, key string, get func(*R) int64) Column[R] {
	return both[R](header, width, key, "integer", intValue(get))
}

// Float declares a fixed-point column (%*.*f).
func Float[R any](header string, width, prec int, key string, get func(*R) float64) Column[R] {
	return both[R](header, width, key, "number", floatValue(get, prec))
}

// Str declares a column of text the tool makes itself (names, labels: never bytes from the
// traced system, which go through Text).
func Str[R any](header string, width int, key string, get func(*R) string) Column[R] {
	return both[R](header, width, key, "string", strValue(get))
}

// Text declares a column of bytes that come from the traced system (a comm, a path, arguments).
func Text[R any](header string, width int, key string, get func(*R) []byte) Column[R] {
	return both[R](header, width, key, "string", bytesValue(kindText, get))
}

// Custom declares a column whose text the tool writes itself (a clock time, decoded flags);
// the renderer pads it to the width. It has no JSON value until one of the JSON methods gives it.
func Custom[R any](header string, width int, text func(*Line, *R)) Column[R] {
	c := Column[R]{&col{Header: header, Width: width}}
	if text != nil {
		c.text = value{kind: kindCustom, custom: erase[func(*Line, *R), func(*Line, unsafe.Pointer)](text)}
	}
	return c
}

// JSONOnly declares a value that JSON carries and text does not show.
func JSONOnly[R any](c Column[R]) Column[R] {
	c.textOff = true
	return c
}

// Max cuts values after n bytes, as %.Ns does (never in the middle of a UTF-8 character).
func (c Column[R]) Max(n int) Column[R] {
	c.max = n
	return c
}

func (c *col) maxOrAll() int {
	if c.max == 0 {
		return -1
	}
	return c.max
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
	c.Key, c.jsonType, c.json = key, "integer", uintValue(get)
	return c
}

// JSONInt replaces the column's JSON value with a signed integer under key.
func (c Column[R]) JSONInt(key string, get func(*R) int64) Column[R] {
	c.Key, c.jsonType, c.json = key, "integer", intValue(get)
	return c
}

// JSONFloat replaces the column's JSON value with a number under key.
func (c Column[R]) JSONFloat(key string, get func(*R) float64) Column[R] {
	c.Key, c.jsonType, c.json = key, "number", floatValue(get, 0)
	return c
}

// JSONBytes replaces the column's JSON value with a string the tool makes, as bytes.
func (c Column[R]) JSONBytes(key string, get func(*R) []byte) Column[R] {
	c.Key, c.jsonType, c.json = key, "string", bytesValue(kindBytes, get)
	return c
}

// JSONText replaces the column's JSON value with bytes of the traced system under key.
func (c Column[R]) JSONText(key string, get func(*R) []byte) Column[R] {
	c.Key, c.jsonType, c.json = key, "string", bytesValue(kindText, get)
	return c
}

// JSONWith replaces the column's JSON value with whatever write adds to the object (several
// members, an array); typ documents it in docs/json.md.
func (c Column[R]) JSONWith(key, typ string, write func(j *JSON, key string, r *R)) Column[R] {
	c.Key, c.jsonType = key, typ
	c.json = value{kind: kindJSONWrite, write: erase[func(*JSON, string, *R), func(*JSON, string, unsafe.Pointer)](write)}
	return c
}

// cell writes one value padded to the column's width and cut to its max.
func (c *col) cell(l *Line, r unsafe.Pointer) {
	v := &c.text
	switch v.kind {
	case kindUint:
		l.Uint(v.u(r), c.Width)
	case kindInt:
		l.Int(v.i(r), c.Width)
	case kindFloat:
		l.Float(v.f(r), c.Width, v.prec)
	case kindStr:
		l.StrMax(v.s(r), c.Width, c.maxOrAll())
	case kindText, kindBytes:
		l.TextMax(v.b(r), c.Width, c.maxOrAll())
	case kindCustom:
		mark := len(l.b)
		v.custom(l, r)
		if c.max > 0 {
			l.cutFrom(mark, c.max)
		}
		l.padFrom(mark, c.Width)
	}
}

// member writes the column's JSON member.
func (c *col) member(j *JSON, r unsafe.Pointer) {
	v := &c.json
	switch v.kind {
	case kindUint:
		j.Uint(c.Key, v.u(r))
	case kindInt:
		j.Int(c.Key, v.i(r))
	case kindFloat:
		j.Float(c.Key, v.f(r))
	case kindStr:
		j.Str(c.Key, v.s(r))
	case kindText:
		j.Text(c.Key, v.b(r))
	case kindBytes:
		j.StrBytes(c.Key, v.b(r))
	case kindJSONWrite:
		v.write(j, c.Key, r)
	}
}

// cutFrom keeps at most max bytes of what was appended since mark, as %.Ns does, but never
// cuts a UTF-8 character in two: the line stays valid text.
func (l *Line) cutFrom(mark, max int) {
	if len(l.b)-mark > max {
		l.b = l.b[:mark+cutPoint(l.b[mark:], max)]
	}
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
	return Custom(header, width, func(l *Line, _ *R) { l.Clock(time.Now(), millis) })
}
