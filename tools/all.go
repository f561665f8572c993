// Package tools lists every tool of the multicall binary.
package tools

import (
	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/tools/execsnoop"
	"github.com/bpfutils/bpfutils/tools/hardirqs"
	"github.com/bpfutils/bpfutils/tools/softirqs"
)

// All is the registry; adding a tool adds one line here.
var All = []app.Tool{
	execsnoop.Tool,
	hardirqs.Tool,
	softirqs.Tool,
}
