package render

import "encoding/base64"

// TextElem writes a string array element from bytes of the traced system (one argument of a
// command line), escaped as Text escapes a member's value; invalid UTF-8 bytes become U+FFFD.
// An array has no room for Text's key+"_b64" twin: a caller whose elements may be invalid
// UTF-8 adds an array of their exact bytes after its own, with B64Elem.
func (j *JSON) TextElem(v []byte) *JSON {
	j.sep()
	j.b = appendQuoted(j.b, v)
	return j
}

// B64Elem writes bytes base64-encoded as a string array element.
func (j *JSON) B64Elem(v []byte) *JSON {
	j.sep()
	j.b = append(j.b, '"')
	j.b = base64.StdEncoding.AppendEncode(j.b, v)
	j.b = append(j.b, '"')
	return j
}
