package inet

import "github.com/bpfutils/bpfutils/pkg/tracer"

// FillPortSets fills both port sets of inet.bpf.h: lports with the local ports, rports with the
// remote ones; a list left empty keeps its filter off.
func FillPortSets(t *tracer.Tracer, local, remote []uint16) error {
	if err := FillPorts(t, "lports", local); err != nil {
		return err
	}
	return FillPorts(t, "rports", remote)
}
