package render

// Records renders records of type R (events, or the rows of a table) through their declared
// columns: the text header and every row come from the same declaration, and so does each JSON
// line. Writing a record allocates nothing.
type Records[R any] struct {
	kind string
	all  []Column[R] // every column declared, for the schema
	text []Column[R]
	json []Column[R]
	sink *Sink
	line Line
}

// NewRecords declares records of kind (KindEvent, KindTable) with these columns, in text order.
func NewRecords[R any](kind string, cols ...Column[R]) *Records[R] {
	r := &Records[R]{kind: kind}
	for _, c := range cols {
		if c.off {
			continue
		}
		r.all = append(r.all, c)
		if !c.textOff && c.text != nil {
			r.text = append(r.text, c)
		}
		if c.Key != "" && c.json != nil {
			r.json = append(r.json, c)
		}
	}
	return r
}

// To binds the records to the sink they are written to.
func (r *Records[R]) To(s *Sink) *Records[R] {
	r.sink = s
	return r
}

// Header writes the column headers (text only).
func (r *Records[R]) Header() {
	if !r.sink.Text() {
		return
	}
	l := r.line.Reset()
	for i := range r.text {
		c := &r.text[i]
		mark := len(l.b)
		l.b = append(l.b, c.Header...)
		l.padFrom(mark, c.Width)
		r.after(i)
	}
	l.WriteTo(r.sink.w)
}

// after ends column i of a text line: a space, nothing (Tight), or the line's end.
func (r *Records[R]) after(i int) {
	switch {
	case i == len(r.text)-1:
		r.line.b = append(r.line.b, '\n')
	case !r.text[i].tight:
		r.line.b = append(r.line.b, ' ')
	}
}

// Write renders one record.
func (r *Records[R]) Write(rec *R) {
	switch r.sink.Format {
	case FormatText:
		l := r.line.Reset()
		for i := range r.text {
			r.text[i].cell(l, rec)
			r.after(i)
		}
		l.WriteTo(r.sink.w)
	case FormatJSON:
		j := r.sink.Begin(r.kind)
		for i := range r.json {
			c := &r.json[i]
			c.json(j, c.Key, rec)
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
func (r *Records[R]) Describe() Shape {
	s := Shape{Kind: r.kind}
	for _, c := range r.json {
		s.Fields = append(s.Fields, Field{Key: c.Key, Type: c.jsonType, Note: c.note})
	}
	return s
}
