package main

import (
	"bytes"
	"fmt"
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// connMatch picks the lines (text and --json) of one tool that stand for one connection each,
// from the connecting thread's comm and the listener's port.
type connMatch func(comm string, port int) (text, json func([]byte) bool)

// connectStorm connects to a listener of the bench's on 127.0.0.1 from a thread of a unique
// name, one connection after the other, each closed as soon as it is established; the
// listener accepts and closes its side. The listener's port is unique to the storm: no other
// connection on the machine goes to it, and no connecting socket gets it as its own port.
func connectStorm(lines connMatch) func(string) (*workload, error) {
	return func(string) (*workload, error) {
		ln, err := net.ListenTCP("tcp4", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		accepting := make(chan struct{})
		go func() {
			defer close(accepting)
			for {
				c, err := ln.AcceptTCP()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		comm := uniqueName("bbconn")
		text, json := lines(comm, port)
		return &workload{
			cleanup: func() { ln.Close(); <-accepting },
			run: func(events, rate int) error {
				return onNamedThread(comm, func() error {
					to := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
					p := newPacer(rate)
					for i := 0; i < events; i++ {
						p.wait(i)
						fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
						if err != nil {
							return err
						}
						err = unix.Connect(fd, to)
						unix.Close(fd)
						if err != nil {
							return fmt.Errorf("connect %d to 127.0.0.1:%d: %w", i+1, port, err)
						}
					}
					return nil
				})
			},
			match: text, jsonMatch: json,
			comm: comm, path: "127.0.0.1:" + strconv.Itoa(port),
		}, nil
	}
}

// tcpconnectLines: "[TIME(s)] [UID] PID COMM IP SADDR DADDR [SPORT] DPORT", one line per
// connect, its comm the connecting thread's; DPORT is last.
func tcpconnectLines(comm string, port int) (text, json func([]byte) bool) {
	commField, portField := []byte(" "+comm+" "), []byte(strconv.Itoa(port))
	text = func(line []byte) bool {
		if !bytes.Contains(line, commField) {
			return false
		}
		f := bytes.Fields(line)
		return len(f) > 0 && bytes.Equal(f[len(f)-1], portField)
	}
	return text, jsonHasAll(jsonHas(`"comm":"`+comm+`"`), jsonNumber("dport", port))
}

// tcplifeLines: "[TIME(s)] [TIME(s)] PID COMM LADDR LPORT RADDR RPORT TX_KB RX_KB MS", one line
// per session at its close. The connecting side's session has the thread's comm (its owner is
// the task that made it SYN_SENT) and the listener's port as RPORT; the accepted side's has
// the listener's port as LPORT and is not counted.
func tcplifeLines(comm string, port int) (text, json func([]byte) bool) {
	commField, portField := []byte(" "+comm+" "), []byte(strconv.Itoa(port))
	text = func(line []byte) bool {
		if !bytes.Contains(line, commField) {
			return false
		}
		f := bytes.Fields(line)
		for i := range f {
			if string(f[i]) == comm {
				return i+4 < len(f) && bytes.Equal(f[i+4], portField)
			}
		}
		return false
	}
	return text, jsonHasAll(jsonHas(`"comm":"`+comm+`"`), jsonNumber("rport", port))
}

// tcpstatesLines: "[TIME(s)] SKADDR PID COMM [IP] LADDR LPORT RADDR RPORT OLDSTATE -> NEWSTATE
// MS", a line per state change, of both ends. Each connection has one SYN_SENT -> ESTABLISHED,
// on the connecting socket, whose RPORT is the listener's. Its PID and COMM are whichever task
// ran the SYN-ACK's processing (on loopback usually the connecting thread, or ksoftirqd), so
// the comm does not pick these lines: the listener's port does.
func tcpstatesLines(_ string, port int) (text, json func([]byte) bool) {
	portField := []byte(strconv.Itoa(port))
	transition := []byte("SYN_SENT")
	text = func(line []byte) bool {
		if !bytes.Contains(line, transition) {
			return false
		}
		f := bytes.Fields(line)
		for i := 1; i+2 < len(f); i++ {
			if bytes.Equal(f[i], transition) {
				return string(f[i+1]) == "->" && string(f[i+2]) == "ESTABLISHED" && bytes.Equal(f[i-1], portField)
			}
		}
		return false
	}
	return text, jsonHasAll(jsonHas(`"oldstate":"SYN_SENT"`, `"newstate":"ESTABLISHED"`), jsonNumber("rport", port))
}

// jsonNumber matches the JSON lines with the member "key":value, value an integer (not one
// that only begins with value's digits).
func jsonNumber(key string, value int) func([]byte) bool {
	member := []byte(`"` + key + `":` + strconv.Itoa(value))
	return func(line []byte) bool {
		for rest := line; ; {
			i := bytes.Index(rest, member)
			if i < 0 {
				return false
			}
			rest = rest[i+len(member):]
			if len(rest) == 0 || rest[0] < '0' || rest[0] > '9' {
				return true
			}
		}
	}
}

// jsonHasAll matches the lines that every one of matchers matches.
func jsonHasAll(matchers ...func([]byte) bool) func([]byte) bool {
	return func(line []byte) bool {
		for _, m := range matchers {
			if !m(line) {
				return false
			}
		}
		return true
	}
}
