package blockdev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/bpfutils/bpfutils/pkg/render"
	"golang.org/x/sys/unix"
)

// StaleAfter is how long a request in a block tool's map of requests in flight may go without
// news (started, inserted, issued) before it is taken for one whose completion was not seen. A
// device times a command out after 30 s by default (SCSI disks' and NVMe's command timeout), and
// the block layer then fails the request, which completes it, or issues it again, which is news:
// twice that is past any request still in flight on a default setup. Where a device was given a
// longer timeout, a request that takes longer still is counted as not seen completing: its
// completion then goes unreported, but its loss does not.
const StaleAfter = 60 * time.Second

// UnseenReason is the "reason" of the JSON "lost" lines for requests not seen completing.
const UnseenReason = "completion not seen"

// UnseenText is the block tools' stderr line for n requests not seen completing.
func UnseenText(n uint64) string { return fmt.Sprintf("%d I/Os not seen completing", n) }

// InflightMap is what Inflight uses of a BPF map (a *libbpfgo.BPFMap; a fake in tests).
type InflightMap interface {
	GetNextKey(key, next unsafe.Pointer) error
	GetValue(key unsafe.Pointer) ([]byte, error)
	DeleteKey(key unsafe.Pointer) error
	MaxEntries() uint32
}

// RequestTimes reads, from a value of the requests map, when the request was last heard of and
// whether it was issued (times as bpf_ktime_get_ns(), 0 for never).
type RequestTimes func(value []byte) (lastNews uint64, issued bool)

// Request is a tool's mirror of the values of its requests map.
type Request interface {
	// Times tells when the request was last heard of and whether it was issued.
	Times() (lastNews uint64, issued bool)
}

// TimesOf reads the values of a requests map as R.
func TimesOf[R any, P interface {
	*R
	Request
}]() RequestTimes {
	return func(value []byte) (uint64, bool) {
		if uintptr(len(value)) < unsafe.Sizeof(*new(R)) {
			return 0, false
		}
		return P((*R)(unsafe.Pointer(&value[0]))).Times()
	}
}

// Inflight accounts for the requests a block tool saw start and never saw complete (the kernel
// skips a tracing program that would nest in itself, so a completion is missed now and then):
// the BPF side counts those whose address a new request reused (inflight.bpf.h's
// unseen_completions), and Sweep removes those no new request replaced once they had no news
// for StaleAfter, so that they neither pile up until the map is full nor go uncounted.
//
// The sweep is done from user space: BPF can only walk a map from 5.13 on, and on a timer from
// 5.15; a walk a second over a map that holds what is in flight (tens of entries, at most
// 10240) costs little, and nothing on the I/O path.
type Inflight struct {
	requests InflightMap
	unseen   InflightMap // per-CPU counter of the BPF side, nil for none
	times    RequestTimes
	// now is CLOCK_MONOTONIC in ns, bpf_ktime_get_ns()'s clock (tests fix it).
	now func() uint64

	swept    atomic.Uint64 // issued requests swept out so far
	reported uint64
}

// NewInflight accounts for the requests of map requests, whose values times reads; unseen is the
// BPF side's per-CPU counter map (nil when the object has none).
func NewInflight(requests, unseen InflightMap, times RequestTimes) *Inflight {
	return &Inflight{requests: requests, unseen: unseen, times: times, now: monotonicNow}
}

func monotonicNow() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

// Sweep deletes the requests with no news for StaleAfter and returns how many of them had been
// issued: those are I/Os not seen completing (one never issued was merged into another, whose
// completion covers it). Safe alongside SweepEvery's goroutine.
//
// Between reading an entry and deleting it, its request could complete and a new one take its
// address: the new one would be deleted. That needs an address unused for StaleAfter to be
// reused within microseconds, and costs that one request its line.
func (in *Inflight) Sweep() (uint64, error) {
	keys, err := in.keys()
	now := in.now()
	var n uint64
	for i := range keys {
		v, verr := in.requests.GetValue(unsafe.Pointer(&keys[i]))
		if verr != nil {
			continue // completed meanwhile
		}
		last, issued := in.times(v)
		if last == 0 || now < last || time.Duration(now-last) < StaleAfter {
			continue
		}
		if in.requests.DeleteKey(unsafe.Pointer(&keys[i])) != nil {
			continue // completed, or replaced by a new request, meanwhile
		}
		if issued {
			n++
		}
	}
	in.swept.Add(n)
	return n, err
}

// keys lists the requests map's keys (request addresses). A key deleted while the walk is on
// makes the kernel start over from the first, so the walk is bounded and keys are listed once.
func (in *Inflight) keys() ([]uint64, error) {
	var keys []uint64
	seen := map[uint64]bool{}
	var cur, next uint64
	limit := 2*int(in.requests.MaxEntries()) + 16
	for step := 0; step < limit; step++ {
		var err error
		if step == 0 {
			err = in.requests.GetNextKey(nil, unsafe.Pointer(&next))
		} else {
			err = in.requests.GetNextKey(unsafe.Pointer(&cur), unsafe.Pointer(&next))
		}
		if errors.Is(err, syscall.ENOENT) {
			return keys, nil
		}
		if err != nil {
			return keys, fmt.Errorf("walk the map of requests in flight: %w", err)
		}
		if !seen[next] {
			seen[next] = true
			keys = append(keys, next)
		}
		cur = next
	}
	return keys, nil
}

// SweepEvery sweeps every interval on a goroutine of its own until stop is called; stop returns
// once the goroutine is done, so that the map may be closed after it.
func (in *Inflight) SweepEvery(interval time.Duration) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				in.Sweep()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-finished
	}
}

// Unseen returns how many I/Os were not seen completing so far: swept out, or found by the BPF
// side at a reused address.
func (in *Inflight) Unseen() uint64 {
	total := in.swept.Load()
	if in.unseen != nil {
		key := uint32(0)
		if vals, err := in.unseen.GetValue(unsafe.Pointer(&key)); err == nil {
			for i := 0; i+8 <= len(vals); i += 8 {
				total += binary.NativeEndian.Uint64(vals[i:])
			}
		}
	}
	return total
}

// Report reports the I/Os not seen completing since the last report: the text on standard
// error, and in JSON a "lost" line with its reason.
func (in *Inflight) Report(out *render.Sink) {
	if n := in.NewlyUnseen(); n > 0 {
		out.LostWhy(n, UnseenReason, UnseenText(n))
	}
}

// NewlyUnseen returns how many I/Os were not seen completing since it was last called, so that
// each is reported once. One goroutine calls it.
func (in *Inflight) NewlyUnseen() uint64 {
	total := in.Unseen()
	if total <= in.reported {
		return 0
	}
	n := total - in.reported
	in.reported = total
	return n
}
