// Package inet holds what the network tools share: addresses written as inet_ntop(3) writes
// them (libbpf-tools prints them so), TCP state names, and the options that pick an address
// family (-4, -6) and ports (-L, -D, -P).
package inet

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/pkg/bpfmap"
	"github.com/bpfutils/bpfutils/pkg/render"
	"github.com/bpfutils/bpfutils/pkg/tracer"
)

// Address families as the kernel numbers them (AF_INET, AF_INET6).
const (
	AFInet  = 2
	AFInet6 = 10
)

// AppendAddr appends an address of family as inet_ntop writes it: IPv4 dotted quads from the
// first four bytes, IPv6 as RFC 5952 with glibc's two embedded-IPv4 forms (::ffff:a.b.c.d and
// ::a.b.c.d). Any other family appends nothing, where inet_ntop fails.
func AppendAddr(b []byte, family uint16, addr *[16]byte) []byte {
	switch family {
	case AFInet:
		return netip.AddrFrom4([4]byte(addr[:4])).AppendTo(b)
	case AFInet6:
		if ipv4Compatible(addr) {
			return netip.AddrFrom4([4]byte(addr[12:])).AppendTo(append(b, "::"...))
		}
		return netip.AddrFrom16(*addr).AppendTo(b)
	}
	return b
}

// ipv4Compatible reports the deprecated form glibc still writes with a dotted quad: 96 zero
// bits, then an address whose first 16 bits are not zero (::1 and ::2 stay hexadecimal).
func ipv4Compatible(addr *[16]byte) bool {
	for _, c := range addr[:12] {
		if c != 0 {
			return false
		}
	}
	return addr[12] != 0 || addr[13] != 0
}

// Version is 4 or 6 for an address family, as the IP columns print it (6 for anything not
// IPv4, as libbpf-tools does).
func Version(family uint16) uint64 {
	if family == AFInet {
		return 4
	}
	return 6
}

// AddrColumn declares a column holding an address, in text and in JSON (a string).
func AddrColumn[R any](header string, width int, key string, get func(*R) (family uint16, addr *[16]byte)) render.Column[R] {
	var scratch []byte
	return render.Custom(header, width, func(l *render.Line, r *R) {
		family, addr := get(r)
		l.Append(AppendAddr(l.Bytes(), family, addr))
	}).JSONBytes(key, func(r *R) []byte {
		family, addr := get(r)
		scratch = AppendAddr(scratch[:0], family, addr)
		return scratch
	})
}

// stateNames are the kernel's TCP states (include/net/tcp_states.h) as the tools print them.
var stateNames = [...]string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
	6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING",
	12: "NEW_SYN_RECV", 13: "UNKNOWN",
}

// TCP states the tools compare against.
const (
	StateEstablished = 1
	StateSynSent     = 2
	StateClose       = 7
)

// StateName names a TCP state; a number the kernel does not define is UNKNOWN.
func StateName(state int32) string {
	if state <= 0 || int(state) >= len(stateNames) {
		return "UNKNOWN"
	}
	return stateNames[state]
}

// Family is the -4/-6 pair: at most one of them.
type Family struct{ V4, V6 bool }

// FamilyFlags binds -4 and -6 with each tool's help texts.
func FamilyFlags(f *Family, v4Usage, v6Usage string) []cli.Flag {
	return []cli.Flag{app.Bool(&f.V4, "ipv4 4", v4Usage), app.Bool(&f.V6, "ipv6 6", v6Usage)}
}

// Check refuses -4 with -6: libbpf-tools silently keeps the last one given, which traces one
// family when the user asked for both.
func (f Family) Check() error {
	if f.V4 && f.V6 {
		return app.Usagef("-4 and -6 cannot be used together: leave both out to trace both families")
	}
	return nil
}

// AF is the family to trace (AF_INET or AF_INET6), or 0 for both.
func (f Family) AF() uint16 {
	switch {
	case f.V4:
		return AFInet
	case f.V6:
		return AFInet6
	}
	return 0
}

// MaxPorts bounds a port list: the size of the BPF port sets (INET_MAX_PORTS in inet.bpf.h).
const MaxPorts = 1024

// ParsePorts reads a comma-separated list of ports (80,443); what names the option in errors.
func ParsePorts(what, s string) ([]uint16, error) {
	var ports []uint16
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("invalid %s %q: %q is not a port from 1 to 65535", what, s, p)
		}
		ports = append(ports, uint16(n))
	}
	if len(ports) > MaxPorts {
		return nil, fmt.Errorf("invalid %s %q: at most %d ports", what, s, MaxPorts)
	}
	return ports, nil
}

// PortsFlag binds a comma-separated port list option.
func PortsFlag(dst *[]uint16, names, usage, what string) cli.Flag {
	return app.Value(dst, names, usage, func(s string) ([]uint16, error) { return ParsePorts(what, s) })
}

// FillPorts puts ports into one of the port sets of inet.bpf.h (lports, rports); with none
// given the set stays empty and its filter off.
func FillPorts(t *tracer.Tracer, set string, ports []uint16) error {
	if len(ports) == 0 {
		return nil
	}
	if err := bpfmap.AddKeys(t.Map(set), ports, uint8(1)); err != nil {
		return fmt.Errorf("fill port set %s: %w", set, err)
	}
	return nil
}
