// Package tools lists every tool of the multicall binary.
package tools

import (
	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/tools/cpufreq"
	"github.com/bpfutils/bpfutils/tools/execsnoop"
	"github.com/bpfutils/bpfutils/tools/hardirqs"
	"github.com/bpfutils/bpfutils/tools/llcstat"
	"github.com/bpfutils/bpfutils/tools/softirqs"
	"github.com/bpfutils/bpfutils/tools/softirqslower"
)

// All is the registry; adding a tool adds one line here.
var All = []app.Tool{
	cpufreq.Tool,
	execsnoop.Tool,
	hardirqs.Tool,
	llcstat.Tool,
	softirqs.Tool,
	softirqslower.Tool,
}
