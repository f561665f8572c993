package tracer

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	bpf "github.com/aquasecurity/libbpfgo"
	"golang.org/x/sys/unix"
)

func ptr[T any](v *T) unsafe.Pointer { return unsafe.Pointer(v) }

// ringbufSupported is probed once: kernels before 5.8 have no BPF ring buffer.
// BPFUTILS_PERFBUF=1 takes the perf-buffer path on any kernel, so that tests cover it.
var ringbufSupported = sync.OnceValue(func() bool {
	if os.Getenv("BPFUTILS_PERFBUF") == "1" {
		return false
	}
	ok, err := bpf.BPFMapTypeIsSupported(bpf.MapTypeRingbuf)
	return err == nil && ok
})

func (t *Tracer) configureEvents(size uint32) error {
	m, err := t.Module.GetMap("events")
	if err != nil {
		return nil // the object reports through maps only
	}
	if !ringbufSupported() {
		t.perfbuf = true
		// A perf event array holds one 4-byte perf fd per CPU; libbpf sizes it to the CPUs.
		for _, err := range []error{m.SetType(bpf.MapTypePerfEventArray), m.SetKeySize(4), m.SetValueSize(4), m.SetMaxEntries(0)} {
			if err != nil {
				return fmt.Errorf("switch events to a perf buffer: %w", err)
			}
		}
		return nil
	}
	if size != 0 {
		return m.SetMaxEntries(size)
	}
	return nil
}

// Events delivers the records BPF programs send through the "events" map.
type Events struct {
	ring *ringReader
	perf *bpf.PerfBuffer
	// perf-buffer fallback delivers through channels
	perfData chan []byte
	perfLost chan uint64
	lostMap  *bpf.BPFMap
	// perfLostCount: what the kernel's PERF_RECORD_LOST records told; used only for an object
	// without events_lost (see Lost).
	perfLostCount uint64
	reported      uint64
	woken         atomic.Bool
	wakeCh        chan struct{}
	wakeOnce      sync.Once
}

// Events returns the reader of the object's "events" map. It was opened before the programs
// were attached: a perf buffer drops what is sent before it exists.
func (t *Tracer) Events() (*Events, error) {
	if t.events == nil {
		return nil, fmt.Errorf("BPF object has no events map")
	}
	return t.events, nil
}

func (t *Tracer) openEvents() (*Events, error) {
	m, err := t.Module.GetMap("events")
	if err != nil {
		return nil, nil
	}
	e := &Events{wakeCh: make(chan struct{})}
	if lm, err := t.Module.GetMap("events_lost"); err == nil {
		e.lostMap = lm
	}
	if t.perfbuf {
		e.perfData = make(chan []byte, 4096)
		e.perfLost = make(chan uint64, 64)
		pb, err := t.Module.InitPerfBuf("events", e.perfData, e.perfLost, 64)
		if err != nil {
			return nil, fmt.Errorf("open perf buffer: %w", err)
		}
		pb.Poll(100)
		e.perf = pb
		return e, nil
	}
	r, err := newRingReader(m.FileDescriptor(), int(m.MaxEntries()))
	if err != nil {
		return nil, err
	}
	e.ring = r
	return e, nil
}

// Poll waits up to timeout for records and hands each to fn (timeout 0: only what is there).
// The slice passed to fn is only valid during the call. It returns the number of records handled.
func (e *Events) Poll(timeout time.Duration, fn func([]byte)) (int, error) {
	if e.ring != nil {
		return e.ring.poll(timeout, fn)
	}
	n := e.drainPerf(fn)
	if n > 0 || timeout <= 0 || e.woken.Load() {
		return n, nil
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case rec := <-e.perfData:
		fn(rec)
		n++
	case lost := <-e.perfLost:
		e.perfLostCount += lost
	case <-timer.C:
	case <-e.wakeCh:
	}
	return n + e.drainPerf(fn), nil
}

// drainPerf hands over what the perf-buffer goroutine has queued, without waiting.
func (e *Events) drainPerf(fn func([]byte)) int {
	for n := 0; ; {
		select {
		case rec := <-e.perfData:
			fn(rec)
			n++
		case lost := <-e.perfLost:
			e.perfLostCount += lost
		default:
			return n
		}
	}
}

