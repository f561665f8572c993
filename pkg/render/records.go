package render

import "unsafe"

// Records renders records of type R (events, or the rows of a table) through their declared
// columns: the text header and every row come from the same declaration, and so does each JSON
// line. Writing a record allocates nothing.
type Records[R any] struct{ records }

// records is Records with its type parameter erased: one copy of the code for every tool.
type records struct {
	kind string
	text []col
	json []col
	// seps ends each text column: ' ', '\n' at the end of the line, 0 for none (Tight).
	seps []byte
	sink *Sink
	line Line
}

// NewRecords declares records of kind (KindEvent, KindTable) with these columns, in text order.
func NewRecords[R any](kind string, cols ...Column[R]) *Records[R] {
	r := &Records[R]{records{kind: kind}}
	for _, c := range cols {
		if c.off {
			continue
		}
		if !c.textOff && c.text.kind != none {
			r.text = append(r.text, *c.col)
		}
		if c.Key != "" && c.json.kind != none {
			r.json = append(r.json, *c.col)
		}
	}
	for i := range r.text {
		switch {
		case i == len(r.text)-1:
			r.seps = append(r.seps, '\n')
		case r.text[i].tight:
			r.seps = append(r.seps, 0)
		default:
			r.seps = append(r.seps, ' ')
		}
	}
	return r
}

// To binds the records to the sink they are written to.
func (r *Records[R]) To(s *Sink) *Records[R] {
	r.sink = s
	return r
}

// Write renders one record.
func (r *Records[R]) Write(rec *R) { r.write(unsafe.Pointer(rec)) }

// Header writes the column headers (text only).
func (r *records) Header() {
	if !r.sink.Text() {
		return
	}
	l := r.line.Reset()
	for i := range r.text {
		c := &r.text[i]
		mark := len(l.b)
		l.b = append(l.b, c.Header...)
		l.padFrom(mark, c.Width)
		if r.seps[i] != 0 {
			l.b = append(l.b, r.seps[i])
		}
	}
	l.WriteTo(r.sink.w)
}

func (r *records) write(rec unsafe.Pointer) {
	switch r.sink.Format {
	case FormatText:
		l := r.line.Reset()
		l.raw = r.sink.Raw
		for i := range r.text {
			r.text[i].cell(l, rec)
			if r.seps[i] != 0 {
				l.b = append(l.b, r.seps[i])
			}
		}
		l.WriteTo(r.sink.w)
	case FormatJSON:
		j := r.sink.Begin(r.kind)
		for i := range r.json {
			r.json[i].member(j, rec)
		}
		r.sink.Emit()
	}
}

// Field is one member of a JSON line, for docs/json.md.
type Field struct {
	Key  string
	Type string // integer, number, string, boolean, array, object
	Note string
}

// Shape describes the JSON lines of one declaration.
type Shape struct {
	Kind   string
	Fields []Field
}

// Describer is what a tool's declarations are, for the JSON schema.
type Describer interface{ Describe() Shape }

// Describe lists the JSON members of the records, after the common ones.
func (r *records) Describe() Shape {
	s := Shape{Kind: r.kind}
	for _, c := range r.json {
		s.Fields = append(s.Fields, Field{Key: c.Key, Type: c.jsonType, Note: c.note})
	}
	return s
}
