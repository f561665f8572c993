// Package tools lists every tool of the multicall binary.
package tools

import (
	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/tools/biosnoop"
	"github.com/bpfutils/bpfutils/tools/execsnoop"
)

// All is the registry; adding a tool adds one line here.
var All = []app.Tool{
	biosnoop.Tool,
	execsnoop.Tool,
}
