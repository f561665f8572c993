// Package tools lists every tool of the multicall binary.
package tools

import (
	"github.com/bpfutils/bpfutils/pkg/app"
	"github.com/bpfutils/bpfutils/tools/bashreadline"
	"github.com/bpfutils/bpfutils/tools/biolatency"
	"github.com/bpfutils/bpfutils/tools/biopattern"
	"github.com/bpfutils/bpfutils/tools/biosnoop"
	"github.com/bpfutils/bpfutils/tools/bitesize"
	"github.com/bpfutils/bpfutils/tools/capable"
	"github.com/bpfutils/bpfutils/tools/cpudist"
	"github.com/bpfutils/bpfutils/tools/cpufreq"
	"github.com/bpfutils/bpfutils/tools/drsnoop"
	"github.com/bpfutils/bpfutils/tools/execsnoop"
	"github.com/bpfutils/bpfutils/tools/exitsnoop"
	"github.com/bpfutils/bpfutils/tools/futexctn"
	"github.com/bpfutils/bpfutils/tools/gethostlatency"
	"github.com/bpfutils/bpfutils/tools/hardirqs"
	"github.com/bpfutils/bpfutils/tools/javagc"
	"github.com/bpfutils/bpfutils/tools/llcstat"
	"github.com/bpfutils/bpfutils/tools/memleak"
	"github.com/bpfutils/bpfutils/tools/mountsnoop"
	"github.com/bpfutils/bpfutils/tools/numamove"
	"github.com/bpfutils/bpfutils/tools/offcputime"
	"github.com/bpfutils/bpfutils/tools/oomkill"
	"github.com/bpfutils/bpfutils/tools/opensnoop"
	"github.com/bpfutils/bpfutils/tools/profile"
	"github.com/bpfutils/bpfutils/tools/runqlat"
	"github.com/bpfutils/bpfutils/tools/runqlen"
	"github.com/bpfutils/bpfutils/tools/runqslower"
	"github.com/bpfutils/bpfutils/tools/sigsnoop"
	"github.com/bpfutils/bpfutils/tools/slabratetop"
	"github.com/bpfutils/bpfutils/tools/softirqs"
	"github.com/bpfutils/bpfutils/tools/softirqslower"
	"github.com/bpfutils/bpfutils/tools/statsnoop"
	"github.com/bpfutils/bpfutils/tools/syncsnoop"
	"github.com/bpfutils/bpfutils/tools/syscount"
	"github.com/bpfutils/bpfutils/tools/wakeuptime"
)

// All is the registry; adding a tool adds one line here.
var All = []app.Tool{
	bashreadline.Tool,
	biolatency.Tool,
	biopattern.Tool,
	biosnoop.Tool,
	bitesize.Tool,
	capable.Tool,
	cpudist.Tool,
	cpufreq.Tool,
	drsnoop.Tool,
	execsnoop.Tool,
	exitsnoop.Tool,
	futexctn.Tool,
	gethostlatency.Tool,
	hardirqs.Tool,
	javagc.Tool,
	llcstat.Tool,
	memleak.Tool,
	mountsnoop.Tool,
	numamove.Tool,
	offcputime.Tool,
	oomkill.Tool,
	opensnoop.Tool,
	profile.Tool,
	runqlat.Tool,
	runqlen.Tool,
	runqslower.Tool,
	sigsnoop.Tool,
	slabratetop.Tool,
	softirqs.Tool,
	softirqslower.Tool,
	statsnoop.Tool,
	syncsnoop.Tool,
	syscount.Tool,
	wakeuptime.Tool,
}