// Lost returns how many events the kernel side could not deliver so far.
//
// The BPF side counts each event it could not hand over (events.bpf.h: a failed
// bpf_ringbuf_reserve or bpf_perf_event_output) in events_lost, and that count is the one used.
// On the perf-buffer path the kernel also tells of the records a full buffer dropped
// (PERF_RECORD_LOST), but those are the very same events, whose output call failed: adding both
// counted each loss twice. The BPF count is also the exact one: the kernel's comes only once a
// later record fits on that CPU (losses at the end of a storm may never be told), and misses
// failures that are not a full buffer. Past the buffer nothing is dropped: libbpfgo's reader
// blocks on its channel rather than drop. Only an object without events_lost falls back on the
// kernel's records.
func (e *Events) Lost() uint64 {
	if e.lostMap == nil {
		return e.perfLostCount
	}
	var total uint64
	key := uint32(0)
	if vals, err := e.lostMap.GetValue(ptr(&key)); err == nil {
		for i := 0; i+8 <= len(vals); i += 8 {
			total += *(*uint64)(unsafe.Pointer(&vals[i]))
		}
	}
	return total
}

// NewlyLost returns how many events were lost since it was last called, so that each loss is
// reported once.
func (e *Events) NewlyLost() uint64 {
	total := e.Lost()
	if total <= e.reported {
		return 0
	}
	n := total - e.reported
	e.reported = total
	return n
}

// Wake ends a Poll that is waiting, and makes later ones return without waiting: the reader
// was told to stop (Ctrl-C), and what is left is read without delay.
func (e *Events) Wake() {
	if e.ring != nil {
		e.ring.wake()
	}
	e.woken.Store(true)
	e.wakeOnce.Do(func() { close(e.wakeCh) })
}

// Close releases the reader.
func (e *Events) Close() {
	if e.ring != nil {
		e.ring.close()
	}
	if e.perf != nil {
		e.perf.Stop()
		e.perf.Close()
	}
}

// ringReader consumes a BPF ring buffer straight from its mapped pages: no copies, no channel,
// no allocation per record. It waits in Go's netpoller on a dup of the map's fd: a thread blocked
// in epoll_wait would have the runtime hand its P to another thread on every wait (sysmon),
// which cost more CPU than the events themselves. The epoll fd is the fallback.
type ringReader struct {
	fd       int
	file     *os.File // the map fd, dup'ed and non-blocking, registered with the netpoller
	raw      syscall.RawConn
	epfd     int
	consumer []byte // first page: consumer position, written by us
	producer []byte // producer page followed by the data area mapped twice
	data     []byte
	mask     uint64
	events   []unix.EpollEvent
	// when the last batch was handed over
	lastBatch time.Time
	// The netpoller waits' conditions, made once: a closure per wait was the tool's only
	// allocation in a steady stream of events, and its garbage what RSS crept up by.
	cond                 func() bool
	condFn               func(uintptr) bool
	hasData, quarterFull func() bool
	// woken: the reader was told to stop; polls no longer wait.
	woken atomic.Bool
}

const (
	ringBusyBit    = 1 << 31
	ringDiscardBit = 1 << 30
	ringHeaderSize = 8
)

func newRingReader(fd, size int) (*ringReader, error) {
	page := os.Getpagesize()
	cons, err := unix.Mmap(fd, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map ring buffer consumer page: %w", err)
	}
	prod, err := unix.Mmap(fd, int64(page), page+2*size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		unix.Munmap(cons)
		return nil, fmt.Errorf("map ring buffer data: %w", err)
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		unix.Munmap(cons)
		unix.Munmap(prod)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(epfd)
		unix.Munmap(cons)
		unix.Munmap(prod)
		return nil, err
	}
	r := &ringReader{fd: fd, epfd: epfd, consumer: cons, producer: prod, data: prod[page:],
		mask: uint64(size - 1), events: make([]unix.EpollEvent, 1)}
	r.file, r.raw = netpollable(fd)
	r.initConds()
	return r, nil
}

func (r *ringReader) initConds() {
	quarter := (r.mask + 1) / 4
	r.hasData = func() bool { return r.avail() > 0 }
	r.quarterFull = func() bool { return r.avail() >= quarter }
	r.condFn = func(uintptr) bool { return r.cond() }
}

// netpollable returns a non-blocking dup of fd that Go's netpoller watches, or nil.
func netpollable(fd int) (*os.File, syscall.RawConn) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, nil
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, nil
	}
	f := os.NewFile(uintptr(dup), "ringbuf")
	// A deadline can only be set on a file the netpoller took.
	if f.SetReadDeadline(time.Time{}) != nil {
		f.Close()
		return nil, nil
	}
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, nil
	}
	return f, raw
}

func (r *ringReader) pos(b []byte) *uint64 { return (*uint64)(unsafe.Pointer(&b[0])) }

