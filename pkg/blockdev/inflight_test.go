package blockdev

import (
	"encoding/binary"
	"slices"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// fakeRequests is a hash map of requests in flight keyed by address, as the kernel keeps it:
// GetNextKey of a key that is gone starts over from the first. Values are {last news, issue}.
type fakeRequests struct {
	order  []uint64
	values map[uint64][]byte
	// onWalk runs at each GetNextKey: a completion deleting an entry meanwhile.
	onWalk func()
	// beforeDelete runs before each DeleteKey: a completion just before the sweep's delete.
	beforeDelete func(key uint64)
	walks        int
}

func newFakeRequests() *fakeRequests { return &fakeRequests{values: map[uint64][]byte{}} }

func (f *fakeRequests) put(key, lastNews, issue uint64) {
	v := make([]byte, 16)
	binary.NativeEndian.PutUint64(v, lastNews)
	binary.NativeEndian.PutUint64(v[8:], issue)
	if _, ok := f.values[key]; !ok {
		f.order = append(f.order, key)
	}
	f.values[key] = v
}

func (f *fakeRequests) del(key uint64) bool {
	if _, ok := f.values[key]; !ok {
		return false
	}
	delete(f.values, key)
	f.order = slices.DeleteFunc(f.order, func(k uint64) bool { return k == key })
	return true
}

func (f *fakeRequests) GetNextKey(key, next unsafe.Pointer) error {
	f.walks++
	if f.onWalk != nil {
		f.onWalk()
	}
	i := 0
	if key != nil {
		i = slices.Index(f.order, *(*uint64)(key)) + 1 // a key gone: -1+1, from the first
	}
	if i >= len(f.order) {
		return syscall.ENOENT
	}
	*(*uint64)(next) = f.order[i]
	return nil
}

func (f *fakeRequests) GetValue(key unsafe.Pointer) ([]byte, error) {
	v, ok := f.values[*(*uint64)(key)]
	if !ok {
		return nil, syscall.ENOENT
	}
	return v, nil
}

func (f *fakeRequests) DeleteKey(key unsafe.Pointer) error {
	k := *(*uint64)(key)
	if f.beforeDelete != nil {
		f.beforeDelete(k)
	}
	if !f.del(k) {
		return syscall.ENOENT
	}
	return nil
}

func (f *fakeRequests) MaxEntries() uint32 { return 64 }

// fakeCounter is a per-CPU counter map of two CPUs.
type fakeCounter struct{ perCPU [2]uint64 }

func (c *fakeCounter) GetNextKey(key, next unsafe.Pointer) error { return syscall.ENOENT }
func (c *fakeCounter) DeleteKey(key unsafe.Pointer) error        { return syscall.EINVAL }
func (c *fakeCounter) MaxEntries() uint32                        { return 1 }
func (c *fakeCounter) GetValue(key unsafe.Pointer) ([]byte, error) {
	v := make([]byte, 16)
	binary.NativeEndian.PutUint64(v, c.perCPU[0])
	binary.NativeEndian.PutUint64(v[8:], c.perCPU[1])
	return v, nil
}

func fakeTimes(v []byte) (uint64, bool) {
	last, issue := binary.NativeEndian.Uint64(v), binary.NativeEndian.Uint64(v[8:])
	return max(last, issue), issue != 0
}

const hour = uint64(time.Hour)

func newTestInflight(reqs *fakeRequests, unseen InflightMap) *Inflight {
	in := NewInflight(reqs, unseen, fakeTimes)
	in.now = func() uint64 { return 10 * hour }
	return in
}

// The sweep removes every request without news for StaleAfter and counts those that were issued;
// fresh ones, and ones in the future of its clock, stay.
func TestSweepStale(t *testing.T) {
	reqs := newFakeRequests()
	now := 10 * hour
	stale := uint64(StaleAfter)
	reqs.put(1, now-hour, now-hour)               // issued an hour ago: unseen completion
	reqs.put(2, now-stale-1, now-stale-1)         // issued just past the limit
	reqs.put(3, now-hour, 0)                      // started, never issued: merged away
	reqs.put(4, now-hour, now-1)                  // issued just now, started long ago: news
	reqs.put(5, now-stale+uint64(time.Second), 0) // not yet stale
	reqs.put(6, now+uint64(time.Second), now+1)   // stamped after the clock was read
	reqs.put(7, 0, 0)                             // no times at all: nothing to judge by
	in := newTestInflight(reqs, nil)
	n, err := in.Sweep()
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("swept %d issued requests, want 2", n)
	}
	left := slices.Sorted(func(yield func(uint64) bool) {
		for k := range reqs.values {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(left, []uint64{4, 5, 6, 7}) {
		t.Errorf("left %v, want 4 5 6 7", left)
	}
	// Each one counted once: a second sweep finds nothing more.
	if n, _ := in.Sweep(); n != 0 {
		t.Errorf("second sweep counted %d", n)
	}
	if got := in.NewlyUnseen(); got != 2 {
		t.Errorf("NewlyUnseen %d, want 2", got)
	}
	if got := in.NewlyUnseen(); got != 0 {
		t.Errorf("NewlyUnseen again %d, want 0", got)
	}
}

// A request that completes between the sweep's read and its delete is not counted; the map
// never fills with stale requests, however many come.
func TestSweepRaces(t *testing.T) {
	reqs := newFakeRequests()
	now := 10 * hour
	reqs.put(1, now-hour, now-hour)
	reqs.put(2, now-hour, now-hour)
	reqs.beforeDelete = func(key uint64) {
		if key == 1 {
			reqs.del(1) // its completion came after all
		}
	}
	in := newTestInflight(reqs, nil)
	if n, _ := in.Sweep(); n != 1 {
		t.Errorf("swept %d, want 1 (request 1 completed meanwhile)", n)
	}

	// Entries deleted during the walk make the kernel start over: the walk still ends, and
	// counts each stale request once.
	reqs = newFakeRequests()
	for k := uint64(1); k <= 40; k++ {
		reqs.put(k, now-hour, now-hour)
	}
	for k := uint64(100); k < 120; k++ {
		reqs.put(k, now, now)
	}
	next := uint64(100)
	reqs.onWalk = func() {
		if next < 120 {
			reqs.del(next) // completions, in front of the walk
			next++
		}
	}
	in = newTestInflight(reqs, nil)
	n, err := in.Sweep()
	if err != nil {
		t.Fatal(err)
	}
	if n != 40 || len(reqs.values) != 0 {
		t.Errorf("swept %d of 40 stale requests, %d left", n, len(reqs.values))
	}
	if reqs.walks > 2*int(reqs.MaxEntries())+16 {
		t.Errorf("walk took %d steps", reqs.walks)
	}
}

// NewlyUnseen adds the BPF side's count, summed over CPUs, to the swept requests, and reports
// each once.
func TestNewlyUnseenAddsBPFCount(t *testing.T) {
	reqs := newFakeRequests()
	now := 10 * hour
	reqs.put(1, now-hour, now-hour)
	unseen := &fakeCounter{perCPU: [2]uint64{3, 4}}
	in := newTestInflight(reqs, unseen)
	if got := in.NewlyUnseen(); got != 7 {
		t.Errorf("NewlyUnseen %d before any sweep, want 7", got)
	}
	in.Sweep()
	unseen.perCPU[1] += 2
	if got := in.NewlyUnseen(); got != 3 {
		t.Errorf("NewlyUnseen %d, want 1 swept + 2 more found by BPF", got)
	}
	if got, want := in.Unseen(), uint64(10); got != want {
		t.Errorf("Unseen %d, want %d", got, want)
	}
}

// SweepEvery sweeps until stopped, and stop returns once it no longer touches the map.
func TestSweepEvery(t *testing.T) {
	reqs := newFakeRequests()
	now := 10 * hour
	reqs.put(1, now-hour, now-hour)
	in := newTestInflight(reqs, nil)
	stop := in.SweepEvery(time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for in.Unseen() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	stop()
	if in.Unseen() != 1 {
		t.Fatalf("the background sweep counted %d, want 1", in.Unseen())
	}
	stop() // twice is harmless
}
