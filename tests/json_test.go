package tests

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// jsonLine is one line of a tool's --json output.
type jsonLine map[string]any

// jsonLines parses --json output: every line must be one JSON object with the type, the tool's
// name and an RFC 3339 time (docs/json.md), or the test fails.
func jsonLines(t *testing.T, tool, out string) []jsonLine {
	t.Helper()
	var lines []jsonLine
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var m jsonLine
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%s --json printed a line that is not a JSON object: %v\n%s", tool, err, l)
		}
		if m["tool"] != tool {
			t.Errorf("line without tool %q: %s", tool, l)
		}
		if _, ok := m["type"].(string); !ok {
			t.Errorf("line without a type: %s", l)
		}
		ts, _ := m["time"].(string)
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
			t.Errorf("line without an RFC 3339 time: %s", l)
		}
		lines = append(lines, m)
	}
	return lines
}

// ofType keeps the lines of one type ("event", "histogram", "table", "stack", "lost").
func ofType(lines []jsonLine, typ string) []jsonLine {
	var out []jsonLine
	for _, l := range lines {
		if l["type"] == typ {
			out = append(out, l)
		}
	}
	return out
}

// num reads a JSON number member (0 when absent).
func (l jsonLine) num(key string) float64 {
	f, _ := l[key].(float64)
	return f
}

// str reads a JSON string member ("" when absent).
func (l jsonLine) str(key string) string {
	s, _ := l[key].(string)
	return s
}

// label reads a histogram's label.
func (l jsonLine) label(key string) string {
	m, _ := l["labels"].(map[string]any)
	s, _ := m[key].(string)
	return s
}

// bucketTotal adds up a histogram line's bucket counts.
func (l jsonLine) bucketTotal() float64 {
	var n float64
	bs, _ := l["buckets"].([]any)
	for _, b := range bs {
		m, _ := b.(map[string]any)
		c, _ := m["count"].(float64)
		n += c
	}
	return n
}
