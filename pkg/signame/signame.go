// Package signame names signals as the C tools print them: the SIG names of sigsnoop -n and the
// glibc strsignal() descriptions of exitsnoop.
package signame

import "strconv"

// names are Linux's standard signals; 32 and up are real-time signals (64 on every arch here).
var names = [...]string{
	"N/A", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
	"SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
	"SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
}

// lastRT is the highest signal number (SIGRTMAX).
const lastRT = 64

// allNames and allDescriptions cover 0..64, made once so that naming a signal allocates nothing.
var allNames, allDescriptions [lastRT + 1]string

func init() {
	for sig := range allNames {
		allNames[sig] = "SIGNAL-" + strconv.Itoa(sig)
		if sig < len(names) {
			allNames[sig] = names[sig]
		}
		allDescriptions[sig] = describe(sig)
	}
}

// Name is the signal's name: SIGHUP..SIGSYS, SIGNAL-32..SIGNAL-64 for real-time ones, N/A for 0;
// ok is false for numbers outside 0..64 (sigsnoop then prints the number).
func Name(sig int) (name string, ok bool) {
	if sig < 0 || sig > lastRT {
		return "", false
	}
	return allNames[sig], true
}

var descriptions = [...]string{
	"", "Hangup", "Interrupt", "Quit", "Illegal instruction", "Trace/breakpoint trap", "Aborted",
	"Bus error", "Floating point exception", "Killed", "User defined signal 1",
	"Segmentation fault", "User defined signal 2", "Broken pipe", "Alarm clock", "Terminated",
	"Stack fault", "Child exited", "Continued", "Stopped (signal)", "Stopped",
	"Stopped (tty input)", "Stopped (tty output)", "Urgent I/O condition",
	"CPU time limit exceeded", "File size limit exceeded", "Virtual timer expired",
	"Profiling timer expired", "Window changed", "I/O possible", "Power failure", "Bad system call",
}

// glibc keeps 32 and 33 for its threads: its real-time signals start at 34.
const firstRT = 34

// Description is what glibc's strsignal() says of the signal.
func Description(sig int) string {
	if sig >= 0 && sig <= lastRT {
		return allDescriptions[sig]
	}
	return describe(sig)
}

func describe(sig int) string {
	switch {
	case sig > 0 && sig < len(descriptions):
		return descriptions[sig]
	case sig >= firstRT && sig <= lastRT:
		return "Real-time signal " + strconv.Itoa(sig-firstRT)
	}
	return "Unknown signal " + strconv.Itoa(sig)
}
