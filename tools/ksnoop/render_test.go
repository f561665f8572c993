package ksnoop

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/btfdump"
	"github.com/bpfutils/bpfutils/pkg/render"
)

// sample is a return record of vfs_read(file, buf, count, pos) traced whole, and an entry one,
// built as the BPF program builds them, rendered through the tool's declaration.
func sample(t *testing.T, format render.Format) string {
	t.Helper()
	if _, err := btfdump.Kernel(); err != nil {
		t.Skip(err)
	}
	c := &config{Command: commandTrace}
	if err := (&app.Arg{Set: args(c)[0].Set}).Set("vfs_read"); err != nil {
		t.Fatal(err)
	}
	if err := check(c); err != nil {
		t.Fatal(err)
	}
	f := c.funcs[0]
	var buf bytes.Buffer
	out := render.NewSink("ksnoop", format, &buf, io.Discard)
	recs := traceRecords(c).To(out)
	env := &app.Env{Out: out}

	var h bpfHeader
	data := make([]byte, 16)
	h.Time, h.CPU, h.PID = 123456789, 1, 4242
	// return: ssize_t 4097
	h.Slots[returnIndex] = bpfSlot{Raw: 4097, Len: 8}
	binary.LittleEndian.PutUint64(data, 4097)
	var r record
	decode(env, f, &h, data[:8], &r)
	recs.Write(&r)

	// entry: count 4097, pos pointing at 0x10, file and buf unreadable
	h = bpfHeader{Time: 123456000, PID: 4242, Flags: rEntry}
	h.Slots[0] = bpfSlot{Raw: 0xffff888000001000, Err: -14}
	h.Slots[1] = bpfSlot{Raw: 0x7ffc00001000, Err: -14}
	h.Slots[2] = bpfSlot{Raw: 4097, Offset: 0, Len: 8}
	h.Slots[3] = bpfSlot{Raw: 0xffffc90000abcde0, Offset: 8, Len: 8}
	binary.LittleEndian.PutUint64(data[0:], 4097)
	binary.LittleEndian.PutUint64(data[8:], 16)
	decode(env, f, &h, data[:16], &r)
	recs.Write(&r)
	out.Flush()
	return buf.String()
}

func TestRenderText(t *testing.T) {
	got := sample(t, render.FormatText)
	want := `       123456789    1     4242 vfs_read(
                                   return = 
                                    (ssize_t)4097
                               );

       123456000    0     4242 vfs_read(
                                   file = *(0xffff888000001000)
                                     /* Cannot show 'file' as 'struct file  *'; invalid/userspace ptr? */
,
                                   buf = *(0x7ffc00001000)
                                     /* Cannot show 'buf' as 'char  *'; invalid/userspace ptr? */
,
                                   count = 
                                    (size_t)4097,
                                   pos = *(0xffffc90000abcde0)
                                    (loff_t)16
                               );

`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRenderJSON(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(sample(t, render.FormatJSON)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	var rec struct {
		Function, At string
		Pid          int
		Values       []struct {
			Name, Text, Error string
			Pointer           uint64
		}
	}
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Function != "vfs_read" || rec.At != "entry" || rec.Pid != 4242 || len(rec.Values) != 4 {
		t.Fatalf("%+v", rec)
	}
	if v := rec.Values[2]; v.Name != "count" || v.Text != "(size_t)4097" {
		t.Errorf("count: %+v", v)
	}
	if v := rec.Values[0]; v.Name != "file" || v.Error == "" || v.Pointer != 0xffff888000001000 {
		t.Errorf("file: %+v", v)
	}
}