// drain hands over every committed record.
func (r *ringReader) drain(fn func([]byte)) int {
	consPtr, prodPtr := r.pos(r.consumer), r.pos(r.producer)
	cons := atomic.LoadUint64(consPtr)
	n := 0
	for {
		prod := atomic.LoadUint64(prodPtr)
		if cons >= prod {
			break
		}
		for cons < prod {
			hdr := (*uint32)(unsafe.Pointer(&r.data[cons&r.mask]))
			length := atomic.LoadUint32(hdr)
			if length&ringBusyBit != 0 {
				atomic.StoreUint64(consPtr, cons)
				return n
			}
			size := uint64(length &^ (ringBusyBit | ringDiscardBit))
			start := cons&r.mask + ringHeaderSize
			if length&ringDiscardBit == 0 {
				fn(r.data[start : start+size])
				n++
			}
			cons += (size + ringHeaderSize + 7) &^ 7
			atomic.StoreUint64(consPtr, cons)
		}
	}
	return n
}

// BatchWindow is how long records that follow a batch closely wait for more: a steady trickle
// (hundreds of events a second) is then handed over, and written, a batch at a time instead of
// one wakeup and one write per record, which cost ten times the CPU. A record after a quiet spell
// is handed over at once, and a storm ends the wait early: the BPF side (events.bpf.h) wakes the
// reader when the ring is a quarter full. 50 ms (execsnoop's storm of ~1,700 execs/s: 2.2 us of
// CPU per event, against 3.5 at 25 ms) still reads as immediate to a person, and is half of the
// 100 ms libbpf-tools' tools poll with.
var BatchWindow = 50 * time.Millisecond

func (r *ringReader) avail() uint64 {
	return atomic.LoadUint64(r.pos(r.producer)) - atomic.LoadUint64(r.pos(r.consumer))
}

// wake ends a wait in progress (a deadline in the past wakes the netpoller) and later ones.
func (r *ringReader) wake() {
	r.woken.Store(true)
	if r.file != nil {
		r.file.SetReadDeadline(time.Unix(1, 0))
	}
}

func (r *ringReader) poll(timeout time.Duration, fn func([]byte)) (int, error) {
	if r.woken.Load() {
		timeout = 0
	}
	if r.raw == nil {
		return r.pollEpoll(timeout, fn)
	}
	deadline := time.Now().Add(timeout)
	for {
		if r.avail() > 0 {
			if until := r.lastBatch.Add(BatchWindow); timeout > 0 && time.Now().Before(until) {
				if err := r.waitUntil(until, r.quarterFull); err != nil {
					return 0, err
				}
			}
			if n := r.drain(fn); n > 0 {
				r.lastBatch = time.Now()
				return n, nil
			}
		}
		if timeout <= 0 || !time.Now().Before(deadline) {
			return 0, nil
		}
		// The kernel wakes the reader when it commits a record into an empty ring (or, past a
		// quarter full, any record); cond is checked after the netpoller was armed, so a record
		// that lands just before the wait still ends it.
		if err := r.waitUntil(deadline, r.hasData); err != nil {
			return 0, err
		}
		if r.woken.Load() {
			return r.drain(fn), nil
		}
	}
}

// waitUntil parks in the netpoller until cond holds or the deadline passes.
func (r *ringReader) waitUntil(deadline time.Time, cond func() bool) error {
	if err := r.file.SetReadDeadline(deadline); err != nil {
		return err
	}
	// Checked after the deadline was set: a wake that came before is seen here, one that comes
	// after moves the deadline into the past.
	if r.woken.Load() {
		return nil
	}
	r.cond = cond
	err := r.raw.Read(r.condFn)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return nil
}

func (r *ringReader) pollEpoll(timeout time.Duration, fn func([]byte)) (int, error) {
	if n := r.drain(fn); n > 0 {
		return n, nil
	}
	_, err := unix.EpollWait(r.epfd, r.events, int(timeout.Milliseconds()))
	if err != nil && !errors.Is(err, unix.EINTR) {
		return 0, err
	}
	return r.drain(fn), nil
}

func (r *ringReader) close() {
	if r.file != nil {
		r.file.Close()
	}
	unix.Close(r.epfd)
	unix.Munmap(r.consumer)
	unix.Munmap(r.producer)
}

// Cast views a record as the struct the BPF side sent, without copying. Records may be shorter
// than T when the tail is variable-length; at least minLen bytes must be present, and only
// that many plus what the record's own length fields cover may be read.
func Cast[T any](rec []byte, minLen uintptr) *T {
	if uintptr(len(rec)) < minLen || len(rec) == 0 {
		return nil
	}
	return (*T)(unsafe.Pointer(&rec[0]))
}
