package render

import "unicode/utf8"

// Text output shows strings of the traced system (comms, paths, exec arguments, symbol names,
// irq names) escaped: any process can choose its comm, the names of the files it opens and its
// arguments, and a terminal acts on the control bytes among them (ESC [ 2 J clears the screen,
// a newline forges a line of output). The scheme, in which every escape stands for one byte:
//
//	\\      a backslash
//	\n \t \r  newline, tab, carriage return
//	\xNN    any other C0 control byte (0x00-0x1f, ESC is \x1b) and DEL (0x7f); each byte of a C1
//	        control character (U+0080-U+009F, UTF-8 0xc2 0x80-0x9f: terminals read U+009B as
//	        CSI); each byte that is not part of valid UTF-8
//
// Everything else, printable ASCII and valid UTF-8 from U+00A0 up, is left as it is, so the
// text of well-behaved processes is unchanged; since a backslash is always escaped, the escaped
// text reads back to the exact bytes. JSON output escapes by JSON's own rules instead, and
// --raw (Sink.Raw) prints the bytes as they are.

// plainASCII marks the ASCII bytes text output shows as they are: printable, not a backslash.
// A lookup: the scan of a clean path costs what comparing each byte three times cost twice.
var plainASCII = func() (plain [utf8.RuneSelf]bool) {
	for c := 0x20; c < 0x7f; c++ {
		plain[c] = c != '\\'
	}
	return plain
}()

// escapeFrom is the index of the first byte of s that text output escapes, or len(s): the
// only pass over a string that needs no escaping.
func escapeFrom[S string | []byte](s S) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			return i
		}
		r, size := decodeRune(s[i:])
		if size == 1 || r <= 0x9f { // invalid UTF-8 (RuneError of one byte) or C1
			return i
		}
		i += size
	}
	return len(s)
}

// appendEscaped appends s to b with the bytes from index from on escaped; s[:from] must need
// no escaping (escapeFrom).
func appendEscaped[S string | []byte](b []byte, s S, from int) []byte {
	start := 0
	for i := from; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = appendHexByte(b, c)
			}
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		if size > 1 && r > 0x9f {
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		for k := 0; k < size; k++ {
			b = appendHexByte(b, s[i+k])
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}

func appendHexByte(b []byte, c byte) []byte {
	return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
}

// AppendText appends s, bytes of the traced system, escaped for text output as the package
// documentation describes.
func AppendText[S string | []byte](b []byte, s S) []byte {
	return appendEscaped(b, s, escapeFrom(s))
}

// Escape returns s, a string of the traced system, escaped for text output: s itself when
// nothing in it needs escaping. For a caption or a heading that shows such a string; Sink.Escape
// leaves it as it is under --raw.
func Escape(s string) string {
	n := escapeFrom(s)
	if n == len(s) {
		return s
	}
	return string(appendEscaped(make([]byte, 0, len(s)+8), s, n))
}

// Escape returns s, a string of the traced system that a tool puts into text of its own (a
// histogram caption: "\nProcess Name = COMM\n"), as this sink's text shows it: escaped, or as
// it is under --raw.
func (s *Sink) Escape(text string) string {
	if s.Raw {
		return text
	}
	return Escape(text)
}
