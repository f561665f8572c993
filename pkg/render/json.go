package render

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// JSON builds one JSON object in a buffer it reuses, without reflection and without allocating
// per value: tools write one object per event under storms of 100,000s of events.
//
//	j.Open().Str("type", "event").Uint("pid", 42).Close()
//
// Keys are written as given (they are the declarations' snake_case names); string values are
// escaped, so every object is valid JSON whatever bytes a traced comm or path holds.
type JSON struct {
	b     []byte
	comma []bool // per open object or array: whether the next member needs a comma
}

// Reset empties the buffer.
func (j *JSON) Reset() *JSON {
	j.b, j.comma = j.b[:0], j.comma[:0]
	return j
}

// Bytes returns what was built (valid until the next change).
func (j *JSON) Bytes() []byte { return j.b }

// Open starts an object (a top-level one, or an array element).
func (j *JSON) Open() *JSON {
	j.sep()
	j.b = append(j.b, '{')
	j.comma = append(j.comma, false)
	return j
}

// Object starts an object member named key.
func (j *JSON) Object(key string) *JSON {
	j.key(key)
	j.b = append(j.b, '{')
	j.comma = append(j.comma, false)
	return j
}

// Array starts an array member named key.
func (j *JSON) Array(key string) *JSON {
	j.key(key)
	j.b = append(j.b, '[')
	j.comma = append(j.comma, false)
	return j
}

// Close ends the innermost object.
func (j *JSON) Close() *JSON { return j.end('}') }

// CloseArray ends the innermost array.
func (j *JSON) CloseArray() *JSON { return j.end(']') }

func (j *JSON) end(c byte) *JSON {
	j.b = append(j.b, c)
	j.comma = j.comma[:len(j.comma)-1]
	return j
}

// sep writes the comma before a member or element when one came before it.
func (j *JSON) sep() {
	if n := len(j.comma); n > 0 {
		if j.comma[n-1] {
			j.b = append(j.b, ',')
		}
		j.comma[n-1] = true
	}
}

func (j *JSON) key(k string) {
	j.sep()
	j.b = append(j.b, '"')
	j.b = append(j.b, k...)
	j.b = append(j.b, '"', ':')
}

// Uint writes a number member.
func (j *JSON) Uint(key string, v uint64) *JSON {
	j.key(key)
	j.b = strconv.AppendUint(j.b, v, 10)
	return j
}

// Int writes a number member.
func (j *JSON) Int(key string, v int64) *JSON {
	j.key(key)
	j.b = strconv.AppendInt(j.b, v, 10)
	return j
}

// Float writes a number member; NaN and infinities, which JSON cannot hold, are null.
func (j *JSON) Float(key string, v float64) *JSON {
	j.key(key)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		j.b = append(j.b, "null"...)
		return j
	}
	j.b = strconv.AppendFloat(j.b, v, 'f', -1, 64)
	return j
}

// Bool writes a boolean member.
func (j *JSON) Bool(key string, v bool) *JSON {
	j.key(key)
	j.b = strconv.AppendBool(j.b, v)
	return j
}

// Null writes a null member.
func (j *JSON) Null(key string) *JSON {
	j.key(key)
	j.b = append(j.b, "null"...)
	return j
}

// Time writes a wall-clock time as RFC 3339 with nanoseconds.
func (j *JSON) Time(key string, t time.Time) *JSON {
	j.key(key)
	j.b = append(j.b, '"')
	j.b = t.AppendFormat(j.b, time.RFC3339Nano)
	j.b = append(j.b, '"')
	return j
}

// Str writes a string member from a trusted Go string (names, units, labels).
func (j *JSON) Str(key, v string) *JSON {
	j.key(key)
	j.b = appendQuoted(j.b, v)
	return j
}

// StrBytes writes a string member from trusted bytes the tool made (decoded flags).
func (j *JSON) StrBytes(key string, v []byte) *JSON {
	j.key(key)
	j.b = appendQuoted(j.b, v)
	return j
}

// Text writes a string member from bytes of the traced system (comm, path, arguments). Valid
// UTF-8 is written as it is, escaped for JSON. Anything else cannot be a JSON string without
// loss: the member holds the text with each invalid byte replaced by U+FFFD, and a member named
// key+"_b64" holds the exact bytes, base64-encoded (docs/json.md).
func (j *JSON) Text(key string, v []byte) *JSON {
	j.key(key)
	j.b = appendQuoted(j.b, v)
	if !utf8.Valid(v) {
		j.key(key + "_b64")
		j.b = append(j.b, '"')
		j.b = base64.StdEncoding.AppendEncode(j.b, v)
		j.b = append(j.b, '"')
	}
	return j
}

// StrElem writes a string array element.
func (j *JSON) StrElem(v string) *JSON {
	j.sep()
	j.b = appendQuoted(j.b, v)
	return j
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string: quotes, backslashes and control bytes escaped,
// invalid UTF-8 as U+FFFD; U+2028 and U+2029 escaped too, so the line is also valid JavaScript.
func appendQuoted[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// decodeRune decodes the first rune of s, string or bytes, without converting either.
func decodeRune[S string | []byte](s S) (rune, int) {
	var buf [utf8.UTFMax]byte
	n := copy(buf[:], s[:min(len(s), utf8.UTFMax)])
	return utf8.DecodeRune(buf[:n])
}
