package tracer

import (
	"encoding/binary"
	"os"
	"testing"
	"time"
)

// fakeRing lays out a ring buffer in ordinary memory, the way the kernel maps it, and uses a
// pipe for the netpoller (its readiness is never signalled: the waits end by deadline or cond).
type fakeRing struct {
	r    *ringReader
	prod uint64
	w    *os.File
}

func newFakeRing(t *testing.T, size int) *fakeRing {
	t.Helper()
	rd, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rd.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close(); w.Close() })
	f := &fakeRing{w: w, r: &ringReader{
		consumer: make([]byte, 8), producer: make([]byte, 8), data: make([]byte, 2*size),
		mask: uint64(size - 1), file: rd, raw: raw,
	}}
	f.r.initConds()
	return f
}

// put appends a record of n bytes (first byte tag) with the header flags given.
func (f *fakeRing) put(n int, tag byte, flags uint32) {
	at := f.prod & f.r.mask
	binary.LittleEndian.PutUint32(f.r.data[at:], uint32(n)|flags)
	f.r.data[at+ringHeaderSize] = tag
	f.prod += (uint64(n) + ringHeaderSize + 7) &^ 7
	binary.LittleEndian.PutUint64(f.r.producer, f.prod)
}

func TestRingDrain(t *testing.T) {
	f := newFakeRing(t, 4096)
	f.put(10, 'a', 0)
	f.put(20, 'b', ringDiscardBit)
	f.put(30, 'c', 0)
	var got []byte
	if n := f.r.drain(func(rec []byte) { got = append(got, rec[0]) }); n != 2 || string(got) != "ac" {
		t.Fatalf("drain handed %d records %q, want 2 \"ac\"", n, got)
	}
	if c := binary.LittleEndian.Uint64(f.r.consumer); c != f.prod {
		t.Errorf("consumer at %d, want %d", c, f.prod)
	}
	// a record still being written stops the drain until it is committed
	f.put(8, 'd', ringBusyBit)
	if n := f.r.drain(func([]byte) {}); n != 0 {
		t.Errorf("drain handed a busy record")
	}
}

func TestRingBatchWindow(t *testing.T) {
	old := BatchWindow
	BatchWindow = 100 * time.Millisecond
	defer func() { BatchWindow = old }()
	f := newFakeRing(t, 4096)
	poll := func(timeout time.Duration) (int, time.Duration) {
		t0 := time.Now()
		n, err := f.r.poll(timeout, func([]byte) {})
		if err != nil {
			t.Fatal(err)
		}
		return n, time.Since(t0)
	}

	if n, d := poll(30 * time.Millisecond); n != 0 || d < 25*time.Millisecond {
		t.Errorf("empty ring: %d records after %v, want 0 after the timeout", n, d)
	}
	f.put(16, 'a', 0)
	if n, d := poll(time.Second); n != 1 || d > 50*time.Millisecond {
		t.Errorf("first record: %d after %v, want 1 at once", n, d)
	}
	f.put(16, 'b', 0) // right after a batch: waits for the rest of the window
	if n, d := poll(time.Second); n != 1 || d < 80*time.Millisecond {
		t.Errorf("record within the window: %d after %v, want 1 after about 100ms", n, d)
	}
	f.put(16, 'c', 0) // with no timeout there is no waiting
	if n, d := poll(0); n != 1 || d > 50*time.Millisecond {
		t.Errorf("poll(0): %d after %v, want 1 at once", n, d)
	}
	for i := 0; i < 40; i++ { // a quarter of the ring ends the window early
		f.put(24, 'd', 0)
	}
	if n, d := poll(time.Second); n != 40 || d > 50*time.Millisecond {
		t.Errorf("quarter-full ring: %d after %v, want 40 at once", n, d)
	}
	time.Sleep(BatchWindow)
	f.put(16, 'e', 0) // after a quiet spell: at once
	if n, d := poll(time.Second); n != 1 || d > 50*time.Millisecond {
		t.Errorf("after a quiet spell: %d after %v, want 1 at once", n, d)
	}
}

// A steady stream must not make garbage in the reader: it is what RSS creeps up by.
func TestRingPollDoesNotAllocate(t *testing.T) {
	old := BatchWindow
	BatchWindow = time.Millisecond
	defer func() { BatchWindow = old }()
	f := newFakeRing(t, 1<<20)
	fn := func([]byte) {}
	f.r.poll(time.Millisecond, fn)
	allocs := testing.AllocsPerRun(50, func() {
		f.put(16, 'a', 0)
		f.r.poll(5*time.Millisecond, fn) // within the window: waits for it
		f.r.poll(time.Millisecond, fn)   // empty: waits for the timeout
	})
	if allocs != 0 {
		t.Errorf("%v allocations per poll", allocs)
	}
}
